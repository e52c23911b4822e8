"""The versioned Parquet store: immutable, complete snapshots and a LATEST pointer.

Layout under the store root (``data/processed/papers``)::

    v0001/ papers.parquet records.parquet files.parquet manifest.json
    v0002/ ...
    LATEST          the name of the newest version, e.g. "v0002"
    .lock           held while a run publishes
    _refused/<run>/ a candidate whose checks failed, kept for inspection

A version is written completely into a staging directory (``.staging-<pid>-<random>``
in the data directory's temporary directory, ``processed/.tmp``, see
:mod:`pipeline.core.atomic`; beside the versions for a store outside a data
directory), flushed to disk, then renamed into place in one step, and only then is
LATEST replaced (also by an atomic rename). A crash at any moment therefore leaves
either no new version or a complete one; readers following LATEST never see a
half-written version.
Publishing the same table content twice creates no new version.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import shutil
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from pipeline.core.atomic import (
    PARQUET_COMPRESSION,
    TEMP_DIR,
    fsync_dir,
    fsync_tree,
    link_or_copy,
    new_staging_dir,
    temp_dir,
    write_atomic,
)
from pipeline.core.ingest.hashing import file_sha256
from pipeline.core.store.leftovers import clear_temp_dir
from pipeline.core.store.locking import exclusive_lock

LATEST = "LATEST"
REFUSED = "_refused"
MANIFEST = "manifest.json"
# Inputs fingerprints that reproduced the latest version without changing it (new code
# or settings, same content): lets the next rerun of those inputs stop at once.
REPRODUCED = "_reproduced.json"
MAX_REPRODUCED = 16
_VERSION_DIR = re.compile(r"^v(\d{4,})$")
_STAGING_PREFIX = ".staging-"


# (parent version dir or None, staging dir of the new version) -> extra manifest fields
Annotate = Callable[[Path | None, Path], dict]
# (the new version's full manifest, its staging dir) -> None: writes files for readers
# (the dataset card, the report) into the version before it becomes visible.
Describe = Callable[[Mapping, Path], None]


class StoreError(RuntimeError):
    """The store is not in a state this operation can work with."""


@dataclass(frozen=True)
class PublishResult:
    """What a publish did: a new version, or nothing because the content is unchanged."""

    version: str
    path: Path
    unchanged: bool
    manifest: dict


def version_name(number: int) -> str:
    return f"v{number:04d}"


Table = pl.DataFrame | Path
"""A table to publish: a frame, or a Parquet file already written (copied as is)."""


def write_table(table: Table, target: Path) -> int:
    """Write a frame, or link (else copy) a Parquet file, to ``target``; returns its row
    count.

    A file is hard-linked when it lies on the same file system: a version then shares
    the inode of the asset file it was made from, costing no bytes and no time (the
    tables of a 1M-record version are gigabytes). That is safe because nothing in the
    pipeline writes a file in place: every write goes to a temporary name renamed over
    the old path (:func:`~pipeline.core.atomic.replace_atomically`), which leaves
    the linked inode, and so the version, untouched."""
    if isinstance(table, Path):
        link_or_copy(table, target)
        return pl.scan_parquet(target).select(pl.len()).collect().item()
    table.write_parquet(target, compression=PARQUET_COMPRESSION, statistics=True)
    return table.height


class VersionStore:
    """Reads and publishes versions under one root directory."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    # Reading -------------------------------------------------------------------------
    def versions(self) -> list[str]:
        """Complete versions, oldest first."""
        if not self.root.is_dir():
            return []
        found = [p.name for p in self.root.iterdir() if p.is_dir() and _VERSION_DIR.match(p.name)]
        return sorted(found, key=lambda name: int(name[1:]))

    def latest(self) -> str | None:
        """The version LATEST names, or None before the first publish."""
        pointer = self.root / LATEST
        if not pointer.is_file():
            return None
        name = pointer.read_text(encoding="utf-8").strip()
        if not _VERSION_DIR.match(name) or not (self.root / name / MANIFEST).is_file():
            raise StoreError(f"{pointer} names {name!r}, which is not a complete version")
        return name

    def path(self, version: str) -> Path:
        return (self.root / version).resolve()

    def manifest(self, version: str) -> dict:
        return json.loads((self.root / version / MANIFEST).read_text(encoding="utf-8"))

    def latest_rows(self, table: str) -> int | None:
        """Rows of ``table`` in the latest version; None before the first publish."""
        latest = self.latest()
        return None if latest is None else self.manifest(latest)["tables"][table]["rows"]

    # Writing -------------------------------------------------------------------------
    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Exclusive lock on the store; a second publisher waits for the first."""
        self.root.mkdir(parents=True, exist_ok=True)
        with exclusive_lock(self.root / ".lock", wait=True):
            yield

    def publish(
        self,
        tables: Mapping[str, Table],
        manifest: Mapping,
        annotate: Annotate | None = None,
        keep: int = 0,
        describe: Describe | None = None,
    ) -> PublishResult:
        """Write ``tables`` as a new version unless the latest one has the same content.

        A table is a frame to write, or the path of a Parquet file to copy byte for
        byte (a large table need never be held in memory to be published).

        ``manifest`` holds what the caller knows (inputs, counts, checks, code
        version); the store adds version, parent, created_at, the tables and the
        content hash that decides whether anything changed. ``annotate`` is called
        with the parent version's directory (None for the first version), under the
        lock, and its result joins the manifest: the changelog is made that way.
        ``keep`` > 0 prunes all but the newest ``keep`` versions afterwards.
        ``describe`` writes files describing a new version (never called when the
        content is unchanged): they are part of the version but not of its content
        hash, which covers the tables alone, so new wording never makes a new version.
        """
        with self.lock():
            self._recover()
            staging = new_staging_dir(self.root, _STAGING_PREFIX)
            try:
                result = self._publish_staged(staging, tables, manifest, annotate, describe)
            finally:
                if staging.exists():
                    shutil.rmtree(staging)
            if keep > 0:
                self._prune(keep)
            return result

    def keep_refused(
        self,
        name: str,
        tables: Mapping[str, Table],
        evidence_dir: Path | None = None,
        manifest: Mapping | None = None,
    ) -> Path:
        """Keep a candidate that failed its checks under ``_refused/<name>`` for inspection.

        It is written like a version (staging, then rename) but never becomes one:
        LATEST and the version numbers are untouched.
        """
        refused_root = self.root / REFUSED
        refused_root.mkdir(parents=True, exist_ok=True)
        target = refused_root / name
        staging = new_staging_dir(refused_root, _STAGING_PREFIX)
        try:
            for table, value in tables.items():
                write_table(value, staging / f"{table}.parquet")
            if evidence_dir is not None and evidence_dir.is_dir():
                shutil.copytree(evidence_dir, staging, dirs_exist_ok=True)
            if manifest is not None:
                (staging / MANIFEST).write_text(json.dumps(manifest, indent=2, default=str) + "\n")
            fsync_tree(staging)
            if target.exists():
                shutil.rmtree(target)
            staging.rename(target)
        finally:
            if staging.exists():
                shutil.rmtree(staging)
        return target.resolve()

    def _prune(self, keep: int) -> list[str]:
        """Delete all but the newest ``keep`` versions (call under the lock); never LATEST.

        A version is first renamed to a hidden name, so readers never see it half
        deleted.
        """
        latest = self.latest()
        doomed = [v for v in self.versions()[:-keep] if v != latest]
        for version in doomed:
            trash = new_staging_dir(self.root, f"{_STAGING_PREFIX}deleted-{version}-")
            trash.rmdir()
            (self.root / version).rename(trash)
            shutil.rmtree(trash)
        return doomed

    def _publish_staged(
        self,
        staging: Path,
        tables: Mapping[str, Table],
        manifest: Mapping,
        annotate: Annotate | None,
        describe: Describe | None = None,
    ) -> PublishResult:
        table_info = {}
        for name in sorted(tables):
            target = staging / f"{name}.parquet"
            rows = write_table(tables[name], target)
            table_info[name] = {
                "file": target.name,
                "rows": rows,
                "bytes": target.stat().st_size,
                "sha256": file_sha256(target),
            }
        content_hash = hashlib.sha256(
            json.dumps({n: t["sha256"] for n, t in table_info.items()}, sort_keys=True).encode()
        ).hexdigest()
        parent = self.latest()
        if parent is not None and self.manifest(parent).get("content_hash") == content_hash:
            self._remember_reproduced(parent, manifest.get("inputs_fingerprint"))
            return PublishResult(parent, self.path(parent), True, self.manifest(parent))
        existing = self.versions()
        version = version_name(int(existing[-1][1:]) + 1 if existing else 1)
        full = {
            "version": version,
            "parent": parent,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "content_hash": content_hash,
            **manifest,
            **(annotate(self.path(parent) if parent else None, staging) if annotate else {}),
            "tables": table_info,
        }
        (staging / MANIFEST).write_text(json.dumps(full, indent=2, default=str) + "\n")
        if describe is not None:
            describe(full, staging)
        fsync_tree(staging)  # the tables, manifest, card, report and Data Docs
        staging.rename(self.root / version)  # atomic: the version appears complete or not at all
        fsync_dir(self.root)
        write_atomic(self.root / LATEST, version + "\n")
        return PublishResult(version, self.path(version), False, full)

    def inputs_fingerprints(self, version: str) -> set[str]:
        """Every inputs fingerprint known to give ``version``: its manifest's, and those
        of later runs whose content came out the same (recorded only for the latest
        version; any other version gets its manifest's alone)."""
        known = {self.manifest(version).get("inputs_fingerprint")} - {None}
        recorded = self._reproduced()
        if recorded.get("version") == version:
            known |= set(recorded.get("inputs_fingerprints", []))
        return known

    def _reproduced(self) -> dict:
        try:
            return json.loads((self.root / REPRODUCED).read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return {}

    def _remember_reproduced(self, version: str, fingerprint: str | None) -> None:
        """Record (under the lock) that ``fingerprint``'s inputs give ``version`` as it is.

        Without this, a code or settings change that leaves the content alone made
        every later rerun of unchanged inputs run the whole job again, since the
        version's manifest keeps the fingerprint it was made with."""
        if fingerprint is None or fingerprint in self.inputs_fingerprints(version):
            return
        recorded = self._reproduced()
        earlier = (
            recorded.get("inputs_fingerprints", []) if recorded.get("version") == version else []
        )
        kept = [*earlier, fingerprint][-MAX_REPRODUCED:]
        write_atomic(
            self.root / REPRODUCED,
            json.dumps({"version": version, "inputs_fingerprints": kept}, indent=2) + "\n",
        )

    def _recover(self) -> None:
        """Undo what a crashed run left behind (call under the lock).

        Staging directories of dead runs are removed. A version renamed into place
        whose run died before it replaced LATEST is complete, and its checks had
        passed, so LATEST is rolled forward to it.
        """
        temp = temp_dir(self.root / LATEST)
        if temp.name == TEMP_DIR:  # the data directory's own: stagings of dead publishers
            clear_temp_dir(temp)
        for stale in self.root.glob(f"{_STAGING_PREFIX}*"):  # beside the versions
            shutil.rmtree(stale, ignore_errors=True)
        for tmp in self.root.glob(f".{LATEST}.tmp-*"):
            tmp.unlink(missing_ok=True)
        complete = [v for v in self.versions() if (self.root / v / MANIFEST).is_file()]
        if complete and self._latest_or_none() != complete[-1]:
            write_atomic(self.root / LATEST, complete[-1] + "\n")

    def _latest_or_none(self) -> str | None:
        try:
            return self.latest()
        except StoreError:
            return None
