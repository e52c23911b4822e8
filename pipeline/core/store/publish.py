"""Assembling a version's manifest and handing the tables to the store.

The publish step re-runs the dataset checks itself, so no caller (the Dagster
asset, a script, a test) can put a version that breaks them behind LATEST.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping
from pathlib import Path

import polars as pl

from pipeline.core import schema
from pipeline.core.provenance import code_version
from pipeline.core.store.card import DEFAULT_LICENSE, write_card
from pipeline.core.store.counts import record_counts
from pipeline.core.store.diff import diff_papers
from pipeline.core.store.report import write_report
from pipeline.core.store.versions import PublishResult, Table, VersionStore
from pipeline.core.transform.rules import reason_counts
from pipeline.core.validate import quality

TABLE_SCHEMAS = schema.PUBLISHED_TABLES


class PublishRefusedError(RuntimeError):
    """A dataset check failed, so the candidate version was not published."""

    def __init__(self, failed: list[quality.CheckOutcome], kept: Path | None = None) -> None:
        self.failed = failed
        self.kept = kept
        names = ", ".join(c.name for c in failed)
        where = f"; candidate kept at {kept}" if kept else ""
        super().__init__(f"publish refused: failed checks: {names}{where}")


def build_manifest(
    files: pl.DataFrame,
    records: pl.DataFrame,
    papers: pl.DataFrame,
    checks: list[quality.CheckOutcome],
) -> dict:
    """Everything but the store's own fields (version, parent, tables, content hash)."""
    return {
        "code_version": code_version(),
        "inputs": files.to_dicts(),
        "counts": {
            "files": files.height,
            "files_by_status": dict(sorted(files.group_by("status").len().iter_rows())),
            **record_counts(records),
            "papers": papers.height,
        },
        "reject_reasons": reason_counts(records),
        "checks": [c.to_dict() for c in checks],
        "schema": {
            name: {col: str(dtype) for col, dtype in table_schema.items()}
            for name, table_schema in TABLE_SCHEMAS.items()
        },
    }


def publish_version(
    store_root: Path,
    files: pl.DataFrame,
    raw_records: pl.DataFrame,
    records: pl.DataFrame,
    papers: pl.DataFrame,
    keep: int = 0,
    expectations: list[quality.CheckOutcome] | None = None,
    evidence_dir: Path | None = None,
    run_name: str = "manual",
    fingerprint: str | None = None,
    variants: pl.DataFrame | None = None,
    table_files: Mapping[str, Path] | None = None,
    settings: Mapping | None = None,
    license_id: str = DEFAULT_LICENSE,
) -> PublishResult:
    """Check the tables and publish them as a new version (or find them unchanged).

    ``expectations`` are the Great Expectations outcomes of these tables and
    ``evidence_dir`` holds their validation.json and Data Docs, copied into the
    version. Any failed check refuses the publish: LATEST stays, and the candidate is
    kept under ``_refused/<run_name>``. ``keep`` > 0 keeps only the newest versions.

    ``table_files`` names Parquet files holding the full papers, records or variants
    tables, copied into the version as they are; the frames passed for those tables
    then only need the columns the checks and the manifest read (ids, statuses,
    reasons), so a million-record version is published without holding its texts.

    ``settings`` (values, and the source of each) are recorded in the manifest, and the
    changelog names the values that changed since the parent version. A new version
    also gets its dataset card (README.md, licence ``license_id``) and
    its report (report.html), written before it becomes visible.
    """
    checks = quality.run_all(raw_records, records, papers) + list(expectations or [])
    given = {"papers": papers, "records": records, "variants": variants}
    tables: dict[str, Table] = {
        "files": schema.conform(files.sort("source_file"), schema.FILES, "files")
    }
    for name, frame in given.items():
        table_schema = TABLE_SCHEMAS[name]
        if table_files and name in table_files:
            tables[name] = schema.conform_file(table_files[name], table_schema, name)
        else:
            frame = frame if frame is not None else schema.empty(table_schema)
            tables[name] = schema.conform(frame, table_schema, name)
    manifest = {
        **build_manifest(files, records, papers, checks),
        "inputs_fingerprint": fingerprint,
        "settings": dict(settings) if settings is not None else None,
    }
    store = VersionStore(store_root)
    failed = [c for c in checks if not c.passed]
    if failed:
        kept = store.keep_refused(run_name, tables, evidence_dir, manifest)
        raise PublishRefusedError(failed, kept)

    def annotate(parent: Path | None, staging: Path) -> dict:
        if evidence_dir is not None and evidence_dir.is_dir():
            shutil.copytree(evidence_dir, staging, dirs_exist_ok=True)
        return changelog(parent, staging, manifest["settings"])

    def describe(full: Mapping, staging: Path) -> None:
        write_card(full, staging, license_id)
        write_report(full, staging, [store.manifest(v) for v in store.versions()])

    return store.publish(tables, manifest, annotate=annotate, keep=keep, describe=describe)


def changelog(parent: Path | None, new: Path, settings: Mapping | None = None) -> dict:
    """The new version's changes against its parent, for its manifest: papers added,
    removed and changed, and the settings whose values changed."""
    if parent is None:
        return {"changelog": None}
    old = pl.scan_parquet(parent / "papers.parquet")
    summary = diff_papers(old, pl.scan_parquet(new / "papers.parquet")).summary()
    summary["settings_changed"] = settings_changed(_parent_settings(parent), settings)
    return {"changelog": summary}


def settings_changed(old: Mapping | None, new: Mapping | None) -> dict[str, dict]:
    """Each setting whose value differs between two manifests' settings, old and new
    (a version made before settings were recorded compares as unknown: nothing)."""
    if not old or not new:
        return {}
    before, after = old.get("values", {}), new.get("values", {})
    return {
        key: {"old": before.get(key), "new": after.get(key)}
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }


def _parent_settings(parent: Path) -> Mapping | None:
    try:
        manifest = json.loads((parent / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return manifest.get("settings")
