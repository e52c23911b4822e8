"""One run per data directory whoever starts it: the job's own steps hold it.

A CLI run is paused (SIGSTOP) just after its ``collect_records`` claimed the data
directory: a run materialized in-process (as the UI or ``dagster asset materialize``
would) and a second CLI run both fail with one line naming the holder. The holder is
then SIGKILLed: its Dagster run, left STARTED, is marked failed and blocks nothing.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest

from pipeline.cli import main
from pipeline.core.store.locking import RunInProgressError, RunOwner, read_owner, run_lease
from pipeline.definitions import ASSETS, CHECKS, GLOBAL_ASSETS, build_resources
from pipeline.defs.run_lease import LEASE_FILE
from tests.conftest import REPO


def test_a_lease_held_by_a_live_run_names_it_and_a_dead_ones_is_taken_over(
    tmp_path: Path,
) -> None:
    path = tmp_path / "processed" / LEASE_FILE
    with run_lease(path, "run-aaaaaaaa", lambda owner: True) as first:
        pass
    assert read_owner(path) == first
    with pytest.raises(RunInProgressError) as raised, run_lease(path, "run-bbbbbbbb", bool):
        pass
    assert str(raised.value) == (
        f"run run-aaaa (pid {os.getpid()}, started at {first.started_at}) is running on "
        f"{tmp_path}; try again when it has finished"
    )
    with run_lease(path, "run-bbbbbbbb", lambda owner: False, release=True) as second:
        assert second.run_id == "run-bbbbbbbb"
    assert read_owner(path) is None


def _wait_for_owner(path: Path, proc: subprocess.Popen) -> RunOwner:
    deadline = time.monotonic() + 300
    while (owner := read_owner(path)) is None:
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    return owner


def test_overlapping_runs_fail_fast_and_a_killed_run_blocks_nothing(
    data_dir: Path, capsys: pytest.CaptureFixture
) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "run", "--data-dir", str(data_dir)],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        owner = _wait_for_owner(data_dir / "processed" / LEASE_FILE, holder)
        os.kill(holder.pid, signal.SIGSTOP)
        assert owner.pid == holder.pid
        held = f"(pid {holder.pid}, started at {owner.started_at}) is running on {data_dir}"
        instance = dg.DagsterInstance.from_config(str(data_dir / ".dagster"))
        ui_run = dg.materialize(
            [*ASSETS, *CHECKS],
            selection=GLOBAL_ASSETS,
            resources=build_resources(str(data_dir)),
            instance=instance,
            raise_on_error=False,
        )
        assert not ui_run.success
        [failure] = [e for e in ui_run.all_events if e.is_step_failure]
        assert failure.step_key == "collect_records"
        assert held in failure.step_failure_data.user_failure_data.description
        assert main(["run", "--data-dir", str(data_dir)]) == 1
        assert held in capsys.readouterr().err.strip().splitlines()[-1]
    finally:
        holder.kill()
        holder.wait()
    assert main(["run", "--data-dir", str(data_dir)]) == 0  # nothing left blocks it
    assert "published v0001" in capsys.readouterr().out
    killed = instance.get_run_by_id(owner.run_id)
    assert killed is not None and killed.status == dg.DagsterRunStatus.FAILURE
    unfinished = instance.get_runs(
        dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.QUEUED])
    )
    assert unfinished == []
    assert read_owner(data_dir / "processed" / LEASE_FILE) is None  # released at the end
