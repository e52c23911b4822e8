"""Assets of the dedup stage: papers, every record's fate, and their blocking checks."""

import dagster as dg
import polars as pl

from pipeline.core import quality
from pipeline.core.dedup import cluster_duplicates
from pipeline.core.publish import record_counts
from pipeline.defs.metadata import counts_by, table_metadata

GROUP = "dedup"


@dg.multi_asset(
    outs={
        "records": dg.AssetOut(
            group_name=GROUP,
            description=(
                "Every raw record exactly once, with its fate: status published / duplicate "
                "/ rejected, the paper it belongs to, duplicate_kind, and the reject reason."
            ),
        ),
        "papers": dg.AssetOut(
            group_name=GROUP,
            description=(
                "One row per paper: records with the same normalised title and abstract are "
                "one paper, with a paper_id derived from its content and every source listed."
            ),
        ),
    },
)
def deduplicate(normalized_records: pl.DataFrame) -> tuple[dg.Output, dg.Output]:
    """Group records into papers by shared content hash, arXiv id or DOI."""
    result = cluster_duplicates(normalized_records)
    records, papers = result.records, result.papers
    return (
        dg.Output(
            records,
            output_name="records",
            metadata={
                **table_metadata(records, ["source_file", "record_index", "status", "paper_id"]),
                "records_by_status": dg.MetadataValue.json(counts_by(records, "status")),
                **{k: dg.MetadataValue.int(v) for k, v in record_counts(records).items()},
            },
        ),
        dg.Output(
            papers,
            output_name="papers",
            metadata=table_metadata(papers, ["paper_id", "title", "n_records"]),
        ),
    )


def _check_result(outcome: quality.CheckOutcome) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        passed=outcome.passed,
        description=outcome.description,
        metadata={"details": dg.MetadataValue.json(outcome.details)},
    )


@dg.asset_check(
    asset="records",
    blocking=True,
    additional_ins={"raw_records": dg.AssetIn()},
    description="Every raw record appears exactly once in records: nothing lost, nothing invented.",
)
def records_accounted_for(records: pl.DataFrame, raw_records: pl.DataFrame) -> dg.AssetCheckResult:
    return _check_result(quality.records_accounted_for(raw_records, records))


@dg.asset_check(
    asset="records",
    blocking=True,
    description="Rejected records, and only they, carry a reason and no paper_id.",
)
def rejected_have_reasons(records: pl.DataFrame) -> dg.AssetCheckResult:
    return _check_result(quality.rejected_have_reasons(records))


@dg.asset_check(
    asset="papers",
    blocking=True,
    description="paper_id is non-null and unique.",
)
def paper_ids_unique(papers: pl.DataFrame) -> dg.AssetCheckResult:
    return _check_result(quality.paper_ids_unique(papers))


@dg.asset_check(
    asset="papers",
    blocking=True,
    additional_ins={"records": dg.AssetIn()},
    description="Each paper's n_records equals the number of records that point at it.",
)
def papers_match_records(papers: pl.DataFrame, records: pl.DataFrame) -> dg.AssetCheckResult:
    return _check_result(quality.papers_match_records(papers, records))


CHECKS = [records_accounted_for, rejected_have_reasons, paper_ids_unique, papers_match_records]
