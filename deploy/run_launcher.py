"""A run launcher that can tell when a run's worker process has died.

Dagster's ``DefaultRunLauncher`` starts each run worker as a local process of a code
server, but cannot check on it: when the daemon (with its code servers and their run
workers) is killed, the run stays STARTED in the database, holding its slot of the
run queue (and, for ``papers_job``, the one global slot) until run monitoring's
``max_runtime_seconds`` ends it, hours later with a safe limit. This launcher
launches exactly as the default does and answers run monitoring's health check from
the worker's process id, which the code server records in the run's event log
("Started process for run (pid: N)"): a run whose worker process is gone is failed
at the next monitoring poll, and the instance's ``run_retries`` launches it again.

It checks processes on this machine only: the daemon and the code servers it starts
run here. For a code server on another host it reports the worker as running and
leaves the run to ``max_runtime_seconds``.
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

from dagster import DagsterEventType, DagsterRun
from dagster._core.launcher import CheckRunHealthResult, DefaultRunLauncher, WorkerStatus
from dagster._core.storage.tags import GRPC_INFO_TAG

_STARTED = "Started process for run (pid:"
_LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "0.0.0.0"}


def process_alive(pid: int) -> bool:
    """Whether ``pid`` is a live (not zombie) process on this machine."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state != "Z"


def _launched_here(run: DagsterRun) -> bool:
    """Whether the run was launched through a code server on this machine."""
    info = run.tags.get(GRPC_INFO_TAG)
    if not info:
        return False
    grpc = json.loads(info)
    host = grpc.get("host") or "localhost"
    return bool(grpc.get("socket")) or host in _LOCAL_HOSTS or host == socket.gethostname()


class LocalProcessRunLauncher(DefaultRunLauncher):
    """``DefaultRunLauncher`` plus a health check of the local run worker process."""

    @property
    def supports_check_run_worker_health(self) -> bool:
        return True

    def _worker_pid(self, run_id: str) -> int | None:
        records = self._instance.all_logs(run_id, of_type=DagsterEventType.ENGINE_EVENT)
        for record in records:
            event = record.dagster_event
            if event is not None and (event.message or "").startswith(_STARTED):
                data = event.engine_event_data
                pid = data.metadata.get("pid") if data is not None else None
                if pid is not None:
                    return int(pid.value)
        return None

    def check_run_worker_health(self, run: DagsterRun) -> CheckRunHealthResult:
        """FAILED when the run's local worker process no longer exists; RUNNING otherwise
        (including whenever this machine cannot tell)."""
        if not _launched_here(run):
            return CheckRunHealthResult(WorkerStatus.RUNNING, "worker not on this machine")
        pid = self._worker_pid(run.run_id)
        if pid is None:
            return CheckRunHealthResult(WorkerStatus.RUNNING, "worker process not reported yet")
        if process_alive(pid):
            return CheckRunHealthResult(WorkerStatus.RUNNING, f"worker process {pid} alive")
        return CheckRunHealthResult(
            WorkerStatus.FAILED,
            f"run worker process {pid} is gone (its code server or the "
            "daemon that started it was killed?)",
        )
