"""The tables the compiled detector reads, built at run time from langdetect itself.

Why built, not shipped: the answers must stay langdetect's, so everything comes from
the installed package when a process first needs it (~1.5 s, once per process):

* the languages and n-gram probabilities are those of langdetect's own global factory
  (``detector_factory.init_factory()``): the same profiles, the same floats and, above
  all, the same language order. ``DetectorFactory.load_profile`` takes the profile files
  in ``os.listdir`` order, which is the file system's, not alphabetical; that order
  decides both the summation order of ``_normalize_prob`` (so the last bits of every
  probability) and which of two equal probabilities sorts first.
* ``NGram.normalize`` per code point, by calling it on every character of the Basic
  Multilingual Plane. Every block it rewrites lies there; above it, it returns its
  argument (a test checks a stride of the other planes).
* per code point, ``str.isupper`` (NGram.add_char's capital-word rule) and
  ``cleaning_text``'s "non-Latin" test ``ch >= '\\u0300' and unicode_block(ch) !=
  'Latin Extended Additional'``. ``unicode_block`` returns an int, so the second half
  is always true: Vietnamese letters of that block count as non-Latin. Evaluated as
  langdetect writes it, to keep that quirk.
* n-grams as int keys, one code point + 1 per 21 bits (so no key is 0 and lengths
  never collide), in an open-addressing hash table the kernel probes.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from pipeline.core.transform.language_random import seeded_state

CODE_POINTS = 0x110000
BMP = 0x10000
UPPER = np.uint8(1)  # chr(cp).isupper()
NON_LATIN = np.uint8(2)  # counted as non-Latin by Detector.cleaning_text
BITS_PER_CHAR = 21
HASH_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)


@dataclass(frozen=True)
class DetectorTables:
    """Everything the kernel needs, as arrays; ``languages[i]`` is column i."""

    languages: tuple[str, ...]
    normalized: np.ndarray  # int32[CODE_POINTS]: NGram.normalize(chr(cp))
    flags: np.ndarray  # uint8[CODE_POINTS]: UPPER | NON_LATIN
    keys: np.ndarray  # uint64[2**bits]: n-gram key, 0 where free
    rows: np.ndarray  # int32[2**bits]: the key's row of probabilities
    probabilities: np.ndarray  # float64[n-grams, languages]: word_lang_prob_map


def ngram_key(codes: list[int]) -> int:
    """One to three code points packed into an int that is never 0."""
    key = 0
    for code in codes:
        key = (key << BITS_PER_CHAR) | (code + 1)
    return key


def normalized_code_points() -> np.ndarray:
    """``NGram.normalize`` of every code point: langdetect's calls over the BMP,
    identity above it."""
    from langdetect.utils.ngram import NGram

    table = np.arange(CODE_POINTS, dtype=np.int32)
    table[:BMP] = [ord(NGram.normalize(chr(cp))) for cp in range(BMP)]
    return table


def code_point_flags() -> np.ndarray:
    """UPPER and NON_LATIN per code point, from the expressions langdetect evaluates."""
    from langdetect.utils.unicode_block import unicode_block

    upper = np.array([chr(cp).isupper() for cp in range(CODE_POINTS)], dtype=np.uint8)
    non_latin = np.ones(CODE_POINTS, dtype=np.uint8)  # above the BMP: ch >= '\u0300'
    non_latin[:BMP] = [
        ch >= "\u0300" and unicode_block(ch) != "Latin Extended Additional"
        for ch in map(chr, range(BMP))
    ]
    return upper * UPPER | non_latin * NON_LATIN


def hash_slot(key: int, bits: int) -> int:
    """Fibonacci hashing: the top ``bits`` of key * 2**64/phi mod 2**64 (as the kernel)."""
    return ((key * int(HASH_MULTIPLIER)) & 0xFFFFFFFFFFFFFFFF) >> (64 - bits)


def hash_table(keys: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Open addressing with linear probing, at most a third full."""
    bits = max(4, (3 * len(keys)).bit_length())
    size = 1 << bits
    table_keys = [0] * size
    table_rows = [-1] * size
    for row, key in enumerate(keys):
        slot = hash_slot(key, bits)
        while table_keys[slot] != 0:
            slot = (slot + 1) & (size - 1)
        table_keys[slot] = key
        table_rows[slot] = row
    return np.array(table_keys, dtype=np.uint64), np.array(table_rows, dtype=np.int32)


@cache
def detector_tables() -> DetectorTables:
    """The tables of langdetect's global factory, built once per process."""
    from langdetect import detector_factory

    detector_factory.init_factory()
    factory = detector_factory._factory
    words = [w for w in factory.word_lang_prob_map if 1 <= len(w) <= 3]
    width = len(factory.langlist)  # rows are as long as the profile directory's listing
    probabilities = np.array([factory.word_lang_prob_map[w][:width] for w in words])
    keys, rows = hash_table([ngram_key([ord(c) for c in w]) for w in words])
    return DetectorTables(
        languages=tuple(factory.langlist),
        normalized=normalized_code_points(),
        flags=code_point_flags(),
        keys=keys,
        rows=rows,
        probabilities=np.ascontiguousarray(probabilities),
    )


@cache
def seeded(seed: int) -> np.ndarray:
    """The generator's state after ``random.seed(seed)``, the start of every text's draws."""
    state = seeded_state(seed)
    state.flags.writeable = False
    return state
