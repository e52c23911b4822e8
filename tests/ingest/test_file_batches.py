"""Batches of new files run in worker processes on a multi-batch run: the same records,
files and language answers as one process, every entry stored by the workers, one cache
row per text."""

from __future__ import annotations

import multiprocessing
import shutil
import time
from pathlib import Path

from polars.testing import assert_frame_equal

from pipeline.core.ingest.entries import FileOutputStore, RecordSettings
from pipeline.core.ingest.file_batches import batches, transform_batches
from pipeline.core.ingest.file_outputs import Collected, collect, find_raw_files
from pipeline.core.transform.language import empty_cache
from tests.conftest import SAMPLE, TEST_DATA

# Real scrapes of four shapes, plus the sample twice under other dates (so two workers
# both meet its texts and the cache must not keep them twice).
REAL = ("arxiv-oai-pmh-listrecords.xml", "hf-daily-papers-api-2025-09-30.json")


def raw_dir(root: Path) -> Path:
    raw = root / "raw"
    raw.mkdir(parents=True)
    for day in ("2026-11-23", "2026-11-24", "2026-11-25"):
        shutil.copy(SAMPLE, raw / f"{day}-trending.txt")
    for name in REAL:
        shutil.copy(TEST_DATA / "realdata" / name, raw / name)
    (raw / "2026-11-26-broken.json").write_text('{"papers": [')  # rejected as a whole
    return raw


def run(root: Path, workers: int) -> tuple[Collected, FileOutputStore]:
    settings = RecordSettings()
    store = FileOutputStore(root / "processed" / "_files", settings)
    # One file per batch: six batches over `workers` processes.
    return collect(raw_dir(root), store, settings, workers=workers, max_batch_bytes=1), store


def test_workers_give_what_one_process_gives_and_store_every_entry(tmp_path: Path) -> None:
    alone, _ = run(tmp_path / "one", workers=1)
    spread, store = run(tmp_path / "two", workers=2)

    assert_frame_equal(spread.records, alone.records)
    assert_frame_equal(spread.files, alone.files)
    assert spread.records.height > 1000 and spread.files["status"].to_list().count("rejected") == 1
    assert spread.entry_files is not None and len(spread.entry_files) == 6  # all on disk
    assert spread.language_cache["content_hash"].is_unique().all()
    cached = alone.language_cache.sort("content_hash")
    assert_frame_equal(spread.language_cache.sort("content_hash"), cached)

    again = collect(tmp_path / "two" / "raw", store, RecordSettings(), workers=2)
    assert again.transformed == [] and len(again.reused) == 6
    assert_frame_equal(again.records, alone.records)


def test_an_abandoned_run_kills_its_workers_and_stores_nothing_more(tmp_path: Path) -> None:
    raw = raw_dir(tmp_path)
    files = find_raw_files(raw)
    settings = RecordSettings()
    store = FileOutputStore(tmp_path / "processed" / "_files", settings)
    results = transform_batches(
        list(batches(files, max_bytes=1)), store, settings, empty_cache(), 2, "auto"
    )
    first = next(results)
    assert first.files and multiprocessing.active_children()
    results.close()  # as a failed or terminated step leaves it
    assert multiprocessing.active_children() == []
    stored = sorted(store.root.glob("*.parquet"))
    time.sleep(1.0)
    assert sorted(store.root.glob("*.parquet")) == stored and len(stored) < len(files)
