"""Duplicates: records that share content or an identifier, or whose texts are near
duplicates, are one paper.

Two records are the same paper when they have the same content hash, the same
arXiv id or the same DOI (the strong keys); these links are followed transitively
(a text-dump record and an arXiv record with the same text join, and the arXiv
record pulls in its revised version with the same id). Texts whose shingle Jaccard
similarity is verified to reach the threshold (see :mod:`pipeline.core.dedup.near_dup`)
link their records too, unless they carry different arXiv ids or DOIs.

Near links may chain (A ~ B ~ C with A and C far apart). A group of records joined by
strong keys only joins a cluster through near links when one of its texts is itself
close to the cluster's canonical text; the others are detached and clustered again
among themselves, until nothing moves. Everything is decided on sets (never on input
order), so the result is deterministic and order independent.

A paper's canonical record has the most complete abstract, then the latest sighting,
then the first position (configurable: ``canonical``). Components are found with a
vectorised union-find in numpy, and all work per record runs on a few narrow columns;
the wide columns are read only to build papers and variants.

With a :class:`~pipeline.core.dedup.near_index.NearIndex` from an earlier run, stored
signatures and verified similarities are reused; candidates and every decision are
recomputed, so the result equals a run without the index.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import polars as pl

from pipeline.core import schema
from pipeline.core.config import default_value
from pipeline.core.dedup.near_dup import (
    NUM_BINS,
    exact_similarity,
    likely_pairs,
    signatures,
)
from pipeline.core.dedup.near_index import (
    PAIRS_SCHEMA,
    SIGNATURES_SCHEMA,
    NearIndex,
    empty_index,
    params_fingerprint,
)
from pipeline.core.dedup.record_texts import RecordSource
from pipeline.core.dedup.title_links import (
    TITLE_AND_PREFIX,
    TITLE_AND_REPO,
    id_conflict,
    title_edges,
)
from pipeline.core.names import DUPLICATE, PUBLISHED, RECORD_KEY, REJECTED
from pipeline.core.transform.normalize import paper_id_from_hash

STRONG_KEYS = ("content_hash", "arxiv_id", "doi")
# What clustering reads of each record when the rest stays on disk (see ``stored``).
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
# What building papers and variants reads of each record beside its fate (with the
# wide columns of the records it keeps, read from the stored records).
BUILD_COLUMNS = (*RECORD_KEY, "content_hash", "scrape_date", "arxiv_id", "doi")
# How a paper's canonical record may be chosen: criterion -> (column, larger first).
# The first position (smallest source_file, record_index) always breaks the last tie.
CANONICAL_CRITERIA = {
    "longest_abstract": ("abstract_len", True),
    "shortest_abstract": ("abstract_len", False),
    "latest_sighting": ("scrape_date", True),
    "earliest_sighting": ("scrape_date", False),
}
DEFAULT_CANONICAL: tuple[str, ...] = tuple(default_value("canonical_preference"))
# Shingle Jaccard from which two texts are the same paper: chosen on the benchmark's
# ground truth (see README, Performance).
NEAR_THRESHOLD: float | None = default_value("near_threshold")
# How a paper lists its records.
_SOURCE = pl.struct(
    file=pl.col("source_file"), index=pl.col("record_index"), line=pl.col("line_start")
)
# Texts per chunk when building match texts for signatures (bounds the strings held).
TEXT_CHUNK = 100_000
# From a scan, more texts than this get their signatures in one streamed pass instead
# of one filtered scan per chunk.
STREAM_SIGNATURES_FROM = TEXT_CHUNK
_CODES = pl.Schema({"code": pl.UInt64, "similarity": pl.Float64})
MAX_SPLIT_ROUNDS = 100


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
        return schema.conform(_papers(self._clustered, self._source), schema.PAPERS, "papers")

    def build_variants(self) -> pl.DataFrame:
        return schema.conform(_variants(self._clustered, self._source), schema.VARIANTS, "variants")

    @cached_property
    def papers(self) -> pl.DataFrame:
        return self.build_papers()

    @cached_property
    def variants(self) -> pl.DataFrame:
        return self.build_variants()


def components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Label each of nodes ``0..n-1`` with the smallest node of its connected component
    under the edges ``(a[i], b[i])``.

    Vectorised union-find: every round hooks the larger root of each edge under the
    smaller (``minimum.at``), then jumps pointers to the roots; parents only ever
    decrease, so a component's root is its smallest node. Rounds grow with log of the
    longest chain."""
    parent = np.arange(n, dtype=np.int64)
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    while True:
        pa, pb = parent[a], parent[b]
        differ = pa != pb
        if not differ.any():
            return parent
        a, b = a[differ], b[differ]
        np.minimum.at(
            parent, np.maximum(pa[differ], pb[differ]), np.minimum(pa[differ], pb[differ])
        )
        while True:
            jumped = parent[parent]
            if np.array_equal(jumped, parent):
                break
            parent = jumped


