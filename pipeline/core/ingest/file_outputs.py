"""Each raw file's transformed records, computed once and kept until the file or code changes.

A daily archive grows by a file or two a day; re-parsing and re-transforming every
earlier scrape on each run would cost minutes at a million records. So each file's
output is stored once (:mod:`pipeline.core.ingest.entries` says under which key) and
read back while the file, the record code and the settings stay the same.

Files are transformed in batches of bounded size (:mod:`.file_batches`), one batch
per core at a time, so a first run over a large archive never holds more than that
many batches' intermediate columns at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from pipeline.core import schema
from pipeline.core.ingest.entries import FileOutput, FileOutputStore, RawFile, RecordSettings
from pipeline.core.ingest.file_batches import (
    BATCH_BYTES,
    batches,
    transform_batches,
    transform_files,
)
from pipeline.core.ingest.hash_cache import HashCache
from pipeline.core.ingest.hashing import file_sha256
from pipeline.core.ingest.raw_files import scrape_date
from pipeline.core.ingest.raw_listing import display_name, scan_raw_dir
from pipeline.core.names import Progress
from pipeline.core.transform.language import DEFAULT_ENGINE, Engine, empty_cache


def find_raw_files(raw_dir: Path, hashes: HashCache | None = None) -> list[RawFile]:
    """Every raw file with its sha256 and scrape date, ordered by relative path as a
    string: the order of ``source_file`` in the tables, so the records gathered file by
    file are already sorted and dedup need not copy them into order. ``hashes``:
    sha256 remembered from earlier runs (see :mod:`pipeline.core.ingest.hash_cache`)."""
    listing = scan_raw_dir(raw_dir)
    found = [
        _raw_file(path, path.relative_to(raw_dir).as_posix(), hashes) for path in listing.files
    ]
    found += [
        RawFile(path, path.relative_to(raw_dir).as_posix(), None, None, refused=reason)
        for path, reason in listing.refused
    ]
    return sorted(found, key=lambda raw: display_name(raw.relative))


def find_raw_file(raw_dir: Path, relative: str, hashes: HashCache | None = None) -> RawFile | None:
    """The raw file at ``relative`` (hashing that file only), or None when there is none
    (or ``relative`` points outside ``raw_dir``, e.g. "../secret")."""
    path = raw_dir / relative
    inside = path.resolve().is_relative_to(raw_dir.resolve())
    regular = path.is_file() and not path.is_symlink()  # is_file alone follows symlinks
    return _raw_file(path, relative, hashes) if inside and regular else None


def _raw_file(path: Path, relative: str, hashes: HashCache | None) -> RawFile:
    try:
        sha = hashes.sha256(path) if hashes is not None else file_sha256(path)
        return RawFile(path, relative, sha, scrape_date(path, relative))
    except OSError:  # vanished or unreadable: read_file reports why
        return RawFile(path, relative, None, None)


@dataclass(frozen=True)
class Collected:
    """The files table and every transformed record of the raw directory, and what the
    run had to compute: the files it transformed and the entries it reused.

    ``lazy_records`` scans the stored entries (in file order), so a caller can stream
    a million records to disk, or read a few of their columns, without holding them.
    ``entry_files``: the entries holding every record, in file order, when they all
    are stored (None when some records exist only in memory): a caller may link the
    files instead of rewriting their rows.
    """

    files: pl.DataFrame
    lazy_records: pl.LazyFrame
    transformed: list[str]
    reused: list[str]
    language_cache: pl.DataFrame
    language_stats: dict[str, int]
    pruned: int
    entry_files: list[Path] | None = None

    @property
    def records(self) -> pl.DataFrame:
        return self.lazy_records.collect()


def collect(
    raw_dir: Path,
    store: FileOutputStore,
    settings: RecordSettings,
    language_cache: pl.DataFrame | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
    max_batch_bytes: int = BATCH_BYTES,
    hashes: HashCache | None = None,
    language_engine: Engine = DEFAULT_ENGINE,
    force: bool = False,
    after_listing: Callable[[Sequence[RawFile]], None] | None = None,
) -> Collected:
    """Every raw file's output: stored entries where current, the rest transformed in
    batches and stored. Unused entries are pruned afterwards.

    ``force``: trust nothing remembered: every file is hashed and transformed again
    (the stored entries are overwritten, the hash cache refilled). ``after_listing``
    is called with the files found, before any is read: the window in which a file
    may change or vanish under a run (tests use it to move files deterministically).
    """
    if force and hashes is not None:
        hashes.forget()
    files = find_raw_files(raw_dir, hashes)
    if after_listing is not None:
        after_listing(files)
    cache = empty_cache() if language_cache is None else language_cache
    stale = list(files) if force else [raw for raw in files if not store.has(raw)]
    if progress and stale and store.code_changed():
        progress(
            "the record code or settings changed since the stored per-file outputs were "
            "made: every file is parsed and transformed again, once"
        )
    unstored, parsed, cache, stats = _transform_stale(
        stale, store, settings, cache, workers, progress, max_batch_bytes, language_engine
    )
    for actual in parsed.values():  # changed between listing and reading: hash it anew
        if hashes is not None:
            hashes.forget(actual.path)
    files = [parsed.get(raw.relative, raw) for raw in files]
    transformed = {raw.relative for raw in stale}
    rows: list[dict] = []
    parts: list[pl.LazyFrame] = []
    entry_files: list[Path] | None = []
    for raw in files:
        row = None if raw.relative in unstored else store.file_row(raw)
        if row is not None:
            rows.append(row)
            parts.append(pl.scan_parquet(store.path(raw)))
            if entry_files is not None:
                entry_files.append(store.path(raw))
            continue
        output = unstored.get(raw.relative)
        if output is None:  # an entry vanished or broke under us: compute it here
            (output,), cache, _ = transform_files(
                [raw], settings, cache, workers, language_engine=language_engine
            )
        rows.append(output.file_row)
        parts.append(output.records.lazy())
        if output.records.height:  # held in memory only: no file to link
            entry_files = None
    records = (
        pl.concat(parts, how="vertical_relaxed")
        if parts
        else pl.LazyFrame(schema=schema.NORMALIZED_RECORDS)
    )
    return Collected(
        files=schema.conform(pl.DataFrame(rows, schema=schema.FILES), schema.FILES, "files"),
        lazy_records=schema.conform(records, schema.NORMALIZED_RECORDS, "normalized_records"),
        transformed=[display_name(raw.relative) for raw in stale],
        reused=[display_name(raw.relative) for raw in files if raw.relative not in transformed],
        language_cache=cache,
        language_stats=stats,
        pruned=_prune_and_remember(store, files),
        entry_files=entry_files or None,
    )


def _prune_and_remember(store: FileOutputStore, files: Sequence[RawFile]) -> int:
    """Drop the entries no current file uses; the rest are this fingerprint's now."""
    pruned = store.prune(files)
    store.remember()
    return pruned


