"""Compiled kernels over the UTF-8 bytes of texts: word 3-shingles, MinHash signatures
and exact Jaccard similarities, one pass over each text's bytes.

Why compiled: shingling is the dedup stage's hot spot. Built from polars expressions
(lowercase, split, explode, hash, then numpy 3-grams and ``minimum.at``), a million
texts took ~19 s and ~200M intermediate rows; a numba loop over the bytes keeps one
text's shingles at a time and runs on every core (``prange``). Kernels are compiled
once and cached on disk (``cache=True``). numba's default threading layer
(workqueue) does not allow two threads of one process to run parallel kernels at
once; the pipeline calls them from one thread per process.

Words are runs of word bytes: ASCII letters and digits (lowercased here) and every
byte of a multi-byte UTF-8 character. On ASCII text that is exactly the ``[\\p{L}\\p{N}]+``
of :data:`pipeline.core.dedup.near_dup.WORD_PATTERN`; texts with other characters are first
rewritten by polars into their lowercased words joined by spaces (see
:func:`pipeline.core.dedup.near_dup.text_bytes`), so both kinds of text hash the same word
the same way. A word's hash is FNV-1a 64 of its bytes; a shingle is three consecutive
word hashes combined (a text of fewer than three words has its words as shingles).
"""

from __future__ import annotations

import numba as nb
import numpy as np

from pipeline.core.dedup.shingle_params import (
    BIN_SHIFT,
    C1,
    C2,
    EMPTY,
    FNV_OFFSET,
    FNV_PRIME,
    MIX,
    NUM_BINS,
    SIGNATURE_SEED,
    VALUE_MASK,
)


@nb.njit(cache=True, nogil=True)
def mix64(x: np.uint64) -> np.uint64:  # pragma: no cover - compiled
    """splitmix64's finaliser: a shingle's top bits (its bin) and the rest (its value)
    behave as independent hashes."""
    x = x ^ SIGNATURE_SEED
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


@nb.njit(cache=True, nogil=True)
def _shingles_into(data, start, end, table, out):  # pragma: no cover - compiled
    """Write the shingle hashes of ``data[start:end]`` (repeats kept) into ``out``
    (at least (end - start) // 2 + 3 long); return how many."""
    h0 = np.uint64(0)
    h1 = np.uint64(0)
    words = 0
    count = 0
    in_word = False
    h = FNV_OFFSET
    for pos in range(start, end + 1):
        c = table[data[pos]] if pos < end else np.uint8(0)
        if c != 0:
            if not in_word:
                in_word = True
                h = FNV_OFFSET
            h = (h ^ np.uint64(c)) * FNV_PRIME
        elif in_word:
            in_word = False
            if words >= 2:
                out[count] = h0 * C1 + h1 * C2 + h
                count += 1
            elif words < 2:
                # Kept in case the text stays under three words.
                out[words] = h
            h0 = h1
            h1 = h
            words += 1
    if words < 3:
        return words  # the words themselves (out[0:words])
    return count


