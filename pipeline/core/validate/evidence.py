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

from pipeline.core.atomic import write_atomic
from pipeline.core.markdown import markdown_cell
from pipeline.core.validate.expectation_settings import ExpectationSettings
from pipeline.core.validate.expectations import validate_tables
from pipeline.core.validate.quality import CheckOutcome
from pipeline.core.validate.suites import suite_fingerprint

VALIDATION_FILE = "validation.json"
DATA_DOCS_DIR = "data_docs"


def fingerprint(papers: pl.DataFrame, records: pl.DataFrame) -> str:
    """Identifies the tables validated: ids and fates of every row, hashed (row hashes
    by polars, in order, then sha256; it is only compared within one run, from the
    check to the publish step, so polars' hash need not be stable across releases)."""
    digest = hashlib.sha256()
    for frame, columns in ((papers, ["paper_id", "content_hash"]), (records, ["status"])):
        digest.update(str(frame.height).encode())
        present = [c for c in columns if c in frame.columns]
        if present and frame.height:
            joined = frame.select(pl.concat_str(present, separator="\x1f", ignore_nulls=True))
            digest.update(joined.to_series().hash(seed=0).to_numpy().tobytes())
    return digest.hexdigest()


def validate_candidate(
    papers: pl.DataFrame,
    records: pl.DataFrame,
    settings: ExpectationSettings,
    evidence_dir: Path,
    columns: Mapping[str, list[str]] | None = None,
    recheck: pl.DataFrame | None = None,
) -> list[CheckOutcome]:
    """Run the GX suites and write validation.json and the Data Docs into ``evidence_dir``.
    ``columns``: the stored tables' columns, when the frames hold only some; ``recheck``:
    the papers to check row by row, when not all (see
    :func:`pipeline.core.validate.expectations.validate_tables`). validation.json records the
    suite's fingerprint, so a later run knows which verdicts it may keep."""
    if evidence_dir.exists():
        shutil.rmtree(evidence_dir)
    evidence_dir.mkdir(parents=True)
    outcomes = validate_tables(
        papers,
        records,
        settings,
        docs_dir=evidence_dir / DATA_DOCS_DIR,
        columns=columns,
        recheck=recheck,
    )
    write_atomic(
        evidence_dir / VALIDATION_FILE,
        json.dumps(
            {
                "fingerprint": fingerprint(papers, records),
                "suite": suite_fingerprint(settings),
                "passed": all(o.passed for o in outcomes),
                "settings": settings.__dict__,
                "checks": [o.to_dict() for o in outcomes],
            },
            indent=2,
            default=str,
        )
        + "\n",
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
    """A markdown table of the failed expectations with their first examples (scraped
    text, escaped: the UI renders it)."""
    failed = [o for o in outcomes if not o.passed]
    lines = ["| expectation | what it requires | examples |", "|---|---|---|"]
    for o in failed:
        examples = json.dumps(o.details.get("examples", [])[:3], default=str, ensure_ascii=False)
        cells = [o.name, o.description, markdown_cell(examples, max_chars=300)]
        lines.append("| " + " | ".join(cells[:2]) + f" | {cells[2]} |")
    return "\n".join(lines)


def validated_suite(version_dir: Path) -> str | None:
    """The suite fingerprint a published version passed, or None (an older version that
    did not record it, or none at all)."""
    path = version_dir / VALIDATION_FILE
    if not path.is_file():
        return None
    stored = json.loads(path.read_text(encoding="utf-8"))
    return stored.get("suite") if stored.get("passed") else None


def rows_to_recheck(current: pl.DataFrame, previous: pl.DataFrame, key: list[str]) -> pl.Series:
    """Positions of the rows of ``current`` with no row of ``previous`` equal on ``key``
    (nulls equal to nulls): new papers, and papers whose checked values changed."""
    return (
        current.select(key)
        .with_row_index("position")
        .join(previous.select(key).unique(), on=key, how="anti", nulls_equal=True)
        .get_column("position")
        .sort()
    )
