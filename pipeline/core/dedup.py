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
from pipeline.core.near_dup import find_near_duplicates, jaccard, shingles
from pipeline.core.normalize import paper_id_from_hash

STRONG_KEYS = ("content_hash", "arxiv_id", "doi")
# Shingle Jaccard from which two texts are the same paper: chosen on the benchmark's
# ground truth (see README, Performance).
NEAR_THRESHOLD = 0.5
# What near-duplicate detection compares, and how a paper lists its records.
_MATCH_TEXT = pl.concat_str(["title", "abstract"], separator=" ")
_SOURCE = pl.struct(
    file=pl.col("source_file"), index=pl.col("record_index"), line=pl.col("line_start")
)
MAX_PROPAGATION_ROUNDS = 100


@dataclass(frozen=True)
class Deduplicated:
    """Every record with its fate, and one row per paper."""

    records: pl.DataFrame
    papers: pl.DataFrame
    variants: pl.DataFrame
    stats: dict


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


def _near_keys(ok: pl.DataFrame, threshold: float | None) -> tuple[pl.DataFrame, dict]:
    """node -> "near:<pair>" keys linking records whose texts are verified near duplicates,
    computed once per distinct text."""
    empty = pl.DataFrame(schema={"node": pl.UInt32, "key": pl.String})
    if threshold is None or ok.is_empty():
        return empty, {}
    texts = (
        ok.group_by("content_hash")
        .agg(
            text=_MATCH_TEXT.first(),
            arxiv_id=pl.col("arxiv_id").drop_nulls().first(),
            doi=pl.col("doi").drop_nulls().first(),
        )
        .sort("content_hash")
        .with_row_index("t")
    )
    found = find_near_duplicates(texts["text"], threshold)
    if found.pairs.is_empty():
        return empty, found.stats
    ids = texts.select("t", "content_hash", "arxiv_id", "doi")
    joined = found.pairs.join(ids.rename(lambda c: f"{c}_a"), left_on="a", right_on="t_a").join(
        ids.rename(lambda c: f"{c}_b"), left_on="b", right_on="t_b"
    )
    # Similar text never overrides identity: two different arXiv ids or DOIs are two
    # papers (series papers share long passages).
    conflict = pl.lit(False)
    for key in ("arxiv_id", "doi"):
        conflict = conflict | (
            pl.col(f"{key}_a").is_not_null()
            & pl.col(f"{key}_b").is_not_null()
            & (pl.col(f"{key}_a") != pl.col(f"{key}_b"))
        )
    found.stats["blocked_by_ids"] = joined.filter(conflict).height
    pairs = joined.filter(~conflict).select(
        ha="content_hash_a",
        hb="content_hash_b",
        key=pl.lit("near:") + pl.col("content_hash_a") + pl.col("content_hash_b"),
    )
    ends = pl.concat(
        [pairs.select(content_hash="ha", key="key"), pairs.select(content_hash="hb", key="key")]
    )
    return ok.select("node", "content_hash").join(ends, on="content_hash").drop(
        "content_hash"
    ), found.stats


def _cluster_labels(ok: pl.DataFrame, near: pl.DataFrame) -> pl.DataFrame:
    """node -> cluster label for the publishable records (node = row position in ``ok``)."""
    node_keys = pl.concat(
        [
            *[
                ok.select(pl.col("node"), key=pl.lit(f"{k}:") + pl.col(k)).drop_nulls()
                for k in STRONG_KEYS
            ],
            near,
        ]
    )
    return connected_components(node_keys)


def _similarity_to_canonical(clustered: pl.DataFrame) -> pl.DataFrame:
    """Exact shingle Jaccard of each distinct text of a cluster to its canonical text."""
    variants = (
        clustered.filter(pl.col("content_hash") != pl.col("canonical_hash"))
        .select("content_hash", "canonical_hash")
        .unique()
    )
    if variants.is_empty():
        return variants.with_columns(similarity=pl.lit(None, pl.Float64))
    involved = pl.concat(
        [variants.select("content_hash"), variants.select(content_hash="canonical_hash")]
    ).unique()
    texts = (
        clustered.join(involved, on="content_hash")
        .select("content_hash", text=_MATCH_TEXT)
        .unique("content_hash")
        .sort("content_hash")
        .with_row_index("t")
    )
    index = texts.select("t", "content_hash")
    pairs = variants.join(index.rename({"t": "a"}), on="content_hash").join(
        index.rename({"t": "b", "content_hash": "canonical_hash"}), on="canonical_hash"
    )
    scored = jaccard(pairs.select("a", "b"), shingles(texts["text"]))
    return pairs.join(scored, on=["a", "b"]).select("content_hash", "canonical_hash", "similarity")


