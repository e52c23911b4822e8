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

On disk (``directory``): ``signatures-<tag>-<part>.parquet`` (content_hash, signature
as Array(UInt32, NUM_BINS)) and ``pairs-<tag>-<part>.parquet`` (hash_a < hash_b,
similarity), where ``<tag>`` is a digest of the parameters. A run appends its new
facts as one more part instead of rewriting the index (0.5 GB at a million texts,
3.5 s a run); past MAX_PARTS parts they are compacted into one. Each file is written
atomically, and because every part holds facts, any mix of parts is a valid index.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from pipeline.core.atomic import write_parquet_atomic
from pipeline.core.dedup import near_dup
from pipeline.core.dedup import shingle_params as params

SIGNATURES_SCHEMA = pl.Schema(
    {"content_hash": pl.String, "signature": pl.Array(pl.UInt32, near_dup.NUM_BINS)}
)
PAIRS_SCHEMA = pl.Schema({"hash_a": pl.String, "hash_b": pl.String, "similarity": pl.Float64})
# Parts of one kind before a save compacts them into one.
MAX_PARTS = 16


def params_fingerprint() -> str:
    """Everything a stored signature or similarity depends on. Word and shingle hashes
    are the pipeline's own (:mod:`pipeline.core.dedup.shingle_kernels`), so a polars upgrade
    no longer throws the index away, as it did while words were hashed by polars."""
    # "words3": the kernels' shingle width, fixed in their code (a change to it is a
    # new ALGORITHM_VERSION). Still spelled out so that indexes saved before keep
    # their fingerprint and are reused.
    return (
        f"near-v{near_dup.ALGORITHM_VERSION}"
        f"-words3-bins{near_dup.NUM_BINS}"
        f"-seed{int(params.SIGNATURE_SEED)}-pattern{near_dup.WORD_PATTERN}"
    )


def _tag(params: str) -> str:
    return hashlib.sha256(params.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class NearIndex:
    """Signatures by text and verified pair similarities, made with ``params``."""

    params: str
    signatures: pl.DataFrame  # SIGNATURES_SCHEMA, one row per content_hash
    pairs: pl.DataFrame  # PAIRS_SCHEMA, one row per (hash_a, hash_b), hash_a < hash_b
    # Leading rows of (signatures, pairs) already on disk: a save appends the rest.
    saved: tuple[int, int] = (0, 0)

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


def _parts(directory: Path, kind: str, params: str) -> list[Path]:
    """The part files of one kind for ``params`` (an index saved before parts existed is
    one file without a part suffix)."""
    tag = _tag(params)
    return sorted(
        [*directory.glob(f"{kind}-{tag}.parquet"), *directory.glob(f"{kind}-{tag}-*.parquet")]
    )


def load_index(directory: Path) -> NearIndex | None:
    """The index saved under ``directory`` for the current parameters, or None when there
    is none (files made with other parameters are not read at all)."""
    directory = Path(directory)
    params = params_fingerprint()
    signature_parts = _parts(directory, "signatures", params)
    if not signature_parts:
        return None
    frames = []
    for parts, expected in (
        (signature_parts, SIGNATURES_SCHEMA),
        (_parts(directory, "pairs", params), PAIRS_SCHEMA),
    ):
        read = [pl.read_parquet(p) for p in parts]
        if any(f.schema != expected for f in read):
            return None
        frames.append(pl.concat(read) if read else pl.DataFrame(schema=expected))
    sig, found = frames
    return NearIndex(params=params, signatures=sig, pairs=found, saved=(sig.height, found.height))


def saved_with_other_parameters(directory: Path) -> bool:
    """Whether ``directory`` holds index files made with other parameters than the
    running code's: :func:`load_index` never reads them, so the index is rebuilt from
    scratch (and the next save removes them). Lets the caller say so."""
    directory, current = Path(directory), _tag(params_fingerprint())
    files = [*directory.glob("signatures-*.parquet"), *directory.glob("pairs-*.parquet")]
    return any(f"-{current}" not in p.name for p in files)


def save_index(index: NearIndex, directory: Path) -> None:
    """Write what ``index`` holds beyond its ``saved`` rows as one more part of each kind
    (everything, as a single part, when nothing was saved or past MAX_PARTS parts);
    files of other parameters are removed afterwards (they can never be used again)."""
    directory = Path(directory)
    keep: list[Path] = []
    for kind, frame, saved in (
        ("signatures", index.signatures, index.saved[0]),
        ("pairs", index.pairs, index.saved[1]),
    ):
        parts = _parts(directory, kind, index.params)
        compact = saved == 0 or len(parts) >= MAX_PARTS
        rows = frame if compact else frame.slice(saved)
        if compact or rows.height:
            part = directory / f"{kind}-{_tag(index.params)}-{uuid.uuid4().hex[:12]}.parquet"
            write_parquet_atomic(rows, part)
            keep.append(part)
        keep.extend([] if compact else parts)
    for stale in [*directory.glob("signatures-*.parquet"), *directory.glob("pairs-*.parquet")]:
        if stale not in keep:
            stale.unlink(missing_ok=True)
