"""The versioned Parquet store: immutable, complete snapshots and a LATEST pointer.

Layout under the store root (``data/processed/papers``)::

    v0001/ papers.parquet records.parquet files.parquet manifest.json
    v0002/ ...
    LATEST          the name of the newest version, e.g. "v0002"
    .lock           held while a run publishes
    .staging-*/     a version being written; never visible under a vNNNN name
    _refused/<run>/ a candidate whose checks failed, kept for inspection

A version is written completely into a staging directory, flushed to disk, then
renamed into place in one step, and only then is LATEST replaced (also by an
atomic rename). A crash at any moment therefore leaves either no new version or
a complete one; readers following LATEST never see a half-written version.
Publishing the same table content twice creates no new version.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from pipeline.core.ingest.hashing import file_sha256

LATEST = "LATEST"
REFUSED = "_refused"
MANIFEST = "manifest.json"
# Inputs fingerprints that reproduced the latest version without changing it (new code
# or settings, same content): lets the next rerun of those inputs stop at once.
REPRODUCED = "_reproduced.json"
MAX_REPRODUCED = 16
_VERSION_DIR = re.compile(r"^v(\d{4,})$")
_STAGING_PREFIX = ".staging-"
PARQUET_COMPRESSION = "zstd"


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


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_file(path: Path) -> None:
    with path.open("rb") as fh:
        os.fsync(fh.fileno())


def write_parquet_atomic(
    df: pl.DataFrame, path: Path, metadata: dict[str, str] | None = None
) -> None:
    """Write ``df`` to ``path`` through a temporary name, so readers never see half a file.
    ``metadata`` goes into the file's key-value metadata."""
    _replace_atomically(
        path, lambda tmp: df.write_parquet(tmp, compression=PARQUET_COMPRESSION, metadata=metadata)
    )


TEMP_MARK = ".tmp-"


def temp_name(name: str) -> str:
    """The hidden temporary name a file is written under before it is renamed to
    ``name``: ``.<name>.tmp-<pid>-<random>``. The writer's pid lets the next run tell
    the leftover of a killed writer from a file being written right now (see
    :mod:`pipeline.core.store.leftovers`)."""
    return f".{name}{TEMP_MARK}{os.getpid()}-{uuid.uuid4().hex}"


def _replace_atomically(path: Path, write: Callable[[Path], object]) -> None:
    """Call ``write`` on a temporary name beside ``path``, then rename it into place; the
    temporary file never outlives a failed write."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(temp_name(path.name))
    try:
        write(tmp)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


Table = pl.DataFrame | Path
"""A table to publish: a frame, or a Parquet file already written (copied as is)."""


def write_table(table: Table, target: Path) -> int:
    """Write a frame, or link (else copy) a Parquet file, to ``target``; returns its row
    count.

    A file is hard-linked when it lies on the same file system: a version then shares
    the inode of the asset file it was made from, costing no bytes and no time (the
    tables of a 1M-record version are gigabytes). That is safe because nothing in the
    pipeline writes a file in place: every write goes to a temporary name renamed over
    the old path (:func:`_replace_atomically`), which leaves the linked inode, and so
    the version, untouched."""
    if isinstance(table, Path):
        _link_or_copy(table, target)
        return pl.scan_parquet(target).select(pl.len()).collect().item()
    table.write_parquet(target, compression=PARQUET_COMPRESSION, statistics=True)
    return table.height


def _link_or_copy(source: Path, target: Path) -> None:
    """Hard-link ``source`` at ``target``; copy it across file systems or where links are
    not supported (copy_file_range: no bytes through Python)."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def sink_parquet_atomic(frame: pl.LazyFrame, path: Path) -> None:
    """:func:`write_parquet_atomic` for a lazy frame, streamed: memory stays bounded by
    the engine's batches, not the table (about 0.8 GB for a 1M-record table)."""
    _replace_atomically(path, lambda tmp: frame.sink_parquet(tmp, compression=PARQUET_COMPRESSION))


PART_GLOB = "part-*.parquet"


def link_parts_atomic(
    directory: Path, files: Sequence[Path], beside: Mapping[str, str] | None = None
) -> None:
    """Make ``directory`` a table of the Parquet ``files`` (in order) without rewriting
    a row: a fresh hidden directory of hard links ``part-000000.parquet``, ... (copies
    across file systems), then ``directory`` becomes a symbolic link to it, swapped
    atomically, and the directory it pointed at before is removed. Readers see the old
    parts or the new ones. The linked inodes are safe from later writes for the reason
    :func:`write_table` gives. ``beside``: small text files (name: text) to place
    beside the parts before the swap."""
    parent = directory.parent
    parent.mkdir(parents=True, exist_ok=True)
    target = parent / f".{directory.name}-{uuid.uuid4().hex[:12]}"
    target.mkdir()
    try:
        for i, source in enumerate(files):
            _link_or_copy(source, target / f"part-{i:06d}.parquet")
        for name, text in (beside or {}).items():
            (target / name).write_text(text, encoding="utf-8")
        previous = directory.resolve() if directory.is_symlink() else None
        pointer = parent / temp_name(f"{directory.name}.link")
        pointer.symlink_to(target.name)
        pointer.replace(directory)
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
    if previous is not None and previous != target and previous.parent == parent:
        shutil.rmtree(previous, ignore_errors=True)


def part_files(directory: Path) -> list[Path]:
    """The parts of a table written by :func:`link_parts_atomic`, in order."""
    return sorted(directory.glob(PART_GLOB))


def write_atomic(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` so that readers see the old or the new file, never a mix."""
    tmp = path.with_name(temp_name(path.name))
    with tmp.open("w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(path)
    _fsync_dir(path.parent)


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

    # Writing -------------------------------------------------------------------------
    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Exclusive lock on the store; a second publisher waits for the first."""
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / ".lock").open("a") as fh:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

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
            staging = self.root / f"{_STAGING_PREFIX}{uuid.uuid4().hex}"
            staging.mkdir()
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
        staging = refused_root / f"{_STAGING_PREFIX}{uuid.uuid4().hex}"
        staging.mkdir()
        try:
            for table, value in tables.items():
                write_table(value, staging / f"{table}.parquet")
            if evidence_dir is not None and evidence_dir.is_dir():
                shutil.copytree(evidence_dir, staging, dirs_exist_ok=True)
            if manifest is not None:
                (staging / MANIFEST).write_text(json.dumps(manifest, indent=2, default=str) + "\n")
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
            trash = self.root / f"{_STAGING_PREFIX}deleted-{version}-{uuid.uuid4().hex}"
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
            _fsync_file(target)
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
        _fsync_file(staging / MANIFEST)
        _fsync_dir(staging)
        staging.rename(self.root / version)  # atomic: the version appears complete or not at all
        _fsync_dir(self.root)
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
        for stale in self.root.glob(f"{_STAGING_PREFIX}*"):
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
