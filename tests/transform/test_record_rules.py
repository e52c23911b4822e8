"""Record rules on real scrapes: junk rejected by code, languages that are undetermined,
reason codes counted once per rule, and no paper merged through a rejected text."""

from __future__ import annotations

import json
import re

import polars as pl
import pytest

from pipeline.core import schema
from pipeline.core.dedup.clustering import cluster_duplicates
from pipeline.core.ingest.raw_files import ingest, read_file
from pipeline.core.ingest.readers.json_readers import DEFAULT_FIELD_MAP
from pipeline.core.store.publish import build_manifest
from pipeline.core.transform.records import normalize_records
from pipeline.core.transform.rules import REASON_CODES, UNDETERMINED, reason_counts
from pipeline.core.validate.expectations import validate_tables
from tests.conftest import SAMPLE, TEST_DATA
from tests.dedup.test_normalize_dedup import PAD, raw

REAL = TEST_DATA / "realdata"
SCRAPER = REAL / "scraper-hf-daily-2026-01-16.json"
KOREAN_LOG = REAL / "daily-papers-ko-2024-05-24.md"
ARXIV = REAL / "arxiv-metadata-snapshot-sample.json"
# The scraper keeps the abstract one level down; configured as a user would.
SCRAPER_FIELDS = {**DEFAULT_FIELD_MAP, "abstract": ("details.abstract",)}


def normalized(path, field_map=DEFAULT_FIELD_MAP, **kw) -> pl.DataFrame:
    row, records = read_file(path, path.name, field_map)
    assert row["status"] == "ok"
    return normalize_records(pl.DataFrame(records, schema=schema.RAW_RECORDS), **kw)


@pytest.fixture(scope="module")
def scraper() -> pl.DataFrame:
    return normalized(SCRAPER, SCRAPER_FIELDS)


def test_scraper_bot_and_link_only_texts_are_rejected_by_code(scraper: pl.DataFrame) -> None:
    source = [row["details"]["abstract"] for row in json.loads(SCRAPER.read_text())]
    assert scraper.height == len(source) == 27
    codes = dict(zip(scraper["title"], scraper["reason_codes"].to_list(), strict=True))
    assert reason_counts(scraper) == {"abstract_missing": 2, "link_only": 2, "bot_comment": 1}
    assert codes["Focal Guidance: Unlocking Controllability from Semantic-Weak Layers in Video"
                 " Diffusion Models"] == ["bot_comment"]  # fmt: skip
    link_only = scraper.filter(pl.col("reason_codes").list.contains("link_only"))["abstract"]
    assert sorted(link_only.str.slice(0, 13)) == ["Project page:", "arXiv explain"]
    # Every text the source left empty, every bot line and link line, and nothing else.
    assert [bool(c) for c in codes.values()] == [
        not a or "Librarian Bot" in a or a.startswith(("arXiv explained", "Project page"))
        for a in source
    ]
    papers = cluster_duplicates(scraper).records
    assert papers.filter(pl.col("status") != "rejected").height == 22
    assert papers.filter(pl.col("reason").is_not_null())["paper_id"].null_count() == 5


def test_scraper_links_without_scheme_give_the_code_url(scraper: pl.DataFrame) -> None:
    focus = scraper.filter(pl.col("title").str.starts_with("FocusUI"))
    assert focus["abstract"].item().endswith("💻 Code: github.com/showlab/FocusUI")
    assert focus["code_url"].item() == "https://github.com/showlab/FocusUI"


