"""The deployment's code location: the pipeline's assets, checks and automation, with
the executors a shared instance wants.

- ``papers_job`` runs in-process: its stages are sequential and share one data
  directory, and one process holds one copy of the imports instead of one per step.
- ``file_job`` (one raw file per partition) runs its step on the Celery executor, so
  a backfill of many files spreads over every ``dagster-celery`` worker listening on
  the broker ``$PAPERS_CELERY_BROKER``.

It lives outside ``pipeline/`` so that the main package never imports dagster_celery.
``deploy/workspace.yaml`` points the webserver and the daemon here.
"""

from __future__ import annotations

import os
import warnings

import dagster as dg

# dagster-celery and dagster-postgres 0.29.27 are the newest on the index and pin
# dagster 1.13.27; they are installed beside dagster 1.13.28 (see Makefile) and warn.
warnings.filterwarnings("ignore", message="Found version mismatch between `dagster-shared`")

from dagster_celery import celery_executor  # noqa: E402

from pipeline import definitions as base  # noqa: E402
from pipeline.defs import automation  # noqa: E402

BROKER_ENV = "PAPERS_CELERY_BROKER"
SENSOR_INTERVAL_ENV = "PAPERS_SENSOR_INTERVAL_SECONDS"

file_executor = celery_executor.configured(
    {
        "broker": {"env": BROKER_ENV},
        "backend": {"env": BROKER_ENV},
        # Steps finish in seconds to minutes: a worker takes one at a time and
        # acknowledges it when done, so a second step goes to an idle worker, and a
        # step whose worker died is delivered again.
        "config_source": {"worker_prefetch_multiplier": 1, "task_acks_late": True},
    },
    name="celery_file_executor",
)

papers_job = dg.define_asset_job(
    base.papers_job.name,
    selection=base.papers_job.selection,
    description=base.papers_job.description,
    # A run that crashed (its worker killed) is retried from the start by the
    # instance's run_retries; a step's partial output is never trusted.
    tags={**(base.papers_job.tags or {}), "dagster/retry_strategy": "ALL_STEPS"},
    executor_def=dg.in_process_executor,
)
file_job = base.file_job.graph.to_job(
    name=base.file_job.name,
    partitions_def=base.file_job.partitions_def,
    description=base.file_job.description,
    tags=base.file_job.tags,
    executor_def=file_executor,
)


def _automation() -> tuple[list, list]:
    """The pipeline's schedule and sensor on these jobs; the sensor's interval may be
    shortened (the deployment test checks every few seconds instead of every minute)."""
    interval = os.environ.get(SENSOR_INTERVAL_ENV)
    if interval and hasattr(automation, "SENSOR_INTERVAL_SECONDS"):
        automation.SENSOR_INTERVAL_SECONDS = int(interval)
    return automation.build_automation(papers_job, file_job)


SCHEDULES, SENSORS = _automation()

defs = dg.Definitions(
    assets=base.ASSETS,
    asset_checks=base.CHECKS,
    jobs=[papers_job, file_job],
    schedules=SCHEDULES,
    sensors=SENSORS,
    resources=base.build_resources(),
)
