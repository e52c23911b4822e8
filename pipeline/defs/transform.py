"""What the UI shows about transformed records: languages, code, datasets, tasks, rejects.

The transform itself runs per raw file (``defs.ingest``); these summaries describe a
run's whole ``normalized_records`` table.
"""

import dagster as dg
import polars as pl

from pipeline.core.transform.rules import reason_counts

TOP_N = 20


def _top(df: pl.DataFrame, column: str) -> dict[str, int]:
    counts = (
        df.select(pl.col(column).explode().drop_nulls())
        .group_by(column)
        .len()
        .sort(["len", column], descending=[True, False])
        .head(TOP_N)
    )
    return dict(counts.iter_rows())


def field_metadata(df: pl.DataFrame) -> dict[str, dg.MetadataValue]:
    """Language distribution, share with code, top datasets and tasks, reject reasons:
    the run at a glance."""
    n = max(df.height, 1)
    languages = df.group_by("language").len().sort("len", descending=True)
    return {
        "reject_reasons": dg.MetadataValue.json(reason_counts(df)),
        "language_distribution": dg.MetadataValue.json(
            {str(k): v for k, v in languages.iter_rows()}
        ),
        "share_with_code": dg.MetadataValue.float(round(df["code_url"].is_not_null().sum() / n, 4)),
        "share_code_promised": dg.MetadataValue.float(round(df["code_promised"].sum() / n, 4)),
        "top_datasets": dg.MetadataValue.json(_top(df, "datasets")),
        "top_tasks": dg.MetadataValue.json(_top(df, "tasks")),
    }
