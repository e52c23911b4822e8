"""Normalised input for the dedup timing script, built once per corpus size under /tmp.

The full transform runs langdetect (minutes at 1M); dedup does not need it, so this
builds the same columns without it: ingest, normalise, extract fields, a null
language, and every record rule except the language one.

    python -m bench.dedup_prepare 1000000
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import polars as pl

from pipeline.core import schema
from pipeline.core.ingest.raw_files import ingest
from pipeline.core.transform.extract import extract_fields
from pipeline.core.transform.normalize import normalize_text
from pipeline.core.transform.rules import apply_record_rules, record_rules

REPO = Path(__file__).resolve().parents[1]
OUT = Path("/tmp/dedup")


def corpus_dir(n: int, seed: int = 0) -> Path:
    return REPO / "bench" / ".cache" / f"corpus-{n}-{seed}"


def input_path(n: int, seed: int = 0) -> Path:
    return OUT / f"normalized-{n}-{seed}.parquet"


def prepare(n: int, seed: int = 0) -> Path:
    """The cached normalised records of corpus (n, seed), built when missing."""
    out = input_path(n, seed)
    if out.is_file():
        return out
    start = time.perf_counter()
    raw = ingest(corpus_dir(n, seed) / "raw").records
    print(f"ingest {time.perf_counter() - start:.1f} s, {raw.height:,} records", flush=True)
    df = extract_fields(normalize_text(raw)).with_columns(
        language=pl.lit(None, pl.String), language_prob=pl.lit(None, pl.Float64)
    )
    df = apply_record_rules(df, record_rules(languages=None))
    df = schema.conform(df, schema.NORMALIZED_RECORDS, "normalized_records")
    OUT.mkdir(parents=True, exist_ok=True)
    df.write_parquet(out)
    print(f"prepared {out} in {time.perf_counter() - start:.1f} s", flush=True)
    return out


if __name__ == "__main__":
    prepare(int(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 0)
