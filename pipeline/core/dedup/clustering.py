"""Duplicates: records that share content or an identifier, or whose texts are near
duplicates, are one paper.

:func:`cluster_fates` decides every record's fate in a few named steps, each in the
module of its concern: the publishable records and their canonical preference
(:mod:`fates`), the near tier's verified similar texts (:mod:`near_tier`), title links
(:mod:`title_links`), strong keys (:mod:`strong_keys`), chains split where a group is
far from its cluster's canonical text (:mod:`near_tier`), then canonical record, id
and fate per cluster (:mod:`fates`). Papers and variants are built from the fates by
:mod:`tables`. All work per record runs on a few narrow columns; texts and wide
columns are read from a :class:`~pipeline.core.dedup.record_texts.RecordSource` when
needed, so a million records' text is never held at once.

:func:`cluster_duplicates` is the same decision on records held in memory (tests,
benchmarks), with the full records table.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import polars as pl

from pipeline.core import schema
from pipeline.core.config import default_value
from pipeline.core.dedup.fates import (
    DEFAULT_CANONICAL,
    check_canonical,
    cluster_stats,
    decide_fates,
    fates_table,
    with_preference,
)
from pipeline.core.dedup.near_index import NearIndex
from pipeline.core.dedup.near_tier import NearTexts, grown_index, near_links, split_chains
from pipeline.core.dedup.record_texts import HeldRecords, RecordSource
from pipeline.core.dedup.strong_keys import strong_groups
from pipeline.core.dedup.tables import build_papers, build_variants
from pipeline.core.dedup.title_links import title_edges
from pipeline.core.names import RECORD_KEY

# What clustering reads of each record (the rest stays with the RecordSource), beside
# ``abstract_len`` (or ``abstract``, to measure it).
NARROW_COLUMNS = (
    *RECORD_KEY,
    "content_hash",
    "arxiv_id",
    "doi",
    "scrape_date",
    "reason",
    "title_key",
    "code_url",
    "repo_url",
)
# Shingle Jaccard from which two texts are the same paper: chosen on the benchmark's
# ground truth (see README, Performance).
NEAR_THRESHOLD: float | None = default_value("near_threshold")


@dataclass(frozen=True)
class Deduplicated:
    """Every record with its fate, one row per paper, every text version of a paper,
    run statistics, and the near index to hand to the next run (None when the near
    tier is off).

    ``papers`` and ``variants`` are built on first access (each is about 1.4 GB at 1M
    records); :meth:`build_papers` and :meth:`build_variants` build one without keeping
    it, so a caller can write one table and let it go before building the next.
    """

    records: pl.DataFrame
    stats: dict
    index: NearIndex | None = None
    _clustered: pl.DataFrame | None = None  # the publishable records with their cluster
    _source: RecordSource | None = None  # every record, in file order

    def build_papers(self) -> pl.DataFrame:
        return schema.conform(build_papers(self._clustered, self._source), schema.PAPERS, "papers")

    def build_variants(self) -> pl.DataFrame:
        variants = build_variants(self._clustered, self._source)
        return schema.conform(variants, schema.VARIANTS, "variants")

    @cached_property
    def papers(self) -> pl.DataFrame:
        return self.build_papers()

    @cached_property
    def variants(self) -> pl.DataFrame:
        return self.build_variants()


def cluster_fates(
    narrow: pl.DataFrame,
    source: RecordSource,
    near_threshold: float | None = NEAR_THRESHOLD,
    index: NearIndex | None = None,
    canonical: Sequence[str] = DEFAULT_CANONICAL,
) -> Deduplicated:
    """Cluster publishable records into papers; mark the others rejected. ``records``
    of the result holds each record's key and fate (schema FATES), in file order: the
    caller pairs them with the stored records row by row.

    ``narrow``: every record in file order, with :data:`NARROW_COLUMNS` and
    ``abstract_len`` (or ``abstract``); ``source``: the same records, for texts and the
    wide columns of papers and variants. ``near_threshold`` is the shingle Jaccard
    similarity from which two texts are near duplicates; None switches the near tier
    off (strong keys only). ``index`` is the near index of an earlier run
    (``Deduplicated.index``, or :func:`pipeline.core.dedup.near_index.load_index`); it
    only saves work, and one made with other parameters is ignored. ``canonical``: how
    a paper's canonical record is chosen, names of
    :data:`~pipeline.core.dedup.fates.CANONICAL_CRITERIA` in order of precedence; ties
    go to the first position.
    """
    check_canonical(canonical)
    if _file_order(narrow) is not None:
        raise ValueError("pass the records in file order (sorted by source_file, record_index)")
    ok = with_preference(_publishable(narrow), canonical)
    texts = NearTexts(source, ok)
    ok = ok.join(texts.table.select("content_hash", "t"), on="content_hash").sort("local")
    near = near_links(texts, index, near_threshold)
    titled = title_edges(ok, source)
    group = strong_groups(ok, titled)
    label, detached = (group, 0)
    if near_threshold is not None and not near.edges.is_empty():
        label, detached = split_chains(ok, group, near.edges, texts, near_threshold)
    ok = decide_fates(ok.with_columns(label=pl.Series(label)), texts, titled)
    stats = {
        **near.stats,
        "title_links": dict(titled.group_by("kind").len().sort("kind").iter_rows()),
        **cluster_stats(ok, source, near_threshold),
        "near_records_detached": detached,
    }
    new_index = None
    if near_threshold is not None:
        new_index = grown_index(near.usable, near.new_signatures, texts)
        stats.update(pairs_reused=texts.reused, pairs_verified=texts.verified())
    fates = schema.conform(fates_table(narrow.select(RECORD_KEY), ok), schema.FATES, "records")
    return Deduplicated(fates, stats, new_index, _clustered=ok, _source=source)


def cluster_duplicates(
    normalized: pl.DataFrame,
    near_threshold: float | None = NEAR_THRESHOLD,
    index: NearIndex | None = None,
    canonical: Sequence[str] = DEFAULT_CANONICAL,
) -> Deduplicated:
    """:func:`cluster_fates` on normalised records held in memory, in any order (tests
    and benchmarks): ``records`` of the result is the full records table (schema
    RECORDS), the records in file order beside their fates."""
    order = _file_order(normalized)
    ordered = normalized if order is None else normalized[order]
    result = cluster_fates(ordered, HeldRecords(ordered), near_threshold, index, canonical)
    records = pl.concat([ordered, result.records.drop(RECORD_KEY)], how="horizontal")
    return dataclasses.replace(result, records=schema.conform(records, schema.RECORDS, "records"))


def _file_order(records: pl.DataFrame) -> pl.Series | None:
    """None when ``records`` are in file order (input from ingest is, and then no copy
    is made: at 1M records a sorted copy of the wide frame is ~3.5 GB), else the
    permutation that sorts them so."""
    order = records.select(pl.arg_sort_by(*RECORD_KEY)).to_series()
    return None if bool((order.to_numpy() == np.arange(records.height)).all()) else order


def _publishable(narrow: pl.DataFrame) -> pl.DataFrame:
    """The records no rule rejected, with what clustering decides on: ``node`` is a
    record's position among all records, ``local`` among the publishable ones."""
    abstract_len = (
        pl.col("abstract_len")
        if "abstract_len" in narrow.columns
        else pl.col("abstract").str.len_chars()
    )
    return (
        narrow.select(
            "content_hash",
            "arxiv_id",
            "doi",
            "scrape_date",
            *RECORD_KEY,
            "title_key",
            "code_url",
            "repo_url",
            abstract_len=abstract_len,
        )
        .with_row_index("node")
        .filter(narrow["reason"].is_null())
        .with_row_index("local")
    )
