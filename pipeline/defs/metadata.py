"""Small helpers that turn tables into the metadata the Dagster UI shows."""

from __future__ import annotations

import dagster as dg
import polars as pl

from pipeline.core import schema
from pipeline.core.markdown import markdown_cell

PREVIEW_ROWS = 5
PREVIEW_CELL_CHARS = 80


def markdown_preview(df: pl.DataFrame, columns: list[str], rows: int = PREVIEW_ROWS) -> str:
    """A markdown table of the first ``rows`` rows, long cells shortened, scraped text
    escaped (:func:`~pipeline.core.markdown.markdown_cell`)."""

    head = df.select(columns).head(rows)
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += [
        "| " + " | ".join(markdown_cell(v, PREVIEW_CELL_CHARS) for v in row) + " |"
        for row in head.iter_rows()
    ]
    return "\n".join(lines)


def counts_by(df: pl.DataFrame, column: str) -> dict[str, int]:
    """Rows per value of ``column`` (nulls as "null"), sorted by value."""
    counts = df.group_by(column).len().sort(column, nulls_last=True)
    return {str(k): int(v) for k, v in counts.iter_rows()}


def table_metadata(df: pl.DataFrame, preview_columns: list[str]) -> dict[str, dg.MetadataValue]:
    """Row count and a preview: what every table asset reports."""
    return {
        "dagster/row_count": dg.MetadataValue.int(df.height),
        "preview": dg.MetadataValue.md(markdown_preview(df, preview_columns)),
    }


# Each table asset's schema and the published table whose column meanings it shares.
_ASSET_TABLES: dict[str, tuple[pl.Schema, str]] = {
    "raw_files": (schema.FILES, "files"),
    "raw_records": (schema.RAW_RECORDS, "records"),
    "normalized_records": (schema.NORMALIZED_RECORDS, "records"),
    "file_records": (schema.NORMALIZED_RECORDS, "records"),
    "clusters": (schema.FATES, "records"),
    "records": (schema.RECORDS, "records"),
    "variants": (schema.VARIANTS, "variants"),
    "papers": (schema.PAPERS, "papers"),
}


def column_schema(asset: str) -> dict[str, dg.TableSchema]:
    """Definition metadata giving the UI's Columns tab every column of the table asset
    ``asset``, with its type and meaning, generated from ``schema.py``."""
    table_schema, documented_as = _ASSET_TABLES[asset]
    columns = [
        dg.TableColumn(name, type=str(dtype), description=schema.column_doc(documented_as, name))
        for name, dtype in table_schema.items()
    ]
    return {"dagster/column_schema": dg.TableSchema(columns=columns)}


def top_table(counts: list[tuple[object, int]], label: str) -> dg.MetadataValue:
    """A markdown table of (value, count) rows, most frequent first, as given; values
    are scraped text (task and dataset names), escaped."""
    lines = [f"| {label} | count |", "|---|---|"]
    lines += [f"| {markdown_cell(k)} | {v} |" for k, v in counts]
    return dg.MetadataValue.md("\n".join(lines))
