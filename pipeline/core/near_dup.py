"""Near duplicates: MinHash LSH candidates, verified by their exact Jaccard similarity.

Texts are compared as sets of word 3-shingles of the lowercased title and abstract.
Signatures use one-permutation MinHash (one hash per shingle, split into ``K`` bins,
the minimum kept per bin), computed with polars group-bys and numpy: one pass over
the shingles instead of ``K``. Empty bins, common in short texts, are densified by
rotation so equal texts still get equal signatures. Bands of ``r`` bins are hashed
to bucket keys; texts sharing a bucket are candidates, and every candidate pair is
verified by the exact Jaccard similarity of its shingle sets before it may merge
anything.

Bands and rows come from the similarity threshold the way datasketch chooses them:
the (b, r) with b * r = K that minimises the weighted false-positive and
false-negative areas under the S-curve 1 - (1 - s^r)^b.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import polars as pl

SHINGLE_WORDS = 3
NUM_BINS = 128
BIN_BITS = 7  # 2**7 == NUM_BINS
MAX_BUCKET = 200  # larger buckets are boilerplate, not duplicates: they are skipped
CHUNK_ROWS = 20_000
# How far below the threshold a signature estimate may fall and still be verified: the
# standard error of a 128-bin estimate is at most 0.045, so 0.15 is over 3 of them.
ESTIMATE_SLACK = 0.15
_MIX = np.uint64(0x9E3779B97F4A7C15)
_EMPTY = np.uint64(0xFFFFFFFFFFFFFFFF)
_C1 = 0x100000001B3
_C2 = 0xC2B2AE3D27D4EB4F


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


def shingles(texts: pl.Series) -> pl.DataFrame:
    """Unique (row, shingle hash) pairs: word 3-grams; texts under 3 words use their words.

    Built in chunks: the exploded words of a large corpus would otherwise hold several
    GB at once, while the result (12 bytes a shingle) is small.
    """
    parts = [
        _shingles(texts.slice(start, CHUNK_ROWS), start)
        for start in range(0, texts.len(), CHUNK_ROWS)
    ]
    if not parts:
        return pl.DataFrame(schema={"row": pl.UInt32, "shingle": pl.UInt64})
    return pl.concat(parts)


def _shingles(texts: pl.Series, offset: int) -> pl.DataFrame:
    words = (
        pl.DataFrame({"text": texts})
        .with_row_index("row", offset=offset)
        .select(
            "row",
            w=pl.col("text").str.to_lowercase().str.extract_all(r"[\p{L}\p{N}]+"),
        )
        .explode("w")
        .drop_nulls("w")
        .with_columns(h=pl.col("w").hash(seed=1))
    )
    nxt1 = pl.col("h").shift(-1).over("row")
    nxt2 = pl.col("h").shift(-2).over("row")
    grams = words.select(
        "row",
        shingle=pl.col("h") * pl.lit(_C1, pl.UInt64) + nxt1 * pl.lit(_C2, pl.UInt64) + nxt2,
    ).drop_nulls()
    short_rows = words.join(grams.select("row").unique(), on="row", how="anti").select(
        "row", shingle=pl.col("h")
    )
    return pl.concat([grams, short_rows]).unique()


def signatures(sh: pl.DataFrame, n_rows: int) -> np.ndarray:
    """One-permutation MinHash: (n_rows, NUM_BINS) uint64, empty bins unique per row."""
    shift = 64 - BIN_BITS
    mixed = sh.with_columns(m=(pl.col("shingle") * pl.lit(int(_MIX), pl.UInt64)).hash(seed=7))
    h = mixed["m"].to_numpy()
    rows = mixed["row"].to_numpy().astype(np.int64)
    bins = (h >> np.uint64(shift)).astype(np.int64)
    vals = h & np.uint64((1 << shift) - 1)
    mins = (
        pl.DataFrame({"key": rows * NUM_BINS + bins, "v": vals})
        .group_by("key")
        .agg(pl.col("v").min())
    )
    sig = np.full(n_rows * NUM_BINS, _EMPTY, dtype=np.uint64)
    sig[mins["key"].to_numpy()] = mins["v"].to_numpy()
    return densify(sig.reshape(n_rows, NUM_BINS))


def densify(sig: np.ndarray) -> np.ndarray:
    """Fill each empty bin from the next non-empty bin to its right (circularly), mixed
    with the distance, so short texts still agree bin by bin (Shrivastava & Li's
    rotation densification). A text with no shingle at all gets values of its own."""
    n, k = sig.shape
    empty = sig == _EMPTY
    positions = np.arange(2 * k)
    candidate = np.where(np.concatenate([~empty, ~empty], axis=1), positions, 4 * k)
    nearest = np.minimum.accumulate(candidate[:, ::-1], axis=1)[:, ::-1][:, :k]
    has_any = (~empty).any(axis=1)
    rows = np.arange(n)[:, None]
    source = np.where(nearest < 2 * k, nearest % k, 0)
    distance = (nearest - np.arange(k)).astype(np.uint64)
    with np.errstate(over="ignore"):
        filled = sig[rows, source] + distance * _MIX
        own = (np.arange(n * k, dtype=np.uint64).reshape(n, k) * _MIX) | np.uint64(1 << 63)
    return np.where(empty, np.where(has_any[:, None], filled, own), sig)


def band_keys(sig: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """(n, bands) uint64 bucket keys: each band's ``rows`` values mixed into one."""
    used = sig[:, : bands * rows].reshape(sig.shape[0], bands, rows)
    coefs = (np.arange(1, rows + 1, dtype=np.uint64) * _MIX) | np.uint64(1)
    with np.errstate(over="ignore"):
        return (used * coefs).sum(axis=2, dtype=np.uint64)


