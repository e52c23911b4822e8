"""Assets of the transform stage: clean text, keys, extracted fields, language, rules."""

import dagster as dg
import polars as pl

from pipeline.core.language import empty_cache
from pipeline.core.rules import reason_counts
from pipeline.core.store import write_parquet_atomic
from pipeline.core.transform import transform_records
from pipeline.defs.metadata import table_metadata
from pipeline.settings import PipelineSettings

GROUP = "transform"
TOP_N = 20


@dg.asset(
    group_name=GROUP,
    description=(
        "raw_records with clean title and abstract (Unicode NFC, LaTeX resolved), a title_key "
        "and sha256 content_hash, extracted fields (code and other URLs, arXiv references, "
        "acronym, datasets, tasks, language) and the reason, if any, the record is rejected."
    ),
)
def normalized_records(
    context: dg.AssetExecutionContext, settings: PipelineSettings, raw_records: pl.DataFrame
) -> dg.Output[pl.DataFrame]:
    """Transform every record; language results are cached by content hash across runs."""
    cache_path = settings.language_cache
    cache = pl.read_parquet(cache_path) if cache_path.is_file() else empty_cache()
    result = transform_records(
        raw_records,
        cache,
        settings.languages,
        workers=settings.workers or None,
        bounds=settings.expectations(),
        progress=context.log.info,
    )
    write_parquet_atomic(result.language_cache, cache_path)
    df = result.records
    stats = result.language_stats
    context.log.info(
        f"language: detected {stats['detected']} texts, {stats['cache_hits']} from cache"
    )
    return dg.Output(
        df,
        metadata={
            **table_metadata(df, ["title", "acronym", "language", "reason"]),
            "reject_reasons": dg.MetadataValue.json(reason_counts(df)),
            **_field_metadata(df),
            "language_detected": stats["detected"],
            "language_cache_hits": stats["cache_hits"],
        },
    )


def _top(df: pl.DataFrame, column: str) -> dict[str, int]:
    counts = (
        df.select(pl.col(column).explode().drop_nulls())
        .group_by(column)
        .len()
        .sort(["len", column], descending=[True, False])
        .head(TOP_N)
    )
    return dict(counts.iter_rows())


def _field_metadata(df: pl.DataFrame) -> dict[str, dg.MetadataValue]:
    """Language distribution, share with code, top datasets and tasks: the run at a glance."""
    n = max(df.height, 1)
    languages = df.group_by("language").len().sort("len", descending=True)
    return {
        "language_distribution": dg.MetadataValue.json(
            {str(k): v for k, v in languages.iter_rows()}
        ),
        "share_with_code": dg.MetadataValue.float(round(df["code_url"].is_not_null().sum() / n, 4)),
        "share_code_promised": dg.MetadataValue.float(round(df["code_promised"].sum() / n, 4)),
        "top_datasets": dg.MetadataValue.json(_top(df, "datasets")),
        "top_tasks": dg.MetadataValue.json(_top(df, "tasks")),
    }
