"""Daily batches: a partition per raw file, per-file reuse, and the sensor that drives them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from pipeline.cli import main
from pipeline.core.ingest.entries import RECORD_MODULES, FileOutputStore, RecordSettings
from pipeline.core.ingest.file_outputs import collect, find_raw_file
from pipeline.core.ingest.raw_files import ingest
from pipeline.core.provenance import module_closure
from pipeline.core.transform.records import transform_records
from pipeline.definitions import (
    ASSETS,
    CHECKS,
    GLOBAL_ASSETS,
    build_definitions,
    build_resources,
)
from pipeline.defs.ingest import RAW_FILES
from tests.conftest import SAMPLE

DAY2 = "2026-11-24-trending.txt"


def _write_day2(raw: Path, extra_title: str = "A Brand New Paper About Things") -> None:
    lines = SAMPLE.read_text(encoding="utf-8").split("\n")[2:22]
    lines += [extra_title, "We study things in depth and report what we find. " * 4]
    (raw / DAY2).write_text("\n".join(lines) + "\n", encoding="utf-8")


def _run_file_job(
    data_dir: Path, key: str, instance: dg.DagsterInstance
) -> dg.ExecuteInProcessResult:
    """What launching file_job for the partition ``key`` from the UI does."""
    job = build_definitions(str(data_dir)).resolve_job_def("file_job")
    return job.execute_in_process(partition_key=key, instance=instance)


def _latest(data_dir: Path, table: str) -> pl.DataFrame:
    root = data_dir / "processed" / "papers"
    return pl.read_parquet(root / (root / "LATEST").read_text().strip() / f"{table}.parquet")


def test_collect_reuses_unchanged_files_and_equals_a_whole_directory_transform(
    data_dir: Path, tmp_path: Path
) -> None:
    raw = data_dir / "raw"
    _write_day2(raw)
    settings = RecordSettings()
    store = FileOutputStore(tmp_path / "entries", settings)
    first = collect(raw, store, settings, max_batch_bytes=1)  # one file per batch
    assert sorted(first.transformed) == sorted([SAMPLE.name, DAY2])
    again = collect(raw, store, settings)
    assert again.transformed == [] and sorted(again.reused) == sorted(first.transformed)
    whole = transform_records(ingest(raw).records).records
    assert again.records.equals(whole)
    assert first.records.equals(whole)
    assert again.files.drop("n_bytes").equals(ingest(raw).files.drop("n_bytes"))
    # A changed file is recomputed, and only it; its old entry is pruned.
    _write_day2(raw, extra_title="Another New Paper")
    changed = collect(raw, store, settings)
    assert changed.transformed == [DAY2] and changed.pruned == 1
    assert "Another New Paper" in changed.records["title"].to_list()
    assert changed.records.equals(transform_records(ingest(raw).records).records)


def test_an_entry_from_other_settings_is_not_reused(data_dir: Path, tmp_path: Path) -> None:
    raw = data_dir / "raw"
    english = RecordSettings(languages=("en",))
    collect(raw, FileOutputStore(tmp_path / "e", english), english)
    german = RecordSettings(languages=("de",))
    result = collect(raw, FileOutputStore(tmp_path / "e", german), german)
    assert result.transformed == [SAMPLE.name]
    assert result.records["reason"].is_not_null().all()  # English abstracts, German wanted


def test_cli_reprocesses_only_new_or_changed_files_and_drops_removed_ones(
    data_dir: Path, capsys: pytest.CaptureFixture
) -> None:
    raw = data_dir / "raw"
    assert main(["run", "--data-dir", str(data_dir)]) == 0
    v1 = _latest(data_dir, "papers")
    _write_day2(raw)
    assert main(["run", "--data-dir", str(data_dir)]) == 0
    err = capsys.readouterr().err
    assert "files: 1 transformed, 1 reused" in err
    # The near-duplicate index kept every text's signature for the next run: the new
    # one was appended as a part of its own.
    parts = (data_dir / "processed" / "_cache" / "near").glob("signatures-*.parquet")
    assert sorted(pl.read_parquet(p).height for p in parts) == [1, 242]
    v2 = _latest(data_dir, "papers")
    assert v2.height == v1.height + 1
    (raw / DAY2).unlink()
    assert main(["run", "--data-dir", str(data_dir)]) == 0
    v3 = _latest(data_dir, "papers")
    # The day-2 sightings left; every paper is as it was in v1.
    assert v3.drop("sources").equals(v1.drop("sources"))
    assert "files: 0 transformed, 1 reused" in capsys.readouterr().err
    entries = list((data_dir / "processed" / "_files").glob("*.parquet"))
    assert len(entries) == 1  # the removed file's entry was pruned


def test_one_partition_reprocessed_from_the_ui_is_reused_by_the_global_job(
    data_dir: Path,
) -> None:
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(RAW_FILES.name, [SAMPLE.name])
    resources = build_resources(str(data_dir))
    one = _run_file_job(data_dir, SAMPLE.name, instance)
    assert one.success
    [event] = one.asset_materializations_for_node("transform_file")
    assert event.asset_key == dg.AssetKey("file_records")
    assert event.partition == SAMPLE.name
    assert event.metadata["dagster/row_count"].value == 242
    result = dg.materialize(
        [*ASSETS, *CHECKS], selection=GLOBAL_ASSETS, resources=resources, instance=instance
    )
    assert result.success
    files_event = next(
        e
        for e in result.asset_materializations_for_node("collect_records")
        if e.asset_key == dg.AssetKey("raw_files")
    )
    assert files_event.metadata["files_transformed"].value == 0
    assert files_event.metadata["files_reused"].value == 1


def test_the_sensor_registers_partitions_runs_new_files_then_the_global_job(
    data_dir: Path,
) -> None:
    defs = build_definitions(str(data_dir))
    sensor = defs.resolve_sensor_def("new_raw_files")
    resources = build_resources(str(data_dir))
    instance = dg.DagsterInstance.ephemeral()
    with dg.build_sensor_context(resources=resources, instance=instance) as context:
        first = sensor(context)
        assert [r.partition_key for r in first.run_requests] == [SAMPLE.name]
        assert first.run_requests[0].job_name == "file_job"
        [add] = first.dynamic_partitions_requests
        assert list(add.partition_keys) == [SAMPLE.name]
        instance.add_dynamic_partitions(RAW_FILES.name, [SAMPLE.name])
        context.update_cursor(first.cursor)
        # The file run has not happened: nothing new to ask for; no file run is in
        # flight either, so the global job runs (it computes the missing file itself).
        waiting = sensor(context)
        assert [r.job_name for r in waiting.run_requests] == ["papers_job"]
        context.update_cursor(waiting.cursor)
        assert isinstance(sensor(context), dg.SkipReason)
        # The file run happens, then a new day arrives: only it gets a file run.
        _run_file_job(data_dir, SAMPLE.name, instance)
        _write_day2(data_dir / "raw")
        new_day = sensor(context)
        assert [r.partition_key for r in new_day.run_requests] == [DAY2]
        assert json.loads(new_day.cursor)["pending"].keys() == {DAY2}
        instance.add_dynamic_partitions(RAW_FILES.name, [DAY2])
        context.update_cursor(new_day.cursor)
        _run_file_job(data_dir, DAY2, instance)
        done = sensor(context)
        [run] = done.run_requests
        assert run.job_name == "papers_job"
        context.update_cursor(done.cursor)
        # A removed file loses its partition.
        (data_dir / "raw" / DAY2).unlink()
        removed = sensor(context)
        deletes = [r for r in removed.dynamic_partitions_requests if "Delete" in type(r).__name__]
        assert [list(r.partition_keys) for r in deletes] == [[DAY2]]


def test_the_record_fingerprint_covers_every_module_a_record_depends_on() -> None:
    """Per-file entries are keyed by the source of the modules that make records, read
    statically: it must include every pipeline module that importing them loads."""
    code = (
        "import sys, pipeline.core.ingest.raw_files, pipeline.core.transform.records; "
        "print(' '.join(m for m in sys.modules if m.split('.')[0] == 'pipeline'))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    closure = module_closure(*RECORD_MODULES)
    assert set(loaded) <= closure
    assert "pipeline.core.transform.extract" in closure
    # Dedup, publishing, storage and GX code do not shape a record: changing them keeps the
    # entries.
    assert not closure & {
        "pipeline.core.dedup.clustering",
        "pipeline.core.store.publish",
        "pipeline.core.store.versions",
        "pipeline.core.validate.expectations",
        "pipeline.defs",
    }


def test_records_come_out_sorted_even_where_path_order_and_string_order_differ(
    tmp_path: Path,
) -> None:
    raw = tmp_path / "raw"
    (raw / "a").mkdir(parents=True)
    entry = "A Title About Things\nWe study things in depth and report what we find here.\n"
    (raw / "a" / "b.txt").write_text(entry)  # "a/b.txt" sorts after "a-b.txt" as a string
    (raw / "a-b.txt").write_text(entry.replace("Things", "Stuff"))
    settings = RecordSettings()
    result = collect(raw, FileOutputStore(tmp_path / "e", settings), settings)
    assert result.records["source_file"].to_list() == ["a-b.txt", "a/b.txt"]
    assert result.files["source_file"].to_list() == ["a-b.txt", "a/b.txt"]


def test_a_partition_key_finds_its_file_and_only_inside_raw(data_dir: Path) -> None:
    raw = data_dir / "raw"
    found = find_raw_file(raw, SAMPLE.name)
    assert found is not None and found.sha256 and found.relative == SAMPLE.name
    assert find_raw_file(raw, "missing.txt") is None
    (data_dir / "secret.txt").write_text("not a scrape")
    assert find_raw_file(raw, "../secret.txt") is None
