"""Canonical choice and fates: which record of a cluster stands for its paper, the
paper's id, and each record's status, duplicate kind and what joined it.

A paper's canonical record has the most complete abstract, then the latest sighting,
then the first position (configurable: ``canonical``). The id comes from the first
sighting, not the canonical text, so a paper keeps its id when a longer version of its
abstract turns up later. Everything is decided on sets (never on input order), so the
result is deterministic and order independent.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from pipeline.core.config import default_value
from pipeline.core.dedup.near_tier import NearTexts
from pipeline.core.dedup.record_texts import RecordSource
from pipeline.core.dedup.strong_keys import STRONG_KEYS
from pipeline.core.dedup.title_links import TITLE_AND_PREFIX, TITLE_AND_REPO
from pipeline.core.names import DUPLICATE, PUBLISHED, RECORD_KEY, REJECTED
from pipeline.core.transform.normalize import paper_id_from_hash

# How a paper's canonical record may be chosen: criterion -> (column, larger first).
# The first position (smallest source_file, record_index) always breaks the last tie.
CANONICAL_CRITERIA = {
    "longest_abstract": ("abstract_len", True),
    "shortest_abstract": ("abstract_len", False),
    "latest_sighting": ("scrape_date", True),
    "earliest_sighting": ("scrape_date", False),
}
DEFAULT_CANONICAL: tuple[str, ...] = tuple(default_value("canonical_preference"))
# The columns of a record's fate, beside its key (schema.FATES).
FATE_COLUMNS = ["paper_id", "status", "duplicate_kind", "matched_on", "similarity"]


def check_canonical(canonical: Sequence[str]) -> None:
    """Refuse criteria that are not names of :data:`CANONICAL_CRITERIA`."""
    unknown = [name for name in canonical if name not in CANONICAL_CRITERIA]
    if unknown:
        raise ValueError(
            f"unknown canonical criteria {unknown}: choose from {sorted(CANONICAL_CRITERIA)}"
        )


def with_preference(ok: pl.DataFrame, canonical: Sequence[str]) -> pl.DataFrame:
    """``ok`` with ``pref``, each record's rank as a paper's canonical record: the
    criteria in order, then the first position (the smallest record key);
    deterministic and independent of input order."""
    columns = [CANONICAL_CRITERIA[name][0] for name in canonical]
    pref_order = ok.sort(
        [*columns, *RECORD_KEY],
        descending=[*(CANONICAL_CRITERIA[name][1] for name in canonical), False, False],
        nulls_last=True,
    )["local"].to_numpy()
    pref = np.empty(ok.height, dtype=np.int64)
    pref[pref_order] = np.arange(ok.height)
    return ok.with_columns(pref=pl.Series(pref))


def decide_fates(ok: pl.DataFrame, texts: NearTexts, titled: pl.DataFrame) -> pl.DataFrame:
    """The publishable records, each with its cluster ``label``, given their fates:
    the canonical record and id of each cluster, every text's similarity to the
    canonical text, and status, duplicate kind and what joined each duplicate."""
    first_seen = pl.struct("scrape_date", *RECORD_KEY)
    ok = ok.with_columns(
        canonical=pl.col("pref") == pl.col("pref").min().over("label"),
        canonical_t=pl.col("t").sort_by("pref").first().over("label"),
        canonical_hash=pl.col("content_hash").sort_by("pref").first().over("label"),
        id_hash=pl.col("content_hash").sort_by(first_seen).first().over("label"),
    )
    same_text = pl.col("t") == pl.col("canonical_t")
    return (
        ok.join(_similarity_to_canonical(ok, texts), on=["t", "canonical_t"], how="left")
        .with_columns(
            paper_id=paper_id_from_hash(pl.col("id_hash")),
            status=pl.when("canonical").then(pl.lit(PUBLISHED)).otherwise(pl.lit(DUPLICATE)),
            duplicate_kind=pl.when("canonical")
            .then(None)
            .when(same_text)
            .then(pl.lit("exact"))
            .otherwise(pl.lit("near")),
            matched_on=_matched_on(ok, titled, same_text),
            similarity=pl.when(same_text).then(pl.lit(1.0)).otherwise(pl.col("similarity")),
        )
        .sort("local")
    )


def _similarity_to_canonical(ok: pl.DataFrame, texts: NearTexts) -> pl.DataFrame:
    """(t, canonical_t, similarity) of every text that is not its cluster's canonical
    text: mostly verified already, by the near tier."""
    pairs = ok.filter(pl.col("t") != pl.col("canonical_t")).select("t", "canonical_t").unique()
    return pairs.with_columns(
        similarity=pl.Series(
            texts.similarity(pairs["t"].to_numpy(), pairs["canonical_t"].to_numpy()),
            dtype=pl.Float64,
        )
    )


def _matched_on(ok: pl.DataFrame, titled: pl.DataFrame, same_text: pl.Expr) -> pl.Expr:
    """What joined a duplicate to its paper, strongest evidence first: the same text,
    a shared arXiv id or DOI, a title link, else similarity alone."""
    shared = {k: pl.col(k).is_not_null() & (pl.len().over("label", k) > 1) for k in STRONG_KEYS}

    def linked_by(kind: str) -> pl.Series:
        """The texts a title link of ``kind`` touches (both ends): every record with one
        of them was joined that way."""
        ends = titled.filter(pl.col("kind") == kind)
        touched = pl.concat([ends["a"], ends["b"]])
        return ok.filter(pl.col("local").is_in(touched.implode()))["t"].unique()

    by_repo, by_prefix = linked_by(TITLE_AND_REPO), linked_by(TITLE_AND_PREFIX)
    return (
        pl.when("canonical")
        .then(None)
        .when(same_text)
        .then(pl.lit("content_hash"))
        .when(shared["arxiv_id"])
        .then(pl.lit("arxiv_id"))
        .when(shared["doi"])
        .then(pl.lit("doi"))
        .when(pl.col("t").is_in(by_repo.implode()))
        .then(pl.lit(TITLE_AND_REPO))
        .when(pl.col("t").is_in(by_prefix.implode()))
        .then(pl.lit(TITLE_AND_PREFIX))
        .otherwise(pl.lit("similarity"))
    )


def fates_table(keys: pl.DataFrame, ok: pl.DataFrame) -> pl.DataFrame:
    """Every record's key (``keys``, in file order) beside its fate: the decided one of a
    publishable record, ``rejected`` (and nothing else) for the others."""
    outcome = (
        pl.DataFrame({"node": pl.int_range(keys.height, eager=True, dtype=pl.UInt32)})
        .join(ok.select("node", *FATE_COLUMNS), on="node", how="left")
        .sort("node")
        .with_columns(status=pl.col("status").fill_null(pl.lit(REJECTED)))
    )
    return pl.concat([keys, outcome.select(FATE_COLUMNS)], how="horizontal")


def cluster_stats(ok: pl.DataFrame, source: RecordSource, threshold: float | None) -> dict:
    sizes = ok.group_by("paper_id").len()
    largest = sizes.sort(["len", "paper_id"], descending=[True, False]).head(1)
    largest_id = largest["paper_id"][0] if largest.height else None
    titles = (
        source.gather(ok.filter(pl.col("paper_id") == largest_id)["node"].to_numpy(), "title")
        .to_series()
        .unique()
        .sort()
        .to_list()[:10]
        if largest_id
        else []
    )
    far = ok.filter(
        pl.col("similarity").is_not_null()
        & (pl.col("similarity") < (threshold if threshold is not None else 0.0))
    )
    return {
        "clusters": sizes.height,
        "clusters_with_duplicates": sizes.filter(pl.col("len") > 1).height,
        "largest_cluster": int(largest["len"][0]) if largest.height else 0,
        "largest_cluster_paper_id": largest_id,
        "largest_cluster_titles": titles,
        # Members joined through ids whose text is not close to the canonical one.
        "records_far_from_canonical": far.height,
    }
