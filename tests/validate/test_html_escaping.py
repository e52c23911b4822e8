"""Scraped text never reaches a page as markup: the Data Docs, report.html, the UI's
markdown metadata and the failed-expectations summary show hostile titles, abstracts,
task and dataset names as text (#20 item 5)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import polars as pl
import pytest

from pipeline.core.dedup.clustering import Deduplicated, cluster_duplicates
from pipeline.core.ingest.raw_files import ingest
from pipeline.core.markdown import markdown_cell
from pipeline.core.store.counts import record_counts
from pipeline.core.store.report import render_report
from pipeline.core.transform.records import normalize_records
from pipeline.core.validate.evidence import failed_summary
from pipeline.core.validate.expectations import validate_tables
from pipeline.core.validate.quality import CheckOutcome
from pipeline.defs.metadata import markdown_preview, top_table
from tests.conftest import SAMPLE

IMG = "<img src=x onerror=alert(2)>"
SCRIPT = "</div><script>alert(1)</script>"
RAW_MARKUP = (IMG, SCRIPT, "<script>alert", "<img src=x")


@pytest.fixture(scope="module")
def sample() -> Deduplicated:
    return cluster_duplicates(normalize_records(ingest(SAMPLE.parent).records))


def _hostile(papers: pl.DataFrame, **values: str) -> pl.DataFrame:
    """``papers`` with the first rows' columns set to ``values`` (row i gets the i-th)."""
    row = pl.int_range(pl.len())
    return papers.with_columns(
        pl.when(row == i).then(pl.lit(text)).otherwise(pl.col(column)).alias(column)
        for i, (column, text) in enumerate(values.items())
    )


def test_data_docs_show_unexpected_scraped_values_as_text(
    sample: Deduplicated, tmp_path: Path
) -> None:
    # Both texts fail an expectation, so GX lists them among the unexpected values.
    papers = _hostile(
        sample.papers,
        title=f"Get trending papers {IMG}",
        abstract=f"{SCRIPT} \\textbf is left in this abstract of many words",
    )
    docs = tmp_path / "docs"
    outcomes = validate_tables(papers, sample.records, docs_dir=docs)
    failed = {o.name for o in outcomes if not o.passed}
    assert failed == {"papers.title_no_page_chrome", "papers.abstract_no_latex"}
    pages = [p.read_text(encoding="utf-8") for p in docs.rglob("*.html")]
    text = "".join(pages)
    assert len(pages) >= 3 and "papers.title_no_page_chrome" in text
    for markup in RAW_MARKUP:
        assert markup not in text, markup
    # Shown once escaped (as text in the browser), not escaped twice.
    assert "Get trending papers &lt;img src=x onerror=alert(2)&gt;" in text
    assert "&lt;/div&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in text
    # The outcomes, and so the manifest, keep the values as found.
    chrome = next(o for o in outcomes if o.name == "papers.title_no_page_chrome")
    assert chrome.details["examples"][0]["title"] == f"Get trending papers {IMG}"


def test_the_report_escapes_scraped_task_and_dataset_names(sample: Deduplicated) -> None:
    papers = sample.papers.with_columns(
        tasks=pl.lit([IMG, SCRIPT]), datasets=pl.lit(["A | B", SCRIPT])
    )
    manifest = {
        "version": "v0001",
        "created_at": "2026-12-01T00:00:00+00:00",
        "counts": {**record_counts(sample.records), "papers": papers.height, "files": 1},
        "reject_reasons": {},
    }
    page = render_report(manifest, papers, sample.records, [])
    for markup in RAW_MARKUP:
        assert markup not in page, markup
    assert "&lt;img src=x onerror=alert(2)&gt;" in page


def _cells(row: str) -> list[str]:
    """The cells of one markdown table row, split on unescaped pipes."""
    return re.split(r"(?<!\\)\|", row.strip())[1:-1]


def test_ui_top_lists_keep_one_row_per_name_and_no_markup() -> None:
    counts = [(IMG, 3), (SCRIPT, 2), ("ImageNet | COCO", 1), ("a\nb [x](javascript:y)", 1)]
    table = top_table(counts, "dataset").value
    rows = table.splitlines()
    assert len(rows) == 2 + len(counts)
    for row in rows[2:]:
        assert len(_cells(row)) == 2, row
    for markup in (*RAW_MARKUP, "[x](", "\n| b"):
        assert markup not in table, markup
    assert _cells(rows[4])[0].strip() == "ImageNet \\| COCO"


def test_ui_previews_escape_scraped_titles(sample: Deduplicated) -> None:
    papers = _hostile(sample.papers, title=f"{IMG} | half", abstract=SCRIPT)
    preview = markdown_preview(papers, ["paper_id", "title", "abstract"])
    for markup in RAW_MARKUP:
        assert markup not in preview, markup
    assert all(len(_cells(row)) == 3 for row in preview.splitlines()[2:])


def test_the_failed_expectations_summary_escapes_examples() -> None:
    outcome = CheckOutcome(
        name="papers.title_no_page_chrome",
        passed=False,
        description="no title in papers contains page chrome",
        details={"examples": [{"paper_id": "ab", "title": f"{IMG}`{SCRIPT}|x"}]},
    )
    summary = failed_summary([outcome])
    for markup in RAW_MARKUP:
        assert markup not in summary, markup
    assert len(_cells(summary.splitlines()[2])) == 3
    assert json.loads(json.dumps(outcome.details))  # the outcome itself is untouched


def test_a_markdown_cell_is_its_text_when_rendered() -> None:
    assert markdown_cell("a<b>&c|d`e[f]g\\h\ni") == "a&lt;b&gt;&amp;c\\|d\\`e\\[f\\]g\\\\h i"
    assert markdown_cell("x" * 10, max_chars=5) == "xxxx…"
    assert markdown_cell("`code` and [link](u)", prose=True) == "`code` and [link](u)"
