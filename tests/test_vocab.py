"""The curated vocabularies (pipeline/vocab/*.csv) and the hand-checked gold table.

These tests check the data itself, not the extraction code: the CSV shape, that canonical
names and aliases are consistent, and that tests/data/gold_fields.json only refers to names
that exist and to title lines that really are in the sample.
"""

from __future__ import annotations

import csv
import json
from functools import cache

import pytest

from tests.conftest import REPO, SAMPLE, TEST_DATA

VOCAB_DIR = REPO / "pipeline" / "vocab"
GOLD = TEST_DATA / "gold_fields.json"
HEADER = ["canonical", "alias", "case_sensitive"]
MIN_CANONICAL = {"datasets.csv": 80, "tasks.csv": 40}
GOLD_KEYS = {
    "line": int,
    "title": str,
    "code_urls": list,
    "urls": list,
    "arxiv_ids": list,
    "code_promised": bool,
    "acronym": (str, type(None)),
    "datasets": list,
    "tasks": list,
    "is_reproduction": bool,
    "superseded_by": (str, type(None)),
}


@cache
def read_vocab(name: str) -> tuple[list[str], list[list[str]]]:
    with (VOCAB_DIR / name).open(encoding="utf-8", newline="") as fh:
        header, *rows = list(csv.reader(fh))
    return header, rows


def canonicals(name: str) -> set[str]:
    return {row[0] for row in read_vocab(name)[1]}


@cache
def gold() -> list[dict]:
    return json.loads(GOLD.read_text(encoding="utf-8"))


vocab_files = pytest.mark.parametrize("name", sorted(MIN_CANONICAL))


@vocab_files
def test_header(name: str) -> None:
    assert read_vocab(name)[0] == HEADER


@vocab_files
def test_rows_are_complete_and_trimmed(name: str) -> None:
    for row in read_vocab(name)[1]:
        assert len(row) == 3, row
        assert all(cell and cell == cell.strip() for cell in row), row


@vocab_files
def test_case_sensitive_is_boolean(name: str) -> None:
    assert {row[2] for row in read_vocab(name)[1]} <= {"true", "false"}


@vocab_files
def test_enough_canonical_names(name: str) -> None:
    assert len(canonicals(name)) >= MIN_CANONICAL[name]


@vocab_files
def test_canonical_is_its_own_alias(name: str) -> None:
    aliases = {(row[0], row[1]) for row in read_vocab(name)[1]}
    missing = sorted(c for c in canonicals(name) if (c, c) not in aliases)
    assert not missing


@vocab_files
def test_no_duplicate_rows(name: str) -> None:
    rows = [tuple(row[:2]) for row in read_vocab(name)[1]]
    assert len(rows) == len(set(rows))


@vocab_files
def test_no_alias_maps_to_two_canonicals(name: str) -> None:
    # Compared case-insensitively: even a case-sensitive alias must not collide with
    # another canonical's alias that differs only in case.
    owners: dict[str, set[str]] = {}
    for canonical, alias, _ in read_vocab(name)[1]:
        owners.setdefault(alias.casefold(), set()).add(canonical)
    clashes = {alias: sorted(c) for alias, c in owners.items() if len(c) > 1}
    assert not clashes


def test_gold_has_enough_entries_with_the_right_fields() -> None:
    entries = gold()
    assert len(entries) >= 45
    for entry in entries:
        assert set(GOLD_KEYS) <= set(entry), entry.get("line")
        for key, kind in GOLD_KEYS.items():
            assert isinstance(entry[key], kind), (entry["line"], key)


def test_gold_names_exist_in_vocabularies() -> None:
    datasets, tasks = canonicals("datasets.csv"), canonicals("tasks.csv")
    for entry in gold():
        assert set(entry["datasets"]) <= datasets, entry["line"]
        assert set(entry["tasks"]) <= tasks, entry["line"]


def test_gold_name_lists_are_sorted_and_unique() -> None:
    for entry in gold():
        for key in ("datasets", "tasks"):
            assert entry[key] == sorted(set(entry[key])), (entry["line"], key)
        for key in ("code_urls", "urls", "arxiv_ids"):
            assert len(entry[key]) == len(set(entry[key])), (entry["line"], key)


def test_gold_lines_and_titles_match_the_sample() -> None:
    lines = SAMPLE.read_text(encoding="utf-8").split("\n")
    seen: set[int] = set()
    for entry in gold():
        number = entry["line"]
        assert number not in seen
        seen.add(number)
        # two page-chrome lines, then title/abstract pairs: titles sit on odd lines >= 3
        assert number >= 3 and number % 2 == 1, number
        title = lines[number - 1].removeprefix("Subscribe")
        assert entry["title"] == title, number
