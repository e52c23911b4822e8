"""Great Expectations validation of papers and records.

The real sample, run through the real core functions, must pass every expectation;
each kind of damage a scrape or a bug can do must fail exactly its own expectation
and name the offending value, so a refused version tells the user what to fix.
GX is slow to import, so the sample tables and their outcomes are built once.
"""

from __future__ import annotations

import dataclasses
import json
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

from pipeline.core.config import default_expectations
from pipeline.core.dedup.clustering import Deduplicated, cluster_duplicates
from pipeline.core.ingest.raw_files import ingest
from pipeline.core.transform.records import normalize_records
from pipeline.core.validate.expectation_settings import ExpectationSettings
from pipeline.core.validate.expectations import validate_tables
from pipeline.core.validate.quality import CheckOutcome
from tests.conftest import REPO


def bounds(**changed: object) -> ExpectationSettings:
    """The default expectation bounds with ``changed`` values."""
    return dataclasses.replace(default_expectations(), **changed)


EXPECTED_CHECKS = [
    "papers.not_empty",
    "papers.columns_match_schema",
    "papers.paper_id_not_null",
    "papers.paper_id_unique",
    "papers.title_not_null",
    "papers.title_length",
    "papers.title_no_page_chrome",
    "papers.abstract_not_null",
    "papers.abstract_length",
    "papers.abstract_no_page_chrome",
    "papers.n_records_positive",
    "papers.title_no_latex",
    "papers.abstract_no_latex",
    "papers.code_url_canonical",
    "papers.language_allowed",
    "records.columns_match_schema",
    "records.key_unique",
    "records.status_not_null",
    "records.status_known",
    "records.reject_rate",
    "records.duplicate_rate",
]


@pytest.fixture(scope="module")
def sample() -> Deduplicated:
    """papers and records of the shipped sample, from the real ingest/normalise/dedup."""
    ingested = ingest(REPO / "data" / "raw")
    return cluster_duplicates(normalize_records(ingested.records))


@pytest.fixture(scope="module")
def sample_outcomes(sample: Deduplicated) -> list[CheckOutcome]:
    return validate_tables(sample.papers, sample.records)


def failed(outcomes: list[CheckOutcome]) -> dict[str, CheckOutcome]:
    return {o.name: o for o in outcomes if not o.passed}


def with_value(df: pl.DataFrame, row: int, column: str, value: object) -> pl.DataFrame:
    """A copy of ``df`` with one cell replaced."""
    cell = pl.lit(value, dtype=df.schema[column])
    return df.with_columns(
        pl.when(pl.int_range(pl.len()) == row).then(cell).otherwise(pl.col(column)).alias(column)
    )


def rejecting(records: pl.DataFrame, share_of_five: int) -> pl.DataFrame:
    """records with ``share_of_five`` out of every five rows marked rejected."""
    rejected = pl.int_range(pl.len()) % 5 < share_of_five
    return records.with_columns(
        status=pl.when(rejected).then(pl.lit("rejected")).otherwise(pl.col("status"))
    )


def test_sample_passes_every_expectation(
    sample: Deduplicated, sample_outcomes: list[CheckOutcome]
) -> None:
    assert [o.name for o in sample_outcomes] == EXPECTED_CHECKS
    assert failed(sample_outcomes) == {}
    by_name = {o.name: o for o in sample_outcomes}
    assert by_name["papers.not_empty"].details["observed"] == sample.papers.height
    assert by_name["records.columns_match_schema"].details["missing"] == []
    rejected_share = (sample.records["status"] == "rejected").mean()
    assert by_name["records.reject_rate"].details["observed_rate"] == pytest.approx(rejected_share)
    for outcome in sample_outcomes:
        assert outcome.description and outcome.name not in outcome.description
        json.dumps(outcome.to_dict())  # what the manifest stores must be JSON