class _Texts:
    """The distinct texts of the publishable records, sorted by content hash (position
    ``t``), their match text built on demand, and a cache of exact similarities."""

    def __init__(self, source: RecordSource, ok: pl.DataFrame) -> None:
        self.source = source
        self.table = (
            ok.group_by("content_hash")
            .agg(
                node=pl.col("node").min(),
                local=pl.col("local").min(),
                arxiv_id=pl.col("arxiv_id").drop_nulls().min(),
                doi=pl.col("doi").drop_nulls().min(),
            )
            .sort("content_hash")
            .with_row_index("t")
        )
        self.first_node = self.table["node"].to_numpy()
        self.first_local = self.table["local"].to_numpy()
        # Similarities by pair code t_a << 32 | t_b (t_a < t_b): stored ones, then new.
        self.known = pl.DataFrame(schema=_CODES)
        self.computed: list[pl.DataFrame] = []
        self.reused = 0

    def __len__(self) -> int:
        return self.table.height

    def texts_at(self, positions: np.ndarray) -> pl.Series:
        """Match texts of some text positions (title and abstract of a record)."""
        return self.source.match_texts(self.first_node[positions])

    def similarity(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Exact similarity of texts ``a[i]`` and ``b[i]`` (positions, any order), from the
        cache where it is known, computed (and cached) otherwise."""
        if len(a) == 0:
            return np.empty(0, dtype=np.float64)
        lo = np.minimum(a, b).astype(np.uint64)
        hi = np.maximum(a, b).astype(np.uint64)
        codes = pl.DataFrame({"code": (lo << np.uint64(32)) | hi}).with_row_index("i")
        found = np.full(len(a), np.nan)
        for source in (self.known, *self.computed):
            missing = np.isnan(found)
            if not missing.any():
                break
            hits = codes.filter(pl.Series(missing)).join(source, on="code")
            found[hits["i"].to_numpy()] = hits["similarity"].to_numpy()
            if source is self.known:
                self.reused += hits.height
        missing = np.isnan(found)
        if missing.any():
            todo = np.unique(codes["code"].to_numpy()[missing])
            ta = (todo >> np.uint64(32)).astype(np.int64)
            tb = (todo & np.uint64(0xFFFFFFFF)).astype(np.int64)
            # Every text these pairs need, read at once (from a scan, one pass).
            involved = np.unique(np.concatenate([ta, tb]))
            held = self.texts_at(involved)

            def texts_at(positions: np.ndarray) -> pl.Series:
                return held.gather(np.searchsorted(involved, positions))

            fresh = pl.DataFrame({"code": todo, "similarity": exact_similarity(texts_at, ta, tb)})
            self.computed.append(fresh)
            hits = codes.filter(pl.Series(missing)).join(fresh, on="code")
            found[hits["i"].to_numpy()] = hits["similarity"].to_numpy()
        return found

    def verified(self) -> int:
        return sum(f.height for f in self.computed)

    def new_pairs(self) -> pl.DataFrame:
        """The similarities computed in this run, keyed by content hashes for the index."""
        fresh = pl.concat([pl.DataFrame(schema=_CODES), *self.computed])
        hashes = self.table.select("t", "content_hash")
        return (
            fresh.with_columns(
                a=(pl.col("code") // (1 << 32)).cast(pl.UInt32),
                b=(pl.col("code") % (1 << 32)).cast(pl.UInt32),
            )
            .join(hashes.rename({"t": "a", "content_hash": "hash_a"}), on="a")
            .join(hashes.rename({"t": "b", "content_hash": "hash_b"}), on="b")
            .select(PAIRS_SCHEMA.names())
        )


def _index_parts(index: NearIndex | None, texts: pl.DataFrame) -> tuple[NearIndex, pl.DataFrame]:
    """The usable index (an empty one when absent or made with other parameters) and its
    stored similarities among the current texts, keyed by pair code."""
    usable = index if index is not None and index.compatible else empty_index()
    hashes = texts.select("t", "content_hash")
    known = (
        usable.pairs.join(hashes.rename({"content_hash": "hash_a", "t": "a"}), on="hash_a")
        .join(hashes.rename({"content_hash": "hash_b", "t": "b"}), on="hash_b")
        .select(
            code=pl.col("a").cast(pl.UInt64) * (1 << 32) + pl.col("b").cast(pl.UInt64),
            similarity="similarity",
        )
    )
    return usable, known


def _signatures(texts: _Texts, usable: NearIndex) -> tuple[np.ndarray, pl.DataFrame, dict]:
    """Signatures of every current text: stored ones reused, the rest computed in chunks.
    Returns them, the newly computed rows for the index, and counts."""
    n = len(texts)
    sig = np.empty((n, NUM_BINS), dtype=np.uint32)
    stored = texts.table.select("t", "content_hash").join(
        usable.signatures, on="content_hash", how="inner"
    )
    have = np.zeros(n, dtype=bool)
    if stored.height:
        positions = stored["t"].to_numpy()
        sig[positions] = stored["signature"].to_numpy()
        have[positions] = True
    todo = np.flatnonzero(~have)
    if texts.source.frame is None and len(todo) > STREAM_SIGNATURES_FROM:
        _streamed_signatures(texts, todo, sig)
    else:
        for start in range(0, len(todo), TEXT_CHUNK):
            part = todo[start : start + TEXT_CHUNK]
            sig[part] = signatures(texts.texts_at(part))
    fresh = pl.DataFrame(
        {
            "content_hash": texts.table["content_hash"].gather(todo),
            "signature": pl.Series(sig[todo], dtype=SIGNATURES_SCHEMA["signature"]),
        }
    )
    return sig, fresh, {"signatures_reused": int(have.sum()), "signatures_computed": len(todo)}


def _streamed_signatures(texts: _Texts, todo: np.ndarray, sig: np.ndarray) -> None:
    """Signatures of texts ``todo`` computed in one streamed pass over the records: each
    text from its first record, batch by batch, no text held beyond its batch."""
    nodes = texts.first_node[todo]
    order = np.argsort(nodes)
    nodes, todo = nodes[order], todo[order]
    for start, batch in texts.source.match_text_batches():
        lo, hi = np.searchsorted(nodes, [start, start + batch.len()])
        if hi > lo:
            sig[todo[lo:hi]] = signatures(batch.gather(nodes[lo:hi] - start))


def _near_edges(texts: _Texts, sig: np.ndarray, threshold: float) -> tuple[pl.DataFrame, dict]:
    """Accepted near pairs (t_a, t_b, similarity) of texts: candidates from all band keys,
    checked against the threshold with exact (cached or computed) similarities, and
    dropped where the two texts carry different arXiv ids or DOIs."""
    a, b, stats = likely_pairs(sig, threshold)
    similarity = texts.similarity(a, b)
    accepted = similarity >= threshold
    pairs = pl.DataFrame(
        {"a": a[accepted], "b": b[accepted], "similarity": similarity[accepted]}
    ).with_columns(pl.col("a", "b").cast(pl.UInt32))
    ids = texts.table.select("t", "arxiv_id", "doi")
    joined = pairs.join(ids.rename(lambda c: f"{c}_a"), left_on="a", right_on="t_a").join(
        ids.rename(lambda c: f"{c}_b"), left_on="b", right_on="t_b"
    )
    conflict = id_conflict()  # two different arXiv ids or DOIs are two papers
    stats["verified"] = int(accepted.sum())
    stats["rejected_candidates"] = stats["candidates_after_estimate"] - stats["verified"]
    stats["blocked_by_ids"] = joined.filter(conflict).height
    return joined.filter(~conflict).select("a", "b", "similarity"), stats


def _strong_groups(ok: pl.DataFrame, titled: pl.DataFrame) -> np.ndarray:
    """Per publishable record (by ``local`` position), the smallest record it is joined
    to by strong keys and the title links ``titled`` (see :mod:`title_links`) alone."""
    edges = pl.concat(
        [
            *(
                ok.select("local", k)
                .drop_nulls()
                .select("local", to=pl.col("local").min().over(k))
                .cast(pl.UInt32)
                for k in STRONG_KEYS
            ),
            titled.select(local="a", to="b"),
        ]
    )
    return components(ok.height, edges["local"].to_numpy(), edges["to"].to_numpy())


def _split_chains(
    ok: pl.DataFrame, group: np.ndarray, near: pl.DataFrame, texts: _Texts, threshold: float
) -> tuple[np.ndarray, int]:
    """Cluster label per record: strong groups joined by near links, where a group stays in
    a cluster only if one of its texts reaches ``threshold`` against the cluster's
    canonical text; detached groups are clustered again among themselves.

    Labels are record positions (a group's smallest record, or a cluster's canonical
    record), so they never collide. Returns them and how many records were detached."""
    label = group.copy()
    t_of = ok["t"].to_numpy()
    pref = ok["pref"].to_numpy()
    ga = group[texts.first_local[near["a"].to_numpy()]]
    gb = group[texts.first_local[near["b"].to_numpy()]]
    linked = ga != gb
    ga, gb = ga[linked], gb[linked]
    detached = 0
    for _ in range(MAX_SPLIT_ROUNDS):
        if len(ga) == 0:
            return label, detached
        comp = components(len(group), ga, gb)
        recs = np.flatnonzero(np.isin(group, np.concatenate([ga, gb])))
        members = pl.DataFrame(
            {"r": recs, "g": group[recs], "c": comp[group[recs]], "p": pref[recs]}
        )
        # Canonical of each component: its record of smallest preference rank.
        members = members.with_columns(canon=pl.col("r").sort_by("p").first().over("c"))
        canon = members["canon"].to_numpy()
        members = members.with_columns(
            ta=pl.Series(t_of[recs], dtype=pl.UInt32), tc=pl.Series(t_of[canon], dtype=pl.UInt32)
        )
        outside = members.filter(pl.Series(group[canon] != group[recs]))
        pairs = outside.select("g", "ta", "tc").unique()
        ta, tc = pairs["ta"].to_numpy(), pairs["tc"].to_numpy()
        sims = np.ones(len(ta))
        differ = ta != tc
        sims[differ] = texts.similarity(ta[differ], tc[differ])
        best = pairs.select("g", s=pl.Series(sims)).group_by("g").agg(pl.col("s").max())
        far_groups = best.filter(pl.col("s") < threshold)["g"].to_numpy()
        # Everything but the far groups is final, labelled by the canonical record.
        final = members.filter(~pl.col("g").is_in(pl.Series(far_groups).implode()))
        label[final["r"].to_numpy()] = final["canon"].to_numpy()
        if len(far_groups) == 0:
            return label, detached
        far = np.isin(group, far_groups)
        detached += int(far.sum())
        both_far = np.isin(ga, far_groups) & np.isin(gb, far_groups)
        ga, gb = ga[both_far], gb[both_far]
    raise RuntimeError(f"chained clusters did not settle in {MAX_SPLIT_ROUNDS} rounds")


def cluster_duplicates(
    normalized: pl.DataFrame,
    near_threshold: float | None = NEAR_THRESHOLD,
    index: NearIndex | None = None,
    fates_only: bool = False,
    stored: pl.LazyFrame | None = None,
    canonical: Sequence[str] = DEFAULT_CANONICAL,
) -> Deduplicated:
    """Cluster publishable records into papers; mark the others rejected.

    ``fates_only``: ``records`` holds just each record's key and fate (schema FATES),
    in file order, and ``normalized`` need not carry the raw text columns; the caller
    pairs the fates with the stored normalised records row by row (a million records'
    raw text is never loaded).

    ``near_threshold`` is the shingle Jaccard similarity from which two texts are near
    duplicates; None switches the near tier off (strong keys only). ``index`` is the
    near index of an earlier run (``Deduplicated.index``, or
    :func:`pipeline.core.dedup.near_index.load_index`); it only saves work, and one made with
    other parameters is ignored.

    ``stored``: the same records, in file order, as a lazy scan of every normalised
    column (with ``fates_only``). Texts and the wide columns of papers and variants are
    then read from it when needed, so ``normalized`` need only hold the columns
    decided on (:data:`NARROW_COLUMNS`, ``abstract_len`` for the abstract) and a
    million records' text is never held at once.

    ``canonical``: how a paper's canonical record is chosen, names of
    :data:`CANONICAL_CRITERIA` in order of precedence; ties go to the first position.
    """
    unknown = [name for name in canonical if name not in CANONICAL_CRITERIA]
    if unknown:
        raise ValueError(
            f"unknown canonical criteria {unknown}: choose from {sorted(CANONICAL_CRITERIA)}"
        )
    # Records in file order; input from ingest already is, and then no copy is made (at
    # 1M records a sorted copy of the wide frame is ~3.5 GB).
    order = normalized.select(pl.arg_sort_by(*RECORD_KEY)).to_series()
    in_order = bool((order.to_numpy() == np.arange(normalized.height)).all())
    if stored is not None and not (in_order and fates_only):
        raise ValueError("with stored records, pass them in file order and ask for fates only")
    ordered = normalized if in_order else normalized[order]
    source = RecordSource(stored) if stored is not None else RecordSource.of(ordered)
    is_ok = ordered["reason"].is_null()
    abstract_len = (
        pl.col("abstract_len")
        if "abstract_len" in ordered.columns
        else pl.col("abstract").str.len_chars()
    )
    ok = (
        ordered.select(
            "content_hash",
            "arxiv_id",
            "doi",
            "scrape_date",
            "source_file",
            "record_index",
            "title_key",
            "code_url",
            "repo_url",
            abstract_len=abstract_len,
        )
        .with_row_index("node")
        .filter(is_ok)
        .with_row_index("local")
    )
    # Preference for canonical: the criteria in order, then the first position (the
    # smallest record key); deterministic and independent of input order.
    columns = [CANONICAL_CRITERIA[name][0] for name in canonical]
    pref_order = ok.sort(
        [*columns, *RECORD_KEY],
        descending=[*(CANONICAL_CRITERIA[name][1] for name in canonical), False, False],
        nulls_last=True,
    )["local"].to_numpy()
    pref = np.empty(ok.height, dtype=np.int64)
    pref[pref_order] = np.arange(ok.height)
    ok = ok.with_columns(pref=pl.Series(pref))

    texts = _Texts(source, ok)
    ok = ok.join(texts.table.select("content_hash", "t"), on="content_hash").sort("local")
    near = pl.DataFrame(schema={"a": pl.UInt32, "b": pl.UInt32, "similarity": pl.Float64})
    stats: dict = {}
    usable = empty_index()
    new_signatures = pl.DataFrame(schema=SIGNATURES_SCHEMA)
    if near_threshold is not None and ok.height:
        usable, texts.known = _index_parts(index, texts.table)
        stats["index"] = (
            "none" if index is None else "used" if index.compatible else "ignored: other parameters"
        )
        sig, new_signatures, sig_stats = _signatures(texts, usable)
        near, near_stats = _near_edges(texts, sig, near_threshold)
        del sig
        stats.update({"texts": len(texts), **near_stats, **sig_stats})

    titled = title_edges(ok, source)
    stats["title_links"] = dict(titled.group_by("kind").len().sort("kind").iter_rows())
    group = _strong_groups(ok, titled)
    label, detached = (group, 0)
    if near_threshold is not None and not near.is_empty():
        label, detached = _split_chains(ok, group, near, texts, near_threshold)
    ok = ok.with_columns(label=pl.Series(label))
    # The canonical record of each cluster, and the id: it comes from the first sighting,
    # not the canonical text, so a paper keeps its id when a longer version of its
    # abstract turns up later.
    first_seen = pl.struct("scrape_date", *RECORD_KEY)
    ok = ok.with_columns(
        canonical=pl.col("pref") == pl.col("pref").min().over("label"),
        canonical_t=pl.col("t").sort_by("pref").first().over("label"),
        canonical_hash=pl.col("content_hash").sort_by("pref").first().over("label"),
        id_hash=pl.col("content_hash").sort_by(first_seen).first().over("label"),
    )
    # Similarity of each text to its canonical text: mostly verified already.
    variant_pairs = (
        ok.filter(pl.col("t") != pl.col("canonical_t")).select("t", "canonical_t").unique()
    )
    similarity = variant_pairs.with_columns(
        similarity=pl.Series(
            texts.similarity(
                variant_pairs["t"].to_numpy(), variant_pairs["canonical_t"].to_numpy()
            ),
            dtype=pl.Float64,
        )
    )
    shared = {k: pl.col(k).is_not_null() & (pl.len().over("label", k) > 1) for k in STRONG_KEYS}

    def linked_by(kind: str) -> pl.Series:
        """The texts a title link of ``kind`` touches (both ends): every record with one
        of them was joined that way."""
        ends = titled.filter(pl.col("kind") == kind)
        touched = pl.concat([ends["a"], ends["b"]])
        return ok.filter(pl.col("local").is_in(touched.implode()))["t"].unique()

    by_repo, by_prefix = linked_by(TITLE_AND_REPO), linked_by(TITLE_AND_PREFIX)

    same_text = pl.col("t") == pl.col("canonical_t")
    ok = (
        ok.join(similarity, on=["t", "canonical_t"], how="left")
        .with_columns(
            paper_id=paper_id_from_hash(pl.col("id_hash")),
            status=pl.when("canonical").then(pl.lit(PUBLISHED)).otherwise(pl.lit(DUPLICATE)),
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
            .when(pl.col("t").is_in(by_repo.implode()))
            .then(pl.lit(TITLE_AND_REPO))
            .when(pl.col("t").is_in(by_prefix.implode()))
            .then(pl.lit(TITLE_AND_PREFIX))
            .otherwise(pl.lit("similarity")),
            similarity=pl.when(same_text).then(pl.lit(1.0)).otherwise(pl.col("similarity")),
        )
        .sort("local")
    )
    fate = ["paper_id", "status", "duplicate_kind", "matched_on", "similarity"]
    outcome = (
        pl.DataFrame({"node": pl.int_range(ordered.height, eager=True, dtype=pl.UInt32)})
        .join(ok.select("node", *fate), on="node", how="left")
        .sort("node")
        .with_columns(status=pl.col("status").fill_null(pl.lit(REJECTED)))
    )
    kept = ordered.select(RECORD_KEY) if fates_only else ordered
    records = pl.concat([kept, outcome.select(fate)], how="horizontal")
    stats.update(_cluster_stats(ok, source, near_threshold))
    stats["near_records_detached"] = detached
    new_index = None
    if near_threshold is not None:
        new_index = _grown_index(usable, new_signatures, texts)
        stats["pairs_reused"] = texts.reused
        stats["pairs_verified"] = texts.verified()
    return Deduplicated(
        records=schema.conform(records, schema.FATES if fates_only else schema.RECORDS, "records"),
        stats=stats,
        index=new_index,
        _clustered=ok,
        _source=source,
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
    them: the fates of :func:`cluster_duplicates` (``fates_only``) beside the
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
    return schema.conform(_papers(clustered, source), schema.PAPERS, "papers")


def variants_from_fates(
    fates: pl.DataFrame, narrow: pl.DataFrame, source: RecordSource
) -> pl.DataFrame:
    """variants.parquet from the fates, as :func:`papers_from_fates`."""
    clustered = clustered_records(fates, narrow)
    return schema.conform(_variants(clustered, source), schema.VARIANTS, "variants")


def _grown_index(usable: NearIndex, new_signatures: pl.DataFrame, texts: _Texts) -> NearIndex:
    """The index for the next run: what it held plus what this run computed. Entries of
    texts no longer present stay: they are facts, and the text may come back."""
    return NearIndex(
        params=params_fingerprint(),
        signatures=pl.concat([usable.signatures, new_signatures]),
        pairs=pl.concat([usable.pairs, texts.new_pairs()]),
        saved=usable.saved,  # what was loaded is on disk already: a save appends the rest
    )


def _cluster_stats(ok: pl.DataFrame, source: RecordSource, threshold: float | None) -> dict:
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


def _variants(ok: pl.DataFrame, source: RecordSource) -> pl.DataFrame:
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


def _papers(ok: pl.DataFrame, source: RecordSource) -> pl.DataFrame:
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
