"""The listing-page reader on the real scrapes (crawl4ai markdown, a markdown daily log)
and on hand-made firecrawl, lynx and link-per-line shapes of the Hugging Face pages."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.core.dedup.clustering import cluster_duplicates
from pipeline.core.ingest.raw_files import ingest, read_file
from pipeline.core.ingest.readers.detect import _has_link_brackets
from pipeline.core.transform.records import normalize_records
from tests.conftest import SAMPLE, TEST_DATA

REAL = TEST_DATA / "realdata"
LISTING = TEST_DATA / "listing"
CRAWL = REAL / "trending-crawl-markdown.md"
KO_LOG = REAL / "daily-papers-ko-2024-05-24.md"
# Markup, author and vote lines, and link lines (a repository link alone on its line).
MARKUP = re.compile(
    r"^#|\[|\]\(|^\s*[-*•] |!\[|\*\*|LINK:|\bauthors?\b|^Vote|^https?://(?:github|huggingface)"
)


def read(path: Path) -> tuple[dict, list[dict]]:
    return read_file(path, path.name)


def _clean(records: list[dict]) -> None:
    """No markup, author, vote or link line is left in any title or abstract."""
    for r in records:
        assert r["title_raw"] and not MARKUP.search(r["title_raw"]), r["title_raw"]
        for line in (r["abstract_raw"] or "").split("\n"):
            assert not MARKUP.search(line), line


def test_crawl4ai_trending_markdown_reads_its_100_cards() -> None:
    row, records = read(CRAWL)
    assert (row["format"], row["status"], row["n_records"]) == ("listing-markdown", "ok", 100)
    titles = [r["title_raw"] for r in records]
    # Every "### " card, in order, and nothing else: not the page header.
    text = CRAWL.read_text()
    assert len(titles) == text.count("\n### ") == 100
    assert "What is Papers with Code?" not in titles
    assert titles[0] == "Agent Lightning: Train ANY AI Agents with Reinforcement Learning"
    _clean(records)
    # Titles wrapped onto an indented line are one title, not a title and an abstract.
    wrapped = [r for r in records if "wrapped_title" in r["flags"]]
    assert {r["title_raw"] for r in wrapped} >= {
        "SmolDocling: An ultra-compact vision-language model for end-to-end multi-modal "
        "document conversion",
        "Efficient Memory Management for Large Language Model Serving with PagedAttention",
    }
    assert all(r["abstract_raw"] for r in records)
    # The GitHub link below each card is that card's repository.
    lightning = records[0]
    assert lightning["repo_url"] == "https://github.com/microsoft/agent-lightning"
    dspy = [r for r in records if r["title_raw"].startswith("Multi-module GRPO")]
    assert [r["repo_url"] for r in dspy] == ["https://github.com/stanfordnlp/dspy"] * 2
    # A URL that ends an abstract's sentence stays in the abstract.
    calm = next(r for r in records if r["title_raw"] == "Continuous Audio Language Models")
    assert calm["abstract_raw"].endswith(
        "Samples are available at\nhttps://continuous-audio-language-models.github.io"
    )


def test_the_crawl_is_50_papers_after_dedup() -> None:
    result = cluster_duplicates(normalize_records(ingest(REAL).records))
    crawl = result.records.filter(pl.col("source_file") == CRAWL.name)
    assert crawl.height == 100
    assert crawl["status"].value_counts().sort("status").rows() == [
        ("duplicate", 50),
        ("published", 50),
    ]


def test_korean_daily_log_reads_its_17_papers_with_ids_and_authors() -> None:
    row, records = read(KO_LOG)
    assert (row["format"], row["n_records"]) == ("listing-markdown", 17)
    ids = re.findall(r"^### \[.*\]\(https://arxiv.org/abs/(\S+)\)$", KO_LOG.read_text(), re.M)
    assert [r["arxiv_id"] for r in records] == ids
    _clean(records)
    first = records[0]
    assert first["title_raw"] == "Not All Language Model Features Are Linear"
    assert first["authors"] == [
        "Max Tegmark", "Wes Gurnee", "Joshua Engels", "Eric J. Michaud", "Isaac Liao",
    ]  # fmt: skip
    # The summary's bullets are the abstract, one per line, without their "- ".
    assert first["abstract_raw"].split("\n")[0].startswith("최근 연구에서는")
    assert len(first["abstract_raw"].split("\n")) == 8


FIRECRAWL_AND_LYNX = [
    "firecrawl-hf-daily-2026-01-16.md",
    "lynx-hf-daily-2026-01-16.txt",
    "links-own-line-2026-01-16.txt",
]


@pytest.mark.parametrize("name", FIRECRAWL_AND_LYNX)
def test_hand_made_listing_shapes_give_titles_abstracts_ids_and_repos(name: str) -> None:
    row, records = read(LISTING / name)
    assert (row["format"], row["status"]) == ("listing-markdown", "ok")
    _clean(records)
    by_id = {r["arxiv_id"]: r for r in records}
    assert set(by_id) >= {"2601.09688", "2601.09259"}
    deep = by_id["2601.09688"]
    assert deep["title_raw"] == (
        "DeepResearchEval: An Automated Framework for Deep Research Task Construction and "
        "Agentic Evaluation"
    )
    assert deep["abstract_raw"].startswith("Deep research systems are widely used")
    assert " ".join(deep["abstract_raw"].split()).endswith("when citations are missing.")
    assert deep["repo_url"] == "https://github.com/Infinity-AILab/DeepResearchEval"
    assert by_id["2601.09259"]["repo_url"] == "https://github.com/exoskeletonzj/MAXS"
    if name != "links-own-line-2026-01-16.txt":
        assert deep["published_date"] == date(2026, 1, 14)


def test_firecrawl_page_keeps_its_three_cards_and_no_chrome() -> None:
    _, records = read(LISTING / "firecrawl-hf-daily-2026-01-16.md")
    assert [r["arxiv_id"] for r in records] == ["2601.09688", "2601.09259", "2601.09012"]
    # The submitter's name, "Upvote" and the vote count of the next card are not text.
    assert all("taesiri" not in r["abstract_raw"] for r in records)
    assert all("exoskeletonzj\n" not in r["abstract_raw"] for r in records)


def test_a_pdf_link_gives_the_id_without_its_version() -> None:
    _, records = read(LISTING / "links-own-line-2026-01-16.txt")
    assert records[-1]["title_raw"] == "TranslateGemma Technical Report"
    assert records[-1]["arxiv_id"] == "2601.09012"


def test_the_sample_text_dump_is_still_a_text_dump() -> None:
    row, _ = read(SAMPLE)
    assert (row["format"], row["n_records"]) == ("text-dump", 242)


def test_a_cards_github_link_line_is_its_code_url(tmp_path: Path) -> None:
    """The crawl's repositories sit on link lines of their own, not in the abstracts:
    they reach ``code_urls`` through ``repo_url``, so every card has its code link."""
    (tmp_path / CRAWL.name).write_bytes(CRAWL.read_bytes())
    records = normalize_records(ingest(tmp_path).records)
    assert records.height == 100
    assert records["repo_url"].null_count() == 0
    assert (records["code_url"] == records["repo_url"]).all()
    assert records["code_promised"].all()


@given(st.text(alphabet="]([x\n é", max_size=60))
def test_link_brackets_are_found_exactly_where_the_substrings_are(text: str) -> None:
    """The regex answers as the two substring searches it replaced."""
    assert _has_link_brackets(text) is ("](" in text or "][" in text)


@pytest.mark.parametrize("tail", ["", "](x)", "][1]", "]"])
def test_a_text_dense_with_brackets_is_searched_to_its_end(tail: str) -> None:
    """A link after 5,000 citations is found, and none is invented."""
    text = "[12] see " * 5000 + tail
    assert _has_link_brackets(text) is ("](" in text or "][" in text)


def test_a_link_at_the_end_counts_and_a_bracket_ending_the_text_does_not() -> None:
    """A "]" that ends the text is no link's middle."""
    lines = ["Some Paper Title", "An abstract of the paper. " * 4, "[Code](https://github.com/a/b)"]
    assert _has_link_brackets("\n".join(lines))
    assert not _has_link_brackets("\n".join(lines)[: -len("(https://github.com/a/b)")])
