"""Finding the raw files and reading every entry out of them, with provenance.

Each file yields one row of the files table (its sha256, format, status and the
reason when it could not be read) and zero or more raw records. A file that
cannot be read is rejected as a whole with a reason; it never stops the run.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from pipeline.core import schema
from pipeline.core.decode import binary_reason, split_lines, undecodable_reason
from pipeline.core.text_dump import parse_text_dump

Progress = Callable[[str], None]
PROGRESS_EVERY_SECONDS = 2.0


@dataclass(frozen=True)
class Ingested:
    """The files table and the raw records of one read of the raw directory."""

    files: pl.DataFrame
    records: pl.DataFrame


def list_raw_files(raw_dir: Path) -> list[Path]:
    """Every regular file below ``raw_dir`` in a stable order; hidden files are skipped.

    Hidden files (".gitkeep", editor swap files) are not scrapes.
    """
    if not raw_dir.is_dir():
        return []
    return sorted(
        p
        for p in raw_dir.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(raw_dir).parts)
    )


def sniff_format(data: bytes) -> tuple[str, str | None]:
    """The reader for ``data`` by its content, and a rejection reason when there is none."""
    reason = binary_reason(data)
    if reason:
        return "unknown", reason
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head[:1] in (b"[", b"{"):
        return "json", "JSON scrapes are not supported yet: no reader for this format"
    return "text-dump", None


def read_file(path: Path, relative: str) -> tuple[dict, list[dict]]:
    """Read one raw file into its files-table row and its raw records."""
    data = path.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    fmt, reason = sniff_format(data)
    row = {
        "source_file": relative,
        "sha256": sha,
        "n_bytes": len(data),
        "format": fmt,
        "status": "rejected" if reason else "ok",
        "reason": reason,
        "n_records": 0,
    }
    if reason:
        return row, []
    decoded = split_lines(data)
    reason = undecodable_reason(decoded)
    if reason:
        row.update(status="rejected", reason=reason, format="unknown")
        return row, []
    parsed = parse_text_dump(decoded)
    if not parsed:
        row.update(
            status="empty",
            reason="empty file" if not data.strip() else "no entries found (only page chrome)",
        )
    row["n_records"] = len(parsed)
    records = [
        {
            "source_file": relative,
            "source_sha256": sha,
            "record_index": r.record_index,
            "line_start": r.line_start,
            "line_end": r.line_end,
            "title_raw": r.title_raw,
            "abstract_raw": r.abstract_raw,
            "flags": list(r.flags),
        }
        for r in parsed
    ]
    return row, records


def ingest(raw_dir: Path, progress: Progress | None = None) -> Ingested:
    """Read every file under ``raw_dir``; unreadable files are rejected, never fatal."""
    paths = list_raw_files(raw_dir)
    file_rows: list[dict] = []
    record_rows: list[dict] = []
    last_report = time.monotonic()
    for n, path in enumerate(paths, start=1):
        relative = path.relative_to(raw_dir).as_posix()
        try:
            row, records = read_file(path, relative)
        except OSError as exc:  # unreadable (permissions, vanished mid-run)
            row, records = _unreadable_row(relative, exc), []
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
    return {
        "source_file": relative,
        "sha256": None,
        "n_bytes": None,
        "format": "unknown",
        "status": "rejected",
        "reason": f"unreadable: {exc.strerror or exc}",
        "n_records": 0,
    }
