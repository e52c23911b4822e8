"""The publish asset: a new immutable version of the dataset, or "unchanged"."""

import dagster as dg
import polars as pl

from pipeline.core.names import RECORD_KEY
from pipeline.core.provenance import inputs_fingerprint
from pipeline.core.store.card import CARD, REPORT
from pipeline.core.store.counts import record_rates
from pipeline.core.store.publish import PublishRefusedError, publish_version
from pipeline.core.validate.evidence import load_evidence, validate_candidate
from pipeline.defs.errors import os_errors_named
from pipeline.defs.io import asset_path
from pipeline.defs.run_lease import claim_data_dir
from pipeline.settings import PipelineSettings

GROUP = "publish"
RECORD_COLUMNS = [*RECORD_KEY, "status", "reason", "reason_codes", "paper_id", "duplicate_kind"]
PAPER_COLUMNS = ["paper_id", "content_hash", "n_records"]


@dg.asset(
    group_name=GROUP,
    # The checks and the manifest read ids, statuses and reasons; the full tables are
    # copied from the files the IO manager wrote, never loaded here.
    ins={
        "raw_records": dg.AssetIn(metadata={"columns": list(RECORD_KEY)}),
        "records": dg.AssetIn(metadata={"columns": RECORD_COLUMNS}),
        "papers": dg.AssetIn(metadata={"columns": PAPER_COLUMNS}),
    },
    deps=["variants"],
    description=(
        "A complete, immutable snapshot under <data_dir>/processed/papers/vNNNN "
        "(papers, records, variants, files, manifest.json, validation.json, data_docs/) with "
        "LATEST pointing at it. Same content as the latest version: no new version."
    ),
)
@os_errors_named
def published_version(
    context: dg.AssetExecutionContext,
    settings: PipelineSettings,
    raw_files: pl.DataFrame,
    raw_records: pl.DataFrame,
    records: pl.DataFrame,
    papers: pl.DataFrame,
) -> dg.MaterializeResult:
    """Check the tables once more and publish them atomically."""
    resolved = settings.resolved()
    config = resolved.config
    claim_data_dir(context, settings.processed_dir)  # still ours (or ours now, run alone)
    outcomes = load_evidence(settings.evidence_dir, papers, records)
    if outcomes is None:  # materialized alone, without this run's check: validate here
        bounds = settings.expectations(config)
        outcomes = validate_candidate(
            pl.read_parquet(asset_path(settings.asset_dir, dg.AssetKey("papers"))),
            pl.read_parquet(asset_path(settings.asset_dir, dg.AssetKey("records"))),
            bounds,
            settings.evidence_dir,
        )
    try:
        result = publish_version(
            settings.store_root,
            raw_files,
            raw_records,
            records,
            papers,
            keep=config.retention.keep_versions,
            expectations=outcomes,
            evidence_dir=settings.evidence_dir,
            run_name=context.run_id,
            table_files={
                name: asset_path(settings.asset_dir, dg.AssetKey(name))
                for name in ("papers", "records", "variants")
            },
            fingerprint=inputs_fingerprint(
                list(zip(raw_files["source_file"], raw_files["sha256"], strict=True)),
                config.output_config(),
            ),
            settings=resolved.record(),
            license_id=config.card.license,
        )
    except PublishRefusedError as exc:
        raise dg.Failure(
            description=str(exc),
            metadata={"failed_checks": dg.MetadataValue.json([c.to_dict() for c in exc.failed])},
        ) from exc
    manifest = result.manifest
    claim_data_dir(context, settings.processed_dir, release=True)
    context.log.info(
        f"version {result.version} {'unchanged' if result.unchanged else 'published'}: "
        f"{result.path}"
    )
    return dg.MaterializeResult(
        metadata={
            "version": result.version,
            "unchanged": result.unchanged,
            "path": dg.MetadataValue.path(str(result.path)),
            "content_hash": manifest["content_hash"],
            "counts": dg.MetadataValue.json(manifest["counts"]),
            **{k: dg.MetadataValue.float(v) for k, v in record_rates(manifest["counts"]).items()},
            "code_version": manifest["code_version"],
            # Into the published version: what stays, unlike the stage's working copies.
            "report": dg.MetadataValue.path(str(result.path / REPORT)),
            "dataset_card": dg.MetadataValue.path(str(result.path / CARD)),
            "data_docs": dg.MetadataValue.path(str(result.path / "data_docs" / "index.html")),
        }
    )
