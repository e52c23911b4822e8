"""The numbers that define shingle and signature hashes, apart from the compiled
kernels that use them (:mod:`pipeline.core.dedup.shingle_kernels`): importing numba costs
about 0.4 s, which every process that only needs these (the near index's
fingerprint, the schema of stored signatures, every Dagster process loading the
definitions) would pay otherwise.
"""

from __future__ import annotations

import numpy as np

NUM_BINS = 128
BIN_BITS = 7  # 2**7 == NUM_BINS
SIGNATURE_SEED = np.uint64(7)
EMPTY = np.uint64(0xFFFFFFFFFFFFFFFF)
MIX = np.uint64(0x9E3779B97F4A7C15)
C1 = np.uint64(0x100000001B3)
C2 = np.uint64(0xC2B2AE3D27D4EB4F)
FNV_OFFSET = np.uint64(0xCBF29CE484222325)
FNV_PRIME = np.uint64(0x100000001B3)
VALUE_MASK = np.uint64((1 << (64 - BIN_BITS)) - 1)
BIN_SHIFT = np.uint64(64 - BIN_BITS)


def _word_bytes() -> np.ndarray:
    """Byte -> the byte a word holds for it (ASCII lowercased), or 0 for a separator."""
    table = np.zeros(256, dtype=np.uint8)
    for code in range(256):
        char = chr(code)
        if code >= 0x80:
            table[code] = code
        elif char.isalnum():
            table[code] = ord(char.lower())
    return table


WORD_BYTES = _word_bytes()
