"""OAI-PMH, HTML, CSV/TSV and JSON-keyed readers, detection that refuses unknown
shapes, ids from URLs, lists where a scalar is expected, and per-record scrape dates."""

from __future__ import annotations

import json
import re
import shutil
from datetime import date
from pathlib import Path

import pytest

from pipeline.core.dedup.clustering import cluster_duplicates
from pipeline.core.ingest.raw_files import ingest, read_file
from pipeline.core.ingest.readers.json_readers import DEFAULT_FIELD_MAP
from pipeline.core.ingest.readers.oai_pmh import DELETED_REASON
from pipeline.core.transform.records import normalize_records
from tests.conftest import TEST_DATA

REAL = TEST_DATA / "realdata"
LISTING = TEST_DATA / "listing"
OAI = REAL / "arxiv-oai-pmh-listrecords.xml"
SCRAPER = REAL / "scraper-hf-daily-2026-01-16.json"
HF = REAL / "hf-daily-papers-api-2025-09-30.json"


def read(path: Path, **kw) -> tuple[dict, list[dict]]:
    return read_file(path, path.name, **kw)


def test_oai_pmh_page_reads_its_538_records_with_ids_and_datestamps() -> None:
    row, records = read(OAI)
    text = OAI.read_text()
    assert (row["format"], row["status"], row["n_records"]) == ("oai-pmh", "ok", 538)
    assert [r["arxiv_id"] for r in records] == re.findall(r"<id>(.+?)</id>", text)
    assert [r["scrape_date"] for r in records] == [
        date.fromisoformat(d) for d in re.findall(r"<datestamp>(.+?)</datestamp>", text)
    ]
    first = records[0]
    assert first["title_raw"] == "Solving random equations in Garside groups using length functions"
    assert first["abstract_raw"].startswith("  We give a systematic exposition")
    assert first["authors"] == ["Martin Hock", "Boaz Tsaban"]
    assert first["published_date"] == date(2006, 11, 29)
    assert first["line_start"] == 6
    assert [r["line_start"] for r in records[:3]] == [
        i + 1 for i, line in enumerate(text.split("\n")) if line == "<record>"
    ][:3]
    assert all(r["parse_error"] is None and r["title_raw"] for r in records)


OAI_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<!DOCTYPE OAI-PMH [<!ENTITY boom "EXPANDED">]>\n'
    '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><ListRecords>\n'
)
DC_RECORD = """<record><header><identifier>oai:arXiv.org:2601.09259</identifier>
<datestamp>2026-01-15</datestamp></header><metadata>
<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/"
 xmlns:dc="http://purl.org/dc/elements/1.1/">
<dc:title>MAXS: Meta-Adaptive Exploration with LLM Agents &boom;</dc:title>
<dc:creator>Zhang, Jian</dc:creator><dc:creator>Li, Wei</dc:creator>
<dc:description>Large Language Model agents reason with tools.</dc:description>
<dc:date>2026-01-14</dc:date>
<dc:identifier>http://arxiv.org/abs/2601.09259v1</dc:identifier>
<dc:identifier>doi:10.1000/XYZ.9</dc:identifier>
</oai_dc:dc></metadata></record>
<record><header status="deleted"><identifier>oai:arXiv.org:hep-th/9901001</identifier>
<datestamp>2026-01-16</datestamp></header></record>
"""


def test_oai_dc_deleted_records_and_no_entity_expansion(tmp_path: Path) -> None:
    path = tmp_path / "oai.xml"
    path.write_text(OAI_HEAD + DC_RECORD + "</ListRecords></OAI-PMH>\n")
    row, records = read(path)
    assert (row["format"], row["n_records"]) == ("oai-pmh", 2)
    dc, deleted = records
    assert "EXPANDED" not in dc["title_raw"]
    assert dc["title_raw"].startswith("MAXS: Meta-Adaptive Exploration with LLM Agents")
    assert (dc["arxiv_id"], dc["doi"]) == ("2601.09259", "10.1000/xyz.9")
    assert dc["authors"] == ["Jian Zhang", "Wei Li"]
    assert (dc["published_date"], dc["scrape_date"]) == (date(2026, 1, 14), date(2026, 1, 15))
    assert dc["abstract_raw"] == "Large Language Model agents reason with tools."
    # A deleted record is accounted for: a record with its reason, never dropped.
    assert deleted["parse_error"] == DELETED_REASON
    assert (deleted["arxiv_id"], deleted["title_raw"]) == ("hep-th/9901001", None)


def test_a_truncated_oai_response_keeps_what_it_read_and_says_where_it_broke(
    tmp_path: Path,
) -> None:
    path = tmp_path / "cut.xml"
    path.write_text(OAI_HEAD + DC_RECORD + "<record><header><identifier>oai:arX")
    _, records = read(path)
    assert [r["arxiv_id"] for r in records[:2]] == ["2601.09259", "hep-th/9901001"]
    assert "broken XML at line" in records[2]["parse_error"]


