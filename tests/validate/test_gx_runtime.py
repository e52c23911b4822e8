"""How GX is run: without its per-batch fingerprint, which hashes every value of every
batch."""

from __future__ import annotations

import pytest

from pipeline.core.dedup.clustering import cluster_duplicates
from pipeline.core.ingest.raw_files import ingest
from pipeline.core.transform.records import normalize_records
from pipeline.core.validate.expectations import validate_tables
from tests.conftest import REPO


def test_validation_hashes_no_batch_and_restores_the_threshold(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from great_expectations.execution_engine import pandas_execution_engine as engine

    def hashing(df: object) -> str:
        raise AssertionError("GX hashed every value of a batch")

    monkeypatch.setattr(engine, "hash_pandas_dataframe", hashing)
    before = engine.HASH_THRESHOLD
    sample = cluster_duplicates(normalize_records(ingest(REPO / "data" / "raw").records))
    outcomes = validate_tables(sample.papers, sample.records)
    assert outcomes and all(o.passed for o in outcomes)
    assert engine.HASH_THRESHOLD == before > 0
