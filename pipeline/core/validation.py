"""A candidate version's evidence: the GX outcomes, validation.json and the Data Docs.

The Dagster check that gates a publish validates the candidate once and leaves its
evidence in a directory; the publish step then copies that evidence into the
version, after making sure it belongs to the very tables being published (by a
fingerprint), and validates again itself only when it does not.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Mapping
from pathlib import Path

import polars as pl

from pipeline.core.expectations import ExpectationSettings, validate_tables
from pipeline.core.quality import CheckOutcome

VALIDATION_FILE = "validation.json"
DATA_DOCS_DIR = "data_docs"


def fingerprint(papers: pl.DataFrame, records: pl.DataFrame) -> str:
    """Identifies the tables validated: ids and fates of every row, hashed."""
    digest = hashlib.sha256()
    for frame, columns in ((papers, ["paper_id", "content_hash"]), (records, ["status"])):
        digest.update(str(frame.height).encode())
        present = [c for c in columns if c in frame.columns]
        if present and frame.height:
            joined = frame.select(pl.concat_str(present, separator="\x1f", ignore_nulls=True))
            digest.update("\x1e".join(joined.to_series().to_list()).encode())
    return digest.hexdigest()


def validate_candidate(
    papers: pl.DataFrame,
    records: pl.DataFrame,
    settings: ExpectationSettings,
    evidence_dir: Path,
    columns: Mapping[str, list[str]] | None = None,
) -> list[CheckOutcome]:
    """Run the GX suites and write validation.json and the Data Docs into ``evidence_dir``.
    ``columns``: the stored tables' columns, when the frames hold only some (see
    :func:`pipeline.core.expectations.validate_tables`)."""
    if evidence_dir.exists():
        shutil.rmtree(evidence_dir)
    evidence_dir.mkdir(parents=True)
    outcomes = validate_tables(
        papers, records, settings, docs_dir=evidence_dir / DATA_DOCS_DIR, columns=columns
    )
    (evidence_dir / VALIDATION_FILE).write_text(
        json.dumps(
            {
                "fingerprint": fingerprint(papers, records),
                "passed": all(o.passed for o in outcomes),
                "settings": settings.__dict__,
                "checks": [o.to_dict() for o in outcomes],
            },
            indent=2,
            default=str,
        )
        + "\n",
        encoding="utf-8",
    )
    return outcomes


def load_evidence(
    evidence_dir: Path, papers: pl.DataFrame, records: pl.DataFrame
) -> list[CheckOutcome] | None:
    """The outcomes stored for exactly these tables, or None (missing or for other tables)."""
    path = evidence_dir / VALIDATION_FILE
    if not path.is_file():
        return None
    stored = json.loads(path.read_text(encoding="utf-8"))
    if stored.get("fingerprint") != fingerprint(papers, records):
        return None
    return [CheckOutcome(**c) for c in stored["checks"]]


def failed_summary(outcomes: list[CheckOutcome]) -> str:
    """A markdown table of the failed expectations with their first examples."""
    failed = [o for o in outcomes if not o.passed]
    lines = ["| expectation | what it requires | examples |", "|---|---|---|"]
    for o in failed:
        examples = json.dumps(o.details.get("examples", [])[:3], default=str)
        if len(examples) > 300:
            examples = examples[:299] + "…"
        lines.append(f"| {o.name} | {o.description} | `{examples}` |")
    return "\n".join(lines)
