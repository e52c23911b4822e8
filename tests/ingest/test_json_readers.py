"""JSON and JSON-lines readers, on the real scrapes in tests/data/realdata and fixtures."""

from __future__ import annotations

import json
import shutil
import tempfile
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from pipeline.core.dedup.clustering import cluster_duplicates
from pipeline.core.ingest.raw_files import Ingested, ingest, read_file
from pipeline.core.ingest.readers.json_readers import (
    DEFAULT_FIELD_MAP,
    normalize_arxiv_id,
    normalize_doi,
    parse_date,
)
from pipeline.core.transform.records import normalize_records
from tests.conftest import TEST_DATA

REAL = TEST_DATA / "realdata"
HF = REAL / "hf-daily-papers-api-2025-09-30.json"
ARXIV = REAL / "arxiv-metadata-snapshot-sample.json"
FIXTURES = TEST_DATA / "json"


def read(path: Path, name: str | None = None, **kw) -> tuple[dict, list[dict]]:
    return read_file(path, name or path.name, **kw)


def test_hf_daily_papers_api_day() -> None:
    row, records = read(HF)
    source = json.loads(HF.read_text())
    assert (row["format"], row["status"], row["n_records"]) == ("hf-daily-papers", "ok", 50)
    assert [r["arxiv_id"] for r in records] == [s["paper"]["id"] for s in source]
    assert [r["title_raw"] for r in records] == [s["paper"]["title"] for s in source]
    assert [r["abstract_raw"] for r in records] == [s["paper"]["summary"] for s in source]
    first = records[0]
    assert first["authors"][:2] == ["Jintao Zhang", "Haoxu Wang"]
    assert len(first["authors"]) == len(source[0]["paper"]["authors"])
    assert first["published_date"] == date(2025, 9, 28)
    repos = [r["repo_url"] for r in records if r["repo_url"]]
    assert repos == [s["paper"]["githubRepo"] for s in source if s["paper"].get("githubRepo")]
    # Line spans: each element starts on its own "  {" line of the pretty-printed array.
    starts = [i + 1 for i, line in enumerate(HF.read_text().split("\n")) if line == "  {"]
    assert [r["line_start"] for r in records] == starts
    assert records[-1]["line_end"] == len(HF.read_text().rstrip("\n").split("\n")) - 1
    assert all(r["parse_error"] is None for r in records)


def test_arxiv_snapshot_array_one_record_per_line() -> None:
    row, records = read(ARXIV)
    source = json.loads(ARXIV.read_text())
    assert (row["format"], row["status"], row["n_records"]) == ("arxiv-snapshot", "ok", 127)
    assert [r["line_start"] for r in records] == list(range(1, 128))
    assert [r["arxiv_id"] for r in records] == [s["id"] for s in source]
    first = records[0]
    assert first["authors"] == ["Ileana Streinu", "Louis Theran"]
    assert first["published_date"] == date(2007, 3, 31)  # v1, not the update date
    assert first["title_raw"] == "Sparsity-certifying Graph Decompositions"
    assert sum(r["doi"] is not None for r in records) == sum(bool(s["doi"]) for s in source)


def test_real_scrapes_normalise_their_hard_wrapped_text() -> None:
    raw = ingest(REAL, field_map=DEFAULT_FIELD_MAP).records.filter(
        pl.col("source_file").is_in([HF.name, ARXIV.name])
    )
    out = normalize_records(raw)
    assert out.height == 177
    assert out["reason"].null_count() == 177
    assert not out["title"].str.contains("\n").any()
    assert not out["abstract"].str.contains(r"\s\s|^\s|\s$").any()
    sla = out.filter(pl.col("arxiv_id") == "2509.24006")["title"].item()
    assert sla == (
        "SLA: Beyond Sparsity in Diffusion Transformers via Fine-Tunable Sparse-Linear Attention"
    )


