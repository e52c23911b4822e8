"""Record-level rules: each a small polars expression that yields a reason or null.

Following datatrove's filters, a rule never drops a row: it names why a record
cannot be published, and one place applies every rule, joins the reasons of a
record and routes it to the rejects. A record that breaks several rules lists
them all, so a person fixing the source sees every problem at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from pipeline.core.config import default_expectations
from pipeline.core.validate.expectation_settings import PAGE_CHROME_REGEX, ExpectationSettings


@dataclass(frozen=True)
class Rule:
    """A named check; ``reason`` is a string expression, null where the record passes."""

    name: str
    reason: pl.Expr


_READABLE = pl.col("parse_error").is_null()
# Several sentences and many words: prose, not a title. Series titles ("Clouds. IX. The
# Serpens ...") have sentence breaks too, but few words.
TITLE_MAX_WORDS = 30
_SENTENCE_BREAK = r"[.!?][\"')\]]?\s+[A-Z]"

RULES: tuple[Rule, ...] = (
    Rule(
        "unreadable_record",
        pl.when(~_READABLE).then(
            pl.format("unreadable record at line {}: {}", "line_start", "parse_error")
        ),
    ),
    Rule(
        "title_missing",
        pl.when(_READABLE & pl.col("title").is_null()).then(pl.lit("title missing")),
    ),
    Rule(
        "abstract_missing",
        pl.when(_READABLE & pl.col("abstract").is_null()).then(pl.lit("abstract missing")),
    ),
    Rule(
        "title_without_words",
        pl.when(pl.col("title").is_not_null() & pl.col("title_key").is_null()).then(
            pl.lit("title has no letters or digits")
        ),
    ),
)


# Below this many words or this confidence langdetect's answer is a guess ("Abstract A."
# comes out as Swahili), so such a record is not rejected for its language.
LANGUAGE_MIN_WORDS = 8
LANGUAGE_MIN_PROB = 0.8


def language_rule(languages: Sequence[str]) -> Rule:
    """Reject abstracts confidently detected in a language outside ``languages``."""
    prob = pl.col("language_prob").round(2).cast(pl.String)
    confident = (pl.col("n_words") >= LANGUAGE_MIN_WORDS) & (
        pl.col("language_prob") >= LANGUAGE_MIN_PROB
    )
    foreign = pl.col("language").is_not_null() & ~pl.col("language").is_in(list(languages))
    return Rule(
        "language_not_allowed",
        pl.when(foreign & confident).then(
            pl.format("abstract language is '{}' (p={})", "language", prob)
        ),
    )


def bounds_rules(bounds: ExpectationSettings) -> tuple[Rule, ...]:
    """Record rules mirroring the dataset expectations, so one bad record is rejected
    with its reason instead of failing the whole version's checks."""
    title_len = pl.col("title").str.len_chars()
    abstract_len = pl.col("abstract").str.len_chars()
    return (
        Rule(
            "undecodable_bytes",
            pl.when(pl.col("flags").list.contains("undecodable_bytes")).then(
                pl.lit("undecodable bytes in title or abstract")
            ),
        ),
        Rule(
            "title_too_short",
            pl.when(title_len < bounds.title_min_chars).then(
                pl.format("title too short ({} characters)", title_len)
            ),
        ),
        Rule(
            "title_looks_like_abstract",
            pl.when(
                (title_len > bounds.title_max_chars)
                | (
                    (pl.col("title").str.count_matches(_SENTENCE_BREAK) >= 2)
                    & (pl.col("title").str.count_matches(r"\S+") > TITLE_MAX_WORDS)
                )
            ).then(pl.lit("title looks like an abstract")),
        ),
        Rule(
            "abstract_too_short",
            pl.when(abstract_len < bounds.abstract_min_chars).then(
                pl.format("abstract too short ({} characters)", abstract_len)
            ),
        ),
        Rule(
            "abstract_too_long",
            pl.when(abstract_len > bounds.abstract_max_chars).then(
                pl.format("abstract too long ({} characters)", abstract_len)
            ),
        ),
        Rule(
            "page_chrome",
            pl.when(
                pl.col("title").str.contains(PAGE_CHROME_REGEX)
                | pl.col("abstract").str.contains(PAGE_CHROME_REGEX)
            ).then(pl.lit("page chrome in title or abstract")),
        ),
    )


def record_rules(
    languages: Sequence[str] | None,
    bounds: ExpectationSettings | None = None,
) -> tuple[Rule, ...]:
    """The rules of a run: the fixed ones, the bounds of ``bounds`` (default bounds when
    None), and the language rule unless ``languages`` is empty or None (any language)."""
    language = (language_rule(languages),) if languages else ()
    return RULES + bounds_rules(bounds or default_expectations()) + language


def apply_record_rules(df: pl.DataFrame, rules: tuple[Rule, ...] = RULES) -> pl.DataFrame:
    """Set ``reason`` to the '; '-joined reasons of every rule a record breaks, else null."""
    reasons = pl.concat_list([r.reason.alias(r.name) for r in rules]).list.drop_nulls()
    return df.with_columns(
        reason=pl.when(reasons.list.len() > 0).then(reasons.list.join("; ")).cast(pl.String)
    )


def reason_counts(records: pl.DataFrame) -> dict[str, int]:
    """How many records each single reason rejected, most frequent first."""
    counts = (
        records.select(pl.col("reason").drop_nulls().str.split("; ").explode())
        .group_by("reason")
        .len()
        .sort(["len", "reason"], descending=[True, False])
    )
    return dict(zip(counts["reason"].to_list(), counts["len"].to_list(), strict=True))
