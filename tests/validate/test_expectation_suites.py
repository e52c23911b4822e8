"""The suites' settings, row-count floor, incremental rechecks and fingerprint.

Split from test_expectations.py (which damages the sample's tables one way at a time);
these tests are about how the suites are parameterised and rerun, on the same sample.
"""

from __future__ import annotations

import polars as pl
import pytest

from pipeline.core.config import PipelineConfig, SettingsError
from pipeline.core.dedup.clustering import Deduplicated
from pipeline.core.validate.evidence import rows_to_recheck
from pipeline.core.validate.expectations import validate_tables
from pipeline.core.validate.suites import suite_fingerprint
from tests.validate.test_expectations import EXPECTED_CHECKS, bounds, failed, sample, with_value

__all__ = ["sample"]  # the module-scoped fixture, shared with test_expectations


def test_impossible_settings_are_refused() -> None:
    with pytest.raises(SettingsError, match=r"max_reject_rate = 1.5: .*less than or equal to 1"):
        PipelineConfig.from_flat({"max_reject_rate": 1.5})
    with pytest.raises(SettingsError, match=r"title_min_chars .10. exceeds title_max_chars .5."):
        PipelineConfig.from_flat({"title_min_chars": 10, "title_max_chars": 5})


def test_row_count_may_not_fall_by_more_than_the_setting(sample: Deduplicated) -> None:
    half = sample.papers.height * 2
    settings = bounds(previous_papers=half, max_row_drop=0.4)
    outcome = failed(validate_tables(sample.papers, sample.records, settings))
    assert list(outcome) == ["papers.row_count_not_dropping"]
    assert outcome["papers.row_count_not_dropping"].details["observed"] == sample.papers.height
    fine = bounds(previous_papers=half, max_row_drop=0.5)
    assert failed(validate_tables(sample.papers, sample.records, fine)) == {}


def test_rechecking_some_rows_runs_row_wise_expectations_on_them_alone(
    sample: Deduplicated,
) -> None:
    """A daily run rechecks only new or changed papers row by row: a bad text among
    them fails its expectation and is named; the table-wide expectations still see
    every paper; outcomes come back in the suites' order."""
    papers = with_value(sample.papers, 5, "title", "Get trending papers in your email inbox")
    full = validate_tables(papers, sample.records)
    rechecked = papers[[5, 7]]
    partial = validate_tables(papers, sample.records, recheck=rechecked)
    assert [o.name for o in partial] == [o.name for o in full] == EXPECTED_CHECKS
    assert list(failed(partial)) == list(failed(full)) == ["papers.title_no_page_chrome"]
    outcome = failed(partial)["papers.title_no_page_chrome"]
    assert outcome.details["rows"] == 2
    assert outcome.details["rows_unchanged"] == papers.height - 2
    assert outcome.details["examples"][0]["paper_id"] == papers["paper_id"][5]
    unique = {o.name: o for o in partial}["papers.paper_id_unique"]
    assert unique.details["rows"] == papers.height
    # The same table with the bad row declared unchanged is not looked at again.
    assert failed(validate_tables(papers, sample.records, recheck=papers[[7]])) == {}


def test_rows_to_recheck_are_new_or_changed_on_the_key_with_nulls_equal() -> None:
    previous = pl.DataFrame({"id": ["a", "b", "c"], "url": [None, "x", "y"]})
    current = pl.DataFrame({"id": ["c", "a", "b", "d"], "url": ["y", None, "z", None]})
    assert rows_to_recheck(current, previous, ["id", "url"]).to_list() == [2, 3]


def test_the_suite_fingerprint_follows_the_bounds_but_not_the_previous_row_count() -> None:
    base = bounds(previous_papers=100)
    assert suite_fingerprint(base) == suite_fingerprint(bounds(previous_papers=5))
    assert suite_fingerprint(base) != suite_fingerprint(bounds(title_max_chars=300))