def test_jsonl_bad_records_are_rejected_with_line_and_reason_the_rest_loads() -> None:
    row, records = read(FIXTURES / "mixed.jsonl")
    assert (row["format"], row["status"], row["n_records"]) == ("json", "ok", 6)
    got = [(r["line_start"], r["title_raw"], r["parse_error"]) for r in records]
    assert got == [
        (1, "Attention Is All You Need", None),
        (2, None, "invalid JSON: Expecting ',' delimiter"),
        (4, None, "field 'title' is int, expected a string"),
        (5, None, None),
        (6, None, "record is list, expected an object"),
        (7, "Old-style ids still count", None),
    ]
    assert records[0]["arxiv_id"] == "1706.03762"
    assert records[0]["doi"] == "10.48550/arxiv.1706.03762"
    assert records[0]["published_date"] == date(2017, 6, 12)
    assert records[5]["arxiv_id"] == "cs/0501001"
    assert records[5]["published_date"] == date(2007, 3, 31)
    reasons = normalize_records(ingest_one(FIXTURES / "mixed.jsonl").records).select(
        "line_start", "reason"
    )
    assert reasons.rows() == [
        (1, None),
        (2, "unreadable record at line 2: invalid JSON: Expecting ',' delimiter"),
        (4, "unreadable record at line 4: field 'title' is int, expected a string"),
        (5, "title missing"),
        (6, "unreadable record at line 6: record is list, expected an object"),
        (7, None),
    ]


def ingest_one(path: Path) -> Ingested:
    """Ingest a raw directory holding only a copy of ``path``."""
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copy(path, Path(tmp) / path.name)
        return ingest(Path(tmp))


def test_generic_json_with_a_configured_field_map() -> None:
    field_map = {
        **DEFAULT_FIELD_MAP,
        "title": ("name",),
        "abstract": ("description",),
        "arxiv_id": ("ids.arxiv",),
    }
    row, records = read(FIXTURES / "custom-fields.json", field_map=field_map)
    assert (row["format"], row["n_records"]) == ("json", 2)
    assert [(r["title_raw"], r["arxiv_id"]) for r in records] == [
        ("Mapped Title One", "2101.00001"),
        ("Mapped Title Two", "2101.00002"),
    ]


def test_an_unknown_json_shape_is_rejected_as_a_whole() -> None:
    row, records = read(FIXTURES / "unknown-shape.json")
    assert records == []
    assert row["status"] == "rejected"
    assert row["reason"] == (
        "unknown format: JSON records with no title field among keys ['price', 'sku']"
    )


def test_a_truncated_array_loses_only_the_broken_record(tmp_path: Path) -> None:
    lines = ARXIV.read_text().split("\n")
    cut = "\n".join(lines[:10]) + "\n" + lines[10][:200] + "\n" + "\n".join(lines[11:20])
    (tmp_path / "cut.json").write_text(cut)
    row, records = read(tmp_path / "cut.json")
    assert row["format"] == "arxiv-snapshot"
    assert len(records) == 20
    broken = [r for r in records if r["parse_error"]]
    assert [(r["line_start"], r["line_end"]) for r in broken] == [(11, 11)]
    assert broken[0]["parse_error"].startswith("invalid JSON:")
    good = [r["arxiv_id"] for r in records if not r["parse_error"]]
    assert good == [json.loads(ARXIV.read_text())[i]["id"] for i in range(20) if i != 10]


def test_format_is_detected_from_content_not_extension(tmp_path: Path) -> None:
    shutil.copy(ARXIV, tmp_path / "snapshot.txt")
    (tmp_path / "dump.json").write_text("A Title Of A Paper\n" + "An abstract sentence. " * 20)
    files = ingest(tmp_path).files
    assert files.select("source_file", "format", "n_records").rows() == [
        ("dump.json", "text-dump", 1),
        ("snapshot.txt", "arxiv-snapshot", 127),
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2509.24006", "2509.24006"),
        ("2509.24006v3", "2509.24006"),
        ("arXiv:0704.0002v1", "0704.0002"),
        ("math.CO/0601001", "math.CO/0601001"),
        ("hep-th/9901001v2", "hep-th/9901001"),
        ("not an id", None),
        (1706.03762, None),
    ],
)
def test_arxiv_id_normalisation(value: object, expected: str | None) -> None:
    assert normalize_arxiv_id(value) == expected