def test_html_page_json_is_read_as_the_daily_papers_shape() -> None:
    row, records = read(LISTING / "hf-daily-page-2025-09-30.html")
    api = [r for r in read(HF)[1][:4]]
    assert (row["format"], row["n_records"]) == ("html", 4)
    keys = ("title_raw", "abstract_raw", "arxiv_id", "authors", "repo_url", "published_date")
    assert [{k: r[k] for k in keys} for r in records] == [{k: r[k] for k in keys} for r in api]
    assert all(r["flags"] == ["page_json"] for r in records)


def test_html_cards_are_read_when_the_page_has_no_json() -> None:
    row, records = read(LISTING / "hf-trending-cards-2026-01-16.html")
    assert (row["format"], row["n_records"]) == ("html", 3)
    assert [r["arxiv_id"] for r in records] == ["2508.03680", "2601.07372", "2601.09688"]
    assert records[1]["title_raw"] == (
        "Conditional Memory via Scalable Lookup: A New Axis of Sparsity for Large Language Models"
    )
    assert records[0]["abstract_raw"].startswith("Agent Lightning is a flexible RL framework")
    assert records[2]["abstract_raw"].endswith("challenging & annotation-intensive.")
    assert [r["repo_url"] for r in records] == [
        "https://github.com/microsoft/agent-lightning",
        "https://github.com/deepseek-ai/Engram",
        None,
    ]


def test_csv_and_tsv_exports_by_the_json_field_paths() -> None:
    row, records = read(LISTING / "export-2026-01-16.tsv")
    assert (row["format"], row["n_records"]) == ("tsv", 2)
    assert [r["arxiv_id"] for r in records] == ["2601.09259", "2601.09012"]
    assert [r["scrape_date"] for r in records] == [date(2026, 1, 15), date(2026, 1, 16)]
    assert records[0]["repo_url"] == "https://github.com/exoskeletonzj/MAXS"
    row, records = read(LISTING / "export-2026-01-16.csv")
    assert (row["format"], row["n_records"]) == ("csv", 2)
    # A dotted header is a nested path; a quoted cell keeps its line break and quotes.
    assert records[0]["abstract_raw"].endswith(
        "\nExisting benchmarks often require annotation-intensive task construction."
    )
    assert '"yet"' in records[1]["abstract_raw"]
    assert [(r["line_start"], r["line_end"]) for r in records] == [(2, 3), (4, 4)]


