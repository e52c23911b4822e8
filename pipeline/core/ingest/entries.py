"""The per-file entry store: each raw file's output, kept until the file or code changes.

Each file's output (its files-table row and its transformed records) is stored under
a key made of the file's path, content sha256 and scrape date, and the *record
fingerprint*: the source of the modules that make a record (ingest and transform and
everything they import: readers, normalisation, extraction, language, rules),
ENTRY_FORMAT, and the settings that shape a record. Hence:

- an unchanged file is read back, not recomputed;
- a changed file (new sha256), or a change to record-making code or settings, gets a
  new key and is recomputed (a change to dedup or publish code reuses the entries);
  a removed file's entry is no longer referenced and is pruned;
- an entry is one Parquet file (records, with the file row in its key-value
  metadata) written under a temporary name and renamed into place, so a crash
  never leaves half an entry visible and a reader sees the old entry or the new.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl

from pipeline.core.atomic import write_atomic, write_parquet_atomic
from pipeline.core.ingest.readers.json_readers import DEFAULT_FIELD_MAP
from pipeline.core.provenance import modules_version
from pipeline.core.transform.records import DEFAULT_LANGUAGES
from pipeline.core.validate.expectation_settings import ExpectationSettings

FILE_ROW_KEY = "papers_pipeline.file_row"
ENTRY_SUFFIX = ".parquet"
# The modules that make a record from a file's bytes: their source (and that of every
# pipeline module they import) is part of the record fingerprint. Storage and
# bookkeeping code (this module's own, store.py) is not; ENTRY_FORMAT is bumped by hand
# when this module changes what an entry holds.
RECORD_MODULES = ("pipeline", "pipeline.core.ingest.raw_files", "pipeline.core.transform.records")
ENTRY_FORMAT = 1
# The fingerprint the entries were last made with, to say why a run recomputes them all.
FINGERPRINT_FILE = "FINGERPRINT"


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

    def code_changed(self) -> bool:
        """Whether the stored entries were made by other record code or settings than
        this store's (the fingerprint :meth:`remember` wrote last): every file is then
        transformed again, once, and the run says why."""
        try:
            return (self.root / FINGERPRINT_FILE).read_text().strip() != self.fingerprint
        except OSError:  # no entries yet, or entries of a version that kept no fingerprint
            return self.root.is_dir() and any(self.root.glob(f"*{ENTRY_SUFFIX}"))

    def remember(self) -> None:
        """Record this store's fingerprint as the one its entries were made with."""
        self.root.mkdir(parents=True, exist_ok=True)
        write_atomic(self.root / FINGERPRINT_FILE, self.fingerprint)

    def prune(self, keep: Sequence[RawFile]) -> int:
        """Delete entries no current file uses (removed or changed files, older code)."""
        wanted = {self.path(raw).name for raw in keep}
        removed = 0
        for entry in self.root.glob(f"*{ENTRY_SUFFIX}") if self.root.is_dir() else ():
            if entry.name not in wanted:
                entry.unlink(missing_ok=True)
                removed += 1
        return removed
