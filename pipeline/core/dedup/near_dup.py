"""Near duplicates: MinHash LSH candidates, verified by their exact Jaccard similarity.

Texts are compared as sets of word 3-shingles of the lowercased title and abstract.
Signatures use one-permutation MinHash (one hash per shingle, split into ``K`` bins,
the minimum kept per bin), computed by compiled kernels in one pass over each text's
bytes (:mod:`pipeline.core.dedup.shingle_kernels`). Empty bins, common in short texts, are
densified by rotation so equal texts still get equal signatures. Bands of ``r`` bins
are hashed to bucket keys; texts sharing a bucket are candidates, and every candidate
pair is verified by the exact Jaccard similarity of its shingle sets before it may
merge anything.

Memory is bounded: only the compact signature (``K`` uint32 values, 512 bytes a text)
is kept; shingle sets are built again, in bounded chunks, only for the texts of the
few candidate pairs that need an exact check.

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
import pyarrow as pa

from pipeline.core.dedup import shingle_params as params

NUM_BINS = params.NUM_BINS
BANDS_AT_ONCE = 8  # bands bucketed together: bounds candidate_pairs' memory
MAX_BUCKET = 200  # larger buckets are boilerplate, not duplicates: they are skipped
# Texts per signature chunk: bounds the bytes copied for the kernel at once.
CHUNK_ROWS = 50_000
# Pairs per chunk of the exact Jaccard check (their texts are shingled per chunk).
VERIFY_CHUNK = 20_000
# How far below the threshold a signature estimate may fall and still be verified: the
# standard error of a 128-bin estimate is at most 0.045, so 0.15 is over 3 of them.
ESTIMATE_SLACK = 0.15
WORD_PATTERN = r"[\p{L}\p{N}]+"
# A text without a single word: its signature is all EMPTY32, and it is never a candidate.
EMPTY32 = np.uint32(0xFFFFFFFF)
# Bumped whenever shingles or signatures change meaning: a persisted index made by
# another version is then ignored (see near_index.params_fingerprint). 3: words hashed
# by FNV-1a in compiled kernels instead of polars' string hash.
ALGORITHM_VERSION = 3


@dataclass(frozen=True)
class NearDuplicates:
    """Verified similar pairs of texts (by position in the input), and run statistics."""

    pairs: pl.DataFrame  # a, b (u32 positions, a < b), similarity (f64)
    stats: dict


@cache
def lsh_params(threshold: float, num_bins: int = NUM_BINS) -> tuple[int, int]:
    """(bands, rows) for ``threshold``, minimising false positives plus false negatives."""
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"a Jaccard threshold lies in (0, 1], got {threshold}")
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


def text_bytes(texts: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    """(UTF-8 bytes, int64 offsets) of ``texts`` as the kernels of
    :mod:`pipeline.core.dedup.shingle_kernels` read them; a null text is empty.

    ASCII texts pass as they are (the kernels split and lowercase them). A text with
    any other character is rewritten first as its lowercased ``WORD_PATTERN`` words
    joined by spaces: Unicode letters and case are polars' job, and the kernels then
    find exactly those words."""
    from pipeline.core.dedup import shingle_kernels as kernels  # numba: imported on use

    text = texts.cast(pl.String).fill_null("").rechunk()
    data, offsets = _buffers(text)
    other = np.flatnonzero(kernels.non_ascii(data, offsets))
    if len(other):
        words = text.gather(other).str.to_lowercase().str.extract_all(WORD_PATTERN)
        text = text.scatter(other, words.list.join(" ")).rechunk()
        data, offsets = _buffers(text)
    return data, offsets


def _buffers(text: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    array = text.to_arrow()
    if array.type != pa.large_string():
        array = array.cast(pa.large_string())
    _, offsets, data = array.buffers()
    offsets = np.frombuffer(offsets, dtype=np.int64)[array.offset : array.offset + len(array) + 1]
    values = np.frombuffer(data, dtype=np.uint8) if data is not None else np.empty(0, np.uint8)
    return values, offsets


def shingle_sets(texts: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    """Sorted unique shingle hashes of each text: (values, starts), text ``i``'s set is
    ``values[starts[i]:starts[i + 1]]``."""
    from pipeline.core.dedup import shingle_kernels as kernels  # numba: imported on use

    data, offsets = text_bytes(texts)
    return kernels.shingle_sets(data, offsets, params.WORD_BYTES)


def signatures(texts: pl.Series) -> np.ndarray:
    """(n, NUM_BINS) uint32 one-permutation MinHash signatures of ``texts`` (see
    :func:`pipeline.core.dedup.shingle_kernels.minhash`), computed in chunks of CHUNK_ROWS
    texts so only one chunk's bytes are copied at a time. A text without words gets
    EMPTY32 throughout."""
    from pipeline.core.dedup import shingle_kernels as kernels  # numba: imported on use

    n = texts.len()
    out = np.empty((n, NUM_BINS), dtype=np.uint32)
    for start in range(0, n, CHUNK_ROWS):
        chunk = texts.slice(start, CHUNK_ROWS)
        data, offsets = text_bytes(chunk)
        out[start : start + chunk.len()] = kernels.minhash(data, offsets, params.WORD_BYTES)
    return out


def band_keys(sig: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """(n, bands) uint64 bucket keys: each band's ``rows`` values mixed into one, and the
    band number mixed in, so one flat column holds every band's buckets. One pass per
    row of a band, never an (n, K) uint64 copy."""
    view = sig[:, : bands * rows].reshape(sig.shape[0], bands, rows)
    keys = np.broadcast_to(
        np.arange(bands, dtype=np.uint64) * params.C2, (sig.shape[0], bands)
    ).copy()
    with np.errstate(over="ignore"):
        for j in range(rows):
            keys += view[:, :, j].astype(np.uint64) * (
                (np.uint64(j + 1) * params.MIX) | np.uint64(1)
            )
    return keys


def candidate_pairs(
    keys: np.ndarray, valid: np.ndarray | None, sig8: np.ndarray, min_estimate: float
) -> tuple[np.ndarray, dict[str, int]]:
    """Pairs of rows sharing a bucket in any band whose signature estimate (share of
    equal bins of ``sig8``) reaches ``min_estimate``, as sorted unique uint64 codes
    ``a << 32 | b`` (a < b); buckets over MAX_BUCKET are skipped. Rows where ``valid``
    is False (texts without words) take no part.

    Depends only on the set of rows' keys and signatures, so the same texts give the
    same candidates whether their signatures were computed now or loaded from an index.
    Bands are bucketed a few at a time (a bucket lies in one band, so the result is the
    same): all 32 bands of a million texts at once is a 32M-row sort. Each bucket's
    pairs are estimated as they are made (:func:`shingle_kernels.bucket_pairs`): at 1M
    texts the buckets hold ~10M pairs, of which ~60k pass.

    ``sig8`` is the low byte of each bin: a quarter of the memory traffic, at a bias of
    at most +1/256, which ESTIMATE_SLACK dwarfs (the estimate only chooses what to
    verify exactly).

    Returns the codes, and counts: ``candidates`` (bucket pairs found, summed over
    bands: a pair sharing two buckets counts twice), ``oversized_buckets``."""

    parts = []
    found = oversized = 0
    for start in range(0, keys.shape[1], BANDS_AT_ONCE):
        codes, pairs, skipped = _band_pairs(
            keys[:, start : start + BANDS_AT_ONCE], valid, sig8, min_estimate
        )
        found += pairs
        oversized += skipped
        parts.append(codes)
    merged = (
        pl.Series(np.concatenate(parts), dtype=pl.UInt64).unique().sort().to_numpy()
        if parts
        else np.empty(0, dtype=np.uint64)
    )
    return merged, {"candidates": found, "oversized_buckets": oversized}


def _band_pairs(
    keys: np.ndarray, valid: np.ndarray | None, sig8: np.ndarray, min_estimate: float
) -> tuple[np.ndarray, int, int]:
    """:func:`candidate_pairs` over some bands: kept codes, pairs found, oversized
    buckets. Keys are sorted (stably, so rows ascend within a bucket) and cut into
    runs of equal keys, the buckets."""
    from pipeline.core.dedup import shingle_kernels as kernels  # numba: imported on use

    bands = keys.shape[1]
    table = pl.DataFrame({"key": keys.reshape(-1)}).with_row_index("i")
    if valid is not None and not valid.all():
        table = table.filter(pl.Series(np.repeat(valid, bands)))
    ordered = table.sort("key", maintain_order=True)
    del table
    key = ordered["key"].to_numpy()
    if len(key) == 0:
        return np.empty(0, dtype=np.uint64), 0, 0
    starts = np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1])))
    del key
    lengths = np.diff(np.append(starts, len(ordered)))
    chosen = (lengths >= 2) & (lengths <= MAX_BUCKET)
    rows = (ordered["i"].to_numpy()[np.repeat(chosen, lengths)] // bands).astype(np.int64)
    del ordered
    size = lengths[chosen].astype(np.int64)
    run_starts = np.concatenate(([0], np.cumsum(size)))
    pair_offsets = np.concatenate(([0], np.cumsum(size * (size - 1) // 2)))
    codes, keep = kernels.bucket_pairs(rows, run_starts, pair_offsets, sig8, min_estimate)
    return codes[keep], len(codes), int((lengths > MAX_BUCKET).sum())


def split_codes(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(a, b) uint32 positions of pair codes ``a << 32 | b``."""
    return (codes >> np.uint64(32)).astype(np.uint32), (codes & np.uint64(0xFFFFFFFF)).astype(
        np.uint32
    )


