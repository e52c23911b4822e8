"""Hands polars frames between assets as Parquet files under the data directory.

Keeping intermediate tables as Parquet (not pickles) lets a user open any stage's
output with the same tools as the published dataset, and lets the UI
re-materialize one asset from its stored inputs.
"""

from pathlib import Path

import dagster as dg
import polars as pl

from pipeline.core.store import sink_parquet_atomic, write_parquet_atomic


def asset_path(base_dir: str | Path, key: dg.AssetKey) -> Path:
    """Where the IO manager keeps asset ``key``: ``<base_dir>/<key path>.parquet``."""
    return Path(base_dir, *key.path).with_suffix(".parquet")


class PolarsParquetIOManager(dg.ConfigurableIOManager):
    """Stores each asset as ``<base_dir>/<asset key>.parquet``, replaced atomically (a
    LazyFrame output is streamed, never held whole); loads all of it, or the columns an
    input lists in its ``columns`` metadata."""

    base_dir: str

    def _path(self, key: dg.AssetKey) -> Path:
        return asset_path(self.base_dir, key)

    def handle_output(self, context: dg.OutputContext, obj: pl.DataFrame | pl.LazyFrame) -> None:
        path = self._path(context.asset_key)
        if isinstance(obj, pl.LazyFrame):  # a million-row table, streamed to disk
            sink_parquet_atomic(obj, path)
        else:
            write_parquet_atomic(obj, path)
        context.add_output_metadata({"stored_at": dg.MetadataValue.path(str(path))})

    def load_input(self, context: dg.InputContext) -> pl.DataFrame:
        # An input may ask for some columns only (AssetIn(metadata={"columns": [...]})):
        # a check that needs the record keys need not hold every raw text.
        columns = (context.definition_metadata or {}).get("columns")
        return load_columns(self.base_dir, context.asset_key, columns)


def load_columns(
    base_dir: str | Path, key: str | dg.AssetKey, columns: list[str] | None
) -> pl.DataFrame:
    """A stored asset table, or some of its columns (None: all): the IO manager's loads,
    and checks on a table of a million rows that read a few of its columns (an asset
    check cannot narrow its own asset input)."""
    key = dg.AssetKey(key) if isinstance(key, str) else key
    path = asset_path(base_dir, key)
    if not path.is_file():
        raise dg.Failure(
            f"{key.to_user_string()} has not been materialized yet (no {path}): "
            "materialize it, or run everything upstream first"
        )
    return pl.read_parquet(path, columns=columns)


def stored_columns(base_dir: str | Path, name: str) -> list[str]:
    """The column names of a stored asset table, read from its Parquet footer."""
    return list(pl.read_parquet_schema(asset_path(base_dir, dg.AssetKey(name))))
