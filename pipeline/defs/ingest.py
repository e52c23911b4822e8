"""Assets of the ingest stage: the raw files and every entry read from them."""

import dagster as dg

from pipeline.core.ingest import ingest
from pipeline.defs.metadata import counts_by, table_metadata
from pipeline.settings import PipelineSettings

GROUP = "ingest"


@dg.multi_asset(
    outs={
        "raw_files": dg.AssetOut(
            group_name=GROUP,
            description=(
                "One row per file under <data_dir>/raw: sha256, detected format, status "
                "(ok / empty / rejected) and the reason a file could not be read."
            ),
        ),
        "raw_records": dg.AssetOut(
            group_name=GROUP,
            description=(
                "Every title/abstract entry found in the raw files, as found (page chrome "
                "removed), with provenance: file, position and 1-based line span."
            ),
        ),
    },
)
def parse_raw(
    context: dg.AssetExecutionContext, settings: PipelineSettings
) -> tuple[dg.Output, dg.Output]:
    """Read every raw file; unreadable ones are rejected as a whole, never fatal."""
    result = ingest(settings.raw_dir, progress=context.log.info, field_map=settings.field_map)
    files, records = result.files, result.records
    files_meta = {
        **table_metadata(files, ["source_file", "format", "status", "reason", "n_records"]),
        "files_by_status": dg.MetadataValue.json(counts_by(files, "status")),
        "raw_dir": dg.MetadataValue.path(str(settings.raw_dir)),
    }
    records_meta = {
        **table_metadata(records, ["source_file", "record_index", "line_start", "title_raw"]),
        "records_per_file": dg.MetadataValue.json(counts_by(records, "source_file")),
    }
    return (
        dg.Output(files, output_name="raw_files", metadata=files_meta),
        dg.Output(records, output_name="raw_records", metadata=records_meta),
    )
