"""Fuzzing the record rules (#20 item 9): raw records with hostile titles, abstracts
and ids go through the record stage and deduplication; each ends published, a
duplicate, or rejected with a reason and a code, and the dataset invariants hold."""

from __future__ import annotations

import re
from datetime import date

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from pipeline.core import schema
from pipeline.core.dedup.clustering import cluster_duplicates
from pipeline.core.transform.records import normalize_records
from pipeline.core.validate import quality
from tests.fuzz_inputs import texts
from tests.transform.test_fuzz_latex import latex_texts

ABSTRACT = (
    "We study the problem of learning representations from scraped listings and show "
    "that a simple method works well across many benchmarks and settings."
)
maybe_text = st.one_of(st.none(), texts(), latex_texts, st.just(ABSTRACT), st.just("A Title"))
_SURROGATE = re.compile("[\ud800-\udfff]")
ids = st.one_of(st.none(), st.sampled_from(["2401.00001", "2401.00002", "hep-th/9901001"]))


@st.composite
def raw_records(draw) -> pl.DataFrame:
    rows = []
    for i in range(draw(st.integers(1, 12))):
        rows.append(
            {
                "source_file": draw(st.sampled_from(["a.json", "b.json"])),
                "source_sha256": "0" * 64,
                "record_index": i,
                "line_start": i + 1,
                "line_end": i + 1,
                "format": "json",
                "title_raw": draw(maybe_text),
                "abstract_raw": draw(
                    st.one_of(maybe_text, maybe_text.map(lambda t: f"{ABSTRACT} {t}"))
                ),
                "arxiv_id": draw(ids),
                "parse_error": draw(st.one_of(st.none(), st.just("invalid JSON: x"))),
                "flags": draw(st.lists(st.sampled_from(["undecodable_bytes", "chrome_removed"]))),
                "scrape_date": date(2026, 11, draw(st.integers(1, 30))),
            }
        )
    # Polars stores UTF-8: a lone surrogate (which no decoded file holds: the readers
    # turn undecodable bytes into U+FFFD) cannot even be put in a frame.
    for row in rows:
        for column in ("title_raw", "abstract_raw"):
            if row[column] is not None:
                row[column] = _SURROGATE.sub("\ufffd", row[column])
    return schema.conform(
        pl.DataFrame(
            [{**dict.fromkeys(schema.RAW_RECORDS.names()), **r} for r in rows],
            schema=schema.RAW_RECORDS,
        ),
        schema.RAW_RECORDS,
        "raw_records",
    )


@given(raw_records())
def test_every_record_is_published_merged_or_rejected_with_a_reason(raw: pl.DataFrame) -> None:
    normalized = normalize_records(raw)
    assert normalized.height == raw.height
    verdicts = normalized.select(
        rejected=pl.col("reason").is_not_null(), coded=pl.col("reason_codes").list.len() > 0
    )
    assert verdicts.filter(pl.col("rejected") != pl.col("coded")).is_empty()
    assert normalized.filter(
        pl.col("parse_error").is_not_null(), pl.col("reason").is_null()
    ).is_empty()
    result = cluster_duplicates(normalized)
    assert result.records.height == raw.height
    fates = result.records.group_by("status").len()
    assert set(fates["status"]) <= {"published", "duplicate", "rejected"}
    outcomes = quality.run_all(raw, result.records, result.papers)
    assert [o.name for o in outcomes if not o.passed] == []