def exact_similarity(texts_at: TextsAt, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Exact Jaccard similarity of the shingle sets of texts ``a[i]`` and ``b[i]``.

    ``texts_at`` gives the texts of some positions. Shingles are computed per chunk of
    VERIFY_CHUNK pairs, for that chunk's texts only, so memory stays bounded; pairs are
    processed sorted so a text's pairs mostly share a chunk. Two texts without any
    shingle have similarity 0.
    """
    from pipeline.core.dedup import shingle_kernels as kernels  # numba: imported on use

    out = np.zeros(len(a), dtype=np.float64)
    order = np.lexsort((b, a))
    for start in range(0, len(a), VERIFY_CHUNK):
        idx = order[start : start + VERIFY_CHUNK]
        pa, pb = a[idx], b[idx]
        involved = np.unique(np.concatenate([pa, pb]))
        values, starts = shingle_sets(texts_at(involved))
        la = np.searchsorted(involved, pa)
        lb = np.searchsorted(involved, pb)
        out[idx] = kernels.pair_jaccard(values, starts, la, lb)
    return out


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
    codes, counts = candidate_pairs(
        band_keys(sig, bands, rows), valid, sig8, threshold - ESTIMATE_SLACK
    )
    a, b = split_codes(codes)
    stats = {
        "bands": bands,
        "rows": rows,
        "candidates": counts["candidates"],
        "candidates_after_estimate": len(codes),
        "oversized_buckets": counts["oversized_buckets"],
    }
    return a, b, stats


def find_near_duplicates(texts: pl.Series, threshold: float) -> NearDuplicates:
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
