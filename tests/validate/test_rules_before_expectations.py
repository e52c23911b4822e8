"""One bad record costs only itself: every dataset expectation one record could fail has
a record rule in front of it (#20 item 3).

For each pair, a scrape holding one bad record among good ones goes through the real
ingest, transform, dedup, GX suites and publish: the record is rejected with the rule's
code, the expectation passes and the version is published. With that one rule taken
out, the same file fails the expectation, so each case proves its rule is what guards
it (and the test cannot pass without the rule).
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from pipeline.core.dedup.clustering import Deduplicated, cluster_duplicates
from pipeline.core.ingest.raw_files import ingest
from pipeline.core.store.publish import publish_version
from pipeline.core.transform import extract
from pipeline.core.transform import records as transform_records
from pipeline.core.transform.records import normalize_records
from pipeline.core.transform.rules import REASON_CODES
from pipeline.core.validate.expectations import validate_tables
from pipeline.core.validate.quality import CheckOutcome
from pipeline.core.validate.suites import is_row_wise, papers_specs
from tests.conftest import SAMPLE

BAD_ID = "2612.99999"
ABSTRACT = (
    "We present a benchmark for retrieval augmented generation over long scientific "
    "documents and show that current systems lose most of their accuracy when the answer "
    "is spread over several sections of a paper."
)
TITLE = "Long Document Retrieval for Scientific Question Answering"
# The abstract of the issue (#20 item 3): a regular expression, `\w+`. The LaTeX cleaner
# now leaves no control word in any text (tests/transform/test_fuzz_latex.py), so the LaTeX cases
# run with the cleaner switched off, as a regression of it would: the rule must then
# still cost only the record.
REGEX = "\\w+"
LATEX_RULE = "latex_remnant"
GERMAN = (
    "Wir stellen ein neues Verfahren zur Erkennung von Objekten in Bildern vor, das mit "
    "wenigen Beispielen auskommt und auf allen untersuchten Datensätzen die bisher "
    "besten Ergebnisse deutlich übertrifft."
)

# expectation, the rule in front of it, the bad record's fields
CASES = [
    ("papers.title_not_null", "title_missing", {"title": None}),
    ("papers.title_length", "title_too_short", {"title": "AB"}),
    ("papers.title_length", "title_looks_like_abstract", {"title": "Scaling Laws " * 35}),
    (
        "papers.title_no_page_chrome",
        "page_chrome",
        {"title": f"Get trending papers in your email inbox {TITLE}"},
    ),
    ("papers.abstract_not_null", "abstract_missing", {"abstract": None}),
    ("papers.abstract_length", "abstract_too_short", {"abstract": "Too short for one."}),
    ("papers.abstract_length", "abstract_too_long", {"abstract": (ABSTRACT + " ") * 50}),
    (
        "papers.abstract_no_page_chrome",
        "page_chrome",
        {"abstract": f"{ABSTRACT} Get trending papers in your email inbox!"},
    ),
    ("papers.title_no_latex", LATEX_RULE, {"title": f"Tokens Matched by {REGEX}"}),
    (
        "papers.abstract_no_latex",
        LATEX_RULE,
        {"abstract": f"We tokenise with the pattern {REGEX} and show that. {ABSTRACT}"},
    ),
    (
        "papers.code_url_canonical",
        "code_url_not_canonical",
        {"repo_url": "https://github.com/owner/repo./tree/main"},
    ),
    ("papers.language_allowed", "language_not_allowed", {"abstract": GERMAN}),
]
IDS = [f"{expectation}-{rule}" for expectation, rule, _ in CASES]


def good_records() -> list[dict]:
    """Six papers of the shipped sample, as a generic JSON scrape gives them."""
    papers = (
        cluster_duplicates(normalize_records(ingest(SAMPLE.parent).records))
        .papers.sort("paper_id")
        .head(6)
    )
    return [
        {"title": t, "abstract": a, "arxiv_id": f"2612.0000{i}"}
        for i, (t, a) in enumerate(papers.select("title", "abstract").iter_rows())
    ]


@pytest.fixture(scope="module")
def good() -> list[dict]:
    return good_records()


def without_latex_cleaning(rule: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """For the LaTeX cases: the clean text keeps its markup (see REGEX)."""
    if rule == LATEX_RULE:
        monkeypatch.setattr(extract, "clean_text_latex", lambda df, columns: df)


def run(raw_dir: Path, good: list[dict], bad: dict) -> tuple[Deduplicated, list[CheckOutcome]]:
    """Write the scrape, then ingest, transform, dedup and validate it as a run does."""
    record = {"title": TITLE, "abstract": ABSTRACT, "arxiv_id": BAD_ID, **bad}
    raw_dir.mkdir(parents=True)
    scrape = [*good, {k: v for k, v in record.items() if v is not None}]
    (raw_dir / "2026-12-01-papers.json").write_text(json.dumps(scrape), encoding="utf-8")
    ingested = ingest(raw_dir)
    assert ingested.files["status"].to_list() == ["ok"]
    dedup = cluster_duplicates(normalize_records(ingested.records))
    return dedup, validate_tables(dedup.papers, dedup.records)


def outcome(outcomes: list[CheckOutcome], name: str) -> CheckOutcome:
    return next(o for o in outcomes if o.name == name)


@pytest.mark.parametrize(("expectation", "rule", "bad"), CASES, ids=IDS)
def test_one_bad_record_is_rejected_and_the_version_published(
    expectation: str,
    rule: str,
    bad: dict,
    good: list[dict],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    without_latex_cleaning(rule, monkeypatch)
    dedup, outcomes = run(tmp_path / "raw", good, bad)
    records = dedup.records
    rejected = records.filter(pl.col("status") == "rejected")
    assert rejected.height == 1, rejected.select("record_index", "reason")
    assert rejected["record_index"].item() == len(good)  # the bad one, last in the file
    assert rejected["reason_codes"].item().to_list() == [rule]
    assert records.filter(pl.col("status") == "published").height == len(good)
    assert outcome(outcomes, expectation).passed
    assert [o.name for o in outcomes if not o.passed] == []
    ingested = ingest(tmp_path / "raw")
    result = publish_version(
        tmp_path / "processed" / "papers",
        ingested.files,
        ingested.records,
        records,
        dedup.papers,
        expectations=outcomes,
        variants=dedup.variants,
    )
    assert (result.version, result.unchanged) == ("v0001", False)
    assert result.manifest["reject_reasons"] == {rule: 1}


@pytest.mark.parametrize(("expectation", "rule", "bad"), CASES, ids=IDS)
def test_without_its_rule_the_same_record_fails_the_expectation(
    expectation: str,
    rule: str,
    bad: dict,
    good: list[dict],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    every_rule = transform_records.record_rules

    def without(*args: object, **kwargs: object) -> tuple:
        return tuple(r for r in every_rule(*args, **kwargs) if r.name != rule)

    monkeypatch.setattr(transform_records, "record_rules", without)
    without_latex_cleaning(rule, monkeypatch)
    dedup, outcomes = run(tmp_path / "raw", good, bad)
    assert dedup.records.filter(pl.col("status") == "rejected").height == 0
    failed = outcome(outcomes, expectation)
    assert not failed.passed
    assert failed.details["unexpected"] == 1


def test_every_row_wise_expectation_names_its_rules_and_each_has_a_case() -> None:
    specs = papers_specs()
    guarded = {s.name for s in specs if s.guarded_by}
    assert guarded == {expectation for expectation, _, _ in CASES}
    assert {(s.name, r) for s in specs for r in s.guarded_by} == {(e, r) for e, r, _ in CASES}
    assert {r for s in specs for r in s.guarded_by} <= set(REASON_CODES)
    # The row-wise ones left read columns the pipeline computes, not scraped text.
    unguarded = {s.name for s in specs if is_row_wise(s) and not s.guarded_by}
    assert unguarded == {"papers.paper_id_not_null", "papers.n_records_positive"}
