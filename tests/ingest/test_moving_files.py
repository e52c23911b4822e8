"""Files that change or vanish between listing and reading cost only themselves.

A run lists raw/ (hashing each file), then reads the files it must transform. A file
moved away or rewritten in that window must not leave a cache entry that later runs
trust: the hook ``after_listing`` of :func:`collect` opens the window deterministically.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.core.ingest.entries import FileOutputStore, RecordSettings
from pipeline.core.ingest.file_outputs import collect
from pipeline.core.ingest.hash_cache import HashCache
from pipeline.core.ingest.raw_files import ingest
from tests.conftest import SAMPLE

SMALL = "2026-11-24-trending.txt"


def _small(lines: slice) -> bytes:
    """A scrape of a few of the sample's papers (the sample's own lines)."""
    return ("\n".join(SAMPLE.read_text(encoding="utf-8").split("\n")[lines]) + "\n").encode()


def _row(result, name: str) -> dict:
    return result.files.filter(source_file=name).to_dicts()[0]


def test_a_file_moved_away_mid_run_is_read_when_it_comes_back(
    data_dir: Path, tmp_path: Path
) -> None:
    raw = data_dir / "raw"
    (raw / SMALL).write_bytes(_small(slice(2, 32)))
    expected = ingest(raw).files.filter(source_file=SMALL).to_dicts()[0]
    assert expected["n_records"] > 0
    aside = tmp_path / "aside"
    settings = RecordSettings()
    store = FileOutputStore(tmp_path / "entries", settings)

    def move_away(_files) -> None:
        shutil.move(raw / SMALL, aside)

    first = collect(raw, store, settings, after_listing=move_away)
    row = _row(first, SMALL)
    assert row["status"] == "rejected" and row["reason"].startswith("unreadable")
    shutil.move(aside, raw / SMALL)  # back, unchanged
    again = collect(raw, store, settings)
    assert SMALL in again.transformed  # the failure was not remembered
    row = _row(again, SMALL)
    assert (row["status"], row["n_records"], row["sha256"]) == (
        "ok",
        expected["n_records"],
        expected["sha256"],
    )
    assert again.records.filter(source_file=SMALL).height == expected["n_records"]


def test_a_file_overwritten_mid_run_is_recorded_as_what_was_parsed(
    data_dir: Path, tmp_path: Path
) -> None:
    raw = data_dir / "raw"
    original, other = _small(slice(2, 32)), _small(slice(40, 100))
    (raw / SMALL).write_bytes(original)
    settings = RecordSettings()
    store = FileOutputStore(tmp_path / "entries", settings)
    hashes = HashCache(tmp_path / "hashes.json")

    def overwrite(_files) -> None:
        (raw / SMALL).write_bytes(other)

    first = collect(raw, store, settings, hashes=hashes, after_listing=overwrite)
    row = _row(first, SMALL)
    assert row["sha256"] == hashlib.sha256(other).hexdigest()
    assert first.records.filter(source_file=SMALL)["source_sha256"].unique().to_list() == [
        row["sha256"]
    ]
    assert str((raw / SMALL).resolve()) not in hashes.entries  # the stale hash is dropped
    (raw / SMALL).write_bytes(original)  # restored
    again = collect(raw, store, settings, hashes=hashes)
    assert SMALL in again.transformed
    expected = ingest(raw).files.filter(source_file=SMALL).to_dicts()[0]
    row = _row(again, SMALL)
    assert row["sha256"] == hashlib.sha256(original).hexdigest() == expected["sha256"]
    assert row["n_records"] == expected["n_records"]
    assert again.records.filter(source_file=SMALL).height == expected["n_records"]


def test_force_recomputes_every_file_and_every_hash(
    data_dir: Path, capsys: pytest.CaptureFixture
) -> None:
    assert main(["run", "--data-dir", str(data_dir)]) == 0
    cache_file = data_dir / "processed" / "_cache" / "file_hashes.json"
    entries = json.loads(cache_file.read_text())
    (key,) = entries
    true_sha = entries[key]["sha256"]
    entries[key]["sha256"] = "0" * 64  # a remembered hash gone wrong
    cache_file.write_text(json.dumps(entries))
    capsys.readouterr()
    assert main(["run", "--data-dir", str(data_dir), "--force"]) == 0
    assert "files: 1 transformed, 0 reused" in capsys.readouterr().err
    assert json.loads(cache_file.read_text())[key]["sha256"] == true_sha
