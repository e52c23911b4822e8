"""Record-level rules: each a small polars expression that yields a reason or null.

Following datatrove's filters, a rule never drops a row: it names why a record
cannot be published, and one place applies every rule, joins the reasons of a
record and routes it to the rejects. A record that breaks several rules lists
them all, so a person fixing the source sees every problem at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl


@dataclass(frozen=True)
class Rule:
    """A named check; ``reason`` is a string expression, null where the record passes."""

    name: str
    reason: pl.Expr


_READABLE = pl.col("parse_error").is_null()

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
