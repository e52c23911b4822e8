"""The per-file entry store says when a whole data directory is transformed again.

Entries are keyed by the record fingerprint, so new record code or settings make
every stored entry stale at once; the run must say so rather than look slow for no
reason, and say it only the first time.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.core.ingest.entries import FileOutputStore, RecordSettings
from pipeline.core.ingest.file_outputs import collect

CHANGED = "record code or settings changed"


def run(data_dir: Path, settings: RecordSettings) -> tuple[list[str], list[str]]:
    """One collect over the data dir's raw/; returns its progress lines and the files
    it transformed."""
    lines: list[str] = []
    store = FileOutputStore(data_dir / "processed" / "_files", settings)
    result = collect(data_dir / "raw", store, settings, progress=lines.append)
    return lines, result.transformed


def test_new_record_settings_transform_every_file_again_once_and_say_why(data_dir: Path) -> None:
    first, transformed = run(data_dir, RecordSettings())
    assert transformed and not any(CHANGED in line for line in first)
    again, transformed = run(data_dir, RecordSettings())
    assert transformed == [] and not any(CHANGED in line for line in again)

    also_german = RecordSettings(languages=("en", "de"))
    changed, transformed = run(data_dir, also_german)
    assert transformed == ["2026-11-23-trending.txt"]
    assert sum(CHANGED in line for line in changed) == 1
    after, transformed = run(data_dir, also_german)
    assert transformed == [] and not any(CHANGED in line for line in after)


def test_entries_of_a_version_that_kept_no_fingerprint_are_rebuilt_with_the_message(
    data_dir: Path,
) -> None:
    run(data_dir, RecordSettings())
    entries = data_dir / "processed" / "_files"
    (entries / "FINGERPRINT").unlink()  # as the previous code left its entries
    for entry in entries.glob("*.parquet"):  # and its record code made other keys
        entry.rename(entry.with_name(f"old-{entry.name}"))
    lines, transformed = run(data_dir, RecordSettings())
    assert transformed == ["2026-11-23-trending.txt"]
    assert sum(CHANGED in line for line in lines) == 1
