"""Near duplicates: MinHash LSH candidates, verified by their exact Jaccard similarity.

Texts are compared as sets of word 3-shingles of the lowercased title and abstract.
Signatures use one-permutation MinHash (one hash per shingle, split into ``K`` bins,
the minimum kept per bin), computed with polars group-bys and numpy: one pass over
the shingles instead of ``K``. Empty bins, common in short texts, are densified by
rotation so equal texts still get equal signatures. Bands of ``r`` bins are hashed
to bucket keys; texts sharing a bucket are candidates, and every candidate pair is
verified by the exact Jaccard similarity of its shingle sets before it may merge
anything.

Memory is bounded by streaming: signatures are computed chunk by chunk and only the
compact signature (``K`` uint32 values, 512 bytes a text) is kept; shingles are
computed again, in bounded chunks, only for the texts of the few candidate pairs that
need an exact check. At 1M texts the shingle table alone would be ~200M rows.

Bands and rows come from the similarity threshold the way datasketch chooses them:
the (b, r) with b * r = K that minimises the weighted false-positive and
false-negative areas under the S-curve 1 - (1 - s^r)^b.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np
import polars as pl

SHINGLE_WORDS = 3
NUM_BINS = 128
BIN_BITS = 7  # 2**7 == NUM_BINS
BANDS_AT_ONCE = 8  # bands bucketed together: bounds candidate_pairs' memory
MAX_BUCKET = 200  # larger buckets are boilerplate, not duplicates: they are skipped
# Texts per signature chunk, split further into PARALLEL_PARTS lazy frames that polars
# runs on all cores. Bounds the exploded words held at once (~4M rows a chunk).
CHUNK_ROWS = 20_000
PARALLEL_PARTS = 4
# Candidate pairs per chunk of the signature estimate (two 512-byte gathers a pair).
ESTIMATE_CHUNK = 200_000
# Pairs per chunk of the exact Jaccard check (their texts are shingled per chunk).
VERIFY_CHUNK = 5_000
# How far below the threshold a signature estimate may fall and still be verified: the
# standard error of a 128-bin estimate is at most 0.045, so 0.15 is over 3 of them.
ESTIMATE_SLACK = 0.15
WORD_PATTERN = r"[\p{L}\p{N}]+"
WORD_SEED = 1
SIGNATURE_SEED = 7
_MIX = np.uint64(0x9E3779B97F4A7C15)
_EMPTY = np.uint64(0xFFFFFFFFFFFFFFFF)
# A text without a single word: its signature is all EMPTY32, and it is never a candidate.
EMPTY32 = np.uint32(0xFFFFFFFF)
_C1 = 0x100000001B3
_C2 = 0xC2B2AE3D27D4EB4F
# Bumped whenever shingles or signatures change meaning: a persisted index made by
# another version is then ignored (see near_index.params_fingerprint).
ALGORITHM_VERSION = 2


@dataclass(frozen=True)
class NearDuplicates:
    """Verified similar pairs of texts (by position in the input), and run statistics."""

    pairs: pl.DataFrame  # a, b (u32 positions, a < b), similarity (f64)
    stats: dict


@cache
def lsh_params(threshold: float, num_bins: int = NUM_BINS) -> tuple[int, int]:
    """(bands, rows) for ``threshold``, minimising false positives plus false negatives."""
    grid = np.linspace(0.0, 1.0, 201)

    def area(curve: np.ndarray, mask: np.ndarray) -> float:
        return float(np.trapezoid(curve[mask], grid[mask])) if mask.any() else 0.0

    best, best_err = (num_bins, 1), float("inf")
    for rows in range(1, num_bins + 1):
        if num_bins % rows:
            continue
        bands = num_bins // rows
        p = 1.0 - (1.0 - grid**rows) ** bands
        error = area(p, grid <= threshold) + area(1.0 - p, grid >= threshold)
        if error < best_err:
            best, best_err = (bands, rows), error
    return best


TextsAt = Callable[[np.ndarray], pl.Series]
"""Texts by position: lets callers build texts chunk by chunk instead of all at once."""

# Every ASCII character that is not a letter or digit, to a space: on ASCII text this
# splits exactly where WORD_PATTERN does, and Aho-Corasick replacement plus a literal
# split is ~1.5x faster than extracting regex matches. Other texts take the regex.
_ASCII_NON_WORD = {chr(c): " " for c in range(128) if not chr(c).isalnum()}


def _word_query(texts: pl.Series, offset: int) -> pl.LazyFrame:
    """(row, short, h): each word's hash in text order, rows contiguous; ``short`` marks
    texts of fewer than SHINGLE_WORDS words (their words are their shingles)."""
    lowered = (
        pl.LazyFrame({"text": texts})
        .with_row_index("row", offset=offset)
        .select("row", low=pl.col("text").str.to_lowercase())
    )
    is_ascii = pl.col("low").str.len_bytes() == pl.col("low").str.len_chars()
    ascii_words = lowered.filter(is_ascii).select(
        "row", w=pl.col("low").str.replace_many(_ASCII_NON_WORD).str.split(" ")
    )
    other_words = lowered.filter(~is_ascii).select(
        "row", w=pl.col("low").str.extract_all(WORD_PATTERN)
    )
    return (
        pl.concat([ascii_words, other_words])
        .with_columns(w=pl.col("w").list.filter(pl.element().str.len_bytes() > 0))
        .with_columns(short=pl.col("w").list.len() < SHINGLE_WORDS)
        .explode("w")
        .drop_nulls("w")
        .select("row", "short", h=pl.col("w").hash(seed=WORD_SEED))
    )


def _parallel(texts: pl.Series, query: Callable[[pl.Series, int], pl.LazyFrame]) -> pl.DataFrame:
    """``query`` over PARALLEL_PARTS slices of ``texts``, collected together so polars
    runs them on every core (a string expression on one series runs on one)."""
    step = max(1, -(-texts.len() // PARALLEL_PARTS))
    parts = [query(texts.slice(start, step), start) for start in range(0, texts.len(), step)]
    return pl.concat(pl.collect_all(parts))


def _shingle_arrays(texts: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    """(row, shingle hash) of every word 3-gram of ``texts``, duplicates kept; texts under
    3 words use their words. The 3-grams are built with numpy slices over the exploded
    words (rows are contiguous), far cheaper than a shift over a polars window."""
    if texts.is_empty():
        return np.empty(0, dtype=np.uint32), np.empty(0, dtype=np.uint64)
    words = _parallel(texts, _word_query)
    rows = words["row"].to_numpy()
    h = words["h"].to_numpy()
    short = words["short"].to_numpy()
    same = rows[2:] == rows[:-2]
    with np.errstate(over="ignore"):
        gram = h[:-2] * np.uint64(_C1) + h[1:-1] * np.uint64(_C2) + h[2:]
    return (
        np.concatenate([rows[:-2][same], rows[short]]),
        np.concatenate([gram[same], h[short]]),
    )


def shingles(texts: pl.Series) -> pl.DataFrame:
    """Unique (row u32, shingle u64) pairs of ``texts``. Only for small inputs (tests, the
    texts of a verification chunk): a large corpus's table holds ~200 rows a text."""
    rows, values = _shingle_arrays(texts)
    return pl.DataFrame(
        {"row": rows, "shingle": values}, schema={"row": pl.UInt32, "shingle": pl.UInt64}
    ).unique()


