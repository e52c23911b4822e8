"""The same paper shown differently on different days (truncated abstract, short summary)
is one paper by its title and abstract prefix or repository; generic titles stay apart."""

from __future__ import annotations

import json

import polars as pl

from pipeline.core.dedup.clustering import cluster_duplicates
from pipeline.core.dedup.title_links import PREFIX_MIN_CHARS, abstract_key
from pipeline.core.transform.records import normalize_records
from tests.conftest import TEST_DATA
from tests.dedup.test_normalize_dedup import raw

SCRAPER = json.loads((TEST_DATA / "realdata" / "scraper-hf-daily-2026-01-16.json").read_text())
# Real abstracts of the scraper's day: DeepResearchEval, MAXS, SkinFlow.
FULL, OTHER, THIRD = (SCRAPER[i]["details"]["abstract"] for i in (1, 2, 6))
TITLE = SCRAPER[1]["title"]
REPO = SCRAPER[1]["details"]["github_links"][0]


def fates(rows: list[tuple[str, int, str, str]], **repo_urls: str) -> pl.DataFrame:
    """Records of ``rows`` clustered; ``repo_urls`` sets the source's repo_url by file."""
    records = raw(rows).with_columns(
        repo_url=pl.col("source_file").replace_strict(
            repo_urls, default=None, return_dtype=pl.String
        )
    )
    return cluster_duplicates(normalize_records(records)).records


def test_a_truncated_abstract_is_the_same_paper_and_the_full_text_stays_canonical() -> None:
    cut = FULL[:300].rsplit(" ", 1)[0] + " propo…"
    out = fates([("2026-01-16.json", 0, TITLE, FULL), ("2026-01-17.json", 0, TITLE.upper(), cut)])
    assert out["paper_id"].n_unique() == 1
    assert out["status"].to_list() == ["published", "duplicate"]
    assert out["matched_on"].to_list() == [None, "title_and_prefix"]
    assert out["similarity"][1] < 0.5  # too far apart for the near tier alone
    three_dots = fates([("a", 0, TITLE, FULL[:200] + "..."), ("b", 0, TITLE, FULL)])
    assert three_dots["status"].to_list() == ["duplicate", "published"]
    assert three_dots["matched_on"][0] == "title_and_prefix"


def test_a_short_summary_with_the_same_repository_is_the_same_paper() -> None:
    summary = (
        "DeepResearchEval builds persona-driven deep research tasks and evaluates agents "
        "with adaptive criteria and active fact checking."
    )
    out = fates(
        [("2026-01-16.json", 0, TITLE, FULL), ("2026-01-18.md", 0, TITLE, f"{summary} {REPO}")],
        **{"2026-01-16.json": REPO.upper() + ".git"},  # the source's field, other spelling
    )
    assert out["paper_id"].n_unique() == 1
    assert out["matched_on"].to_list() == [None, "title_and_repo"]
    assert out["code_url"][1] == REPO


def test_generic_titles_stay_apart_without_a_shared_prefix_or_repository() -> None:
    rows = [
        ("a", 0, "Introduction", FULL),
        ("b", 0, "Introduction", OTHER),
        ("c", 0, "Introduction", THIRD[: PREFIX_MIN_CHARS - 10] + "…"),  # too short a prefix
        ("d", 0, "Introduction", OTHER[:200] + "…"),
        ("e", 0, "Introduction", THIRD + " github.com/a/one"),
        ("f", 0, "Introduction", FULL[::-1] + " https://github.com/a/one"),
    ]
    out = fates(rows)
    groups = out.group_by("paper_id").agg("source_file").sort("source_file")["source_file"]
    # d is a prefix of b; e and f name one repository; c's prefix of e is too short.
    assert groups.to_list() == [["a"], ["b", "d"], ["c"], ["e", "f"]]
    assert out["matched_on"].to_list() == [
        None,
        None,
        None,
        "title_and_prefix",
        None,
        "title_and_repo",
    ]


def test_different_arxiv_ids_are_never_linked_by_title() -> None:
    rows = [("a", 0, TITLE, FULL + f" {REPO}"), ("b", 0, TITLE, FULL[:150] + f"… {REPO}")]
    records = raw(rows).with_columns(arxiv_id=pl.Series(["2601.00001", "2601.00002"]))
    out = cluster_duplicates(normalize_records(records)).records
    assert out["paper_id"].n_unique() == 2


def test_a_rejected_text_links_nothing() -> None:
    bot = SCRAPER[21]["details"]["abstract"]
    rows = [("a", 0, TITLE, bot), ("b", 0, TITLE, bot[:120] + "…")]
    out = fates(rows)
    assert out["status"].to_list() == ["rejected", "rejected"]
    assert out["paper_id"].to_list() == [None, None]


def test_the_abstract_key_folds_case_punctuation_and_a_cut_word() -> None:
    keys = pl.DataFrame(
        {"a": ["We PROPOSE a new, fast model…", "We propose a new fast mo ...", "x"]}
    )
    assert keys.select(abstract_key(pl.col("a")))["a"].to_list() == [
        "we propose a new fast",
        "we propose a new fast",
        "x",
    ]
