"""The curated vocabularies (pipeline/vocab/*.csv) as extraction reads them.

Each row of a vocabulary says "this alias, in a text, names this dataset or task". These
tests read the rows and ask the extraction code (``load_vocabulary`` and the matching
that ``extract_fields`` runs) whether it does what each row says: an alias is read as
its canonical name and as no other, a canonical name in a text is found as itself, a
case-sensitive alias is not found in another case. (The gold table's own consistency
is not tested here: tests/transform/test_gold.py compares every one of its fields with what
extraction gives, so a gold entry naming an unknown dataset, or a title on the wrong
line, fails there.)
"""

from __future__ import annotations

import csv
from functools import cache

import polars as pl
import pytest

from pipeline.core.transform.extract import _match_vocabulary, load_vocabulary
from tests.conftest import REPO

VOCAB_DIR = REPO / "pipeline" / "vocab"
NAMES = ["datasets", "tasks"]


@cache
def rows(name: str) -> list[dict[str, str]]:
    with (VOCAB_DIR / f"{name}.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def found(name: str, texts: list[str]) -> list[list[str]]:
    """What extraction finds, per text, with vocabulary ``name``."""
    frame = pl.DataFrame({"text": texts})
    matched = frame.select(_match_vocabulary(pl.col("text"), load_vocabulary(name)))
    return matched.to_series().to_list()


@pytest.mark.parametrize("name", NAMES)
def test_every_alias_is_read_as_its_own_canonical_name(name: str) -> None:
    """Two canonicals sharing an alias (in any case) would leave one of them silently
    unreachable: the loader keeps one canonical per alias."""
    mapping = load_vocabulary(name).alias_to_canonical
    wrong = {
        r["alias"]: (r["canonical"], mapping.get(r["alias"].strip().lower()))
        for r in rows(name)
        if mapping.get(r["alias"].strip().lower()) != r["canonical"].strip()
    }
    assert len(rows(name)) >= 100
    assert wrong == {}


@pytest.mark.parametrize("name", NAMES)
def test_a_canonical_name_in_a_text_is_found_as_itself(name: str) -> None:
    canonicals = sorted({r["canonical"] for r in rows(name)})
    texts = [f"We evaluate on {c} and report results." for c in canonicals]
    missed = {c: got for c, got in zip(canonicals, found(name, texts), strict=True) if c not in got}
    assert missed == {}


def test_a_case_sensitive_alias_is_found_only_in_its_case() -> None:
    """Case-sensitive aliases are words in other cases ("COCO" the dataset, "coco" not);
    the alias in its own case is found, in lower case it is not."""
    sensitive = [
        r
        for r in rows("datasets")
        if r["case_sensitive"] == "true" and r["alias"].lower() != r["alias"]
    ]
    assert len(sensitive) >= 10
    own = found("datasets", [f"Results on {r['alias']} show" for r in sensitive])
    lower = found("datasets", [f"results on {r['alias'].lower()} show" for r in sensitive])
    for row, in_case, in_lower in zip(sensitive, own, lower, strict=True):
        assert row["canonical"] in in_case, row
        assert row["canonical"] not in in_lower, row
