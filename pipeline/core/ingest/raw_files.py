"""Finding the raw files and reading every entry out of them, with provenance.

Each file yields one row of the files table (its sha256, format, status and the
reason when it could not be read) and zero or more raw records. A file that
cannot be read is rejected as a whole with a reason; it never stops the run.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl

from pipeline.core import schema
from pipeline.core.ingest.decode import (
    SURROGATE_ESCAPE,
    binary_reason,
    replace_lone_surrogates,
    split_lines,
    to_utf8,
    undecodable_reason,
)
from pipeline.core.ingest.raw_listing import display_name, scan_raw_dir
from pipeline.core.ingest.readers.detect import read_records
from pipeline.core.ingest.readers.errors import FileRejectedError, UnknownFormatError
from pipeline.core.ingest.readers.json_readers import DEFAULT_FIELD_MAP, JsonRecord
from pipeline.core.ingest.readers.text_dump import ParsedRecord
from pipeline.core.names import UNDECODABLE_FLAG, Progress

_DATE_IN_NAME = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
PROGRESS_EVERY_SECONDS = 2.0


@dataclass(frozen=True)
class Ingested:
    """The files table and the raw records of one read of the raw directory."""

    files: pl.DataFrame
    records: pl.DataFrame


def list_raw_files(raw_dir: Path) -> list[Path]:
    """Every regular file below ``raw_dir`` in a stable order; hidden files are skipped,
    symlinks, FIFOs and the like are not read (see :mod:`.raw_listing`)."""
    return scan_raw_dir(raw_dir).files


def _record_rows(
    relative: str,
    sha: str,
    fmt: str,
    parsed: list[ParsedRecord] | list[JsonRecord],
    scraped: date,
    surrogates_possible: bool = False,
) -> list[dict]:
    rows = []
    for record in parsed:
        # vars(), not dataclasses.asdict: asdict deep-copies every field, a tenth of a
        # 1M first run; the rows only feed a DataFrame, which copies what it keeps.
        row = {**_EXTRA_DEFAULTS, **vars(record)}
        row.update(
            source_file=relative,
            source_sha256=sha,
            # A date the record itself carries (scraped_date, the OAI datestamp) wins.
            scrape_date=row.get("scrape_date") or scraped,
            format=fmt,
            flags=list(record.flags),
        )
        if surrogates_possible and replace_lone_surrogates(row):
            row["flags"] = [f for f in row["flags"] if f != UNDECODABLE_FLAG] + [UNDECODABLE_FLAG]
        rows.append(row)
    return rows


_EXTRA_DEFAULTS = dict.fromkeys(schema.RAW_RECORDS.names())


def scrape_date(path: Path, relative: str) -> date:
    """The scrape's date: the last YYYY-MM-DD in its path, else its mtime (UTC)."""
    for match in reversed(_DATE_IN_NAME.findall(relative)):
        try:
            return date(*map(int, match))
        except ValueError:  # 2026-13-45 is no date
            continue
    return datetime.fromtimestamp(path.stat().st_mtime, tz=UTC).date()


# A file is read into memory whole (several copies while it is decoded and split), so a
# larger one is refused unread; the arXiv snapshot is published in parts far below this.
MAX_FILE_BYTES = 1 << 30
READER_ERROR = "reader error"
_log = logging.getLogger(__name__)


def read_file(
    path: Path, relative: str, field_map: Mapping[str, tuple[str, ...]] = DEFAULT_FIELD_MAP
) -> tuple[dict, list[dict]]:
    """Read one raw file into its files-table row and its raw records."""
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        return _too_large_row(relative, size), []
    with path.open("rb") as handle:
        data = handle.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:  # grew since the stat
        return _too_large_row(relative, len(data)), []
    return parse_file_bytes(data, relative, scrape_date(path, relative), field_map)


def _too_large_row(relative: str, size: int) -> dict:
    reason = f"file too large: {size} bytes, over {MAX_FILE_BYTES}: split it into several files"
    return {**refused_row(relative, reason), "n_bytes": size}


