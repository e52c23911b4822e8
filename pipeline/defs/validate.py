"""The blocking Great Expectations check that gates every publish."""

import dagster as dg
import polars as pl

from pipeline.core.expectations import columns_read
from pipeline.core.publish import build_manifest
from pipeline.core.store import VersionStore
from pipeline.core.validation import failed_summary, validate_candidate
from pipeline.defs.io import asset_path, load_columns, stored_columns
from pipeline.settings import PipelineSettings

# What build_manifest and the evidence fingerprint read of records, beside the suites.
FATES = ["status", "reason", "duplicate_kind"]


def _union(*names: list[str]) -> list[str]:
    return list(dict.fromkeys(n for group in names for n in group))


def previous_papers(settings: PipelineSettings) -> int | None:
    """Rows of papers in the latest version, the base of the row-count-drop expectation."""
    store = VersionStore(settings.store_root)
    latest = store.latest()
    if latest is None:
        return None
    return store.manifest(latest)["tables"]["papers"]["rows"]


@dg.asset_check(
    asset="papers",
    blocking=True,
    additional_ins={"raw_files": dg.AssetIn()},
    description=(
        "Great Expectations suites on papers and records: schema, unique ids, text bounds, "
        "no page chrome or LaTeX left, canonical code URLs, language share, reject and "
        "duplicate rates, and no large fall in papers against the previous version. A "
        "failure blocks the publish and keeps the candidate under papers/_refused/<run>."
    ),
)
def great_expectations(
    context: dg.AssetCheckExecutionContext,
    settings: PipelineSettings,
    raw_files: pl.DataFrame,
) -> dg.AssetCheckResult:
    bounds = settings.expectations(previous_papers(settings))
    # The suites read a few columns; the schema expectations read the stored names.
    needed = columns_read(bounds)
    papers = load_columns(settings.asset_dir, "papers", _union(needed["papers"], ["content_hash"]))
    records = load_columns(settings.asset_dir, "records", _union(needed["records"], FATES))
    columns = {name: stored_columns(settings.asset_dir, name) for name in ("papers", "records")}
    outcomes = validate_candidate(papers, records, bounds, settings.evidence_dir, columns)
    failed = [o for o in outcomes if not o.passed]
    metadata: dict[str, object] = {
        "expectations": len(outcomes),
        "failed": len(failed),
        "data_docs": dg.MetadataValue.path(str(settings.evidence_dir / "data_docs")),
    }
    if failed:
        kept = VersionStore(settings.store_root).keep_refused(
            context.run.run_id,
            {
                "papers": asset_path(settings.asset_dir, dg.AssetKey("papers")),
                "records": asset_path(settings.asset_dir, dg.AssetKey("records")),
                "files": raw_files,
            },
            settings.evidence_dir,
            build_manifest(raw_files, records, papers, outcomes),
        )
        metadata["failed_expectations"] = dg.MetadataValue.md(failed_summary(outcomes))
        metadata["refused_candidate"] = dg.MetadataValue.path(str(kept))
        context.log.error(
            f"{len(failed)} expectations failed: {', '.join(o.name for o in failed)}; "
            f"candidate kept at {kept}"
        )
    return dg.AssetCheckResult(
        passed=not failed,
        severity=dg.AssetCheckSeverity.ERROR,
        description=(
            "all expectations passed"
            if not failed
            else "failed: " + ", ".join(o.name for o in failed)
        ),
        metadata=metadata,
    )
