"""Dataset-level invariants that a version must satisfy before it is published.

They are plain functions over the tables, so the Dagster asset checks, the
publish step and the tests all run the very same code.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import polars as pl

from pipeline.core.names import RECORD_KEY, REJECTED

_KEY = list(RECORD_KEY)
MAX_EXAMPLES = 5


@dataclass(frozen=True)
class CheckOutcome:
    """The result of one check, in words a user understands, with offending examples."""

    name: str
    passed: bool
    description: str
    details: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


def records_accounted_for(raw: pl.DataFrame, records: pl.DataFrame) -> CheckOutcome:
    """Every raw record appears exactly once in the records table, and nothing else does."""
    dupes = records.group_by(_KEY).len().filter(pl.col("len") > 1)
    lost = raw.select(_KEY).join(records.select(_KEY), on=_KEY, how="anti")
    invented = records.select(_KEY).join(raw.select(_KEY), on=_KEY, how="anti")
    passed = dupes.is_empty() and lost.is_empty() and invented.is_empty()
    return CheckOutcome(
        name="records_accounted_for",
        passed=passed,
        description="every raw record appears exactly once in records.parquet",
        details={
            "raw_records": raw.height,
            "records": records.height,
            "duplicated_keys": dupes.head(MAX_EXAMPLES).to_dicts(),
            "lost": lost.head(MAX_EXAMPLES).to_dicts(),
            "unexpected": invented.head(MAX_EXAMPLES).to_dicts(),
        },
    )


def paper_ids_unique(papers: pl.DataFrame) -> CheckOutcome:
    """paper_id is non-null and unique in the papers table."""
    nulls = papers["paper_id"].null_count()
    dupes = papers.group_by("paper_id").len().filter(pl.col("len") > 1)
    return CheckOutcome(
        name="paper_ids_unique",
        passed=nulls == 0 and dupes.is_empty(),
        description="paper_id is non-null and unique in papers.parquet",
        details={"null_ids": nulls, "duplicated_ids": dupes.head(MAX_EXAMPLES).to_dicts()},
    )


def papers_match_records(papers: pl.DataFrame, records: pl.DataFrame) -> CheckOutcome:
    """Each paper's n_records equals the records pointing at it; no record points nowhere."""
    counted = (
        records.filter(pl.col("paper_id").is_not_null())
        .group_by("paper_id")
        .agg(counted=pl.len().cast(pl.Int64))
    )
    joined = papers.select("paper_id", "n_records").join(
        counted, on="paper_id", how="full", coalesce=True
    )
    bad = joined.filter(pl.col("n_records").is_null() | (pl.col("n_records") != pl.col("counted")))
    bad = bad.with_columns(pl.col("counted").fill_null(0))
    return CheckOutcome(
        name="papers_match_records",
        passed=bad.is_empty(),
        description="each paper's n_records equals the records that point at it",
        details={"mismatches": bad.height, "examples": bad.head(MAX_EXAMPLES).to_dicts()},
    )


def rejected_have_reasons(records: pl.DataFrame) -> CheckOutcome:
    """A record is rejected exactly when it has a reason, and only rejected ones lack a paper."""
    bad = records.filter(
        (pl.col("status") == REJECTED)
        != pl.col("reason").is_not_null()
        | ((pl.col("status") == REJECTED) != pl.col("paper_id").is_null())
    )
    return CheckOutcome(
        name="rejected_have_reasons",
        passed=bad.is_empty(),
        description="rejected records, and only they, carry a reason and no paper_id",
        details={
            "violations": bad.height,
            "examples": bad.select(*_KEY, "status", "reason", "paper_id")
            .head(MAX_EXAMPLES)
            .to_dicts(),
        },
    )


def run_all(raw: pl.DataFrame, records: pl.DataFrame, papers: pl.DataFrame) -> list[CheckOutcome]:
    """Every dataset-level check, in a stable order."""
    return [
        records_accounted_for(raw, records),
        paper_ids_unique(papers),
        papers_match_records(papers, records),
        rejected_have_reasons(records),
    ]
