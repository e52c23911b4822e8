"""Each raw file's transformed records, computed once and kept until the file or code changes.

A daily archive grows by a file or two a day; re-parsing and re-transforming every
earlier scrape on each run would cost minutes at a million records. So each file's
output (its files-table row and its transformed records) is stored under a key made
of the file's path, content sha256 and scrape date, and the *record fingerprint*:
the source of the modules that make a record (ingest and transform and everything
they import: readers, normalisation, extraction, language, rules), this module's
ENTRY_FORMAT, and the settings that shape a record. Hence:

- an unchanged file is read back, not recomputed;
- a changed file (new sha256), or a change to record-making code or settings, gets a
  new key and is recomputed (a change to dedup or publish code reuses the entries);
  a removed file's entry is no longer referenced and is pruned;
- an entry is one Parquet file (records, with the file row in its key-value
  metadata) written under a temporary name and renamed into place, so a crash
  never leaves half an entry visible and a reader sees the old entry or the new.

Files are transformed in batches of bounded size, so a first run over a large
archive never holds more than one batch's intermediate columns at once.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl

from pipeline.core import schema
from pipeline.core.ingest.hash_cache import HashCache
from pipeline.core.ingest.hashing import file_sha256
from pipeline.core.ingest.raw_files import read_or_reject, refused_row, scrape_date
from pipeline.core.ingest.raw_listing import display_name, scan_raw_dir
from pipeline.core.ingest.readers.json_readers import DEFAULT_FIELD_MAP
from pipeline.core.names import Progress
from pipeline.core.store.atomic import write_parquet_atomic
from pipeline.core.store.provenance import modules_version
from pipeline.core.transform.language import DEFAULT_ENGINE, Engine, empty_cache
from pipeline.core.transform.records import DEFAULT_LANGUAGES, transform_records
from pipeline.core.validate.expectation_settings import ExpectationSettings

FILE_ROW_KEY = "papers_pipeline.file_row"
ENTRY_SUFFIX = ".parquet"
# Raw bytes transformed together: about 40k records of the sample's shape, ~1.5 GB of
# intermediate columns at most.
BATCH_BYTES = 48 * 1024 * 1024
# The modules that make a record from a file's bytes: their source (and that of every
# pipeline module they import) is part of the record fingerprint. Storage and
# bookkeeping code (this module's own, store.py) is not; ENTRY_FORMAT is bumped by hand
# when this module changes what an entry holds.
RECORD_MODULES = ("pipeline", "pipeline.core.ingest.raw_files", "pipeline.core.transform.records")
ENTRY_FORMAT = 1


@dataclass(frozen=True)
class RecordSettings:
    """What shapes a file's records besides its bytes: part of every entry's key."""

    field_map: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: DEFAULT_FIELD_MAP)
    languages: Sequence[str] = DEFAULT_LANGUAGES
    bounds: ExpectationSettings | None = None

    def fingerprint(self) -> str:
        payload = {
            "code_version": modules_version(*RECORD_MODULES),
            "entry_format": ENTRY_FORMAT,
            "field_map": {k: list(v) for k, v in sorted(self.field_map.items())},
            "languages": list(self.languages),
            "bounds": None if self.bounds is None else _record_bounds(self.bounds),
        }
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def _record_bounds(bounds: ExpectationSettings) -> dict:
    return {
        "title": [bounds.title_min_chars, bounds.title_max_chars],
        "abstract": [bounds.abstract_min_chars, bounds.abstract_max_chars],
    }


@dataclass(frozen=True)
class RawFile:
    """A raw file as found: path relative to the raw directory (surrogate-escaped where
    the name is not UTF-8), sha256 (None when it cannot be read), scrape date, and why
    it is not read at all when it is no regular file (see :mod:`.raw_listing`)."""

    path: Path
    relative: str
    sha256: str | None
    scraped: date | None
    refused: str | None = None


@dataclass(frozen=True)
class FileOutput:
    """One raw file's row of the files table and its transformed records."""

    file_row: dict
    records: pl.DataFrame


