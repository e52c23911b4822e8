"""Assets of the dedup stage: every record's fate (clusters), the three tables built
from it (records, variants, papers), and their blocking checks."""

from collections.abc import Callable, Iterator

import dagster as dg
import polars as pl

from pipeline.core import schema
from pipeline.core.dedup.clustering import NARROW_COLUMNS, cluster_fates
from pipeline.core.dedup.near_index import load_index, save_index, saved_with_other_parameters
from pipeline.core.dedup.record_texts import RecordSource, ScannedRecords
from pipeline.core.dedup.tables import (
    BUILD_COLUMNS,
    ensure_same_records,
    papers_from_fates,
    variants_from_fates,
)
from pipeline.core.names import RECORD_KEY
from pipeline.core.store.counts import record_counts, record_rates
from pipeline.core.validate import quality
from pipeline.defs.io import load_columns, scan_asset
from pipeline.defs.metadata import column_schema, counts_by, table_metadata
from pipeline.settings import PipelineSettings

GROUP = "dedup"


CLUSTER_SIZE_BOUNDED = dg.AssetCheckSpec(
    "cluster_size_bounded",
    asset="clusters",
    blocking=True,
    description=(
        "No paper gathers more records than the max_cluster_size setting: a giant "
        "cluster means duplicate detection chained unrelated papers together. Blocks "
        "records, variants and papers from being built on it."
    ),
)


@dg.asset(
    group_name=GROUP,
    # Read by the step itself: a few columns held, the texts streamed from the files.
    deps=["normalized_records"],
    # Checked where the clusters are made: the largest one is known there already.
    check_specs=[CLUSTER_SIZE_BOUNDED],
    metadata=column_schema("clusters"),
    description=(
        "Duplicate detection: every record's fate, in file order. Records sharing their "
        "normalised text, arXiv id or DOI, or verified near-duplicate text, are one paper "
        "(paper_id); status published (the paper's canonical record) / duplicate / "
        "rejected, duplicate_kind, matched_on, similarity to the canonical text."
    ),
)
def clusters(settings: PipelineSettings) -> Iterator[dg.Output | dg.AssetCheckResult]:
    """Group records into papers: shared content hash, arXiv id or DOI, or verified
    near-duplicate text (MinHash LSH candidates, exact Jaccard). Signatures and verified
    similarities of texts seen before come from the persisted near index.

    Only the decision is made here; records, variants and papers are built from it by
    their own steps. So this step holds a few columns per record (texts are streamed
    from the stored records when needed, see :mod:`pipeline.core.dedup.record_texts`) and
    none of the three wide tables, each 0.3 to 0.7 GB on disk at 1M records.
    """
    config = settings.config()
    stored, narrow = _stored_in_file_order(settings, NARROW_COLUMNS, abstract_len=True)
    index = load_index(settings.near_index_dir)
    if index is None and saved_with_other_parameters(settings.near_index_dir):
        dg.get_dagster_logger().warning(
            "the near index was saved with other parameters (an older version of the "
            "code): it is rebuilt from scratch, once, and the old files removed"
        )
    result = cluster_fates(
        narrow,
        ScannedRecords(stored),
        config.near.near_threshold,
        index,
        canonical=config.canonical.canonical_preference,
    )
    del narrow, index
    if result.index is not None:
        save_index(result.index, settings.near_index_dir)
    fates = result.records
    counts = record_counts(fates)
    yield dg.Output(
        fates,
        metadata={
            **table_metadata(fates, [*RECORD_KEY, "status", "paper_id"]),
            "records_by_status": dg.MetadataValue.json(counts_by(fates, "status")),
            **{k: dg.MetadataValue.int(v) for k, v in counts.items()},
            "dedup": dg.MetadataValue.json(result.stats),
            "largest_cluster": dg.MetadataValue.int(result.stats.get("largest_cluster", 0)),
            **{k: dg.MetadataValue.float(v) for k, v in record_rates(counts).items()},
        },
    )
    size = result.stats.get("largest_cluster", 0)
    limit = config.gates.max_cluster_size
    yield dg.AssetCheckResult(
        check_name=CLUSTER_SIZE_BOUNDED.name,
        passed=size <= limit,
        description=f"largest paper has {size} records (limit {limit})",
        metadata={
            "largest_cluster": size,
            "titles": dg.MetadataValue.json(result.stats.get("largest_cluster_titles", [])),
        },
    )


@dg.asset(
    group_name=GROUP,
    deps=["normalized_records"],
    metadata=column_schema("records"),
    description=(
        "Every raw record exactly once, with its fate: status published / duplicate "
        "/ rejected, the paper it belongs to, duplicate_kind, and the reject reason."
    ),
)
def records(settings: PipelineSettings, clusters: pl.DataFrame) -> dg.Output[pl.LazyFrame]:
    """The stored normalised records beside their fates, streamed to disk row by row
    (both in file order): a million records' texts are never held."""
    stored, keys = _stored_in_file_order(settings, RECORD_KEY)
    ensure_same_records(clusters, keys)
    decided = clusters.drop(RECORD_KEY).lazy()
    table = schema.conform(
        pl.concat([stored, decided], how="horizontal"), schema.RECORDS, "records"
    )
    return dg.Output(
        table,
        metadata=table_metadata(clusters, [*RECORD_KEY, "status", "paper_id"]),
    )