def candidate_pairs(keys: np.ndarray) -> tuple[pl.DataFrame, int]:
    """Pairs of rows sharing a bucket in any band; buckets over MAX_BUCKET are skipped."""
    n, bands = keys.shape
    table = pl.DataFrame(
        {
            "row": np.repeat(np.arange(n, dtype=np.uint32), bands),
            "band": np.tile(np.arange(bands, dtype=np.uint16), n),
            "key": keys.reshape(-1),
        }
    )
    sizes = table.group_by("band", "key").len()
    oversized = sizes.filter(pl.col("len") > MAX_BUCKET).height
    shared = table.join(
        sizes.filter((pl.col("len") > 1) & (pl.col("len") <= MAX_BUCKET)).drop("len"),
        on=["band", "key"],
    )
    pairs = (
        shared.join(shared, on=["band", "key"], suffix="_b")
        .filter(pl.col("row") < pl.col("row_b"))
        .select(a="row", b="row_b")
        .unique()
    )
    return pairs, oversized


def jaccard(pairs: pl.DataFrame, sh: pl.DataFrame) -> pl.DataFrame:
    """Exact Jaccard similarity of the shingle sets of each pair (a, b)."""
    if pairs.is_empty():
        return pairs.with_columns(similarity=pl.lit(None, pl.Float64))
    sizes = sh.group_by("row").len()
    inter = (
        pairs.join(sh, left_on="a", right_on="row")
        .join(sh, left_on=["b", "shingle"], right_on=["row", "shingle"])
        .group_by("a", "b")
        .len("common")
    )
    return (
        pairs.join(inter, on=["a", "b"], how="left")
        .join(sizes.rename({"row": "a", "len": "size_a"}), on="a")
        .join(sizes.rename({"row": "b", "len": "size_b"}), on="b")
        .select(
            "a",
            "b",
            similarity=pl.col("common").fill_null(0)
            / (pl.col("size_a") + pl.col("size_b") - pl.col("common").fill_null(0)),
        )
    )


def find_near_duplicates(texts: pl.Series, threshold: float = 0.5) -> NearDuplicates:
    """Pairs of texts whose exact shingle Jaccard similarity is at least ``threshold``."""
    n = texts.len()
    bands, rows = lsh_params(threshold)
    sh = shingles(texts)
    keys = np.empty((n, bands), dtype=np.uint64)
    compact = np.empty((n, NUM_BINS), dtype=np.uint32)  # low 32 bits: enough to compare
    for start in range(0, n, CHUNK_ROWS):
        part = sh.filter(pl.col("row").is_between(start, start + CHUNK_ROWS - 1)).with_columns(
            pl.col("row") - start
        )
        size = min(CHUNK_ROWS, n - start)
        sig = signatures(part, size)
        keys[start : start + size] = band_keys(sig, bands, rows)
        compact[start : start + size] = sig.astype(np.uint32)
    candidates, oversized = candidate_pairs(keys)
    # Cheap first cut: the share of equal bins estimates the Jaccard similarity; only
    # pairs whose estimate comes near the threshold pay for the exact computation.
    a = candidates["a"].to_numpy()
    b = candidates["b"].to_numpy()
    estimate = (compact[a] == compact[b]).mean(axis=1) if len(a) else np.empty(0)
    likely = candidates.filter(pl.Series(estimate >= threshold - ESTIMATE_SLACK))
    verified = jaccard(likely, sh)
    pairs = verified.filter(pl.col("similarity") >= threshold)
    stats = {
        "texts": n,
        "bands": bands,
        "rows": rows,
        "candidates": candidates.height,
        "candidates_after_estimate": likely.height,
        "verified": pairs.height,
        "rejected_candidates": candidates.height - pairs.height,
        "oversized_buckets": oversized,
    }
    return NearDuplicates(pairs=pairs, stats=stats)
