"""Shared fixtures: the real sample, and throwaway data directories built from it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "data" / "raw" / "2026-11-23-trending.txt"
TEST_DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never touch the developer's Dagster instance or phone home."""
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    monkeypatch.delenv("PAPERS_PIPELINE_DATA_DIR", raising=False)
    monkeypatch.delenv("PAPERS_PIPELINE_CONFIG", raising=False)
    monkeypatch.setenv("GX_ANALYTICS_ENABLED", "false")


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A data directory whose raw/ holds the real sample."""
    raw = tmp_path / "data" / "raw"
    raw.mkdir(parents=True)
    shutil.copy(SAMPLE, raw / SAMPLE.name)
    return tmp_path / "data"


# Hypothesis profiles: "suite" keeps each fuzz test to seconds and deterministic in the
# test run; "fuzz" (``make fuzz``: PAPERS_HYPOTHESIS_PROFILE=fuzz) runs minutes of
# random examples. Tests that set their own max_examples keep them.
hypothesis_settings.register_profile(
    "suite",
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
hypothesis_settings.register_profile(
    "fuzz",
    max_examples=int(os.environ.get("PAPERS_FUZZ_EXAMPLES", "1000")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
hypothesis_settings.load_profile(os.environ.get("PAPERS_HYPOTHESIS_PROFILE", "suite"))
