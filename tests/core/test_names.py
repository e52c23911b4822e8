"""pipeline/core/names.py: the shared patterns mean the same in every engine that runs them.

PAGE_CHROME_REGEX is run by polars (the record rule), by pyarrow's RE2 and by Python's
``re`` (Great Expectations' pandas engine uses one or the other); SENTENCE_BREAK by
polars in the reader and the rules. A pattern one engine reads differently would let a
record pass one check and fail the other. Shown on every line of the real sample (its
page chrome included) and of the real listing scrapes.
"""

from __future__ import annotations

import re

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from pipeline.core.names import PAGE_CHROME_REGEX, SENTENCE_BREAK
from tests.conftest import SAMPLE, TEST_DATA

REAL_TEXT = [SAMPLE, TEST_DATA / "realdata" / "trending-crawl-markdown.md"]


def real_lines() -> list[str]:
    lines = []
    for path in REAL_TEXT:
        lines += [line for line in path.read_text(encoding="utf-8").split("\n") if line]
    return lines


@pytest.mark.parametrize("pattern", [PAGE_CHROME_REGEX, SENTENCE_BREAK])
def test_polars_re2_and_python_re_agree_on_every_real_line(pattern: str) -> None:
    lines = real_lines()
    by_polars = pl.Series(lines).str.contains(pattern).to_list()
    by_re2 = pc.match_substring_regex(pa.array(lines), pattern).to_pylist()
    by_python = [re.search(pattern, line) is not None for line in lines]
    assert by_polars == by_re2 == by_python
    assert 0 < sum(by_polars) < len(lines)  # the lines tell matches from the rest


def test_the_chrome_pattern_finds_the_samples_banner_and_not_its_titles() -> None:
    lines = SAMPLE.read_text(encoding="utf-8").split("\n")
    flagged = [i + 1 for i, line in enumerate(lines) if re.search(PAGE_CHROME_REGEX, line)]
    # the two banner lines and the first title, glued to "Subscribe" in the dump
    assert flagged == [1, 2, 3]
    assert lines[2].startswith("SubscribeDeepZero:")
    assert not re.search(PAGE_CHROME_REGEX, "Subscribers of the service rate papers.")
