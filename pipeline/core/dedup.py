"""Exact duplicates: records with the same content are one paper.

Every record that passed the rules belongs to exactly one paper; the paper's
canonical record is its earliest sighting (by file, then position), so the
choice depends on provenance only, never on the order rows arrive in.
Near duplicates (revised abstracts, edited titles) are a later, separate stage.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from pipeline.core import schema
from pipeline.core.normalize import paper_id_from_hash


@dataclass(frozen=True)
class Deduplicated:
    """Every record with its fate, and one row per paper."""

    records: pl.DataFrame
    papers: pl.DataFrame


def deduplicate_exact(normalized: pl.DataFrame) -> Deduplicated:
    """Group publishable records by content hash into papers; mark the rest duplicates."""
    ok = pl.col("reason").is_null()
    # Rank within the publishable records of a content hash: a rejected copy of the
    # same text must not take the canonical slot.
    first_sighting = pl.int_range(pl.len()).over(["content_hash", ok]) == 0
    records = (
        normalized.sort("source_file", "record_index")
        .with_columns(
            paper_id=pl.when(ok).then(paper_id_from_hash(pl.col("content_hash"))),
            status=pl.when(~ok)
            .then(pl.lit("rejected"))
            .when(first_sighting)
            .then(pl.lit("published"))
            .otherwise(pl.lit("duplicate")),
        )
        .with_columns(
            duplicate_kind=pl.when(pl.col("status") == "duplicate").then(pl.lit("exact")),
        )
    )
    papers = (
        records.filter(ok)
        .group_by("paper_id", maintain_order=True)
        .agg(
            title=pl.col("title").first(),
            abstract=pl.col("abstract").first(),
            title_key=pl.col("title_key").first(),
            content_hash=pl.col("content_hash").first(),
            n_records=pl.len().cast(pl.Int64),
            sources=pl.struct(
                file=pl.col("source_file"),
                index=pl.col("record_index"),
                line=pl.col("line_start"),
            ),
        )
        .sort("paper_id")
    )
    return Deduplicated(
        records=schema.conform(records, schema.RECORDS, "records"),
        papers=schema.conform(papers, schema.PAPERS, "papers"),
    )
