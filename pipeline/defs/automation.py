"""When the job runs by itself: a daily schedule and a sensor on the raw directory."""

import hashlib
import json
from typing import Any

import dagster as dg

from pipeline.core.ingest import list_raw_files
from pipeline.settings import PipelineSettings

SENSOR_INTERVAL_SECONDS = 60


def raw_dir_state(settings: PipelineSettings) -> str:
    """A digest of every raw file's path, size and modification time.

    Cheap enough to compute every minute on a large archive (no file is read); a
    touched but unchanged file triggers a run that then finds the content unchanged.
    """
    raw = settings.raw_dir
    entries = [
        [p.relative_to(raw).as_posix(), p.stat().st_size, p.stat().st_mtime_ns]
        for p in list_raw_files(raw)
    ]
    return hashlib.sha256(json.dumps(entries).encode()).hexdigest()


def build_automation(job: Any) -> tuple[list, list]:
    """The schedule and the sensor for ``job``; both start stopped, enable them in the UI."""
    daily = dg.ScheduleDefinition(
        name="daily_refresh",
        job=job,
        cron_schedule="0 6 * * *",
        execution_timezone="UTC",
        description="Rebuild and publish the dataset every day at 06:00 UTC.",
        default_status=dg.DefaultScheduleStatus.STOPPED,
    )

    @dg.sensor(
        name="new_raw_files",
        job=job,
        minimum_interval_seconds=SENSOR_INTERVAL_SECONDS,
        default_status=dg.DefaultSensorStatus.STOPPED,
        description=(
            "Requests a run when files under <data_dir>/raw are added, removed or changed "
            "(by path, size and modification time)."
        ),
    )
    def new_raw_files(context: dg.SensorEvaluationContext, settings: PipelineSettings):
        state = raw_dir_state(settings)
        if state == context.cursor:
            return dg.SkipReason("raw directory unchanged since the last run request")
        context.update_cursor(state)
        return dg.RunRequest(run_key=state)

    return [daily], [new_raw_files]
