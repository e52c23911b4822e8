"""Duplicates by identity: records that share content or an identifier are one paper.

Two records are the same paper when they have the same content hash, the same
arXiv id or the same DOI; these links are followed transitively (a text-dump
record and an arXiv record with the same text join, and the arXiv record pulls in
its revised version with the same id). Clusters are the connected components of
that graph, found by label propagation in polars joins.

A paper's canonical record is its earliest sighting (by file, then position), so
the choice depends on provenance only, never on the order rows arrive in.
Near duplicates by text similarity (revised abstracts without ids) are a later,
separate stage.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from pipeline.core import schema
from pipeline.core.normalize import paper_id_from_hash

STRONG_KEYS = ("content_hash", "arxiv_id", "doi")
MAX_PROPAGATION_ROUNDS = 100


@dataclass(frozen=True)
class Deduplicated:
    """Every record with its fate, and one row per paper."""

    records: pl.DataFrame
    papers: pl.DataFrame


def connected_components(node_keys: pl.DataFrame) -> pl.DataFrame:
    """Label each node with the smallest node id of its component.

    ``node_keys`` has columns ``node`` (u32) and ``key`` (string): two nodes are
    linked when they share a key. Each round moves every label to the minimum over
    the node's keys; rounds needed grow with the longest chain, which is short
    for duplicate clusters.
    """
    labels = node_keys.select("node").unique().with_columns(label=pl.col("node"))
    for _ in range(MAX_PROPAGATION_ROUNDS):
        key_min = node_keys.join(labels, on="node").group_by("key").agg(pl.col("label").min())
        updated = (
            node_keys.join(key_min, on="key")
            .group_by("node")
            .agg(pl.col("label").min())
            .join(labels, on="node", suffix="_old")
            .select("node", pl.min_horizontal("label", "label_old").alias("label"))
        )
        changed = updated.join(labels, on=["node", "label"], how="anti").height
        labels = updated
        if changed == 0:
            return labels
    raise RuntimeError(f"duplicate clusters did not settle in {MAX_PROPAGATION_ROUNDS} rounds")


def _cluster_labels(ok: pl.DataFrame) -> pl.DataFrame:
    """node -> cluster label for the publishable records (node = row position in ``ok``)."""
    node_keys = pl.concat(
        [
            ok.select(pl.col("node"), key=pl.lit(f"{k}:") + pl.col(k)).drop_nulls()
            for k in STRONG_KEYS
        ]
    )
    return connected_components(node_keys)


def cluster_duplicates(normalized: pl.DataFrame) -> Deduplicated:
    """Cluster publishable records into papers; mark the others rejected."""
    ordered = normalized.sort("source_file", "record_index").with_row_index("node")
    ok = ordered.filter(pl.col("reason").is_null())
    clustered = ok.join(_cluster_labels(ok), on="node").sort("node")
    first = pl.col("node") == pl.col("label")
    canonical_hash = pl.col("content_hash").sort_by("node").first().over("label")
    shared = {k: pl.col(k).is_not_null() & (pl.len().over("label", k) > 1) for k in STRONG_KEYS}
    clustered = clustered.with_columns(
        paper_id=paper_id_from_hash(canonical_hash),
        status=pl.when(first).then(pl.lit("published")).otherwise(pl.lit("duplicate")),
        duplicate_kind=pl.when(first)
        .then(None)
        .when(pl.col("content_hash") == canonical_hash)
        .then(pl.lit("exact"))
        .otherwise(pl.lit("near")),
        matched_on=pl.when(first)
        .then(None)
        .when(pl.col("content_hash") == canonical_hash)
        .then(pl.lit("content_hash"))
        .when(shared["arxiv_id"])
        .then(pl.lit("arxiv_id"))
        .when(shared["doi"])
        .then(pl.lit("doi"))
        .otherwise(pl.lit("content_hash")),
    )
    rejected = ordered.filter(pl.col("reason").is_not_null()).with_columns(
        paper_id=pl.lit(None, pl.String),
        status=pl.lit("rejected"),
        duplicate_kind=pl.lit(None, pl.String),
        matched_on=pl.lit(None, pl.String),
    )
    records = pl.concat([clustered.drop("label"), rejected]).sort("node").drop("node")
    papers = _papers(clustered)
    return Deduplicated(
        records=schema.conform(records, schema.RECORDS, "records"),
        papers=schema.conform(papers, schema.PAPERS, "papers"),
    )


def _papers(clustered: pl.DataFrame) -> pl.DataFrame:
    """One row per cluster: the canonical record's text, ids from any member."""
    return (
        clustered.sort("node")
        .group_by("paper_id", maintain_order=True)
        .agg(
            *[pl.col(name).first() for name in schema.FIELDS.names()],
            title=pl.col("title").first(),
            abstract=pl.col("abstract").first(),
            title_key=pl.col("title_key").first(),
            content_hash=pl.col("content_hash").first(),
            arxiv_id=pl.col("arxiv_id").drop_nulls().first(),
            doi=pl.col("doi").drop_nulls().first(),
            authors=pl.col("authors").drop_nulls().first(),
            published_date=pl.col("published_date").min(),
            repo_url=pl.col("repo_url").drop_nulls().first(),
            n_records=pl.len().cast(pl.Int64),
            first_seen=pl.col("scrape_date").min(),
            last_seen=pl.col("scrape_date").max(),
            n_sightings=pl.col("source_file").n_unique().cast(pl.Int64),
            sources=pl.struct(
                file=pl.col("source_file"),
                index=pl.col("record_index"),
                line=pl.col("line_start"),
            ),
        )
        .sort("paper_id")
    )
