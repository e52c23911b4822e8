"""The versioned store: atomic, idempotent, recoverable after a crash."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from pipeline.core.atomic import write_parquet_atomic
from pipeline.core.ingest.hashing import file_sha256
from pipeline.core.store.versions import LATEST, StoreError, VersionStore


def tables(n: int) -> dict[str, pl.DataFrame]:
    return {"papers": pl.DataFrame({"paper_id": [f"p{i}" for i in range(n)]})}


def test_first_publish_creates_v0001_and_latest(tmp_path: Path) -> None:
    store = VersionStore(tmp_path)
    result = store.publish(tables(3), {"note": "x"})
    assert (result.version, result.unchanged) == ("v0001", False)
    assert (tmp_path / LATEST).read_text() == "v0001\n"
    manifest = json.loads((tmp_path / "v0001" / "manifest.json").read_text())
    assert manifest["parent"] is None
    assert manifest["note"] == "x"
    assert manifest["tables"]["papers"]["rows"] == 3
    assert pl.read_parquet(tmp_path / "v0001" / "papers.parquet").height == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == [".lock", LATEST, "v0001"]


def test_same_content_gives_no_new_version(tmp_path: Path) -> None:
    store = VersionStore(tmp_path)
    first = store.publish(tables(3), {})
    again = store.publish(tables(3), {})
    assert again.unchanged
    assert again.version == first.version == "v0001"
    assert store.versions() == ["v0001"]


def test_changed_content_gives_the_next_version_with_its_parent(tmp_path: Path) -> None:
    store = VersionStore(tmp_path)
    store.publish(tables(3), {})
    result = store.publish(tables(4), {})
    assert result.version == "v0002"
    assert result.manifest["parent"] == "v0001"
    assert store.latest() == "v0002"
    assert store.versions() == ["v0001", "v0002"]


def test_the_latest_versions_rows_are_the_base_of_the_next_check(tmp_path: Path) -> None:
    """What the row-count-drop expectation compares with: the latest version's papers,
    none before the first publish."""
    store = VersionStore(tmp_path)
    assert store.latest_rows("papers") is None
    store.publish(tables(3), {})
    store.publish(tables(5), {})
    assert store.latest_rows("papers") == 5


def test_leftovers_of_a_crashed_publish_are_cleaned_and_never_visible(tmp_path: Path) -> None:
    store = VersionStore(tmp_path)
    store.publish(tables(3), {})
    half = tmp_path / ".staging-deadbeef"  # what a run killed mid-write leaves
    half.mkdir()
    (half / "papers.parquet").write_bytes(b"PAR1 truncated")
    assert store.versions() == ["v0001"]
    assert store.latest() == "v0001"
    store.publish(tables(5), {})
    assert not half.exists()
    assert store.versions() == ["v0001", "v0002"]


def test_a_version_renamed_in_before_latest_was_written_is_rolled_forward(
    tmp_path: Path,
) -> None:
    store = VersionStore(tmp_path)
    store.publish(tables(3), {})
    store.publish(tables(4), {})
    (tmp_path / LATEST).write_text("v0001\n")  # the crash hit between rename and LATEST
    result = store.publish(tables(4), {})
    assert result.unchanged and result.version == "v0002"
    assert store.latest() == "v0002"


def test_latest_naming_a_missing_version_is_an_error(tmp_path: Path) -> None:
    (tmp_path / LATEST).write_text("v0009\n")
    with pytest.raises(StoreError, match="not a complete version"):
        VersionStore(tmp_path).latest()


def test_retention_keeps_the_newest_versions_and_latest(tmp_path: Path) -> None:
    store = VersionStore(tmp_path)
    for n in range(1, 5):
        store.publish(tables(n), {}, keep=2)
    assert store.versions() == ["v0003", "v0004"]
    assert store.latest() == "v0004"
    assert not list(tmp_path.glob(".staging-*"))


def test_annotate_sees_the_parent_and_the_new_tables(tmp_path: Path) -> None:
    store = VersionStore(tmp_path)
    seen = []

    def annotate(parent: Path | None, new: Path) -> dict:
        rows = pl.read_parquet(new / "papers.parquet").height
        seen.append((parent.name if parent else None, rows))
        return {"note": rows}

    store.publish(tables(2), {}, annotate=annotate)
    result = store.publish(tables(3), {}, annotate=annotate)
    assert seen == [(None, 2), ("v0001", 3)]
    assert result.manifest["note"] == 3


def test_a_published_file_is_linked_and_survives_its_source_being_replaced(
    tmp_path: Path,
) -> None:
    """Tables handed over as files are hard-linked into the version (no copy); the
    asset file is later replaced by rename, which must leave the version as it was."""
    source = tmp_path / "assets" / "papers.parquet"
    write_parquet_atomic(tables(3)["papers"], source)
    store = VersionStore(tmp_path / "store")
    result = store.publish({"papers": source}, {})
    published = result.path / "papers.parquet"
    assert published.stat().st_ino == source.stat().st_ino
    write_parquet_atomic(tables(5)["papers"], source)  # the next run's asset
    assert pl.read_parquet(published).height == 3
    assert result.manifest["tables"]["papers"]["sha256"] == file_sha256(published)
