"""When the jobs run by themselves: a daily schedule, and a sensor on the raw directory.

The sensor keeps the ``raw_files`` partitions equal to the files under raw/, asks
for a ``file_job`` run for each new or changed file (by content hash), and once
those runs have finished asks for one run of the global stages. A failed file run
does not stall the pipeline: the global run computes any file still missing.
"""

import hashlib
import json
from typing import Any

import dagster as dg

from pipeline.core.ingest.entries import RawFile
from pipeline.core.ingest.file_outputs import find_raw_files
from pipeline.core.ingest.raw_files import list_raw_files
from pipeline.core.provenance import inputs_fingerprint
from pipeline.defs.ingest import RAW_FILES, is_partition_key, partition_changes
from pipeline.defs.run_lease import fail_dead_cli_runs
from pipeline.settings import PipelineSettings

SENSOR_INTERVAL_SECONDS = 60
_IN_FLIGHT = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
]


def raw_dir_state(settings: PipelineSettings) -> str:
    """A digest of every raw file's path, size and modification time.

    Cheap enough to compute every minute on a large archive (no file is read); files
    are hashed only when it changes.
    """
    raw = settings.raw_dir
    entries = [
        [p.relative_to(raw).as_posix(), p.stat().st_size, p.stat().st_mtime_ns]
        for p in list_raw_files(raw)
    ]
    return hashlib.sha256(json.dumps(entries).encode()).hexdigest()


def _partition_requests(instance: dg.DagsterInstance, files: list[RawFile]) -> list:
    added, removed = partition_changes(instance, [f.relative for f in files])
    requests: list = []
    if added:
        requests.append(RAW_FILES.build_add_request(added))
    if removed:
        requests.append(RAW_FILES.build_delete_request(removed))
    return requests


def build_automation(global_job: Any, file_job: Any) -> tuple[list, list]:
    """The schedule and the sensor; both start stopped, enable them in the UI."""
    daily = dg.ScheduleDefinition(
        name="daily_refresh",
        job=global_job,
        cron_schedule="0 6 * * *",
        execution_timezone="UTC",
        description=(
            "Rebuild and publish the dataset every day at 06:00 UTC (unchanged files are "
            "reused; an unchanged dataset publishes no new version)."
        ),
        default_status=dg.DefaultScheduleStatus.STOPPED,
    )

    @dg.sensor(
        name="new_raw_files",
        jobs=[global_job, file_job],
        minimum_interval_seconds=SENSOR_INTERVAL_SECONDS,
        default_status=dg.DefaultSensorStatus.STOPPED,
        description=(
            "Watches <data_dir>/raw: registers a raw_files partition per file, requests a "
            "file_job run for each new or changed file (by sha256), then one papers_job run."
        ),
    )
    def new_raw_files(context: dg.SensorEvaluationContext, settings: PipelineSettings):
        fail_dead_cli_runs(context.instance)  # a killed CLI run must not block the queue
        cursor = json.loads(context.cursor) if context.cursor else {}
        pending: dict[str, str] = cursor.get("pending", {})
        state = raw_dir_state(settings)
        if state == cursor.get("state") and not pending:
            return dg.SkipReason("raw directory unchanged since the last run request")
        hashes = settings.hash_cache()
        files = find_raw_files(settings.raw_dir, hashes)
        hashes.save()
        partitions = _partition_requests(context.instance, files)
        store = settings.file_outputs()
        stale = [f for f in files if f.sha256 and is_partition_key(f.relative)]
        stale = [f for f in stale if not store.has(f)]
        to_request = [f for f in stale if pending.get(f.relative) != f.sha256]
        if to_request:
            pending.update({f.relative: f.sha256 for f in to_request if f.sha256})
            return dg.SensorResult(
                run_requests=[
                    dg.RunRequest(
                        job_name=file_job.name,
                        partition_key=f.relative,
                        run_key=f"{f.relative}@{f.sha256}",
                    )
                    for f in to_request
                ],
                dynamic_partitions_requests=partitions,
                cursor=json.dumps({"state": cursor.get("state"), "pending": pending}),
            )
        in_flight = context.instance.get_runs_count(
            dg.RunsFilter(job_name=file_job.name, statuses=_IN_FLIGHT)
        )
        if stale and in_flight:
            return dg.SensorResult(
                skip_reason=f"waiting for {in_flight} file_job runs",
                dynamic_partitions_requests=partitions,
            )
        fingerprint = inputs_fingerprint(
            [(f.relative, f.sha256) for f in files], settings.output_config()
        )
        return dg.SensorResult(
            run_requests=[dg.RunRequest(job_name=global_job.name, run_key=fingerprint)],
            dynamic_partitions_requests=partitions,
            cursor=json.dumps({"state": state, "pending": {}}),
        )

    return [daily], [new_raw_files]
