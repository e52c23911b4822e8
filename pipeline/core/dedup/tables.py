"""The tables dedup builds from its decision: papers (one row per cluster) and variants
(every distinct text of a paper), from the fates and the records they were decided on.

Built apart from clustering, in separate steps each holding only its own table; the
wide columns are read from the records by position (:mod:`record_texts`).
"""

from __future__ import annotations

import polars as pl

from pipeline.core import schema
from pipeline.core.dedup.record_texts import RecordSource
from pipeline.core.names import PUBLISHED, RECORD_KEY, REJECTED

# What building papers and variants reads of each record beside its fate (with the
# wide columns of the records it keeps, read from the stored records).
BUILD_COLUMNS = (*RECORD_KEY, "content_hash", "scrape_date", "arxiv_id", "doi")
# How a paper lists its records.
_SOURCE = pl.struct(
    file=pl.col("source_file"), index=pl.col("record_index"), line=pl.col("line_start")
)


class StaleFatesError(ValueError):
    """Fates that were decided on other records than the ones they are paired with."""


def ensure_same_records(fates: pl.DataFrame, records: pl.DataFrame) -> None:
    """Raise StaleFatesError unless ``fates`` and ``records`` list the same records (by
    RECORD_KEY) in the same order: fates decided on an earlier set of records (clusters
    materialized before the records last changed) must not be paired with these."""
    if fates.height != records.height or not fates.select(RECORD_KEY).equals(
        records.select(RECORD_KEY)
    ):
        raise StaleFatesError(
            f"the fates list {fates.height} records and the stored records {records.height}, "
            "not the same ones in the same order: the clusters are older than the records; "
            "materialize clusters again"
        )


def clustered_records(fates: pl.DataFrame, narrow: pl.DataFrame) -> pl.DataFrame:
    """The publishable records with their cluster, as papers and variants are built from
    them: the fates of :func:`~pipeline.core.dedup.clustering.cluster_fates` beside the
    :data:`BUILD_COLUMNS` of the same records, both in file order.

    Lets papers, variants and records be built apart from clustering (in separate
    steps, each holding only its own table)."""
    ensure_same_records(fates, narrow)
    return (
        pl.concat(
            [narrow.select(BUILD_COLUMNS), fates.select("paper_id", "status", "similarity")],
            how="horizontal",
        )
        .with_row_index("node")
        .filter(pl.col("status") != REJECTED)
        .with_columns(canonical=pl.col("status") == PUBLISHED)
    )


def papers_from_fates(
    fates: pl.DataFrame, narrow: pl.DataFrame, source: RecordSource
) -> pl.DataFrame:
    """papers.parquet from the fates (see :func:`clustered_records`); ``source`` gives the
    wide columns of the same records by position."""
    clustered = clustered_records(fates, narrow)
    return schema.conform(build_papers(clustered, source), schema.PAPERS, "papers")


def variants_from_fates(
    fates: pl.DataFrame, narrow: pl.DataFrame, source: RecordSource
) -> pl.DataFrame:
    """variants.parquet from the fates, as :func:`papers_from_fates`."""
    clustered = clustered_records(fates, narrow)
    return schema.conform(build_variants(clustered, source), schema.VARIANTS, "variants")


def build_variants(ok: pl.DataFrame, source: RecordSource) -> pl.DataFrame:
    """Every distinct title/abstract version of each paper, with its sources."""
    narrow = source.with_columns_at(
        ok.select(
            "node",
            "paper_id",
            "content_hash",
            "canonical",
            "similarity",
            "scrape_date",
            "source_file",
            "record_index",
        ),
        ["line_start"],
    )
    versions = (
        narrow.group_by("paper_id", "content_hash")
        .agg(
            node=pl.col("node").min(),
            is_canonical=pl.col("canonical").any(),
            similarity=pl.col("similarity").sort_by("node").first(),
            n_records=pl.len().cast(pl.Int64),
            first_seen=pl.col("scrape_date").min(),
            last_seen=pl.col("scrape_date").max(),
            sources=_SOURCE.sort_by("node"),
        )
        .sort("paper_id", "content_hash")
    )
    return source.with_columns_at(versions, ["title", "abstract"]).drop("node")


def build_papers(ok: pl.DataFrame, source: RecordSource) -> pl.DataFrame:
    """One row per cluster: the canonical record's text and fields, ids from any member
    (the canonical's first, then in file order)."""
    narrow = source.with_columns_at(
        ok.select(
            "node",
            "paper_id",
            "canonical",
            "content_hash",
            "scrape_date",
            "source_file",
            "record_index",
            "arxiv_id",
            "doi",
        ),
        ["line_start", "authors", "published_date", "repo_url"],
    )
    members = (
        narrow.sort(pl.col("canonical").not_(), "node")
        .group_by("paper_id", maintain_order=True)
        .agg(
            node=pl.col("node").first(),
            arxiv_id=pl.col("arxiv_id").drop_nulls().first(),
            doi=pl.col("doi").drop_nulls().first(),
            authors=pl.col("authors").drop_nulls().first(),
            published_date=pl.col("published_date").min(),
            repo_url=pl.col("repo_url").drop_nulls().first(),
            n_records=pl.len().cast(pl.Int64),
            n_variants=pl.col("content_hash").n_unique().cast(pl.Int64),
            first_seen=pl.col("scrape_date").min(),
            last_seen=pl.col("scrape_date").max(),
            # A sighting is one scrape day of one file: a roll-up listing a paper on
            # three days is three sightings, the same file read twice is one.
            n_sightings=pl.struct("source_file", "scrape_date").n_unique().cast(pl.Int64),
            sources=_SOURCE.sort_by("node"),
        )
        .sort("paper_id")
    )
    return source.with_columns_at(
        members, [*schema.FIELDS.names(), "title", "abstract", "title_key", "content_hash"]
    ).drop("node")
