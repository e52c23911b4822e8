"""What the UI shows about transformed records: languages, code, datasets, tasks, rejects.

The transform itself runs per raw file (``defs.ingest``); these summaries describe a
run's whole ``normalized_records`` table.
"""

import dagster as dg
import polars as pl

from pipeline.core.transform.rules import reason_counts
from pipeline.defs.metadata import top_table

TOP_N = 20


def _top(df: pl.DataFrame, column: str) -> list[tuple[str, int]]:
    counts = (
        df.select(pl.col(column).explode().drop_nulls())
        .group_by(column)
        .len()
        .sort(["len", column], descending=[True, False])
        .head(TOP_N)
    )
    return list(counts.iter_rows())


def field_metadata(df: pl.DataFrame) -> dict[str, dg.MetadataValue]:
    """Language distribution, share with code, top datasets and tasks, reject reasons:
    the run at a glance."""
    n = max(df.height, 1)
    languages = df.group_by("language").len().sort("len", descending=True)
    return {
        "reject_reasons": top_table(list(reason_counts(df).items()), "reason"),
        "reject_rate": dg.MetadataValue.float(round(df["reason"].is_not_null().sum() / n, 4)),
        "language_distribution": top_table(list(languages.iter_rows()), "language"),
        "share_with_code": dg.MetadataValue.float(round(df["code_url"].is_not_null().sum() / n, 4)),
        "share_code_promised": dg.MetadataValue.float(round(df["code_promised"].sum() / n, 4)),
        # Markdown tables keep the order by count (the UI shows JSON keys sorted).
        "top_datasets": top_table(_top(df, "datasets"), "dataset"),
        "top_tasks": top_table(_top(df, "tasks"), "task"),
    }
