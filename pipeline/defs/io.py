"""Hands polars frames between assets as Parquet files under the data directory.

Keeping intermediate tables as Parquet (not pickles) lets a user open any stage's
output with the same tools as the published dataset, and lets the UI
re-materialize one asset from its stored inputs.

A table is one file ``<base_dir>/<key>.parquet``, or, for tables gathered from
Parquet files that already exist (the per-file entries of raw_records and
normalized_records), a directory ``<base_dir>/<key>/`` of hard links to them
(``part-000000.parquet``, ... in order; any Parquet reader takes the directory or a
``part-*.parquet`` glob). Gathering a million records that way rewrites no row:
streaming them into one file took 15 s of every daily run.
"""

import shutil
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import polars as pl

from pipeline.core.atomic import (
    link_parts_atomic,
    part_files,
    sink_parquet_atomic,
    write_parquet_atomic,
)


@dataclass(frozen=True)
class StoredParts:
    """An output made of existing Parquet files, in order, stored as links to them.
    ``columns``: the table's columns, when the files hold more (raw_records is a
    projection of the entries); loads return just those."""

    files: tuple[Path, ...]
    columns: tuple[str, ...] | None = None


_COLUMNS_FILE = "_columns.txt"  # beside the parts: the table's columns, when a projection


def asset_path(base_dir: str | Path, key: dg.AssetKey) -> Path:
    """Where the IO manager keeps asset ``key``: the directory ``<base_dir>/<key path>``
    when it is stored as parts, else ``<base_dir>/<key path>.parquet``."""
    parts = Path(base_dir, *key.path)
    return parts if parts.is_dir() else parts.with_suffix(".parquet")


class PolarsParquetIOManager(dg.ConfigurableIOManager):
    """Stores each asset as ``<base_dir>/<asset key>.parquet``, replaced atomically (a
    LazyFrame output is streamed, never held whole), or as a directory of parts (a
    :class:`StoredParts` output); loads all of it, or the columns an input lists in its
    ``columns`` metadata."""

    base_dir: str

    def handle_output(
        self, context: dg.OutputContext, obj: pl.DataFrame | pl.LazyFrame | StoredParts
    ) -> None:
        parts = Path(self.base_dir, *context.asset_key.path)
        single = parts.with_suffix(".parquet")
        # The other layout goes first: a crash in between leaves the asset missing (the
        # next run writes it), never a stale table beside the new one.
        if isinstance(obj, StoredParts):
            single.unlink(missing_ok=True)
            listed = {} if obj.columns is None else {_COLUMNS_FILE: "\n".join(obj.columns) + "\n"}
            try:
                link_parts_atomic(parts, obj.files, beside=listed)
                stored = parts
            except OSError as exc:  # no symbolic links here: stream the parts into one file
                context.log.warning(f"storing {parts.name} as one file: {exc}")
                obj = _concatenated(obj)
        if not isinstance(obj, StoredParts):
            if parts.is_symlink():
                target = parts.resolve()
                parts.unlink()
                shutil.rmtree(target, ignore_errors=True)
            if isinstance(obj, pl.LazyFrame):  # a million-row table, streamed to disk
                sink_parquet_atomic(obj, single)
            else:
                write_parquet_atomic(obj, single)
            stored = single
        context.add_output_metadata({"stored_at": dg.MetadataValue.path(str(stored))})

    def load_input(self, context: dg.InputContext) -> pl.DataFrame:
        # An input may ask for some columns only (AssetIn(metadata={"columns": [...]})):
        # a check that needs the record keys need not hold every raw text.
        columns = (context.definition_metadata or {}).get("columns")
        return load_columns(self.base_dir, context.asset_key, columns)


def _concatenated(parts: StoredParts) -> pl.LazyFrame:
    """The table ``parts`` describes, as one lazy frame."""
    scan = pl.concat([pl.scan_parquet(f) for f in parts.files], how="vertical_relaxed")
    return scan if parts.columns is None else scan.select(parts.columns)


def scan_asset(base_dir: str | Path, key: str | dg.AssetKey) -> pl.LazyFrame:
    """A lazy scan of a stored asset table, either layout, with the table's columns."""
    key = dg.AssetKey(key) if isinstance(key, str) else key
    path = asset_path(base_dir, key)
    if path.is_dir():
        files = part_files(path)
        if not files:
            raise dg.Failure(f"{key.to_user_string()} has no parts under {path}")
        listed = path / _COLUMNS_FILE
        columns = tuple(listed.read_text().split()) if listed.is_file() else None
        return _concatenated(StoredParts(tuple(files), columns))
    if not path.is_file():
        raise dg.Failure(
            f"{key.to_user_string()} has not been materialized yet (no {path}): "
            "materialize it, or run everything upstream first"
        )
    return pl.scan_parquet(path)


def load_columns(
    base_dir: str | Path, key: str | dg.AssetKey, columns: list[str] | None
) -> pl.DataFrame:
    """A stored asset table, or some of its columns (None: all): the IO manager's loads,
    and checks on a table of a million rows that read a few of its columns (an asset
    check cannot narrow its own asset input)."""
    scan = scan_asset(base_dir, key)
    return (scan if columns is None else scan.select(columns)).collect()


def stored_columns(base_dir: str | Path, name: str) -> list[str]:
    """The column names of a stored asset table, read from its Parquet footer(s)."""
    return scan_asset(base_dir, name).collect_schema().names()
