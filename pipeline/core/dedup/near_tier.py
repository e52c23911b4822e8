"""The near tier: texts whose shingle Jaccard similarity is verified to reach the
threshold (see :mod:`pipeline.core.dedup.near_dup`) link their records, unless they
carry different arXiv ids or DOIs.

Near links may chain (A ~ B ~ C with A and C far apart). A group of records joined by
strong keys only joins a cluster through near links when one of its texts is itself
close to the cluster's canonical text; the others are detached and clustered again
among themselves, until nothing moves (:func:`split_chains`).

With a :class:`~pipeline.core.dedup.near_index.NearIndex` from an earlier run, stored
signatures and verified similarities are reused; candidates and every decision are
recomputed, so the result equals a run without the index.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from pipeline.core.dedup.near_dup import NUM_BINS, exact_similarity, likely_pairs, signatures
from pipeline.core.dedup.near_index import (
    PAIRS_SCHEMA,
    SIGNATURES_SCHEMA,
    NearIndex,
    empty_index,
    params_fingerprint,
)
from pipeline.core.dedup.record_texts import RecordSource
from pipeline.core.dedup.strong_keys import components
from pipeline.core.dedup.title_links import id_conflict

# Texts per chunk when building match texts for signatures (bounds the strings held).
TEXT_CHUNK = 100_000
# From a scan, more texts than this get their signatures in one streamed pass instead
# of one filtered scan per chunk.
STREAM_SIGNATURES_FROM = TEXT_CHUNK
_CODES = pl.Schema({"code": pl.UInt64, "similarity": pl.Float64})
_NO_EDGES = pl.Schema({"a": pl.UInt32, "b": pl.UInt32, "similarity": pl.Float64})
MAX_SPLIT_ROUNDS = 100


class NearTexts:
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


@dataclass(frozen=True)
class NearLinks:
    """What the near tier found: accepted pairs of texts (``edges``: a, b, similarity),
    the index it used (an empty one when absent or made with other parameters), the
    signatures it computed (for the next run's index), and its statistics."""

    edges: pl.DataFrame
    usable: NearIndex
    new_signatures: pl.DataFrame
    stats: dict


def near_links(texts: NearTexts, index: NearIndex | None, threshold: float | None) -> NearLinks:
    """The near tier over ``texts``: stored signatures and similarities of ``index``
    reused, the rest computed, candidates verified. Nothing is done when the tier is
    off (``threshold`` None) or there are no texts."""
    if threshold is None or not len(texts):
        return NearLinks(
            pl.DataFrame(schema=_NO_EDGES),
            empty_index(),
            pl.DataFrame(schema=SIGNATURES_SCHEMA),
            {},
        )
    usable, texts.known = _index_parts(index, texts.table)
    used = "none" if index is None else "used" if index.compatible else "ignored: other parameters"
    sig, new_signatures, sig_stats = _signatures(texts, usable)
    edges, near_stats = _near_edges(texts, sig, threshold)
    del sig
    stats = {"index": used, "texts": len(texts), **near_stats, **sig_stats}
    return NearLinks(edges, usable, new_signatures, stats)


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


def _signatures(texts: NearTexts, usable: NearIndex) -> tuple[np.ndarray, pl.DataFrame, dict]:
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
    if texts.source.streams and len(todo) > STREAM_SIGNATURES_FROM:
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


def _streamed_signatures(texts: NearTexts, todo: np.ndarray, sig: np.ndarray) -> None:
    """Signatures of texts ``todo`` computed in one streamed pass over the records: each
    text from its first record, batch by batch, no text held beyond its batch."""
    nodes = texts.first_node[todo]
    order = np.argsort(nodes)
    nodes, todo = nodes[order], todo[order]
    for start, batch in texts.source.match_text_batches():
        lo, hi = np.searchsorted(nodes, [start, start + batch.len()])
        if hi > lo:
            sig[todo[lo:hi]] = signatures(batch.gather(nodes[lo:hi] - start))


def _near_edges(texts: NearTexts, sig: np.ndarray, threshold: float) -> tuple[pl.DataFrame, dict]:
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


def split_chains(
    ok: pl.DataFrame, group: np.ndarray, near: pl.DataFrame, texts: NearTexts, threshold: float
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


def grown_index(usable: NearIndex, new_signatures: pl.DataFrame, texts: NearTexts) -> NearIndex:
    """The index for the next run: what it held plus what this run computed. Entries of
    texts no longer present stay: they are facts, and the text may come back."""
    return NearIndex(
        params=params_fingerprint(),
        signatures=pl.concat([usable.signatures, new_signatures]),
        pairs=pl.concat([usable.pairs, texts.new_pairs()]),
        saved=usable.saved,  # what was loaded is on disk already: a save appends the rest
    )
