"""Counter-based randomness: every choice about a paper is a hash of (seed, stream, paper),
so any paper's text can be regenerated on its own, in any order."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

import numpy as np

MASK64 = (1 << 64) - 1


def mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser, vectorised: a strong 64-bit mix (uint64 arrays wrap)."""
    x = x + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def hash_keys(seed: int, stream: int, ids: np.ndarray) -> np.ndarray:
    """One 64-bit key per id for one stream: the root of every draw about that id.

    A key depends on nothing but (seed, stream, id), which is what lets a paper's text be
    regenerated alone, in any batch, with the same result.
    """
    base = mix(np.array([(seed * 0x100000001B3 + stream * 0x9E3779B1) & MASK64], np.uint64))
    return mix(np.asarray(ids).astype(np.uint64) ^ base)


def draw(keys: np.ndarray, step: int) -> np.ndarray:
    """The ``step``-th 64-bit draw of each key."""
    return mix(keys ^ np.uint64((step * 0xD1B54A32D192ED03) & MASK64))


def draw_below(h: np.ndarray, n: np.ndarray | int) -> np.ndarray:
    """Map draws to integers in [0, n) (n < 2**32) without modulo bias worth the name."""
    return (((h >> np.uint64(32)) * np.asarray(n, dtype=np.uint64)) >> np.uint64(32)).astype(
        np.int64
    )


def unit(h: np.ndarray) -> np.ndarray:
    """Map draws to floats in [0, 1)."""
    return (h >> np.uint64(11)).astype(np.float64) * (1.0 / (1 << 53))


class Rng:
    """Per-record Python draws for the few edited records.

    Only ``random.random()`` is used: it is the one method whose sequence for an int seed
    Python promises to keep across versions, which byte-identical corpora need.
    """

    def __init__(self, key: int) -> None:
        self._random = random.Random(key).random

    def below(self, n: int) -> int:
        return min(int(self._random() * n), n - 1)

    def chance(self, p: float) -> bool:
        return self._random() < p

    def pick(self, seq: Sequence[Any]) -> Any:
        return seq[self.below(len(seq))]