def _mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: every input bit moves every output bit, so a shingle's top
    bits (its bin) and the rest (its value) behave as independent hashes."""
    with np.errstate(over="ignore"):
        x = x ^ np.uint64(SIGNATURE_SEED)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


def signatures(texts: pl.Series) -> np.ndarray:
    """(n, NUM_BINS) uint32 one-permutation MinHash signatures of ``texts``, streamed in
    chunks of CHUNK_ROWS so the shingles of only one chunk exist at a time. Each shingle
    is mixed once; its top BIN_BITS choose the bin, the rest is the value, and the
    minimum per bin is a numpy ``minimum.at`` (no group-by). A text without words gets
    EMPTY32 throughout."""
    n = texts.len()
    out = np.empty((n, NUM_BINS), dtype=np.uint32)
    shift = np.uint64(64 - BIN_BITS)
    for start in range(0, n, CHUNK_ROWS):
        chunk = texts.slice(start, CHUNK_ROWS)
        size = chunk.len()
        rows, values = _shingle_arrays(chunk)
        mixed = _mix64(values)
        key = rows.astype(np.int64) * NUM_BINS + (mixed >> shift).astype(np.int64)
        sig = np.full(size * NUM_BINS, _EMPTY, dtype=np.uint64)
        np.minimum.at(sig, key, mixed & np.uint64((1 << (64 - BIN_BITS)) - 1))
        out[start : start + size] = densify(sig.reshape(size, NUM_BINS)).astype(np.uint32)
    return out


def densify(sig: np.ndarray) -> np.ndarray:
    """Fill each empty bin from the next non-empty bin to its right (circularly), mixed
    with the distance, so short texts still agree bin by bin (Shrivastava & Li's
    rotation densification). Works on the empty positions only, one distance at a time:
    few bins are empty and gaps are short. A row with no value at all stays empty."""
    k = sig.shape[1]
    empty = sig == _EMPTY
    out = sig.copy()
    has_any = ~empty.all(axis=1)
    rows, cols = np.nonzero(empty & has_any[:, None])
    distance = 1
    while rows.size:
        value = sig[rows, (cols + distance) % k]
        hit = value != _EMPTY
        with np.errstate(over="ignore"):
            out[rows[hit], cols[hit]] = value[hit] + np.uint64(distance) * _MIX
        rows, cols = rows[~hit], cols[~hit]
        distance += 1
    out[~has_any] = _EMPTY
    return out


def band_keys(sig: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """(n, bands) uint64 bucket keys: each band's ``rows`` values mixed into one, and the
    band number mixed in, so one flat column holds every band's buckets. One pass per
    row of a band, never an (n, K) uint64 copy."""
    view = sig[:, : bands * rows].reshape(sig.shape[0], bands, rows)
    keys = np.broadcast_to(
        np.arange(bands, dtype=np.uint64) * np.uint64(_C2), (sig.shape[0], bands)
    ).copy()
    with np.errstate(over="ignore"):
        for j in range(rows):
            keys += view[:, :, j].astype(np.uint64) * ((np.uint64(j + 1) * _MIX) | np.uint64(1))
    return keys


PairFilter = Callable[[np.ndarray], np.ndarray]
"""Given pair codes, a boolean mask of those to keep."""


def candidate_pairs(
    keys: np.ndarray, valid: np.ndarray | None = None, keep: PairFilter | None = None
) -> tuple[np.ndarray, dict[str, int]]:
    """Pairs of rows sharing a bucket in any band, as sorted unique uint64 codes
    ``a << 32 | b`` (a < b); buckets over MAX_BUCKET are skipped. Rows where ``valid``
    is False (texts without words) take no part; ``keep`` filters pairs.

    Depends only on the set of rows' keys, so the same texts give the same candidates
    whether their signatures were computed now or loaded from an index. Bands are
    bucketed a few at a time (a bucket lies in one band, so the result is the same):
    all 32 bands of a million texts at once built a 32M-row table and its hash sets,
    about 2 GB more at the peak. ``keep`` runs on each group's pairs before they are
    merged: at 1M texts the groups find ~10M pairs, of which ~60k pass the signature
    estimate, and the union of the unfiltered groups (a 40M-code unique) took longer
    than everything else together.

    Returns the codes, and counts: ``candidates`` (pairs found per group, summed: a
    pair found in two groups counts twice), ``oversized_buckets``."""
    parts = []
    found = oversized = 0
    for start in range(0, keys.shape[1], BANDS_AT_ONCE):
        codes, skipped = _band_pairs(keys[:, start : start + BANDS_AT_ONCE], valid)
        found += len(codes)
        oversized += skipped
        parts.append(codes if keep is None else codes[keep(codes)])
    merged = (
        pl.Series(np.concatenate(parts), dtype=pl.UInt64).unique().sort().to_numpy()
        if parts
        else np.empty(0, dtype=np.uint64)
    )
    return merged, {"candidates": found, "oversized_buckets": oversized}


def _band_pairs(keys: np.ndarray, valid: np.ndarray | None) -> tuple[np.ndarray, int]:
    """:func:`candidate_pairs` over some bands: unique codes and oversized buckets."""
    bands = keys.shape[1]
    flat = keys.reshape(-1)
    rows = np.repeat(np.arange(keys.shape[0], dtype=np.uint32), bands)
    if valid is not None and not valid.all():
        keep = np.repeat(valid, bands)
        rows, flat = rows[keep], flat[keep]
    table = pl.DataFrame({"row": rows, "key": flat})
    del rows, flat
    shared = table.filter(pl.col("key").is_duplicated())
    del table
    sizes = shared.group_by("key").len()
    oversized = sizes.filter(pl.col("len") > MAX_BUCKET).height
    shared = shared.join(sizes.filter(pl.col("len") <= MAX_BUCKET).drop("len"), on="key")
    codes = (
        shared.join(shared, on="key", suffix="_b")
        .filter(pl.col("row") < pl.col("row_b"))
        .select(code=pl.col("row").cast(pl.UInt64) * (1 << 32) + pl.col("row_b"))
        .unique()
    )
    return codes["code"].to_numpy(), oversized


def split_codes(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(a, b) uint32 positions of pair codes ``a << 32 | b``."""
    return (codes >> np.uint64(32)).astype(np.uint32), (codes & np.uint64(0xFFFFFFFF)).astype(
        np.uint32
    )