def test_two_papers_are_never_merged_through_near_identical_bot_comments() -> None:
    bot = json.loads(SCRAPER.read_text())[21]["details"]["abstract"]
    other = bot.replace("InstanceV: Instance-Level Video Generation (2025)", "")
    rows = [
        ("2026-01-16.json", 0, "Focal Guidance for Video Diffusion", bot),
        ("2026-01-17.json", 0, "A Different Paper on Protein Folding", other),
    ]
    out = normalize_records(raw(rows))
    assert out["reason_codes"].to_list() == [["bot_comment"], ["bot_comment"]]
    fates = cluster_duplicates(out).records
    assert fates["status"].to_list() == ["rejected", "rejected"]
    assert fates["paper_id"].to_list() == [None, None]
    # Without the rule the two texts are near duplicates: the rule is what keeps them apart.
    merged = cluster_duplicates(out.with_columns(reason=pl.lit(None, pl.String))).records
    assert merged["paper_id"].n_unique() == 1 and merged["matched_on"][1] == "similarity"


def test_navigation_and_page_headers_are_not_papers() -> None:
    rows = [
        ("crawl.md", 0, "What is Papers with Code?", "Papers with Code highlights trending" + PAD),
        ("crawl.md", 1, "Trending Papers", "Browse the most popular papers of the week" + PAD),
        ("crawl.md", 2, "What Is Trending in Papers with Code Research", "We study trends" + PAD),
    ]
    out = normalize_records(raw(rows))
    assert out["reason_codes"].to_list() == [["navigation_entry"], ["navigation_entry"], []]
    assert out["reason"][0] == "title 'What is Papers with Code?' is page navigation, not a paper"


def korean_summaries() -> list[tuple[str, str]]:
    """(title, summary) of each paper of the Korean daily log: a '### [Title](url)'
    heading, then the summary's '- ' bullets."""
    entries = re.split(r"^### ", KOREAN_LOG.read_text(), flags=re.M)[1:]
    out = []
    for entry in entries:
        title = re.match(r"\[(.+?)\]\(", entry).group(1)
        bullets = re.findall(r"^- (.+)$", entry, flags=re.M)
        out.append((title, " ".join(bullets)))
    return out


def test_korean_summaries_are_rejected_for_their_language() -> None:
    summaries = korean_summaries()
    assert len(summaries) == 17
    out = normalize_records(raw([("ko.md", i, t, a) for i, (t, a) in enumerate(summaries)]))
    assert out["language"].to_list() == ["ko"] * 17
    assert out["reason_codes"].to_list() == [["language_not_allowed"]] * 17
    assert out["reason"][0].startswith("abstract language is 'ko' (p=")
    opened = normalize_records(raw([("ko.md", 0, *summaries[0])]), languages=("en", "ko"))
    assert opened["reason_codes"].to_list() == [[]]


def test_short_or_link_heavy_texts_are_undetermined_not_rejected() -> None:
    short = "A very interesting benchmark (ICLR2026) for T2I models!"
    # 11 words beside the links: not link-only, but too few to tell the language.
    links = (
        "Our project page and code are online for everyone to try: "
        "https://example.org/a https://github.com/a/b https://huggingface.co/papers/2601.00001"
    )
    out = normalize_records(raw([("f", 0, "A Benchmark", short), ("f", 1, "Links", links)]))
    assert out["language"].to_list() == [UNDETERMINED, UNDETERMINED]
    assert out["language_prob"].to_list() == [None, None]
    assert out["reason_codes"].to_list() == [[], []]


def test_language_share_counts_determined_languages_only() -> None:
    sample = cluster_duplicates(normalize_records(ingest(SAMPLE.parent).records))
    papers, records = sample.papers, sample.records
    assert papers.height == 240

    def foreign(n: int) -> pl.DataFrame:
        first = pl.int_range(pl.len()) < n
        return papers.with_columns(language=pl.when(first).then(pl.lit("da")).otherwise("language"))

    # 100 more papers whose language is undetermined: not counted either way.
    und = papers.head(100).with_columns(
        language=pl.lit(UNDETERMINED), paper_id=pl.col("paper_id").str.reverse()
    )
    at_bound = _language_outcome(validate_tables(pl.concat([foreign(12), und]), records))
    assert at_bound.passed and at_bound.details["rows"] == 240  # 228 of 240 determined
    over = _language_outcome(validate_tables(pl.concat([foreign(13), und]), records))
    assert not over.passed and over.details["unexpected"] == 13