def test_great_expectations_is_imported_lazily() -> None:
    """Importing the module must not cost GX's seconds and hundreds of MB."""
    code = (
        "import sys, pipeline.core.validate.expectations; "
        "print('great_expectations' in sys.modules)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert proc.stdout.strip() == "False"


Tables = tuple[pl.DataFrame, pl.DataFrame]
Details = dict


def duplicated_paper_id(d: Deduplicated) -> Tables:
    return with_value(d.papers, 7, "paper_id", d.papers["paper_id"][3]), d.records


def names_both_rows_of_the_id(details: Details, d: Deduplicated) -> None:
    duplicate = d.papers["paper_id"][3]
    assert details["unexpected"] == 2
    assert [(e["row"], e["paper_id"]) for e in details["examples"]] == [
        (3, duplicate),
        (7, duplicate),
    ]


def chrome_in_title(d: Deduplicated) -> Tables:
    return with_value(d.papers, 5, "title", "SubscribeFoo"), d.records


def names_the_title(details: Details, d: Deduplicated) -> None:
    assert details["examples"] == [
        {"row": 5, "paper_id": d.papers["paper_id"][5], "title": "SubscribeFoo"}
    ]


def short_abstract(d: Deduplicated) -> Tables:
    return with_value(d.papers, 9, "abstract", "Too short."), d.records


def names_the_abstract(details: Details, d: Deduplicated) -> None:
    assert [(e["paper_id"], e["abstract"]) for e in details["examples"]] == [
        (d.papers["paper_id"][9], "Too short.")
    ]


def unknown_status(d: Deduplicated) -> Tables:
    return d.papers, with_value(d.records, 11, "status", "pending")


def names_the_status_and_record(details: Details, d: Deduplicated) -> None:
    [example] = details["examples"]
    assert example["status"] == "pending"
    assert (example["source_file"], example["record_index"]) == tuple(
        d.records.select("source_file", "record_index").row(11)
    )


def duplicated_record_key(d: Deduplicated) -> Tables:
    return d.papers, with_value(d.records, 2, "record_index", d.records["record_index"][1])


def names_both_records_with_the_key(details: Details, d: Deduplicated) -> None:
    key = tuple(d.records.select("source_file", "record_index").row(1))
    assert [(e["row"], e["source_file"], e["record_index"]) for e in details["examples"]] == [
        (1, *key),
        (2, *key),
    ]


def null_title(d: Deduplicated) -> Tables:
    return with_value(d.papers, 4, "title", None), d.records


def names_the_paper_without_title(details: Details, d: Deduplicated) -> None:
    assert details["examples"] == [{"row": 4, "paper_id": d.papers["paper_id"][4], "title": None}]


def missing_column(d: Deduplicated) -> Tables:
    return d.papers.drop("title_key"), d.records


def names_the_missing_column(details: Details, d: Deduplicated) -> None:
    assert details["missing"] == ["title_key"]
    assert details["observed"] == [c for c in d.papers.columns if c != "title_key"]


def empty_papers(d: Deduplicated) -> Tables:
    return d.papers.clear(), d.records


def observes_no_rows(details: Details, d: Deduplicated) -> None:
    assert details["observed"] == 0


def mostly_rejected(d: Deduplicated) -> Tables:
    return d.papers, rejecting(d.records, 4)


def reports_the_reject_rate(details: Details, d: Deduplicated) -> None:
    share = (rejecting(d.records, 4)["status"] == "rejected").mean()
    assert share == pytest.approx(0.8, abs=0.01)
    assert details["observed_rate"] == pytest.approx(share)
    assert details["max_rate"] == 0.5
    assert details["examples"][0]["status"] == "rejected"


def latex_left_in_abstract(d: Deduplicated) -> Tables:
    text = d.papers["abstract"][6] + " We use \\textbf{bold} words."
    return with_value(d.papers, 6, "abstract", text), d.records


def names_the_latex_abstract(details: Details, d: Deduplicated) -> None:
    assert [e["paper_id"] for e in details["examples"]] == [d.papers["paper_id"][6]]


def decorated_code_url(d: Deduplicated) -> Tables:
    return with_value(d.papers, 8, "code_url", "https://github.com/a/b.git)."), d.records


def names_the_code_url(details: Details, d: Deduplicated) -> None:
    assert [e["code_url"] for e in details["examples"]] == ["https://github.com/a/b.git)."]


def mostly_german(d: Deduplicated) -> Tables:
    german = d.papers.with_columns(
        language=pl.when(pl.int_range(pl.len()) % 10 == 0)
        .then(pl.lit("de"))
        .otherwise(pl.col("language"))
    )
    return german, d.records


def reports_the_language_share(details: Details, d: Deduplicated) -> None:
    assert details["observed_rate"] == pytest.approx(
        (pl.int_range(d.papers.height, eager=True) % 10 == 0).mean(), abs=1e-6
    )
    assert details["max_rate"] == pytest.approx(0.05)


DAMAGE = [
    (latex_left_in_abstract, "papers.abstract_no_latex", names_the_latex_abstract),
    (decorated_code_url, "papers.code_url_canonical", names_the_code_url),
    (mostly_german, "papers.language_allowed", reports_the_language_share),
    (duplicated_paper_id, "papers.paper_id_unique", names_both_rows_of_the_id),
    (chrome_in_title, "papers.title_no_page_chrome", names_the_title),
    (short_abstract, "papers.abstract_length", names_the_abstract),
    (unknown_status, "records.status_known", names_the_status_and_record),
    (duplicated_record_key, "records.key_unique", names_both_records_with_the_key),
    (null_title, "papers.title_not_null", names_the_paper_without_title),
    (missing_column, "papers.columns_match_schema", names_the_missing_column),
    (empty_papers, "papers.not_empty", observes_no_rows),
    (mostly_rejected, "records.reject_rate", reports_the_reject_rate),
]


@pytest.mark.parametrize(
    ("corrupt", "check", "shows"), DAMAGE, ids=[corrupt.__name__ for corrupt, _, _ in DAMAGE]
)
def test_damage_fails_exactly_its_expectation_and_names_the_offender(
    sample: Deduplicated,
    corrupt: Callable[[Deduplicated], Tables],
    check: str,
    shows: Callable[[Details, Deduplicated], None],
) -> None:
    outcomes = validate_tables(*corrupt(sample))
    assert list(failed(outcomes)) == [check]
    details = failed(outcomes)[check].details
    shows(details, sample)
    json.dumps(details)


def test_expectation_on_a_missing_column_fails_with_the_reason(sample: Deduplicated) -> None:
    """GX cannot evaluate a check on an absent column; the outcome must fail and say why,
    not pass vacuously."""
    status_checks = [
        "records.status_not_null",
        "records.status_known",
        "records.reject_rate",
        "records.duplicate_rate",
    ]
    failures = failed(validate_tables(sample.papers, sample.records.drop("status")))
    assert sorted(failures) == sorted(["records.columns_match_schema", *status_checks])
    for name in status_checks:
        assert 'column "status"' in failures[name].details["error"]


def test_rate_bound_is_inclusive_and_comes_from_settings(sample: Deduplicated) -> None:
    """Exactly at the bound passes; 1 - 0.7 is not 0.3 in floating point, which must not
    turn a table at exactly 70% rejects into a failure."""
    records = sample.records.head(10).with_columns(
        status=pl.when(pl.int_range(pl.len()) < 7)
        .then(pl.lit("rejected"))
        .otherwise(pl.col("status"))
    )
    at_bound = validate_tables(sample.papers, records, bounds(max_reject_rate=0.7))
    assert "records.reject_rate" not in failed(at_bound)
    below = validate_tables(sample.papers, records, bounds(max_reject_rate=0.69))
    assert failed(below)["records.reject_rate"].details["observed_rate"] == pytest.approx(0.7)

    duplicates = records.with_columns(status=pl.lit("duplicate"))
    outcomes = validate_tables(sample.papers, duplicates)
    assert list(failed(outcomes)) == ["records.duplicate_rate"]


def test_page_chrome_regex_matches_the_readers_idea_of_chrome(sample: Deduplicated) -> None:
    """A leading "Subscribe" is chrome unless a lowercase letter follows (a word such as
    "Subscribers"); the e-mail banner is chrome anywhere."""
    titles = {
        0: "SubscribeDeepZero: a title glued to the button",
        1: "Subscribe",
        2: "Subscribers and churn: a survey",
        3: "Scaling laws. Get trending papers in your email inbox!",
        4: "Subscribe to nothing",
    }
    papers = sample.papers
    for row, title in titles.items():
        papers = with_value(papers, row, "title", title)
    outcome = failed(validate_tables(papers, sample.records))["papers.title_no_page_chrome"]
    assert {e["title"] for e in outcome.details["examples"]} == {
        titles[row] for row in (0, 1, 3, 4)
    }


def test_length_bounds_come_from_settings(sample: Deduplicated) -> None:
    shortest = sample.papers["title"].str.len_chars().min()
    settings = bounds(title_min_chars=shortest + 1)
    outcome = failed(validate_tables(sample.papers, sample.records, settings))
    assert list(outcome) == ["papers.title_length"]
    assert all(
        len(e["title"]) == shortest for e in outcome["papers.title_length"].details["examples"]
    )


def test_data_docs_are_written_without_touching_the_network(
    sample: Deduplicated, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    attempts: list[object] = []

    def refuse(_sock: socket.socket, address: object) -> None:
        attempts.append(address)
        raise OSError("network disabled in tests")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    docs = tmp_path / "docs"
    papers, records = chrome_in_title(sample)
    outcomes = validate_tables(papers, records, docs_dir=docs)

    assert attempts == []
    assert list(failed(outcomes)) == ["papers.title_no_page_chrome"]
    assert (docs / "index.html").is_file()
    pages = {p.parent.parent.parent.name: p for p in (docs / "validations").rglob("*.html")}
    assert set(pages) == {"papers", "records"}
    papers_html = pages["papers"].read_text(encoding="utf-8")
    for name in EXPECTED_CHECKS:
        table = name.split(".")[0]
        assert name in pages[table].read_text(encoding="utf-8"), name
    assert "SubscribeFoo" in papers_html  # the offending value is shown to the reader
