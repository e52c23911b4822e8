"""The per-record transform: normalise, extract fields, detect language, apply rules.

Identity (``title_key``, ``content_hash``) is computed on the normalised text
before LaTeX is resolved, so a version's paper ids do not move when the LaTeX
rules improve; ``title`` and ``abstract`` then hold the clean text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import polars as pl

from pipeline.core import schema
from pipeline.core.config import default_value
from pipeline.core.transform.extract import extract_fields
from pipeline.core.transform.language import (
    DEFAULT_ENGINE,
    Engine,
    detect_with_cache,
    empty_cache,
)
from pipeline.core.transform.normalize import normalize_text
from pipeline.core.transform.rules import (
    apply_record_rules,
    record_rules,
    undetermined_language,
    with_words_beside_links,
)
from pipeline.core.validate.expectation_settings import ExpectationSettings

DEFAULT_LANGUAGES: tuple[str, ...] = tuple(default_value("languages"))


@dataclass(frozen=True)
class Transformed:
    """Records ready for dedup, the grown language cache, and language-detection counts."""

    records: pl.DataFrame
    language_cache: pl.DataFrame
    language_stats: dict[str, int]


def transform_records(
    raw: pl.DataFrame,
    language_cache: pl.DataFrame | None = None,
    languages: Sequence[str] = DEFAULT_LANGUAGES,
    workers: int | None = None,
    bounds: ExpectationSettings | None = None,
    progress: Callable[[str], None] | None = None,
    language_engine: Engine = DEFAULT_ENGINE,
) -> Transformed:
    """Every raw record with clean text, extracted fields, language and its verdict;
    ``workers`` threads and ``language_engine`` detect languages (same answers either way)."""
    df = extract_fields(normalize_text(raw))
    cache = empty_cache() if language_cache is None else language_cache
    df, cache, stats = detect_with_cache(df, cache, workers, progress, language_engine)
    # The cache keeps langdetect's own answers; its guesses become "und" here.
    df = with_words_beside_links(df).with_columns(**undetermined_language())
    df = apply_record_rules(df, record_rules(languages, bounds))
    return Transformed(
        records=schema.conform(df, schema.NORMALIZED_RECORDS, "normalized_records"),
        language_cache=cache,
        language_stats=stats,
    )


def normalize_records(
    raw: pl.DataFrame, languages: Sequence[str] = DEFAULT_LANGUAGES
) -> pl.DataFrame:
    """:func:`transform_records` without a persistent cache: just the records."""
    return transform_records(raw, languages=languages).records
