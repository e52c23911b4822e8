"""The Dagster code location: assets, checks, the job, its schedule and sensor, resources.

``workspace.yaml`` points ``dagster dev`` here; the CLI builds the same
definitions, so a run from either shows up in the other.
"""

from __future__ import annotations

import dagster as dg

from pipeline.defs import automation, dedup, ingest, publish, transform, validate
from pipeline.defs.io import PolarsParquetIOManager
from pipeline.settings import PipelineSettings, default_data_dir

JOB_NAME = "papers_job"

papers_job = dg.define_asset_job(
    JOB_NAME,
    selection=dg.AssetSelection.all(),
    description="Parse every raw scrape, deduplicate, check and publish a new dataset version.",
)

SCHEDULES, SENSORS = automation.build_automation(papers_job)


ASSETS = [
    ingest.parse_raw,
    transform.normalized_records,
    dedup.deduplicate,
    publish.published_version,
]
CHECKS = [*dedup.CHECKS, validate.great_expectations]


def build_resources(data_dir: str | None = None) -> dict[str, object]:
    """The settings and IO manager for the data directory ``data_dir``."""
    settings = PipelineSettings(data_dir=data_dir or default_data_dir())
    return {
        "settings": settings,
        "io_manager": PolarsParquetIOManager(base_dir=str(settings.asset_dir)),
    }


def build_definitions(data_dir: str | None = None) -> dg.Definitions:
    """Definitions for the data directory ``data_dir`` (default: see ``default_data_dir``)."""
    return dg.Definitions(
        assets=ASSETS,
        asset_checks=CHECKS,
        jobs=[papers_job],
        schedules=SCHEDULES,
        sensors=SENSORS,
        resources=build_resources(data_dir),
    )


defs = build_definitions()
