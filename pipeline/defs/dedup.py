"""Assets of the dedup stage: papers, every record's fate, and their blocking checks."""

from collections.abc import Iterator

import dagster as dg
import polars as pl

from pipeline.core import quality, schema
from pipeline.core.dedup import NARROW_COLUMNS, cluster_duplicates
from pipeline.core.near_index import load_index, save_index
from pipeline.core.publish import record_counts
from pipeline.defs.io import load_columns, scan_asset
from pipeline.defs.metadata import counts_by, table_metadata
from pipeline.settings import PipelineSettings

GROUP = "dedup"
RECORD_KEY = ("source_file", "record_index")


@dg.multi_asset(
    # Read by the step itself: a few columns held, the texts streamed from the file.
    deps=["normalized_records"],
    outs={
        "records": dg.AssetOut(
            group_name=GROUP,
            description=(
                "Every raw record exactly once, with its fate: status published / duplicate "
                "/ rejected, the paper it belongs to, duplicate_kind, and the reject reason."
            ),
        ),
        "variants": dg.AssetOut(
            group_name=GROUP,
            description=(
                "Every distinct title/abstract version of each paper with its sources and "
                "its similarity to the canonical version: no version of a text is lost."
            ),
        ),
        "papers": dg.AssetOut(
            group_name=GROUP,
            description=(
                "One row per paper: records sharing their normalised text, arXiv id or DOI, or "
                "verified near-duplicate text, are one paper; the canonical version's clean text "
                "and fields, a paper_id derived from its first sighting, every source listed."
            ),
        ),
    },
)
def deduplicate(settings: PipelineSettings) -> Iterator[dg.Output]:
    """Group records into papers: shared content hash, arXiv id or DOI, or verified
    near-duplicate text (MinHash LSH candidates, exact Jaccard). Signatures and verified
    similarities of texts seen before come from the persisted near index.

    Memory stays bounded at a million records: clustering holds a few columns per
    record (the texts are read from the stored file when needed, see
    :mod:`pipeline.core.record_texts`), and the outputs are yielded one by one, each
    built just before it is written and let go after (papers is 1.4 GB at 1M records).
    """
    stored, narrow = _stored_in_file_order(settings)
    index = load_index(settings.near_index_dir)
    result = cluster_duplicates(
        narrow, settings.near_threshold, index, fates_only=True, stored=stored
    )
    del narrow, index
    if result.index is not None:
        save_index(result.index, settings.near_index_dir)
    fates = result.records
    yield dg.Output(
        _records(stored, fates),
        output_name="records",
        metadata={
            **table_metadata(fates, ["source_file", "record_index", "status", "paper_id"]),
            "records_by_status": dg.MetadataValue.json(counts_by(fates, "status")),
            **{k: dg.MetadataValue.int(v) for k, v in record_counts(fates).items()},
        },
    )
    variants = result.build_variants()
    variants_meta = table_metadata(variants, ["paper_id", "title", "similarity"])
    yield dg.Output(variants, output_name="variants", metadata=variants_meta)
    del variants
    papers = result.build_papers()
    yield dg.Output(
        papers,
        output_name="papers",
        metadata={
            **table_metadata(papers, ["paper_id", "title", "n_records", "n_variants"]),
            "dedup": dg.MetadataValue.json(result.stats),
            "largest_cluster": dg.MetadataValue.int(result.stats.get("largest_cluster", 0)),
            "duplicate_rate_by_kind": dg.MetadataValue.json(_rates(fates)),
        },
    )


def _stored_in_file_order(settings: PipelineSettings) -> tuple[pl.LazyFrame, pl.DataFrame]:
    """The stored normalised records as a scan, and the columns clustering holds, both
    in file order: collect_records writes them so; should they not be, both are sorted."""
    scan = scan_asset(settings.asset_dir, "normalized_records")
    narrow = scan.select(*NARROW_COLUMNS, abstract_len=pl.col("abstract").str.len_chars()).collect(
        engine="streaming"
    )
    keys = narrow.select(RECORD_KEY)
    if keys.equals(keys.sort(RECORD_KEY)):
        return scan, narrow
    return scan.sort(*RECORD_KEY), narrow.sort(*RECORD_KEY)


def _records(stored: pl.LazyFrame, fates: pl.DataFrame) -> pl.LazyFrame:
    """records.parquet as a stream: the stored normalised records, row by row beside
    their fates (both in file order)."""
    decided = fates.drop(RECORD_KEY).lazy()
    return schema.conform(pl.concat([stored, decided], how="horizontal"), schema.RECORDS, "records")


def _rates(records: pl.DataFrame) -> dict[str, float]:
    n = max(records.height, 1)
    kinds = records.drop_nulls("duplicate_kind").group_by("duplicate_kind").len()
    return {k: round(v / n, 4) for k, v in kinds.iter_rows()}


# The checks read a few columns of tables that hold a million rows and their texts: each
# loads just those (the IO manager cannot narrow a check's own asset, load_columns can).
_PAPER_COUNTS = ["paper_id", "n_records"]
_RECORD_FATES = [*RECORD_KEY, "status", "reason", "paper_id"]


@dg.asset_check(
    asset="papers",
    blocking=True,
    description=(
        "No paper gathers more records than PipelineSettings.max_cluster_size: a giant "
        "cluster means duplicate detection chained unrelated papers together."
    ),
)
def cluster_size_bounded(settings: PipelineSettings) -> dg.AssetCheckResult:
    papers = load_columns(settings.asset_dir, "papers", _PAPER_COUNTS)
    largest = papers.sort("n_records", "paper_id", descending=[True, False]).head(1)
    size = int(largest["n_records"][0]) if largest.height else 0
    titles: list[str] = []
    if largest.height:
        members = load_columns(settings.asset_dir, "records", ["paper_id", "title"])
        chosen = members.filter(pl.col("paper_id") == largest["paper_id"][0])
        titles = chosen["title"].drop_nulls().unique().to_list()
    return dg.AssetCheckResult(
        passed=size <= settings.max_cluster_size,
        description=f"largest paper has {size} records (limit {settings.max_cluster_size})",
        metadata={"largest_cluster": size, "titles": dg.MetadataValue.json(sorted(titles)[:20])},
    )


def _check_result(outcome: quality.CheckOutcome) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
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
    return _check_result(quality.records_accounted_for(raw_records, records))


@dg.asset_check(
    asset="records",
    blocking=True,
    description="Rejected records, and only they, carry a reason and no paper_id.",
)
def rejected_have_reasons(settings: PipelineSettings) -> dg.AssetCheckResult:
    records = load_columns(settings.asset_dir, "records", _RECORD_FATES)
    return _check_result(quality.rejected_have_reasons(records))


@dg.asset_check(
    asset="papers",
    blocking=True,
    description="paper_id is non-null and unique.",
)
def paper_ids_unique(settings: PipelineSettings) -> dg.AssetCheckResult:
    papers = load_columns(settings.asset_dir, "papers", ["paper_id"])
    return _check_result(quality.paper_ids_unique(papers))


@dg.asset_check(
    asset="papers",
    blocking=True,
    description="Each paper's n_records equals the number of records that point at it.",
)
def papers_match_records(settings: PipelineSettings) -> dg.AssetCheckResult:
    papers = load_columns(settings.asset_dir, "papers", _PAPER_COUNTS)
    records = load_columns(settings.asset_dir, "records", ["paper_id"])
    return _check_result(quality.papers_match_records(papers, records))


CHECKS = [
    records_accounted_for,
    rejected_have_reasons,
    paper_ids_unique,
    papers_match_records,
    cluster_size_bounded,
]
