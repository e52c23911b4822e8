"""The blocking Great Expectations check that gates every publish."""

import dagster as dg
import polars as pl

from pipeline.core.store.publish import build_manifest
from pipeline.core.store.versions import VersionStore
from pipeline.core.validate.evidence import (
    failed_summary,
    rows_to_recheck,
    validate_candidate,
    validated_suite,
)
from pipeline.core.validate.expectation_settings import ExpectationSettings
from pipeline.core.validate.suites import columns_read, papers_columns, suite_fingerprint
from pipeline.defs.io import asset_path, load_columns, scan_asset, stored_columns
from pipeline.settings import PipelineSettings

# What build_manifest and the evidence fingerprint read of records, beside the suites.
FATES = ["status", "reason", "reason_codes", "duplicate_kind"]


def _union(*names: list[str]) -> list[str]:
    return list(dict.fromkeys(n for group in names for n in group))


@dg.asset_check(
    asset="papers",
    blocking=True,
    additional_ins={"raw_files": dg.AssetIn()},
    # It reads records.parquet too: declared, so it starts only once records is written.
    additional_deps=["records"],
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
    bounds = settings.expectations()
    # The suites read a few columns; the schema expectations read the stored names.
    needed = columns_read(bounds)
    records = load_columns(settings.asset_dir, "records", _union(needed["records"], FATES))
    columns = {name: stored_columns(settings.asset_dir, name) for name in ("papers", "records")}
    papers, recheck = _papers_to_validate(settings, bounds)
    outcomes = validate_candidate(
        papers, records, bounds, settings.evidence_dir, columns, recheck=recheck
    )
    if recheck is not None:
        context.log.info(
            f"row-wise expectations on {recheck.height} new or changed papers; "
            f"{papers.height - recheck.height} unchanged since the latest version passed them"
        )
    failed = [o for o in outcomes if not o.passed]
    metadata: dict[str, object] = {
        "expectations": len(outcomes),
        "papers_rechecked": papers.height if recheck is None else recheck.height,
        "failed": len(failed),
        # This candidate's Data Docs; published_version links the version's own copy.
        "candidate_data_docs": dg.MetadataValue.path(
            str(settings.evidence_dir / "data_docs" / "index.html")
        ),
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


def _papers_to_validate(
    settings: PipelineSettings, bounds: ExpectationSettings
) -> tuple[pl.DataFrame, pl.DataFrame | None]:
    """The papers columns the suite reads, and the papers to check row by row.

    When the latest version passed the same suite, a paper equal to one of its papers
    on the recheck key (ids, content hash, code URL, counts) would pass the row-wise
    expectations again: only the others are loaded with their texts and rechecked.
    Otherwise every paper is (the first version, a changed suite or bounds).
    """
    wanted = papers_columns(bounds)
    store = VersionStore(settings.store_root)
    latest = store.latest()
    passed = None if latest is None else store.path(latest)
    if passed is None or validated_suite(passed) != suite_fingerprint(bounds):
        everything = _union(columns_read(bounds)["papers"], ["content_hash"])
        return load_columns(settings.asset_dir, "papers", everything), None
    papers = load_columns(settings.asset_dir, "papers", _union(wanted["table"], ["content_hash"]))
    previous = pl.read_parquet(passed / "papers.parquet", columns=wanted["recheck_key"])
    positions = rows_to_recheck(papers, previous, wanted["recheck_key"])
    recheck = (
        scan_asset(settings.asset_dir, "papers")
        .select(wanted["row_wise"])
        .with_row_index("position")
        .filter(pl.col("position").is_in(positions.implode()))
        .drop("position")
        .collect(engine="streaming")
    )
    return papers, recheck
