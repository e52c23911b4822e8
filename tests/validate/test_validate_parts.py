"""Row-wise expectations run part by part give the whole table's outcomes.

A large first run validates papers' texts in slices to bound memory; the verdicts,
counts and named rows must be exactly those of one whole-table validation, damage
spread over several parts included.
"""

from __future__ import annotations

import polars as pl
import pytest

from pipeline.core.dedup.clustering import Deduplicated, cluster_duplicates
from pipeline.core.ingest.raw_files import ingest
from pipeline.core.transform.records import normalize_records
from pipeline.core.validate.expectations import validate_tables
from pipeline.core.validate.parts import in_parts
from pipeline.core.validate.suites import PAPERS_KEY, TableSuite, is_row_wise, papers_specs
from tests.conftest import REPO


@pytest.fixture(scope="module")
def sample() -> Deduplicated:
    return cluster_duplicates(normalize_records(ingest(REPO / "data" / "raw").records))


def damaged(papers: pl.DataFrame) -> pl.DataFrame:
    """The sample's papers with bad texts in rows that fall in different parts of 60."""
    row = pl.int_range(pl.len())
    return papers.with_columns(
        title=pl.when(row == 3)
        .then(pl.lit("Get trending papers in your email inbox!"))
        .when(row == 50)
        .then(None)
        .otherwise(pl.col("title")),
        abstract=pl.when(row.is_in([100, 230]))
        .then(pl.col("abstract") + pl.lit(r" with \emph{leftover} markup"))
        .when(row == 170)
        .then(pl.lit("Too short."))
        .otherwise(pl.col("abstract")),
    )


def test_parts_give_the_whole_tables_outcomes(sample: Deduplicated) -> None:
    papers = damaged(sample.papers)
    whole = validate_tables(papers, sample.records)
    in_60s = validate_tables(papers, sample.records, part_rows=60)
    failed = {o.name for o in whole if not o.passed}
    assert {
        "papers.title_not_null",
        "papers.title_no_page_chrome",
        "papers.abstract_no_latex",
        "papers.abstract_length",
    } <= failed
    latex = next(o for o in in_60s if o.name == "papers.abstract_no_latex")
    assert latex.details["unexpected"] == 2 and len(latex.details["examples"]) == 2
    assert [o.to_dict() for o in in_60s] == [o.to_dict() for o in whole]


def test_a_large_table_is_cut_into_row_wise_parts_beside_its_whole_table_checks(
    sample: Deduplicated,
) -> None:
    specs = papers_specs()
    table = TableSuite("papers", sample.papers, specs, PAPERS_KEY)
    parts = list(in_parts(table, part_rows=100))
    assert [p.name for p in parts] == ["papers", "papers_rows_1", "papers_rows_2", "papers_rows_3"]
    assert [p.frame.height for p in parts] == [240, 100, 100, 40]
    assert all(not is_row_wise(s) for s in parts[0].specs)
    assert all(p.specs == [s for s in specs if is_row_wise(s)] for p in parts[1:])
    assert list(in_parts(table, part_rows=240)) == [table]
    with pytest.raises(ValueError, match="part_rows"):
        list(in_parts(table, part_rows=0))