def parse_file_bytes(
    data: bytes,
    relative: str,
    scraped: date,
    field_map: Mapping[str, tuple[str, ...]] = DEFAULT_FIELD_MAP,
) -> tuple[dict, list[dict]]:
    """The files-table row and raw records of a file's bytes. Total: a reader's
    unexpected exception rejects this one file (``reader error: <type>: <message>``),
    logged, and the run goes on; each known bound has its own reason instead."""
    row = {
        "source_file": relative,
        "sha256": hashlib.sha256(data).hexdigest(),
        "n_bytes": len(data),
        "format": "unknown",
        "status": "ok",
        "reason": None,
        "n_records": 0,
        "scrape_date": scraped,
    }
    try:
        return _parse(data, row, field_map)
    except Exception as exc:  # the last line of defence: one file, never the run
        _log.exception("reader failed on %s", relative)
        message = " ".join(str(exc).split())[:200]
        row.update(status="rejected", reason=f"{READER_ERROR}: {type(exc).__name__}: {message}")
        return row, []


def _parse(
    data: bytes, row: dict, field_map: Mapping[str, tuple[str, ...]]
) -> tuple[dict, list[dict]]:
    text_bytes, reason = to_utf8(data)
    reason = reason or binary_reason(text_bytes)
    if reason:
        row.update(status="rejected", reason=reason)
        return row, []
    decoded = split_lines(text_bytes)
    reason = undecodable_reason(decoded)
    if reason:
        row.update(status="rejected", reason=reason)
        return row, []
    try:
        fmt, parsed = read_records(data, decoded, field_map)
    except (UnknownFormatError, FileRejectedError) as exc:
        row.update(status="rejected", reason=str(exc))
        return row, []
    row["format"] = fmt
    if not parsed:
        row.update(status="empty", reason=_empty_reason(text_bytes))
    row["n_records"] = len(parsed)
    relative, sha = row["source_file"], row["sha256"]
    surrogates = SURROGATE_ESCAPE.search(text_bytes) is not None
    return row, _record_rows(relative, sha, fmt, parsed, row["scrape_date"], surrogates)


def _empty_reason(data: bytes) -> str:
    """Why a file gave no entries: nothing in it, only whitespace, or only chrome."""
    if not data:
        return "empty file"
    return "only whitespace" if not data.strip() else "no entries found (only page chrome)"


def read_or_reject(
    path: Path, relative: str, field_map: Mapping[str, tuple[str, ...]] = DEFAULT_FIELD_MAP
) -> tuple[dict, list[dict]]:
    """:func:`read_file`, or a rejected row when the file cannot be read at all
    (permissions, vanished mid-run): never an exception."""
    try:
        return read_file(path, relative, field_map)
    except OSError as exc:
        return _unreadable_row(relative, exc), []


def ingest(
    raw_dir: Path,
    progress: Progress | None = None,
    field_map: Mapping[str, tuple[str, ...]] = DEFAULT_FIELD_MAP,
) -> Ingested:
    """Read every file under ``raw_dir``; unreadable files are rejected, never fatal."""
    listing = scan_raw_dir(raw_dir)
    paths = listing.files
    file_rows = [
        refused_row(display_name(p.relative_to(raw_dir).as_posix()), reason)
        for p, reason in listing.refused
    ]
    record_rows: list[dict] = []
    last_report = time.monotonic()
    for n, path in enumerate(paths, start=1):
        relative = display_name(path.relative_to(raw_dir).as_posix())
        row, records = read_or_reject(path, relative, field_map)
        file_rows.append(row)
        record_rows.extend(records)
        if progress and (
            time.monotonic() - last_report > PROGRESS_EVERY_SECONDS or n == len(paths)
        ):
            progress(f"parsed {n}/{len(paths)} files, {len(record_rows)} records")
            last_report = time.monotonic()
    files = pl.DataFrame(file_rows, schema=schema.FILES)
    records = pl.DataFrame(record_rows, schema=schema.RAW_RECORDS)
    return Ingested(
        files=schema.conform(files, schema.FILES, "files"),
        records=schema.conform(
            records.sort("source_file", "record_index"), schema.RAW_RECORDS, "raw_records"
        ),
    )


def _unreadable_row(relative: str, exc: OSError) -> dict:
    return refused_row(relative, f"unreadable: {exc.strerror or exc}")


def refused_row(relative: str, reason: str) -> dict:
    """The files-table row of an entry that was not (or could not be) read."""
    return {
        "source_file": relative,
        "sha256": None,
        "n_bytes": None,
        "format": "unknown",
        "status": "rejected",
        "reason": reason,
        "n_records": 0,
        "scrape_date": None,
    }
