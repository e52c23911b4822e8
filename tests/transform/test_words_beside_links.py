"""The words beside links are counted on a prefix when that settles the rules: the
language verdict and link_only must read what a full count gives them."""

from __future__ import annotations

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from pipeline.core.transform.rules import (
    WORDS_BESIDE_LINKS,
    WORDS_COUNTED_UP_TO,
    WORDS_PREFIX_CHARS,
    with_words_beside_links,
    words_outside_links,
)

# Tokens that are words, are not, or hide words: digits, links, CJK, mixed runs.
_TOKENS = st.sampled_from(
    [
        "model",
        "GPT-4o",
        "3.14",
        "2024",
        "(see",
        "https://github.com/a/b",
        "www.example.org/x",
        "huggingface.co/papers/1",
        "深度学习",
        "ニューラル",
        "—",
        "x1y2",
        "12ab",
    ]
)
_SPACES = st.sampled_from([" ", "  ", "\t", "\n"])


@st.composite
def abstracts(draw) -> str | None:
    if draw(st.booleans()) and draw(st.booleans()):
        return None
    # Long runs of non-words, so the prefix often holds fewer words than the text.
    filler = "0123456789 " * draw(st.integers(0, WORDS_PREFIX_CHARS // 10 + 5))
    tokens = draw(st.lists(_TOKENS, max_size=40))
    text = "".join(token + draw(_SPACES) for token in tokens)
    cut = draw(st.integers(0, len(text)))
    return text[:cut] + filler + text[cut:]


def full_counts(values: list[str | None]) -> list[int | None]:
    frame = pl.DataFrame({"abstract": values}, schema={"abstract": pl.String})
    return frame.select(words_outside_links(pl.col("abstract")))["abstract"].to_list()


@given(st.lists(abstracts(), min_size=1, max_size=20))
def test_counts_are_exact_below_the_rules_bound_and_at_least_it_above(values) -> None:
    frame = pl.DataFrame({"abstract": values}, schema={"abstract": pl.String})
    counted = with_words_beside_links(frame)[WORDS_BESIDE_LINKS].to_list()
    for got, full in zip(counted, full_counts(values), strict=True):
        if full is None or full < WORDS_COUNTED_UP_TO:
            assert got == full
        else:
            assert WORDS_COUNTED_UP_TO <= got <= full


def test_a_text_whose_words_come_after_the_prefix_is_counted_in_full() -> None:
    text = "1 " * WORDS_PREFIX_CHARS + "we study twelve words of prose beside the link here ok"
    counted = with_words_beside_links(pl.DataFrame({"abstract": [text]}))
    assert counted[WORDS_BESIDE_LINKS].to_list() == full_counts([text]) == [11]