class FileOutputStore:
    """Entries under ``root``, one Parquet file each, keyed as the module docstring says."""

    def __init__(self, root: Path, settings: RecordSettings) -> None:
        self.root = root
        self.fingerprint = settings.fingerprint()

    def key(self, raw: RawFile) -> str:
        parts = [raw.relative, raw.sha256 or "", str(raw.scraped), self.fingerprint]
        # surrogateescape: a name that is not UTF-8 is keyed by its bytes (os.fsencode)
        return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogateescape")).hexdigest()[:40]

    def path(self, raw: RawFile) -> Path:
        return self.root / f"{self.key(raw)}{ENTRY_SUFFIX}"

    def has(self, raw: RawFile) -> bool:
        return raw.sha256 is not None and self.path(raw).is_file()

    def file_row(self, raw: RawFile) -> dict | None:
        """The stored files-table row (read from the entry's footer), or None."""
        if not self.has(raw):
            return None
        try:
            row = json.loads(pl.read_parquet_metadata(self.path(raw))[FILE_ROW_KEY])
        except (OSError, KeyError, ValueError, pl.exceptions.PolarsError):
            return None
        row["scrape_date"] = date.fromisoformat(row["scrape_date"]) if row["scrape_date"] else None
        return row

    def put(self, raw: RawFile, output: FileOutput) -> RawFile | None:
        """Store ``output`` under the hash of the bytes that were parsed (the row's
        sha256), not the hash taken when the file was listed: a file rewritten in
        between must not leave its new content under its old hash. Returns the file as
        stored, or None when nothing was stored: a file that could not be read (vanished,
        no permission) is retried next run, never remembered as rejected."""
        parsed = output.file_row.get("sha256")
        if parsed is None:
            return None
        actual = dataclasses.replace(raw, sha256=parsed)
        row = json.dumps(output.file_row, default=str)
        write_parquet_atomic(output.records, self.path(actual), metadata={FILE_ROW_KEY: row})
        return actual

    def prune(self, keep: Sequence[RawFile]) -> int:
        """Delete entries no current file uses (removed or changed files, older code)."""
        wanted = {self.path(raw).name for raw in keep}
        removed = 0
        for entry in self.root.glob(f"*{ENTRY_SUFFIX}") if self.root.is_dir() else ():
            if entry.name not in wanted:
                entry.unlink(missing_ok=True)
                removed += 1
        return removed


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


def transform_files(
    files: Sequence[RawFile],
    settings: RecordSettings,
    language_cache: pl.DataFrame,
    workers: int | None = None,
    progress: Progress | None = None,
    language_engine: Engine = DEFAULT_ENGINE,
) -> tuple[list[FileOutput], pl.DataFrame, dict[str, int]]:
    """Parse and transform ``files`` together (one language-detection pass, on
    ``workers`` threads); returns each file's output, the grown language cache and
    language-detection counts. ``language_engine`` is not part of the entries' key: both
    engines give langdetect's answers."""
    rows: list[dict] = []
    raw_rows: list[dict] = []
    for raw in files:
        name = display_name(raw.relative)  # the name as the tables spell it
        if raw.refused:
            row, records = refused_row(name, raw.refused), []
        else:
            row, records = read_or_reject(raw.path, name, settings.field_map)
        rows.append(row)
        raw_rows.extend(records)
    raw_records = schema.conform(
        pl.DataFrame(raw_rows, schema=schema.RAW_RECORDS), schema.RAW_RECORDS, "raw_records"
    )
    result = transform_records(
        raw_records,
        language_cache,
        settings.languages,
        workers=workers,
        bounds=settings.bounds,
        progress=progress,
        language_engine=language_engine,
    )
    by_file = result.records.partition_by("source_file", as_dict=True, maintain_order=True)
    empty = result.records.clear()
    outputs = [
        FileOutput(file_row=row, records=by_file.get((row["source_file"],), empty)) for row in rows
    ]
    return outputs, result.language_cache, result.language_stats


def batches(files: Sequence[RawFile], max_bytes: int = BATCH_BYTES) -> Iterator[list[RawFile]]:
    """Consecutive groups of files of at most ``max_bytes`` (a larger file goes alone)."""
    batch: list[RawFile] = []
    size = 0
    for raw in files:
        n = _size(raw)
        if batch and size + n > max_bytes:
            yield batch
            batch, size = [], 0
        batch.append(raw)
        size += n
    if batch:
        yield batch


def _size(raw: RawFile) -> int:
    try:
        return raw.path.stat().st_size
    except OSError:
        return 0


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
        pruned=store.prune(files),
        entry_files=entry_files or None,
    )


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
    """Transform and store ``stale`` batch by batch. Returns the outputs that could not
    be stored (unreadable files), the files whose parsed bytes differ from the bytes
    hashed when listed (as stored: with the parsed hash), the grown language cache and
    the language-detection counts."""
    stats = {"detected": 0, "cache_hits": 0, "texts": 0}
    unstored: dict[str, FileOutput] = {}
    changed: dict[str, RawFile] = {}
    if not stale:
        return unstored, changed, cache, stats
    started = time.monotonic()
    for batch in batches(stale, max_batch_bytes):
        outputs, cache, batch_stats = transform_files(
            batch, settings, cache, workers, language_engine=language_engine
        )
        for raw, output in zip(batch, outputs, strict=True):
            actual = store.put(raw, output)
            if actual is None:
                unstored[raw.relative] = output
            elif actual.sha256 != raw.sha256:
                changed[raw.relative] = actual
        stats = {k: stats[k] + batch_stats[k] for k in stats}
        if progress:
            done = sum(1 for r in stale if r.relative <= batch[-1].relative)
            progress(
                f"transformed {done}/{len(stale)} new or changed files "
                f"in {time.monotonic() - started:.0f} s"
            )
    return unstored, changed, cache, stats
