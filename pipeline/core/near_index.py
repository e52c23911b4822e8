"""The persisted near-duplicate index: what a later run may reuse instead of recomputing.

It caches only facts that are pure functions of a text and the shingling/MinHash
parameters, never decisions:

- the MinHash signature of each text, keyed by its content hash;
- the exact shingle Jaccard similarity of text pairs that were verified (accepted or
  not), keyed by the two content hashes.

Candidate generation (band keys, buckets, the MAX_BUCKET cut, the signature
estimate) is recomputed on every run over the current texts only, and every decision
is taken from these facts exactly as a run without an index takes it. So a run with
an index gives the same clusters as one without, by construction; the index only
saves computing signatures and similarities. Because the facts do not depend on the
similarity threshold, an index stays valid when the threshold changes; it is tied to
everything else that shapes a signature or a similarity (see :func:`params_fingerprint`)
and is ignored when any of that differs.

On disk (``directory``): ``signatures-<tag>.parquet`` (content_hash, signature as
Array(UInt32, NUM_BINS)) and ``pairs-<tag>.parquet`` (hash_a < hash_b, similarity),
where ``<tag>`` is a digest of the parameters; each file is written atomically, and
because both hold facts a mix of an older and a newer file is still a valid index.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from pipeline.core import near_dup
from pipeline.core.store import write_parquet_atomic

SIGNATURES_SCHEMA = pl.Schema(
    {"content_hash": pl.String, "signature": pl.Array(pl.UInt32, near_dup.NUM_BINS)}
)
PAIRS_SCHEMA = pl.Schema({"hash_a": pl.String, "hash_b": pl.String, "similarity": pl.Float64})


def params_fingerprint() -> str:
    """Everything a stored signature or similarity depends on. The polars version is in
    it because word hashes come from polars' ``hash``, which may change between releases."""
    return (
        f"near-v{near_dup.ALGORITHM_VERSION}"
        f"-words{near_dup.SHINGLE_WORDS}-bins{near_dup.NUM_BINS}"
        f"-seeds{near_dup.WORD_SEED}.{near_dup.SIGNATURE_SEED}"
        f"-pattern{near_dup.WORD_PATTERN}-polars{pl.__version__}"
    )


def _tag(params: str) -> str:
    return hashlib.sha256(params.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class NearIndex:
    """Signatures by text and verified pair similarities, made with ``params``."""

    params: str
    signatures: pl.DataFrame  # SIGNATURES_SCHEMA, one row per content_hash
    pairs: pl.DataFrame  # PAIRS_SCHEMA, one row per (hash_a, hash_b), hash_a < hash_b

    @property
    def compatible(self) -> bool:
        """Whether this index was made with the parameters of the running code."""
        return self.params == params_fingerprint()


def empty_index(params: str | None = None) -> NearIndex:
    """An index with nothing in it (for the current parameters unless given)."""
    return NearIndex(
        params=params_fingerprint() if params is None else params,
        signatures=pl.DataFrame(schema=SIGNATURES_SCHEMA),
        pairs=pl.DataFrame(schema=PAIRS_SCHEMA),
    )


def _paths(directory: Path, params: str) -> tuple[Path, Path]:
    tag = _tag(params)
    return directory / f"signatures-{tag}.parquet", directory / f"pairs-{tag}.parquet"


def load_index(directory: Path) -> NearIndex | None:
    """The index saved under ``directory`` for the current parameters, or None when there
    is none (files made with other parameters are not read at all)."""
    params = params_fingerprint()
    signatures, pairs = _paths(Path(directory), params)
    if not signatures.is_file():
        return None
    sig = pl.read_parquet(signatures)
    found = pl.read_parquet(pairs) if pairs.is_file() else pl.DataFrame(schema=PAIRS_SCHEMA)
    if sig.schema != SIGNATURES_SCHEMA or found.schema != PAIRS_SCHEMA:
        return None
    return NearIndex(params=params, signatures=sig, pairs=found)


def save_index(index: NearIndex, directory: Path) -> None:
    """Write ``index`` under ``directory``, each file atomically; files of other
    parameters are removed afterwards (they can never be used again)."""
    directory = Path(directory)
    signatures, pairs = _paths(directory, index.params)
    write_parquet_atomic(index.signatures, signatures)
    write_parquet_atomic(index.pairs, pairs)
    for stale in [*directory.glob("signatures-*.parquet"), *directory.glob("pairs-*.parquet")]:
        if stale not in (signatures, pairs):
            stale.unlink(missing_ok=True)
