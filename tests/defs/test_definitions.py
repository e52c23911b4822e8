"""The Dagster definitions as the UI and the job see them: they load, every check
runs after the tables it reads, "Materialize all" holds no partitioned asset and
runs in-process, and every table asset lists its columns with their meaning."""

from __future__ import annotations

import os
import subprocess
import sys

import dagster as dg

from pipeline.core import schema
from pipeline.definitions import CHECKS, build_definitions
from tests.conftest import REPO


def test_dagster_definitions_validate() -> None:
    env = {**os.environ, "DAGSTER_HOME": ""}
    env.pop("DAGSTER_HOME")
    proc = subprocess.run(
        [sys.executable, "-m", "dagster", "definitions", "validate", "-w", "workspace.yaml"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Validation successful" in proc.stdout + proc.stderr


# The checks that run as steps of their own and load records.parquet.
CHECKS_READING_RECORDS = {"records_accounted_for", "rejected_have_reasons", "great_expectations"}


def test_every_check_that_reads_records_runs_after_records_is_written() -> None:
    from dagster._core.execution.api import create_execution_plan

    job = build_definitions(str(REPO / "data")).resolve_job_def("papers_job")
    plan = create_execution_plan(job)
    steps = {s.key: s for s in plan.get_all_steps_in_topo_order()}
    for name in CHECKS_READING_RECORDS:
        [key] = [k for k in steps if k.endswith(f"_{name}")]
        assert "records" in steps[key].get_execution_dependency_keys(), key
    # The invariants of clusters and papers are reported by the steps that build them.
    assert not [k for k in steps if k.endswith(("_paper_ids_unique", "_papers_match_records"))]
    assert not [k for k in steps if k.endswith("_cluster_size_bounded")]


def test_materialize_all_and_the_global_job_hold_no_partitioned_asset() -> None:
    defs = build_definitions(str(REPO / "data"))
    graph = defs.resolve_asset_graph()
    # "Materialize all" on the lineage page and the catalog takes the executable assets.
    executable = [k for k in graph.get_all_asset_keys() if graph.get(k).is_executable]
    assert executable and all(graph.get(k).partitions_def is None for k in executable)
    job = defs.resolve_job_def("papers_job")
    selected = job.asset_layer.selected_asset_keys
    assert selected == set(executable)
    assert job.partitions_def is None
    assert job.executor_def.name == "in_process"
    # What the UI's "Materialize all" launches is the implicit asset job, not papers_job:
    # it too runs every step in the run's one process.
    assert defs.resolve_implicit_global_asset_job_def().executor_def.name == "in_process"
    # The per-file partitions stay, on the op job that reprocesses one file.
    file_job = defs.resolve_job_def("file_job")
    assert file_job.partitions_def is not None
    assert graph.get(dg.AssetKey("file_records")).partitions_def is not None


def test_every_table_asset_lists_its_columns_with_their_meaning() -> None:
    graph = build_definitions(str(REPO / "data")).resolve_asset_graph()
    tables = [k for k in graph.get_all_asset_keys() if k.to_user_string() != "published_version"]
    for key in tables:
        columns = graph.get(key).metadata["dagster/column_schema"].columns
        assert all(c.description for c in columns), key
    papers = graph.get(dg.AssetKey("papers")).metadata["dagster/column_schema"].columns
    assert [c.name for c in papers] == schema.PAPERS.names()
    n_sightings = next(c for c in papers if c.name == "n_sightings")
    assert (n_sightings.type, n_sightings.description) == (
        "Int64",
        schema.column_doc("papers", "n_sightings"),
    )

    graph = build_definitions(str(REPO / "data")).resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        assert graph.get(key).description, key
    for check in CHECKS:
        for spec in check.check_specs:
            assert spec.description, spec.key
    for key in graph.asset_check_keys:
        assert graph.get_check_spec(key).description, key