def _language_outcome(outcomes: list) -> object:
    return next(o for o in outcomes if o.name == "papers.language_allowed")


def test_reject_reasons_count_by_code_not_by_detail() -> None:
    rows = [
        ("f", 0, "A Title", "Too short."),
        ("f", 1, "Another Title", "Far too short."),
        ("f", 2, "X", "Short " * 3),
        ("f", 3, None, "An abstract without a title" + PAD),
    ]
    out = normalize_records(raw(rows))
    assert out["reason"].n_unique() == 4  # four different details ...
    assert reason_counts(out) == {  # ... under three codes
        "abstract_too_short": 3,
        "title_missing": 1,
        "title_too_short": 1,
    }
    records = cluster_duplicates(out).records
    files = pl.DataFrame({"source_file": ["f"], "status": ["ok"]})
    manifest = build_manifest(files, records, pl.DataFrame(), [])
    assert manifest["reject_reasons"] == reason_counts(out)
    assert set(REASON_CODES) >= set(manifest["reject_reasons"])


def test_unreadable_json_records_carry_the_unreadable_record_code() -> None:
    out = normalized(TEST_DATA / "json" / "mixed.jsonl")
    unreadable = out.filter(pl.col("parse_error").is_not_null())
    assert unreadable.height >= 2
    assert unreadable["reason_codes"].list.first().unique().to_list() == ["unreadable_record"]
    assert unreadable["reason"].n_unique() == unreadable.height  # one detail per line


def test_arxiv_snapshot_sample_publishes_its_math_and_accents() -> None:
    out = normalized(ARXIV)
    assert reason_counts(out) == {}
    source = json.loads(ARXIV.read_text())
    with_math = [i for i, s in enumerate(source) if "$" in s["abstract"]]
    assert len(with_math) > 10
    math = out.filter(pl.col("arxiv_id") == source[with_math[0]]["id"])["abstract"].item()
    assert not out["abstract"].str.contains(r"\\[A-Za-z]").any()
    parton = out.filter(pl.col("title").str.starts_with("Multiple Parton Scattering"))["abstract"]
    assert "order O(α_s^2), twist-four" in parton.item()  # \cal{O}: a font switch, no word
    assert "dominated by t-channel quark-quark" in parton.item()
    assert "$" not in math


def oai_records() -> pl.DataFrame:
    """Title and abstract of every record of the real OAI-PMH page, read with the standard
    library (a trusted test file; the pipeline's own reader is the ingest stage's)."""
    import xml.etree.ElementTree as ET

    arxiv = "{http://arxiv.org/OAI/arXiv/}"
    root = ET.parse(REAL / "arxiv-oai-pmh-listrecords.xml").getroot()
    rows = [
        ("oai.xml", i, meta.findtext(f"{arxiv}title"), meta.findtext(f"{arxiv}abstract"))
        for i, meta in enumerate(root.iter(f"{arxiv}arXiv"))
    ]
    return raw(rows)


def test_oai_page_math_and_accents_read_as_text_and_pass_the_gate() -> None:
    records = oai_records()
    assert records.height == 538
    assert records["abstract_raw"].str.contains(r"\$").sum() == 65
    out = normalize_records(records, languages=())
    codes = set(reason_counts(out))
    assert "latex_remnant" not in codes, out.filter(pl.col("reason").is_not_null())["reason"]
    assert not out["abstract"].str.contains(r"\\[A-Za-z]").any()  # the gate's pattern
    text = " ".join(out["abstract"].to_list())
    for rendered in ("Büchi automaton", "Lovász", "Bézout bound", "Schrödinger equations"):
        assert rendered in text
    assert "Suppose {(X_i,Y_i)}_i≥ 1 is a sequence" in text  # escaped braces stay visible
