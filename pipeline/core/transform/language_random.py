"""Python's ``random.Random``, reproduced draw for draw for compiled language detection.

Why: langdetect's answers depend on its random draws. Each detection seeds a fresh
``random.Random`` with ``random.seed(seed)``, then every trial draws one ``gauss``
(alpha's jitter) and n-gram picks with ``choice``. To give langdetect's own answers,
the compiled detector (:mod:`pipeline.core.transform.language_kernel`) must draw the
very same numbers, so this module restates CPython 3.11's generator:

* seeding (``_randommodule.c`` ``random_seed`` -> ``init_by_array``): the absolute
  value of the int seed, cut into 32-bit words, least significant first, fed to the
  reference MT19937 ``init_by_array``. Done once in Python: the state after seeding is
  the same for every text, so the kernel copies it instead of reseeding.
* ``genrand_uint32``: MT19937's twist and tempering.
* ``random()``: two words, ``(a >> 5) * 2**26 + (b >> 6)`` scaled by ``2**-53``.
* ``choice(seq)`` -> ``_randbelow(n)`` -> ``getrandbits(n.bit_length())`` until the
  value is below ``n`` (rejection sampling; for ``k <= 32`` bits one word shifted right
  by ``32 - k``).
* ``gauss``: Box-Muller on two ``random()``, the second value cached in ``gauss_next``
  for the next call; ``seed`` clears that cache.

The state is a uint32 array of 624 words plus a position (int64 array of one) and the
gauss cache (float64 array: has-value flag, value), so one kernel can keep one
generator per text without objects. Tests compare these draws with ``random.Random``.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

STATE_WORDS = 624
_SHIFT_WORDS = 397
_MASK32 = 0xFFFFFFFF
_MATRIX_A = np.uint64(0x9908B0DF)
_UPPER = np.uint64(0x80000000)
_LOWER = np.uint64(0x7FFFFFFF)
_WORD = np.uint64(_MASK32)
_TWO_PI = math.tau


def seeded_state(seed: int) -> np.ndarray:
    """MT19937 state words after ``random.Random(seed)`` (CPython's ``init_by_array``
    over the 32-bit words of ``abs(seed)``); the position after seeding is 624."""
    if not isinstance(seed, int):
        raise TypeError(f"an int seed is needed for reproducible draws, not {seed!r}")
    n = abs(seed)
    key = []
    while n:
        key.append(n & _MASK32)
        n >>= 32
    key = key or [0]
    mt = [0] * STATE_WORDS
    mt[0] = 19650218
    for i in range(1, STATE_WORDS):
        mt[i] = (1812433253 * (mt[i - 1] ^ (mt[i - 1] >> 30)) + i) & _MASK32
    i, j = 1, 0
    for _ in range(max(STATE_WORDS, len(key))):
        mt[i] = ((mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >> 30)) * 1664525)) + key[j] + j) & _MASK32
        i, j = i + 1, j + 1
        if i >= STATE_WORDS:
            mt[0], i = mt[STATE_WORDS - 1], 1
        if j >= len(key):
            j = 0
    for _ in range(STATE_WORDS - 1):
        mt[i] = ((mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >> 30)) * 1566083941)) - i) & _MASK32
        i += 1
        if i >= STATE_WORDS:
            mt[0], i = mt[STATE_WORDS - 1], 1
    mt[0] = 0x80000000
    return np.array(mt, dtype=np.uint32)


@nb.njit(cache=True, nogil=True)
def _twist(mt):  # pragma: no cover - compiled
    """Regenerate all 624 words (MT19937's three loops written as one with indices
    taken modulo 624: the same words are read before or after their update)."""
    for k in range(STATE_WORDS):
        y = (np.uint64(mt[k]) & _UPPER) | (np.uint64(mt[(k + 1) % STATE_WORDS]) & _LOWER)
        value = np.uint64(mt[(k + _SHIFT_WORDS) % STATE_WORDS]) ^ (y >> np.uint64(1))
        if y & np.uint64(1):
            value ^= _MATRIX_A
        mt[k] = np.uint32(value & _WORD)


@nb.njit(cache=True, nogil=True)
def next_word(mt, pos):  # pragma: no cover - compiled
    """``genrand_uint32``: the next tempered 32-bit word, as uint64."""
    if pos[0] >= STATE_WORDS:
        _twist(mt)
        pos[0] = 0
    y = np.uint64(mt[pos[0]])
    pos[0] += 1
    y ^= y >> np.uint64(11)
    y ^= (y << np.uint64(7)) & np.uint64(0x9D2C5680)
    y ^= (y << np.uint64(15)) & np.uint64(0xEFC60000)
    y ^= y >> np.uint64(18)
    return y & _WORD


@nb.njit(cache=True, nogil=True)
def random_float(mt, pos):  # pragma: no cover - compiled
    """``random()``: a 53-bit float in [0, 1) from two words."""
    a = np.float64(next_word(mt, pos) >> np.uint64(5))
    b = np.float64(next_word(mt, pos) >> np.uint64(6))
    return (a * 67108864.0 + b) * (1.0 / 9007199254740992.0)


@nb.njit(cache=True, nogil=True)
def randbelow(mt, pos, n):  # pragma: no cover - compiled
    """``_randbelow_with_getrandbits(n)`` for 0 < n < 2**32: ``choice``'s index."""
    k = 0
    while (n >> k) > 0:
        k += 1
    shift = np.uint64(32 - k)
    r = np.int64(next_word(mt, pos) >> shift)
    while r >= n:
        r = np.int64(next_word(mt, pos) >> shift)
    return r


@nb.njit(cache=True, nogil=True)
def gauss(mt, pos, cached, mu, sigma):  # pragma: no cover - compiled
    """``gauss(mu, sigma)``: Box-Muller, the pair's second value kept in ``cached``."""
    if cached[0] != 0.0:
        z = cached[1]
        cached[0] = 0.0
    else:
        x2pi = random_float(mt, pos) * _TWO_PI
        g2rad = math.sqrt(-2.0 * math.log(1.0 - random_float(mt, pos)))
        z = math.cos(x2pi) * g2rad
        cached[0] = 1.0
        cached[1] = math.sin(x2pi) * g2rad
    return mu + z * sigma


@nb.njit(cache=True, nogil=True)
def draw_sequence(state, kinds, arguments):  # pragma: no cover - compiled
    """Replay draws from a freshly seeded ``state`` for tests: ``kinds[i]`` 0 is
    ``choice`` over ``arguments[i]`` items (its index), 1 is ``gauss(0, 1)``."""
    mt = state.copy()
    pos = np.full(1, STATE_WORDS, dtype=np.int64)
    cached = np.zeros(2, dtype=np.float64)
    out = np.empty(len(kinds), dtype=np.float64)
    for i in range(len(kinds)):
        if kinds[i] == 0:
            out[i] = np.float64(randbelow(mt, pos, arguments[i]))
        else:
            out[i] = gauss(mt, pos, cached, 0.0, 1.0)
    return out
