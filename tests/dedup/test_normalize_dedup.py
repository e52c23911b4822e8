"""Normalisation, content hashes, record rules and exact duplicates."""

from __future__ import annotations

import hashlib

import polars as pl

from pipeline.core import schema
from pipeline.core.dedup.clustering import cluster_duplicates
from pipeline.core.transform.records import normalize_records

# Appended to short fixture abstracts so they pass the length rule (50 characters).
PAD = " We evaluate the method on several standard benchmarks."


def raw(rows: list[tuple[str, int, str | None, str | None]]) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                "source_file": f,
                "source_sha256": "0" * 64,
                "record_index": i,
                "line_start": 2 * i + 1,
                "line_end": 2 * i + 2,
                "title_raw": t,
                "abstract_raw": a,
                "flags": [],
            }
            for f, i, t, a in rows
        ],
        schema=schema.RAW_RECORDS,
    )


def test_nfc_and_whitespace_collapse() -> None:
    decomposed = "Cafe\u0301  Models:\u00a0a\tstudy "
    out = normalize_records(raw([("f", 0, decomposed, "Line one\nline  two.")]))
    assert out["title"][0] == "Caf\u00e9 Models: a study"
    assert out["abstract"][0] == "Line one line two."


def test_title_key_is_lowercase_and_punctuation_free() -> None:
    out = normalize_records(raw([("f", 0, "DeepZero: Scaling-up ZO (Optimization)!", "x.")]))
    assert out["title_key"][0] == "deepzero scaling up zo optimization"


def test_content_hash_is_sha256_of_the_normalised_fields() -> None:
    out = normalize_records(raw([("f", 0, " A  title ", "An\nabstract.")]))
    expected = hashlib.sha256(b"A title\x1fAn abstract.").hexdigest()
    assert out["content_hash"][0] == expected


def test_record_rules_name_every_problem() -> None:
    out = normalize_records(
        raw(
            [
                ("f", 0, None, "Some text." + PAD),
                ("f", 1, "Title", None),
                ("f", 2, "?!", "  "),
                ("f", 3, "A Fine Title", "Too short."),
            ]
        )
    )
    assert out["reason"].to_list() == [
        "title missing",
        "abstract missing",
        "abstract missing; title has no letters or digits; title too short (2 characters)",
        "abstract too short (10 characters)",
    ]


def test_exact_duplicates_are_one_paper_with_every_source() -> None:
    rows = [
        ("day2.txt", 0, "Title A", "Abstract A." + PAD),
        ("day1.txt", 0, "Title  A", "Abstract\nA." + PAD),  # same after normalisation
        ("day1.txt", 1, "Title B", "Abstract B." + PAD),
        ("day1.txt", 2, "Title B", None),  # rejected: not a copy of B
    ]
    result = cluster_duplicates(normalize_records(raw(rows)))
    records = result.records.select("source_file", "record_index", "status", "duplicate_kind")
    assert records.rows() == [
        ("day1.txt", 0, "published", None),
        ("day1.txt", 1, "published", None),
        ("day1.txt", 2, "rejected", None),
        ("day2.txt", 0, "duplicate", "exact"),
    ]
    papers = result.papers.sort("title")
    assert papers["title"].to_list() == ["Title A", "Title B"]
    assert papers["n_records"].to_list() == [2, 1]
    assert papers["sources"][0].to_list() == [
        {"file": "day1.txt", "index": 0, "line": 1},
        {"file": "day2.txt", "index": 0, "line": 1},
    ]
    a_hash = hashlib.sha256(("Title A\x1fAbstract A." + PAD).encode()).hexdigest()
    assert papers["paper_id"][0] == a_hash[:16]


def test_dedup_does_not_depend_on_input_order() -> None:
    rows = [
        ("b.txt", 0, "T1", "Abs one." + PAD),
        ("a.txt", 3, "T1", "Abs one." + PAD),
        ("a.txt", 1, "T2", "Abs two." + PAD),
        ("c.txt", 0, "T2", "Abs two." + PAD),
    ]
    normalized = normalize_records(raw(rows))
    first = cluster_duplicates(normalized)
    second = cluster_duplicates(normalized.sample(fraction=1.0, shuffle=True, seed=7))
    assert first.records.equals(second.records)
    assert first.papers.equals(second.papers)
