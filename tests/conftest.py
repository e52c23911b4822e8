"""Shared fixtures: the real sample, and throwaway data directories built from it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

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
