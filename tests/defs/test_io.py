"""The IO manager's two layouts: one Parquet file, or a directory of linked parts."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from pipeline.defs.io import PolarsParquetIOManager, StoredParts, asset_path, load_columns

KEY = dg.AssetKey("normalized_records")


def _store(manager: PolarsParquetIOManager, obj: object) -> None:
    manager.handle_output(dg.build_output_context(asset_key=KEY), obj)


def test_parts_are_links_and_the_layouts_replace_each_other(tmp_path: Path) -> None:
    entries = []
    for day in range(3):
        path = tmp_path / "entries" / f"day{day}.parquet"
        path.parent.mkdir(exist_ok=True)
        pl.DataFrame({"day": [day, day], "text": ["a", "b"], "extra": [1, 2]}).write_parquet(path)
        entries.append(path)
    manager = PolarsParquetIOManager(base_dir=str(tmp_path / "assets"))

    _store(manager, StoredParts(tuple(entries), ("day", "text")))
    stored = asset_path(manager.base_dir, KEY)
    assert stored.is_dir() and stored.is_symlink()
    parts = sorted(stored.glob("part-*.parquet"))
    assert [p.stat().st_ino for p in parts] == [e.stat().st_ino for e in entries]
    table = load_columns(manager.base_dir, KEY, None)
    assert table.columns == ["day", "text"]  # the projection, not the entries' columns
    assert table["day"].to_list() == [0, 0, 1, 1, 2, 2]  # in the given order
    first_target = stored.resolve()

    _store(manager, StoredParts(tuple(entries[:1])))  # a new set swaps in, the old goes
    assert not first_target.exists()
    assert load_columns(manager.base_dir, KEY, ["extra"])["extra"].to_list() == [1, 2]

    _store(manager, pl.DataFrame({"day": [9]}))  # a single file replaces the parts
    assert not (tmp_path / "assets" / "normalized_records").exists()
    assert asset_path(manager.base_dir, KEY).is_file()
    assert load_columns(manager.base_dir, KEY, None)["day"].to_list() == [9]
    assert sorted(p.name for p in (tmp_path / "assets").iterdir()) == ["normalized_records.parquet"]

    _store(manager, StoredParts(tuple(entries)))  # and parts replace the file again
    assert not (tmp_path / "assets" / "normalized_records.parquet").exists()
    assert load_columns(manager.base_dir, KEY, None).height == 6
    # The entries are untouched by all of this.
    assert all(pl.read_parquet(e).height == 2 for e in entries)


def test_without_symbolic_links_the_parts_are_streamed_into_one_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    entries = []
    for day in range(2):
        path = tmp_path / f"day{day}.parquet"
        pl.DataFrame({"day": [day], "text": ["a"], "extra": [1]}).write_parquet(path)
        entries.append(path)
    manager = PolarsParquetIOManager(base_dir=str(tmp_path / "assets"))
    _store(manager, StoredParts(tuple(entries)))  # parts first, then a file system without links

    def refuse(self: Path, target: object) -> None:
        raise OSError("symbolic links not supported")

    monkeypatch.setattr(Path, "symlink_to", refuse)
    _store(manager, StoredParts(tuple(entries), ("day", "text")))
    stored = asset_path(manager.base_dir, KEY)
    assert stored.is_file()
    assert load_columns(manager.base_dir, KEY, None).rows() == [(0, "a"), (1, "a")]
    assert [p.name for p in (tmp_path / "assets").iterdir()] == ["normalized_records.parquet"]