def estimate(sig8: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Share of equal signature bins of each pair, an estimate of their Jaccard similarity,
    in chunks so the gathered signatures stay small. ``sig8`` is the low byte of each
    bin: a quarter of the memory traffic, at a bias of at most +1/256, which the
    ESTIMATE_SLACK of 0.15 dwarfs (the estimate only chooses what to verify exactly)."""
    out = np.empty(len(a), dtype=np.float64)
    for start in range(0, len(a), ESTIMATE_CHUNK):
        end = start + ESTIMATE_CHUNK
        out[start:end] = (sig8[a[start:end]] == sig8[b[start:end]]).mean(axis=1)
    return out


def exact_similarity(texts_at: TextsAt, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Exact Jaccard similarity of the shingle sets of texts ``a[i]`` and ``b[i]``.

    ``texts_at`` gives the texts of some positions. Shingles are computed per chunk of
    VERIFY_CHUNK pairs, for that chunk's texts only, so memory stays bounded; pairs are
    processed sorted so a text's pairs mostly share a chunk. Two texts without any
    shingle have similarity 0.
    """
    out = np.zeros(len(a), dtype=np.float64)
    order = np.lexsort((b, a))
    for start in range(0, len(a), VERIFY_CHUNK):
        idx = order[start : start + VERIFY_CHUNK]
        pa, pb = a[idx], b[idx]
        involved = np.unique(np.concatenate([pa, pb]))
        sh = shingles(texts_at(involved))  # row = position in ``involved``
        sizes = np.bincount(sh["row"].to_numpy(), minlength=len(involved))
        la = np.searchsorted(involved, pa).astype(np.uint32)
        lb = np.searchsorted(involved, pb).astype(np.uint32)
        pairs = pl.DataFrame({"i": np.arange(len(idx), dtype=np.uint32), "a": la, "b": lb})
        common = (
            pairs.join(sh, left_on="a", right_on="row")
            .join(sh, left_on=["b", "shingle"], right_on=["row", "shingle"])
            .group_by("i")
            .len()
        )
        inter = np.zeros(len(idx), dtype=np.float64)
        inter[common["i"].to_numpy()] = common["len"].to_numpy()
        union = sizes[la] + sizes[lb] - inter
        out[idx] = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
    return out


def jaccard(pairs: pl.DataFrame, sh: pl.DataFrame) -> pl.DataFrame:
    """Exact Jaccard similarity of each pair (a, b) given their unique shingle table."""
    if pairs.is_empty():
        return pairs.with_columns(similarity=pl.lit(None, pl.Float64))
    sizes = sh.group_by("row").len()
    inter = (
        pairs.join(sh, left_on="a", right_on="row")
        .join(sh, left_on=["b", "shingle"], right_on=["row", "shingle"])
        .group_by("a", "b")
        .len("common")
    )
    common = pl.col("common").fill_null(0)
    union = pl.col("size_a").fill_null(0) + pl.col("size_b").fill_null(0) - common
    return (
        pairs.join(inter, on=["a", "b"], how="left")
        .join(sizes.rename({"row": "a", "len": "size_a"}), on="a", how="left")
        .join(sizes.rename({"row": "b", "len": "size_b"}), on="b", how="left")
        .select("a", "b", similarity=pl.when(union > 0).then(common / union).otherwise(0.0))
    )


def likely_pairs(
    sig: np.ndarray, threshold: float
) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
    """Candidate pairs (a, b positions, a < b, sorted) of the signatures whose estimate
    comes within ESTIMATE_SLACK of ``threshold``: the pairs that deserve an exact check.

    A pure function of the signatures (and threshold), so reusing stored signatures
    cannot change which pairs are checked."""
    bands, rows = lsh_params(threshold)
    valid = ~(sig == EMPTY32).all(axis=1)
    sig8 = sig.astype(np.uint8)

    def close_enough(codes: np.ndarray) -> np.ndarray:
        return estimate(sig8, *split_codes(codes)) >= threshold - ESTIMATE_SLACK

    codes, counts = candidate_pairs(band_keys(sig, bands, rows), valid, close_enough)
    a, b = split_codes(codes)
    stats = {
        "bands": bands,
        "rows": rows,
        "candidates": counts["candidates"],
        "candidates_after_estimate": len(codes),
        "oversized_buckets": counts["oversized_buckets"],
    }
    return a, b, stats


def find_near_duplicates(texts: pl.Series, threshold: float = 0.5) -> NearDuplicates:
    """Pairs of texts whose exact shingle Jaccard similarity is at least ``threshold``."""
    a, b, stats = likely_pairs(signatures(texts), threshold)
    similarity = exact_similarity(texts.gather, a, b)
    accepted = similarity >= threshold
    pairs = pl.DataFrame(
        {"a": a[accepted], "b": b[accepted], "similarity": similarity[accepted]},
        schema={"a": pl.UInt32, "b": pl.UInt32, "similarity": pl.Float64},
    )
    stats = {
        "texts": texts.len(),
        **stats,
        "verified": pairs.height,
        "rejected_candidates": stats["candidates_after_estimate"] - pairs.height,
    }
    return NearDuplicates(pairs=pairs, stats=stats)
