"""The per-file stage and the assets that gather it: raw files, raw and transformed records.

Each raw file is one partition of ``file_records`` (a dynamic partition named after
its path under raw/). A partition run parses and transforms that file and stores
the result; the global ``collect_records`` then reads every file's stored output,
computing inline only the files no partition run has covered (new, changed, or
made by older code). So the global job is correct on its own (the CLI and the
schedule run just it), and partition runs let the UI reprocess one file or spread
a large backfill over several processes.
"""

import dagster as dg
import polars as pl

from pipeline.core import schema
from pipeline.core.atomic import write_parquet_atomic
from pipeline.core.ingest.file_batches import transform_files
from pipeline.core.ingest.file_outputs import collect, find_raw_file
from pipeline.core.store.leftovers import clear_leftovers
from pipeline.core.transform.language import empty_cache
from pipeline.defs.errors import os_errors_named
from pipeline.defs.io import StoredParts
from pipeline.defs.metadata import column_schema, counts_by, table_metadata
from pipeline.defs.run_lease import claim_data_dir
from pipeline.defs.transform import field_metadata
from pipeline.settings import PipelineSettings

GROUP = "ingest"
# A run tagged FORCE_TAG=true (``pipeline run --force``, or set by hand on a UI launch)
# trusts nothing remembered: every raw file is hashed, parsed and transformed again.
FORCE_TAG = "papers/force"
RAW_FILES = dg.DynamicPartitionsDefinition(name="raw_files")
# Dagster refuses these in partition keys; such a file is still processed by the
# global stage, it just gets no partition of its own.
_INVALID_KEY_PARTS = ("...", "\a", "\b", "\f", "\n", "\r", "\t", "\v", "\0")


def is_partition_key(relative: str) -> bool:
    """Whether a raw file's relative path can name a dynamic partition."""
    return bool(relative) and not any(part in relative for part in _INVALID_KEY_PARTS)


def partition_changes(
    instance: dg.DagsterInstance, relatives: list[str]
) -> tuple[list[str], list[str]]:
    """The ``raw_files`` partitions to add and to delete so that they are exactly the
    raw files at ``relatives`` (those whose path can be a key)."""
    wanted = {r for r in relatives if is_partition_key(r)}
    existing = set(instance.get_dynamic_partitions(RAW_FILES.name or ""))
    return sorted(wanted - existing), sorted(existing - wanted)


def sync_partitions(instance: dg.DagsterInstance, relatives: list[str]) -> tuple[int, int]:
    """Make the ``raw_files`` partitions exactly the current raw files; (added, removed)."""
    added, removed = partition_changes(instance, relatives)
    if added:
        instance.add_dynamic_partitions(RAW_FILES.name or "", added)
    for key in removed:
        instance.delete_dynamic_partition(RAW_FILES.name or "", key)
    return len(added), len(removed)


def _load_language_cache(settings: PipelineSettings) -> pl.DataFrame:
    path = settings.language_cache
    return pl.read_parquet(path) if path.is_file() else empty_cache()


# One raw file's stored output, by partition. Not an executable asset: the op job
# file_job materializes its partitions. So "Materialize all" on the lineage page or the
# catalog (which leaves non-executable assets out) launches the global stages at once,
# with no partition dialog, while the lineage still shows where collect_records reads.
file_records = dg.AssetSpec(
    "file_records",
    partitions_def=RAW_FILES,
    group_name=GROUP,
    metadata=column_schema("file_records"),
    description=(
        "One raw file (the partition key is its path under raw/), parsed and transformed: "
        "its records with clean text, extracted fields, language and verdict, stored under "
        "processed/_files until the file or the code changes. Reprocess a file by launching "
        "file_job for its partition (or a backfill of file_job for many); collect_records "
        "picks the results up and transforms any file still missing itself."
    ),
)


@dg.op(
    description=(
        "Parse and transform the raw file named by the run's partition key, store its "
        "records under processed/_files, and record a file_records materialization."
    )
)
def transform_file(context: dg.OpExecutionContext, settings: PipelineSettings) -> None:
    relative = context.partition_key
    hashes = settings.hash_cache()
    raw = find_raw_file(settings.raw_dir, relative, hashes)
    hashes.save()
    if raw is None:
        raise dg.Failure(f"no raw file {relative!r} under {settings.raw_dir} (removed?)")
    config = settings.config()
    store = settings.file_outputs(config)
    (output,), cache, stats = transform_files(
        [raw],
        settings.record_settings(config),
        _load_language_cache(settings),
        config.execution.workers or None,
        language_engine=config.execution.language_engine,
    )
    store.put(raw, output)
    write_parquet_atomic(cache, settings.language_cache)
    records = output.records
    metadata = {
        "status": output.file_row["status"],
        "reason": output.file_row["reason"] or "",
        "sha256": raw.sha256 or "",
        **table_metadata(records, ["record_index", "title", "reason"]),
        "rejected": int(records["reason"].is_not_null().sum()),
        "language_detected": stats["detected"],
        "stored_at": dg.MetadataValue.path(str(store.path(raw))),
    }
    context.log_event(
        dg.AssetMaterialization(file_records.key, partition=relative, metadata=metadata)
    )


