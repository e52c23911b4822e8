"""Assets of the transform stage: clean text, keys, hashes and record rules."""

import dagster as dg
import polars as pl

from pipeline.core.normalize import normalize_records
from pipeline.core.rules import reason_counts
from pipeline.defs.metadata import table_metadata

GROUP = "transform"


@dg.asset(
    group_name=GROUP,
    description=(
        "raw_records with Unicode-normalised title and abstract, a title_key for matching, "
        "a sha256 content_hash, and the reason (if any) the record cannot be published."
    ),
)
def normalized_records(raw_records: pl.DataFrame) -> dg.Output[pl.DataFrame]:
    """Normalise every record and apply the record-level rules."""
    df = normalize_records(raw_records)
    return dg.Output(
        df,
        metadata={
            **table_metadata(df, ["title", "title_key", "content_hash", "reason"]),
            "reject_reasons": dg.MetadataValue.json(reason_counts(df)),
        },
    )