def test_csv_with_a_configured_title_column(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text("paper_title,blurb\nA Title,An abstract that is long enough.\n")
    assert (
        read(path)[0]["reason"]
        == "unknown format: csv with no title column among ['paper_title', 'blurb']"
    )
    field_map = {**DEFAULT_FIELD_MAP, "title": ("paper_title",), "abstract": ("blurb",)}
    row, records = read(path, field_map=field_map)
    assert (row["status"], records[0]["title_raw"]) == ("ok", "A Title")


UNKNOWN = [
    ("rss-feed.xml", "unknown format: XML that is not an OAI-PMH response (root element <rss>)"),
    (
        "blog-post.html",
        "unknown format: HTML page with no paper listing (no data-props JSON with papers, "
        "no paper cards)",
    ),
    (
        "inventory.csv",
        "unknown format: csv with no title column among ['sku', 'price', 'stock', 'warehouse']",
    ),
    ("notes.txt", "unknown format: prose: 3 of 3 would-be titles read as lines of a paragraph"),
    (
        "README.md",
        "unknown format: markdown whose sections are not paper entries (no paper links or "
        "author, vote or date lines, and few titled sections with an abstract)",
    ),
]


def test_unknown_shapes_are_rejected_as_a_whole_and_the_run_goes_on(tmp_path: Path) -> None:
    for name, _ in UNKNOWN:
        shutil.copy(LISTING / name, tmp_path / name)
    shutil.copy(LISTING / "export-2026-01-16.tsv", tmp_path / "export-2026-01-16.tsv")
    result = ingest(tmp_path)
    files = {r["source_file"]: r for r in result.files.iter_rows(named=True)}
    for name, reason in UNKNOWN:
        assert (files[name]["status"], files[name]["format"], files[name]["reason"]) == (
            "rejected", "unknown", reason,
        )  # fmt: skip
    assert files["export-2026-01-16.tsv"]["status"] == "ok"
    assert result.records["source_file"].unique().to_list() == ["export-2026-01-16.tsv"]


def test_scraper_json_reads_27_rows_with_defaults() -> None:
    row, records = read(SCRAPER)
    source = json.loads(SCRAPER.read_text())
    assert (row["status"], row["n_records"]) == ("ok", 27)
    assert [r["arxiv_id"] for r in records] == [s["paper_url"].rsplit("/", 1)[1] for s in source]
    assert [r["abstract_raw"] for r in records] == [
        s["details"]["abstract"] or None for s in source
    ]
    assert [r["repo_url"] for r in records] == [
        (s["details"]["github_links"] or [None])[0] for s in source
    ]
    assert {r["scrape_date"] for r in records} == {date(2026, 1, 16)}
    assert all(r["parse_error"] is None for r in records)


def _rollup(tmp_path: Path) -> Path:
    """A weekly roll-up as the scraper writes it: the same rows on several days (rows
    with a real abstract: the first row's is a link-only text, rejected as junk)."""
    rows = json.loads(SCRAPER.read_text())[1:4]
    days = ["2026-01-14", "2026-01-15", "2026-01-16"]
    rollup = [{**r, "scraped_date": d} for d in days for r in rows[: days.index(d) + 1]]
    path = tmp_path / "raw" / "weekly-2026-01-30.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(rollup, indent=2))
    return path


def test_per_record_scrape_dates_give_first_last_seen_and_sightings(tmp_path: Path) -> None:
    _rollup(tmp_path)
    result = cluster_duplicates(normalize_records(ingest(tmp_path / "raw").records))
    papers = result.papers.sort("first_seen")
    assert papers.select("arxiv_id", "first_seen", "last_seen", "n_sightings").rows() == [
        ("2601.09688", date(2026, 1, 14), date(2026, 1, 16), 3),
        ("2601.09259", date(2026, 1, 15), date(2026, 1, 16), 2),
        ("2601.09274", date(2026, 1, 16), date(2026, 1, 16), 1),
    ]


KEYED = {
    "2312.17276": {"title": "A Keyed Paper", "details": {"abstract": "One level down."}},
    "2312.00001v2": {
        "title": "Another",
        "summary": "Its summary.",
        "github_links": ["https://github.com/a/b", "https://github.com/c/d"],
    },
    "2312.00002": {"title": ["Split", "title"], "abstract": "Parts joined."},
    "2312.00003": {"title": {"en": "Wrong type"}, "abstract": "Rejected alone."},
}


@pytest.mark.parametrize("indent", [None, 2])
def test_json_keyed_by_id_lists_as_scalars_and_wrong_types(tmp_path: Path, indent) -> None:
    path = tmp_path / "keyed.json"
    path.write_text(json.dumps(KEYED, indent=indent))
    row, records = read(path)
    assert (row["format"], row["status"], row["n_records"]) == ("json-keyed", "ok", 4)
    assert [r["arxiv_id"] for r in records] == ["2312.17276", "2312.00001", "2312.00002", None]
    assert records[0]["abstract_raw"] == "One level down."
    assert records[1]["repo_url"] == "https://github.com/a/b"  # the first of a list
    assert records[2]["title_raw"] == "Split title"  # text parts joined
    assert records[3]["parse_error"] == "field 'title' is dict, expected a string"
    if indent:
        assert [r["line_start"] for r in records] == [2, 8, 16, 23]


def test_the_hf_api_uses_submitted_on_daily_as_the_scrape_date() -> None:
    _, records = read(HF)
    source = json.loads(HF.read_text())
    assert [r["scrape_date"] for r in records] == [
        date.fromisoformat(s["paper"]["submittedOnDailyAt"][:10]) for s in source
    ]


def test_ids_from_urls() -> None:
    from pipeline.core.ingest.readers.ids import normalize_arxiv_id, repo_url_of

    assert normalize_arxiv_id("https://huggingface.co/papers/2601.07348") == "2601.07348"
    assert normalize_arxiv_id("https://arxiv.org/abs/2601.07348v3") == "2601.07348"
    assert normalize_arxiv_id("http://arxiv.org/pdf/hep-th/9901001v2.pdf") == "hep-th/9901001"
    assert normalize_arxiv_id("https://arxiv.org/pdf/2601.07348v1") == "2601.07348"
    assert normalize_arxiv_id("https://example.org/abs/2601.07348") is None
    assert repo_url_of("https://github.com/org/name/tree/main/x") == "https://github.com/org/name"
    assert repo_url_of("https://huggingface.co/papers/2601.07348") is None
    assert repo_url_of("https://huggingface.co/spaces/org/demo") == (
        "https://huggingface.co/spaces/org/demo"
    )


def test_a_dump_opening_on_a_reproduction_title_is_no_json(tmp_path: Path) -> None:
    path = tmp_path / "day.txt"
    abstract = (
        "We reproduce the fully convolutional network results on PASCAL VOC and find that "
        "the reported mean intersection over union holds within one point."
    )
    path.write_text(f"[Re] Reproducing Fully Convolutional Networks\n{abstract}\n")
    row, records = read(path)
    assert (row["format"], row["status"]) == ("text-dump", "ok")
    assert records[0]["title_raw"] == "[Re] Reproducing Fully Convolutional Networks"
    (tmp_path / "broken.json").write_text('[{"title": "A", "abstract": "B"')
    assert read(tmp_path / "broken.json")[0]["status"] == "rejected"