@dg.multi_asset(
    deps=[file_records],
    outs={
        "raw_files": dg.AssetOut(
            metadata=column_schema("raw_files"),
            group_name=GROUP,
            description=(
                "One row per file under <data_dir>/raw: sha256, detected format, status "
                "(ok / empty / rejected) and the reason a file could not be read."
            ),
        ),
        "raw_records": dg.AssetOut(
            metadata=column_schema("raw_records"),
            group_name=GROUP,
            description=(
                "Every title/abstract entry found in the raw files, as found (page chrome "
                "removed), with provenance: file, position and 1-based line span."
            ),
        ),
        "normalized_records": dg.AssetOut(
            metadata=column_schema("normalized_records"),
            group_name="transform",
            description=(
                "raw_records with clean title and abstract (Unicode NFC, LaTeX resolved), a "
                "title_key and sha256 content_hash, extracted fields (code and other URLs, "
                "arXiv references, acronym, datasets, tasks, language) and the reason, if "
                "any, the record is rejected."
            ),
        ),
    },
)
@os_errors_named
def collect_records(
    context: dg.AssetExecutionContext, settings: PipelineSettings
) -> tuple[dg.Output, dg.Output, dg.Output]:
    """Every raw file's records: stored per-file outputs where current, the rest computed
    here in batches; the raw_files partitions are then synced to the files found."""
    config = settings.config()  # first: a bad setting fails here, before anything is written
    claim_data_dir(context, settings.processed_dir)  # then: one run per data directory
    for path in clear_leftovers(settings.processed_dir):  # what killed runs left behind
        context.log.info(f"removed leftover {path}")
    hashes = settings.hash_cache()
    force = context.run.tags.get(FORCE_TAG) == "true"
    result = collect(
        settings.raw_dir,
        settings.file_outputs(config),
        settings.record_settings(config),
        _load_language_cache(settings),
        workers=config.execution.workers or None,
        progress=context.log.info,
        hashes=hashes,
        language_engine=config.execution.language_engine,
        force=force,
    )
    hashes.save()
    added, removed = sync_partitions(context.instance, result.files["source_file"].to_list())
    write_parquet_atomic(result.language_cache, settings.language_cache)
    for relative in result.transformed:  # so the UI shows those partitions as done
        if is_partition_key(relative):
            context.log_event(
                dg.AssetMaterialization(
                    file_records.key, partition=relative, metadata={"by": "collect_records"}
                )
            )
    stats = result.language_stats
    context.log.info(
        f"files: {len(result.transformed)} transformed, {len(result.reused)} reused; "
        f"language: detected {stats['detected']} texts, {stats['cache_hits']} from cache"
    )
    # The records are written by streaming the stored per-file entries into the asset
    # files; the metadata reads a few of their columns.
    files_df, records = result.files, result.lazy_records
    summary = records.select(_SUMMARY_COLUMNS).collect()
    files_meta = {
        **table_metadata(files_df, ["source_file", "format", "status", "reason", "n_records"]),
        "files_by_status": dg.MetadataValue.json(counts_by(files_df, "status")),
        "files_transformed": len(result.transformed),
        "files_reused": len(result.reused),
        "partitions_added": added,
        "partitions_removed": removed,
        "entries_pruned": result.pruned,
        "raw_dir": dg.MetadataValue.path(str(settings.raw_dir)),
    }
    raw_meta = {
        **table_metadata(summary, ["source_file", "record_index", "line_start", "title_raw"]),
        "records_per_file": dg.MetadataValue.json(counts_by(summary, "source_file")),
    }
    records_meta = {
        **table_metadata(summary, ["title", "acronym", "language", "reason"]),
        **field_metadata(summary),
        "language_detected": stats["detected"],
        "language_cache_hits": stats["cache_hits"],
    }
    # Every record is in a stored per-file entry (the usual case): both tables are those
    # files, linked, not a row rewritten (15 s a run at 1M records).
    raw: pl.LazyFrame | StoredParts = records.select(schema.RAW_RECORDS.names())
    normalized: pl.LazyFrame | StoredParts = records
    if result.entry_files is not None:
        entries = tuple(result.entry_files)
        raw = StoredParts(entries, tuple(schema.RAW_RECORDS.names()))
        normalized = StoredParts(entries, tuple(schema.NORMALIZED_RECORDS.names()))
    return (
        dg.Output(files_df, output_name="raw_files", metadata=files_meta),
        dg.Output(raw, output_name="raw_records", metadata=raw_meta),
        dg.Output(normalized, output_name="normalized_records", metadata=records_meta),
    )


# What the UI's metadata of the record tables reads (previews, counts, distributions).
_SUMMARY_COLUMNS = [
    "source_file",
    "record_index",
    "line_start",
    "title_raw",
    "title",
    "acronym",
    "language",
    "reason",
    "reason_codes",
    "code_url",
    "code_promised",
    "datasets",
    "tasks",
]
