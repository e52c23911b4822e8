"""How GX is run: imported early in the background when a run will validate, and
without its per-batch fingerprint, which hashes every value of every batch."""

from __future__ import annotations

import subprocess
import sys

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


def test_import_in_background_loads_gx_on_a_thread_of_its_own() -> None:
    code = (
        "import sys, threading, logging\n"
        "from pipeline.core.validate.expectations import import_in_background\n"
        "import_in_background(); import_in_background()\n"
        "loaders = [t for t in threading.enumerate() if t.name == 'import-great-expectations']\n"
        "print(len(loaders), 'great_expectations' in sys.modules)\n"
        "loaders[0].join()\n"
        "print('great_expectations' in sys.modules,"
        " logging.getLogger('great_expectations').level)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert proc.stdout.split("\n")[:2] == ["1 False", "True 0"]
