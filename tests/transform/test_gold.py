"""Extraction against the hand-checked gold table of sample papers (tests/data/gold_fields.json).

Every field is compared exactly. The acronym heuristics miss a few names a person
gives (multi-word names, names never defined in the text); those misses are listed
here with the reason, so the test fails both on a new miss and on a fixed one.
"""

from __future__ import annotations

import json

import polars as pl
import pytest

from pipeline.core.ingest.raw_files import ingest
from pipeline.core.transform.extract import extract_fields
from pipeline.core.transform.normalize import normalize_text
from tests.conftest import SAMPLE, TEST_DATA

GOLD = json.loads((TEST_DATA / "gold_fields.json").read_text(encoding="utf-8"))
FIELDS = [
    "code_urls",
    "urls",
    "arxiv_ids",
    "code_promised",
    "acronym",
    "datasets",
    "tasks",
    "is_reproduction",
    "superseded_by",
]
# Gold entries on which extraction finds a non-empty value, at least.
MIN_FOUND = {"code_urls": 40, "code_promised": 50, "acronym": 60, "datasets": 50, "tasks": 60}
# line -> (what extraction gives, what a person gives, why the rules cannot see it)
KNOWN_ACRONYM_MISSES = {
    137: (None, "FoMo-in-Flux", "a benchmark named in passing, lowercase parts"),
    163: (None, "DFF", "the dataset's acronym follows its name, no introducing verb"),
    179: (None, "FPN", "'This architecture, called a Feature Pyramid Network (FPN)': no 'we'"),
    231: (None, "Depth Anything", "a two-word name"),
    267: ("an8Flower", None, "'we introduce an8Flower, a dataset': a dataset, not a method"),
    313: (None, "VT", "never defined, only used ('our VTs')"),
    335: (None, "md4all", "'with md4all: a simple ...': no introducing verb"),
    359: (None, "NTK-Attention", "named without an introducing pattern"),
    373: (None, "Natural GaLore", "a two-word name"),
    479: (None, "Integrated Gradients", "a two-word name"),
}


@pytest.fixture(scope="module")
def extracted() -> dict[int, dict]:
    raw = ingest(SAMPLE.parent).records.filter(pl.col("source_file") == SAMPLE.name)
    df = extract_fields(normalize_text(raw))
    return {row["line_start"]: row for row in df.iter_rows(named=True)}


@pytest.mark.parametrize("field", FIELDS)
def test_extraction_matches_the_gold_table(extracted: dict[int, dict], field: str) -> None:
    misses, found = {}, 0
    for gold in GOLD:
        got = extracted[gold["line"]][field]
        if got != gold[field]:
            misses[gold["line"]] = (got, gold[field])
        found += bool(got) and got == gold[field]
    expected = (
        {line: (got, want) for line, (got, want, _) in KNOWN_ACRONYM_MISSES.items()}
        if field == "acronym"
        else {}
    )
    assert misses == expected
    # Not a comparison of empty answers: extraction finds each field on the papers that
    # have it (code links on 50 of the sample's papers, datasets on 68, one reproduction).
    assert found >= MIN_FOUND.get(field, 1)


def test_titles_of_the_gold_table_are_the_sample_titles(extracted: dict[int, dict]) -> None:
    for gold in GOLD:
        assert extracted[gold["line"]]["title_raw"] == gold["title"]
