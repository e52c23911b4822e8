"""Walks of the word Markov chains: many texts advanced together, one numpy step for
all of them, stopping at a sentence (or title) end past their target length."""

from __future__ import annotations

import numpy as np
import polars as pl
import pyarrow as pa

from bench.corpus.draws import draw, draw_below, mix
from bench.corpus.sample import END, Chain
from bench.corpus.shape import WALK_CHUNK


def walk_chains(
    chain: Chain,
    keys: np.ndarray,
    targets: np.ndarray,
    floors: np.ndarray,
    ceilings: np.ndarray,
    order1_share: float,
    max_tokens: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Walks in chunks, so the token matrix stays small whatever the batch size."""
    flats, lengths = [], []
    for lo in range(0, keys.size, WALK_CHUNK):
        hi = lo + WALK_CHUNK
        flat, length = _walk_chunk(
            chain,
            keys[lo:hi],
            targets[lo:hi],
            floors[lo:hi],
            ceilings[lo:hi],
            order1_share,
            max_tokens,
        )
        flats.append(flat)
        lengths.append(length)
    if not flats:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(flats), np.concatenate(lengths)


def _walk_chunk(
    chain: Chain,
    keys: np.ndarray,
    targets: np.ndarray,
    floors: np.ndarray,
    ceilings: np.ndarray,
    order1_share: float,
    max_tokens: int,
) -> tuple[np.ndarray, np.ndarray]:
    """One Markov walk per key, all at once: (token ids flattened row by row, counts).

    A walk stops on a token it may end on once it has ``targets`` characters, or at a
    document's end once it has ``floors`` characters; a document's end reached sooner
    sends it on from a jump position. Past ``ceilings`` characters it stops on any
    token it may softly end on (a title word that is not a function word).
    """
    n = keys.size
    out = np.zeros((n, max_tokens), np.int32)
    h = draw(keys, 0)
    pos = chain.starts[draw_below(h, chain.starts.size)]
    out[:, 0] = chain.seq[pos]
    chars = chain.tok_chars[out[:, 0]].copy()
    length = np.ones(n, np.int64)
    last_ok = np.where(chain.soft_ok[pos], 1, 0)
    threshold = np.uint64(int(order1_share * 65536))
    active = np.arange(n)
    for step in range(1, max_tokens):
        if not active.size:
            break
        h = draw(keys[active], step)
        p = pos[active]
        ctx = np.where((h & np.uint64(0xFFFF)) < threshold, chain.ctx1[p], chain.ctx2[p])
        nxt = chain.members[chain.first[ctx] + draw_below(h, chain.count[ctx])] + 1
        tok = chain.seq[nxt]
        at_end = tok == END
        finished = at_end & (chars[active] >= floors[active])
        jump = at_end & ~finished
        if jump.any():
            nxt[jump] = chain.jumps[draw_below(mix(h[jump]), chain.jumps.size)]
            tok = chain.seq[nxt]
        go = ~finished
        rows, nxt, tok = active[go], nxt[go], tok[go]
        out[rows, step] = tok
        pos[rows] = nxt
        chars[rows] += 1 + chain.tok_chars[tok]
        length[rows] = step + 1
        soft = chain.soft_ok[nxt]
        last_ok[rows[soft]] = step + 1
        c = chars[rows]
        stop = (chain.stop_ok[nxt] & (c >= targets[rows])) | (soft & (c >= ceilings[rows]))
        active = rows[~stop]
    # A walk that ran out of tokens is cut back to its last good ending, if it has one.
    capped = active[last_ok[active] > 0]
    length[capped] = last_ok[capped]
    mask = np.arange(max_tokens)[None, :] < length[:, None]
    return out[mask], length


def join_tokens(vocab: pa.Array, flat: np.ndarray, lengths: np.ndarray) -> pl.Series:
    """Join each walk's tokens with single spaces into a polars Series (for titles, which
    are kept as one Series for the whole corpus)."""
    offsets = np.zeros(lengths.size + 1, np.int64)
    np.cumsum(lengths, out=offsets[1:])
    values = vocab.take(pa.array(flat, pa.int64()))
    lists = pa.LargeListArray.from_arrays(pa.array(offsets, pa.int64()), values)
    return pl.Series("text", lists).list.join(" ")