@dg.asset(
    group_name=GROUP,
    deps=["normalized_records"],
    metadata=column_schema("variants"),
    description=(
        "Every distinct title/abstract version of each paper with its sources and "
        "its similarity to the canonical version: no version of a text is lost."
    ),
)
def variants(settings: PipelineSettings, clusters: pl.DataFrame) -> dg.Output[pl.DataFrame]:
    table = _built_from(settings, clusters, variants_from_fates)
    return dg.Output(table, metadata=table_metadata(table, ["paper_id", "title", "similarity"]))


PAPER_IDS_UNIQUE = dg.AssetCheckSpec(
    "paper_ids_unique",
    asset="papers",
    blocking=True,
    description="paper_id is non-null and unique.",
)
PAPERS_MATCH_RECORDS = dg.AssetCheckSpec(
    "papers_match_records",
    asset="papers",
    blocking=True,
    description=(
        "Each paper's n_records equals the number of records that point at it (the records' "
        "paper_id is the one clusters decided, which records.parquet carries as it is)."
    ),
)


@dg.asset(
    group_name=GROUP,
    deps=["normalized_records"],
    # Checked where the table is in memory, beside the fates it was built from.
    check_specs=[PAPER_IDS_UNIQUE, PAPERS_MATCH_RECORDS],
    metadata=column_schema("papers"),
    description=(
        "One row per paper (see clusters): the canonical version's clean text and fields, "
        "a paper_id derived from its first sighting, sighting history, every source listed."
    ),
)
def papers(
    settings: PipelineSettings, clusters: pl.DataFrame
) -> Iterator[dg.Output | dg.AssetCheckResult]:
    table = _built_from(settings, clusters, papers_from_fates)
    yield dg.Output(
        table, metadata=table_metadata(table, ["paper_id", "title", "n_records", "n_variants"])
    )
    yield _check_result(PAPER_IDS_UNIQUE, quality.paper_ids_unique(table))
    yield _check_result(PAPERS_MATCH_RECORDS, quality.papers_match_records(table, clusters))


def _built_from(
    settings: PipelineSettings,
    clusters: pl.DataFrame,
    build: Callable[[pl.DataFrame, pl.DataFrame, RecordSource], pl.DataFrame],
) -> pl.DataFrame:
    """A table built from the fates and the stored records (the columns it decides on
    held, the wide ones read by position)."""
    stored, narrow = _stored_in_file_order(settings, BUILD_COLUMNS)
    return build(clusters, narrow, ScannedRecords(stored))


def _stored_in_file_order(
    settings: PipelineSettings, columns: tuple[str, ...], abstract_len: bool = False
) -> tuple[pl.LazyFrame, pl.DataFrame]:
    """The stored normalised records as a scan, and ``columns`` of them (with the
    abstract's length when asked), both in file order: collect_records writes them so;
    should they not be, both are sorted."""
    scan = scan_asset(settings.asset_dir, "normalized_records")
    extra = {"abstract_len": pl.col("abstract").str.len_chars()} if abstract_len else {}
    narrow = scan.select(*dict.fromkeys([*RECORD_KEY, *columns]), **extra).collect(
        engine="streaming"
    )
    keys = narrow.select(RECORD_KEY)
    if keys.equals(keys.sort(RECORD_KEY)):
        return scan, narrow
    return scan.sort(*RECORD_KEY), narrow.sort(*RECORD_KEY)


# The checks read a few columns of tables that hold a million rows and their texts: each
# loads just those (the IO manager cannot narrow a check's own asset, load_columns can).
_RECORD_FATES = [*RECORD_KEY, "status", "reason", "paper_id"]


def _check_result(
    spec: dg.AssetCheckSpec | None, outcome: quality.CheckOutcome
) -> dg.AssetCheckResult:
    """A check's result from its outcome; ``spec`` names it when the asset's own step
    reports it (None inside an @asset_check)."""
    return dg.AssetCheckResult(
        check_name=spec.name if spec else None,
        passed=outcome.passed,
        description=outcome.description,
        metadata={"details": dg.MetadataValue.json(outcome.details)},
    )


@dg.asset_check(
    asset="records",
    blocking=True,
    additional_ins={"raw_records": dg.AssetIn(metadata={"columns": list(RECORD_KEY)})},
    description="Every raw record appears exactly once in records: nothing lost, nothing invented.",
)
def records_accounted_for(
    settings: PipelineSettings, raw_records: pl.DataFrame
) -> dg.AssetCheckResult:
    records = load_columns(settings.asset_dir, "records", list(RECORD_KEY))
    return _check_result(None, quality.records_accounted_for(raw_records, records))


@dg.asset_check(
    asset="records",
    blocking=True,
    description="Rejected records, and only they, carry a reason and no paper_id.",
)
def rejected_have_reasons(settings: PipelineSettings) -> dg.AssetCheckResult:
    records = load_columns(settings.asset_dir, "records", _RECORD_FATES)
    return _check_result(None, quality.rejected_have_reasons(records))


CHECKS = [records_accounted_for, rejected_have_reasons]
