"""Text cleaning takes shortcuts for speed (NFC on non-ASCII rows only, collapsing only
the whitespace runs that change): the text must be what the plain definition gives."""

from __future__ import annotations

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from pipeline.core.transform.normalize import clean_text, normalize_text

# The plain definition the shortcuts must equal: NFC everywhere, every run of
# whitespace or zero-width characters to one space, trimmed, empty to null.
_PLAIN_WHITESPACE = r"[\s\u00a0\u200b\u200c\u200d\u2060\ufeff]+"


def plain_clean(values: list[str | None]) -> list[str | None]:
    out = (
        pl.Series(values, dtype=pl.String)
        .str.normalize("NFC")
        .str.replace_all(_PLAIN_WHITESPACE, " ")
        .str.strip_chars()
    )
    return [None if v == "" else v for v in out.to_list()]


def cleaned(values: list[str | None]) -> list[str | None]:
    return (
        pl.DataFrame({"t": values}, schema={"t": pl.String})
        .select(clean_text(pl.col("t")))["t"]
        .to_list()
    )


# Characters where the shortcuts could go wrong: plain and odd whitespace, zero-width
# marks, combining accents and what they compose with, canonical singletons (U+2000
# is NFC U+2002, U+212B is Å), Hangul jamo that compose to syllables.
_TRICKY = (
    "ab e.",
    " \t\n\r\x0b\x0c\x85\u00a0\u1680\u2000\u2001\u2009\u2028\u2029\u202f\u205f\u3000",
    "\u200b\u200c\u200d\u2060\ufeff",
    "\u0301\u0308\u0323\u0307A\u212b\u1e9b\u00e9",
    "\u1100\u1161\u11a8",
    "\x1c\x1f",
)


@given(st.lists(st.one_of(st.none(), st.text(st.sampled_from("".join(_TRICKY)))), max_size=30))
def test_clean_text_equals_the_plain_definition(values: list[str | None]) -> None:
    assert cleaned(values) == plain_clean(values)


def test_decomposed_rows_among_ascii_rows_are_composed_and_single_odd_spaces_collapse() -> None:
    # A scrape mixes plain ASCII abstracts with ones in decomposed form (macOS file
    # names, some PDF extractors): "Schro\u0308dinger" must hash as "Schrödinger".
    values = [
        "Plain ASCII abstract.",
        "Schro\u0308dinger bridges for\tgenerative\u00a0models",
        "Tab\tand NBSP\u00a0and ZWSP\u200bhere",
        "  ",
    ]
    assert cleaned(values) == [
        "Plain ASCII abstract.",
        "Schrödinger bridges for generative models",
        "Tab and NBSP and ZWSP here",
        None,
    ]


def test_the_same_content_in_both_forms_gets_one_content_hash() -> None:
    raw = pl.DataFrame(
        {
            "title_raw": ["Schr\u00f6dinger Bridges", "Schro\u0308dinger  Bridges"],
            "abstract_raw": ["We study caf\u00e9 data.", "We study cafe\u0301\tdata."],
        }
    )
    hashes = normalize_text(raw)["content_hash"].to_list()
    assert hashes[0] == hashes[1]