def test_doi_and_date_normalisation() -> None:
    assert normalize_doi("10.1364/JOSAA.23.002578 10.1364/JOSAA.32.002407") == (
        "10.1364/josaa.23.002578"
    )
    assert normalize_doi("https://dx.doi.org/10.1103/PhysRevD.76.013009") == (
        "10.1103/physrevd.76.013009"
    )
    assert normalize_doi("n/a") is None
    assert parse_date("2025-09-28T17:58:59.000Z") == date(2025, 9, 28)
    assert parse_date("Tue, 10 Apr 2007 18:02:06 GMT") == date(2007, 4, 10)
    assert parse_date("yesterday") is None


def test_a_paper_seen_in_a_text_dump_and_in_json_is_one_paper(tmp_path: Path) -> None:
    source = json.loads(HF.read_text())[0]["paper"]
    # The trending page shows the same title and abstract, unwrapped, on two lines.
    one_line = " ".join(source["summary"].split())
    title = " ".join(source["title"].split())
    (tmp_path / "2025-09-30-trending.txt").write_text(f"Subscribe{title}\n{one_line}\n")
    shutil.copy(HF, tmp_path / "2025-09-30-hf.json")
    result = cluster_duplicates(normalize_records(ingest(tmp_path).records))
    paper = result.papers.filter(pl.col("arxiv_id") == "2509.24006")
    assert paper["n_records"].item() == 2
    kinds = result.records.filter(pl.col("paper_id") == paper["paper_id"].item())
    assert kinds.select("format", "status", "duplicate_kind", "matched_on").rows() == [
        ("hf-daily-papers", "published", None, None),
        ("text-dump", "duplicate", "exact", "content_hash"),
    ]
    assert result.papers.height == 50


def test_the_same_arxiv_id_with_a_revised_abstract_is_one_paper(tmp_path: Path) -> None:
    pad = " We evaluate the method on several standard benchmarks."
    v1 = {"title": "A Paper", "abstract": "First version." + pad, "arxiv_id": "2401.00001v1"}
    v2 = {**v1, "abstract": "Revised, second version." + pad, "arxiv_id": "2401.00001v2"}
    other = {"title": "A Paper", "abstract": "A different work." + pad, "doi": "10.1/x"}
    (tmp_path / "day1.jsonl").write_text(json.dumps(v1) + "\n" + json.dumps(other) + "\n")
    (tmp_path / "day2.jsonl").write_text(json.dumps(v2) + "\n")
    result = cluster_duplicates(normalize_records(ingest(tmp_path).records))
    got = result.records.select("source_file", "status", "duplicate_kind", "matched_on").rows()
    # The revised version has the more complete abstract: it is the canonical text.
    assert got == [
        ("day1.jsonl", "duplicate", "near", "arxiv_id"),
        ("day1.jsonl", "published", None, None),
        ("day2.jsonl", "published", None, None),
    ]
    assert sorted(result.papers["n_records"].to_list()) == [1, 2]
    assert result.papers.filter(pl.col("n_records") == 2)["arxiv_id"].item() == "2401.00001"


def test_arxiv_snapshot_as_json_lines(tmp_path: Path) -> None:
    source = json.loads(ARXIV.read_text())
    (tmp_path / "snapshot.jsonl").write_text("".join(json.dumps(r) + "\n" for r in source[:30]))
    row, records = read(tmp_path / "snapshot.jsonl")
    assert (row["format"], row["n_records"]) == ("arxiv-snapshot", 30)
    assert [r["line_start"] for r in records] == list(range(1, 31))
    assert [r["arxiv_id"] for r in records] == [s["id"] for s in source[:30]]