@nb.njit(cache=True, parallel=True)
def minhash(data, offsets, table):  # pragma: no cover - compiled
    """(n, NUM_BINS) uint32 one-permutation MinHash signatures of texts ``i`` =
    ``data[offsets[i]:offsets[i + 1]]``: each shingle mixed once, its top BIN_BITS
    choose the bin, the rest is its value, the minimum kept per bin. Empty bins are
    filled from the next non-empty bin to the right (circularly), plus the distance
    times a constant (Shrivastava & Li's rotation densification), so short texts
    still agree bin by bin. A text without a word is EMPTY (all ones) throughout."""
    n = len(offsets) - 1
    out = np.empty((n, NUM_BINS), dtype=np.uint32)
    for i in nb.prange(n):
        start = offsets[i]
        end = offsets[i + 1]
        buf = np.empty((end - start) // 2 + 3, dtype=np.uint64)
        k = _shingles_into(data, start, end, table, buf)
        bins = np.full(NUM_BINS, EMPTY, dtype=np.uint64)
        for j in range(k):
            mixed = mix64(buf[j])
            b = np.int64(mixed >> BIN_SHIFT)
            value = mixed & VALUE_MASK
            if value < bins[b]:
                bins[b] = value
        if k == 0:
            for b in range(NUM_BINS):
                out[i, b] = np.uint32(0xFFFFFFFF)
            continue
        for b in range(NUM_BINS):
            value = bins[b]
            if value == EMPTY:
                distance = 1
                while bins[(b + distance) % NUM_BINS] == EMPTY:
                    distance += 1
                value = bins[(b + distance) % NUM_BINS] + np.uint64(distance) * MIX
            out[i, b] = np.uint32(value & np.uint64(0xFFFFFFFF))
    return out


@nb.njit(cache=True, parallel=True)
def shingle_sets(data, offsets, table):  # pragma: no cover - compiled
    """Sorted unique shingle hashes of each text: (values, starts), text ``i``'s set is
    ``values[starts[i]:starts[i + 1]]``."""
    n = len(offsets) - 1
    bound = np.empty(n + 1, dtype=np.int64)
    bound[0] = 0
    for i in range(n):
        bound[i + 1] = bound[i] + (offsets[i + 1] - offsets[i]) // 2 + 3
    scratch = np.empty(bound[n], dtype=np.uint64)
    sizes = np.zeros(n, dtype=np.int64)
    for i in nb.prange(n):
        part = scratch[bound[i] : bound[i + 1]]
        k = _shingles_into(data, offsets[i], offsets[i + 1], table, part)
        if k == 0:
            continue
        part[:k] = np.sort(part[:k])
        unique = 1
        for j in range(1, k):
            if part[j] != part[unique - 1]:
                part[unique] = part[j]
                unique += 1
        sizes[i] = unique
    starts = np.empty(n + 1, dtype=np.int64)
    starts[0] = 0
    for i in range(n):
        starts[i + 1] = starts[i] + sizes[i]
    values = np.empty(starts[n], dtype=np.uint64)
    for i in nb.prange(n):
        values[starts[i] : starts[i + 1]] = scratch[bound[i] : bound[i] + sizes[i]]
    return values, starts


@nb.njit(cache=True, parallel=True)
def pair_jaccard(values, starts, a, b):  # pragma: no cover - compiled
    """Jaccard similarity of the shingle sets of texts ``a[i]`` and ``b[i]`` (sets from
    :func:`shingle_sets`), by merging the two sorted sets; 0 when both are empty."""
    out = np.zeros(len(a), dtype=np.float64)
    for i in nb.prange(len(a)):
        x, x_end = starts[a[i]], starts[a[i] + 1]
        y, y_end = starts[b[i]], starts[b[i] + 1]
        union = (x_end - x) + (y_end - y)
        common = 0
        while x < x_end and y < y_end:
            if values[x] == values[y]:
                common += 1
                x += 1
                y += 1
            elif values[x] < values[y]:
                x += 1
            else:
                y += 1
        union -= common
        if union > 0:
            out[i] = common / union
    return out


@nb.njit(cache=True, parallel=True)
def bucket_pairs(rows, run_starts, pair_offsets, sig8, min_estimate):  # pragma: no cover
    """Pairs of rows that share a bucket, with the signature estimate of each, fused so
    that ~10M candidate pairs at 1M texts never exist as gathered signatures.

    ``rows`` are the texts of each bucket, bucket after bucket, ascending within one;
    bucket ``r`` is ``rows[run_starts[r]:run_starts[r + 1]]`` and its pairs go to
    ``pair_offsets[r]:pair_offsets[r + 1]``. Returns each pair's code ``a << 32 | b``
    (a < b) and whether the share of equal bins of ``sig8`` (the low byte of each
    signature bin) reaches ``min_estimate``."""
    total = pair_offsets[len(pair_offsets) - 1]
    codes = np.empty(total, dtype=np.uint64)
    keep = np.empty(total, dtype=np.bool_)
    width = sig8.shape[1]
    for r in nb.prange(len(run_starts) - 1):
        at = pair_offsets[r]
        lo, hi = run_starts[r], run_starts[r + 1]
        for i in range(lo, hi):
            a = rows[i]
            for j in range(i + 1, hi):
                b = rows[j]
                equal = 0
                for k in range(width):
                    if sig8[a, k] == sig8[b, k]:
                        equal += 1
                codes[at] = (np.uint64(a) << np.uint64(32)) | np.uint64(b)
                # a == b only if two bands' keys of one text collide.
                keep[at] = a < b and equal / width >= min_estimate
                at += 1
    return codes, keep


@nb.njit(cache=True, parallel=True)
def non_ascii(data, offsets):  # pragma: no cover - compiled
    """Whether each text holds a byte outside ASCII."""
    n = len(offsets) - 1
    out = np.zeros(n, dtype=np.bool_)
    for i in nb.prange(n):
        for pos in range(offsets[i], offsets[i + 1]):
            if data[pos] >= 0x80:
                out[i] = True
                break
    return out