def cluster_duplicates(
    normalized: pl.DataFrame, near_threshold: float | None = NEAR_THRESHOLD
) -> Deduplicated:
    """Cluster publishable records into papers; mark the others rejected.

    ``near_threshold`` is the shingle Jaccard similarity from which two texts are near
    duplicates; None switches the near tier off (strong keys only).
    """
    ordered = normalized.sort("source_file", "record_index").with_row_index("node")
    ok = ordered.filter(pl.col("reason").is_null())
    near, near_stats = _near_keys(ok, near_threshold)
    clustered = ok.join(_cluster_labels(ok, near), on="node")
    # Canonical: the most complete abstract, then the latest sighting, then the first
    # position; deterministic and independent of input order.
    clustered = clustered.sort(
        ["label", pl.col("abstract").str.len_chars(), "scrape_date", "source_file", "record_index"],
        descending=[False, True, True, False, False],
        nulls_last=True,
    ).with_columns(canonical=pl.int_range(pl.len()).over("label") == 0)
    # The id comes from the first sighting, not the canonical text, so a paper keeps its
    # id when a longer version of its abstract turns up later.
    first_seen = pl.struct("scrape_date", "source_file", "record_index")
    clustered = clustered.with_columns(
        canonical_hash=pl.col("content_hash").filter(pl.col("canonical")).first().over("label"),
        id_hash=pl.col("content_hash").sort_by(first_seen).first().over("label"),
    )
    similarity = _similarity_to_canonical(clustered)
    shared = {k: pl.col(k).is_not_null() & (pl.len().over("label", k) > 1) for k in STRONG_KEYS}
    same_text = pl.col("content_hash") == pl.col("canonical_hash")
    clustered = clustered.join(
        similarity, on=["content_hash", "canonical_hash"], how="left"
    ).with_columns(
        paper_id=paper_id_from_hash(pl.col("id_hash")),
        status=pl.when("canonical").then(pl.lit("published")).otherwise(pl.lit("duplicate")),
        duplicate_kind=pl.when("canonical")
        .then(None)
        .when(same_text)
        .then(pl.lit("exact"))
        .otherwise(pl.lit("near")),
        matched_on=pl.when("canonical")
        .then(None)
        .when(same_text)
        .then(pl.lit("content_hash"))
        .when(shared["arxiv_id"])
        .then(pl.lit("arxiv_id"))
        .when(shared["doi"])
        .then(pl.lit("doi"))
        .otherwise(pl.lit("similarity")),
        similarity=pl.when(same_text).then(pl.lit(1.0)).otherwise(pl.col("similarity")),
    )
    rejected = ordered.filter(pl.col("reason").is_not_null()).with_columns(
        paper_id=pl.lit(None, pl.String),
        status=pl.lit("rejected"),
        duplicate_kind=pl.lit(None, pl.String),
        matched_on=pl.lit(None, pl.String),
        similarity=pl.lit(None, pl.Float64),
    )
    keep = [*ordered.columns, "paper_id", "status", "duplicate_kind", "matched_on", "similarity"]
    records = pl.concat([clustered.select(keep), rejected.select(keep)]).sort("node")
    stats = {**near_stats, **_cluster_stats(clustered, near_threshold)}
    return Deduplicated(
        records=schema.conform(records.drop("node"), schema.RECORDS, "records"),
        papers=schema.conform(_papers(clustered), schema.PAPERS, "papers"),
        variants=schema.conform(_variants(clustered), schema.VARIANTS, "variants"),
        stats=stats,
    )


def _cluster_stats(clustered: pl.DataFrame, threshold: float | None) -> dict:
    sizes = clustered.group_by("paper_id").len()
    largest = sizes.sort(["len", "paper_id"], descending=[True, False]).head(1)
    largest_id = largest["paper_id"][0] if largest.height else None
    titles = (
        clustered.filter(pl.col("paper_id") == largest_id)["title"].unique().sort().to_list()[:10]
        if largest_id
        else []
    )
    far = clustered.filter(
        pl.col("similarity").is_not_null()
        & (pl.col("similarity") < (threshold if threshold is not None else 0.0))
    )
    return {
        "clusters": sizes.height,
        "clusters_with_duplicates": sizes.filter(pl.col("len") > 1).height,
        "largest_cluster": int(largest["len"][0]) if largest.height else 0,
        "largest_cluster_paper_id": largest_id,
        "largest_cluster_titles": titles,
        # Members joined through others (chaining) that are not close to the canonical.
        "records_far_from_canonical": far.height,
    }


def _variants(clustered: pl.DataFrame) -> pl.DataFrame:
    """Every distinct title/abstract version of each paper, with its sources."""
    return (
        clustered.sort("source_file", "record_index")
        .group_by("paper_id", "content_hash", maintain_order=True)
        .agg(
            title=pl.col("title").first(),
            abstract=pl.col("abstract").first(),
            is_canonical=pl.col("canonical").any(),
            similarity=pl.col("similarity").first(),
            n_records=pl.len().cast(pl.Int64),
            first_seen=pl.col("scrape_date").min(),
            last_seen=pl.col("scrape_date").max(),
            sources=_SOURCE,
        )
        .sort("paper_id", "content_hash")
    )


def _papers(clustered: pl.DataFrame) -> pl.DataFrame:
    """One row per cluster: the canonical record's text and fields, ids from any member."""
    return (
        clustered.sort(pl.col("canonical").not_(), "source_file", "record_index")
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
            n_variants=pl.col("content_hash").n_unique().cast(pl.Int64),
            first_seen=pl.col("scrape_date").min(),
            last_seen=pl.col("scrape_date").max(),
            n_sightings=pl.col("source_file").n_unique().cast(pl.Int64),
            sources=_SOURCE.sort_by("source_file", "record_index"),
        )
        .sort("paper_id")
    )