def _transform_stale(
    stale: Sequence[RawFile],
    store: FileOutputStore,
    settings: RecordSettings,
    cache: pl.DataFrame,
    workers: int | None,
    progress: Progress | None,
    max_batch_bytes: int,
    language_engine: Engine,
) -> tuple[dict[str, FileOutput], dict[str, RawFile], pl.DataFrame, dict[str, int]]:
    """Transform and store ``stale`` batch by batch, on ``workers`` cores. Returns the
    outputs that could not be stored (unreadable files), the files whose parsed bytes
    differ from the bytes hashed when listed (as stored: with the parsed hash), the
    grown language cache and the language-detection counts."""
    stats = {"detected": 0, "cache_hits": 0, "texts": 0}
    unstored: dict[str, FileOutput] = {}
    changed: dict[str, RawFile] = {}
    if not stale:
        return unstored, changed, cache, stats
    started = time.monotonic()
    todo = list(batches(stale, max_batch_bytes))
    done = 0
    new_detections = []
    for result in transform_batches(todo, store, settings, cache, workers, language_engine):
        for stored in result.files:
            if stored.unstored is not None:
                unstored[stored.raw.relative] = stored.unstored
            elif stored.stored_as is not None and stored.stored_as.sha256 != stored.raw.sha256:
                changed[stored.raw.relative] = stored.stored_as
        new_detections.append(result.new_detections)
        stats = {k: stats[k] + result.language_stats[k] for k in stats}
        done += len(result.files)
        if progress:
            progress(
                f"transformed {done}/{len(stale)} new or changed files "
                f"in {time.monotonic() - started:.0f} s"
            )
    # Two workers may both have detected a new text (never one the starting cache
    # held, which every worker had): the cache keeps one row per text.
    fresh = pl.concat(new_detections).unique("content_hash", keep="first", maintain_order=True)
    return unstored, changed, pl.concat([cache.select(fresh.columns), fresh]), stats
