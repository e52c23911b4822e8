"""The Dagster instance configuration (``dagster.yaml``) of a deployment.

Everything that must hold for the pipeline on a shared instance is here, in one
place: PostgreSQL for runs, event logs and schedules (so the daemon, the webserver,
every run worker and every Celery worker share one database, and no process waits
on a SQLite file lock), queued runs with at most one global run per data directory,
run monitoring, crash retries, tick retention.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

# The tag every papers_job run carries (pipeline.definitions.GLOBAL_RUN_TAGS): runs of
# the global stages share processed/_assets, so one at a time per data directory.
GLOBAL_TAG = {"key": "papers_pipeline/stage", "value": "global", "limit": 1}


@dataclass(frozen=True)
class Timings:
    """How fast the daemon notices things. The test shortens every interval; a
    service keeps Dagster's defaults except a max runtime long enough for a first
    run at 1M records (15 min measured) many times over."""

    dequeue_interval_seconds: int = 5
    poll_interval_seconds: int = 120
    start_timeout_seconds: int = 180
    cancel_timeout_seconds: int = 180
    # A backstop: a run whose worker died is failed by the launcher's health check at
    # the next poll; this ends a run that hangs, or whose worker is on another host.
    max_runtime_seconds: int = 6 * 3600


TEST_TIMINGS = Timings(
    dequeue_interval_seconds=1,
    poll_interval_seconds=2,
    start_timeout_seconds=60,
    cancel_timeout_seconds=30,
    max_runtime_seconds=480,
)


def instance_config(postgres_url: str, timings: Timings = Timings()) -> dict:
    """The instance config as a dict (``postgres_url`` may be ``{"env": NAME}``)."""
    return {
        "telemetry": {"enabled": False},
        "storage": {"postgres": {"postgres_url": postgres_url}},
        # The default launcher, plus a check that a run's worker process still exists.
        "run_launcher": {"module": "deploy.run_launcher", "class": "LocalProcessRunLauncher"},
        "run_coordinator": {
            "module": "dagster.core.run_coordinator",
            "class": "QueuedRunCoordinator",
            "config": {
                # Two at a time: the global run beside one file run, or two file runs
                # (two Celery workers); the tag limit keeps global runs one at a time.
                "max_concurrent_runs": 2,
                "tag_concurrency_limits": [GLOBAL_TAG],
                "dequeue_interval_seconds": timings.dequeue_interval_seconds,
                # Launching a run waits for its worker process to start (seconds of
                # imports): launch the two a dequeue allows side by side.
                "dequeue_use_threads": True,
                "dequeue_num_workers": 2,
            },
        },
        "run_monitoring": {
            "enabled": True,
            "start_timeout_seconds": timings.start_timeout_seconds,
            "cancel_timeout_seconds": timings.cancel_timeout_seconds,
            "max_runtime_seconds": timings.max_runtime_seconds,
            # The launcher cannot resume a run in a new process: a run whose worker
            # died is failed, and run_retries below launches it again.
            "max_resume_run_attempts": 0,
            "poll_interval_seconds": timings.poll_interval_seconds,
        },
        "run_retries": {
            "enabled": True,
            "max_retries": 1,
            # A failed check is a verdict on the data, not a crash: never retried.
            "retry_on_asset_or_op_failure": False,
        },
        # Runs log at INFO: without this, Dagster's default console logger is at DEBUG
        # and every run worker prints every event into the daemon's output.
        "python_logs": {"python_log_level": "INFO"},
        "retention": {
            "schedule": {"purge_after_days": 90},
            "sensor": {"purge_after_days": {"skipped": 7, "failure": 30, "success": -1}},
        },
    }


def write_instance(home: Path, postgres_url: str, timings: Timings = Timings()) -> Path:
    """Write ``home``/dagster.yaml (creating ``home``) and return its path."""
    home.mkdir(parents=True, exist_ok=True)
    path = home / "dagster.yaml"
    text = yaml.safe_dump(instance_config(postgres_url, timings), sort_keys=False)
    path.write_text(text, encoding="utf-8")
    return path
