"""The Great Expectations suites: what each expectation on papers and records requires.

Definitions only, cheap to import (GX is not imported here): running them is
:mod:`pipeline.core.validate.expectations`, turning GX's results into outcomes is
:mod:`pipeline.core.validate.outcomes`. Each expectation is a :class:`Spec`; the papers
suite's row-wise ones name the record rule that stands in front of them
(:attr:`Spec.guarded_by`), so a bad record is rejected with its reason and only costs
itself, instead of failing the expectation and so refusing the whole version. The
rule and its expectation read the same pattern or bound: ``CONTROL_WORD``,
``PAGE_CHROME_REGEX``, ``CANONICAL_CODE_URL`` and the ``ExpectationSettings`` lengths.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from typing import Any

import polars as pl

from pipeline.core import schema
from pipeline.core.config import default_expectations
from pipeline.core.names import PAGE_CHROME_REGEX, RECORD_KEY, RECORD_STATUSES, REJECTED
from pipeline.core.provenance import modules_version
from pipeline.core.transform.latex import CONTROL_WORD
from pipeline.core.transform.rules import UNDETERMINED
from pipeline.core.validate.expectation_settings import (
    CANONICAL_CODE_URL,
    ExpectationSettings,
)

PAPERS_KEY = ("paper_id",)


@dataclass(frozen=True)
class Spec:
    """One expectation: the check's name and sentence, and the GX expectation testing it.

    The expectation is named by its class in ``great_expectations.expectations`` so the
    specs can be built without importing GX.
    """

    name: str
    description: str
    expectation: str
    kwargs: dict[str, Any]
    max_rate: float | None = None  # rate checks: the bound, reported beside the observed rate
    guarded_by: tuple[str, ...] = ()
    """The record rules (reason codes of :mod:`pipeline.core.transform.rules`) that reject
    a record before its paper could fail this expectation. Empty where no one record's
    text can fail it: expectations about the table as a whole (row counts, uniqueness,
    schema, shares of rejects and duplicates) and about values the pipeline computes
    (paper_id, n_records, status)."""


@dataclass(frozen=True)
class TableSuite:
    """A table to validate, its expectations, and the columns that name one of its rows."""

    name: str
    frame: pl.DataFrame
    specs: list[Spec]
    key: tuple[str, ...]
    columns: list[str] | None = None  # the stored table's columns when ``frame`` has some
    first_row: int = 0  # the whole table's row number of ``frame``'s first row (a part)


def _mostly(max_rate: float) -> float:
    """GX's ``mostly`` for "at most ``max_rate`` of the rows are unexpected".

    GX passes when ``(n - unexpected) / n >= mostly``. ``1 - 0.7`` is
    0.30000000000000004 in floating point, which would fail a table at exactly the
    bound, so the complement is rounded well below any row-count resolution.
    """
    return round(1.0 - max_rate, 12)


# The rules in front of each text expectation, by column: a record that would give a
# paper a missing, too short or too long text is rejected for it.
_TEXT_GUARDS = {
    "title": {
        "not_null": ("title_missing",),
        "length": ("title_too_short", "title_looks_like_abstract"),
    },
    "abstract": {
        "not_null": ("abstract_missing",),
        "length": ("abstract_too_short", "abstract_too_long"),
    },
}


def _text_specs(column: str, low: int, high: int) -> list[Spec]:
    """The same three expectations for each text column of papers."""
    guards = _TEXT_GUARDS[column]
    return [
        Spec(
            f"papers.{column}_not_null",
            f"every paper has {'an' if column[0] in 'aeiou' else 'a'} {column}",
            "ExpectColumnValuesToNotBeNull",
            {"column": column},
            guarded_by=guards["not_null"],
        ),
        Spec(
            f"papers.{column}_length",
            f"every {column} in papers is between {low} and {high} characters long",
            "ExpectColumnValueLengthsToBeBetween",
            {"column": column, "min_value": low, "max_value": high},
            guarded_by=guards["length"],
        ),
        Spec(
            f"papers.{column}_no_page_chrome",
            f"no {column} in papers contains page chrome such as 'Get trending papers' "
            "or a leading 'Subscribe'",
            "ExpectColumnValuesToNotMatchRegex",
            {"column": column, "regex": PAGE_CHROME_REGEX},
            guarded_by=("page_chrome",),
        ),
    ]


def papers_specs(settings: ExpectationSettings | None = None) -> list[Spec]:
    """The expectations on papers.parquet, in the order their outcomes are reported."""
    settings = settings or default_expectations()
    return [
        Spec(
            "papers.not_empty",
            "papers has at least one row",
            "ExpectTableRowCountToBeBetween",
            {"min_value": 1},
        ),
        Spec(
            "papers.columns_match_schema",
            "papers has exactly the declared columns, in the declared order",
            "ExpectTableColumnsToMatchOrderedList",
            {"column_list": schema.PAPERS.names()},
        ),
        Spec(
            "papers.paper_id_not_null",
            "every paper has a paper_id",
            "ExpectColumnValuesToNotBeNull",
            {"column": "paper_id"},
        ),
        Spec(
            "papers.paper_id_unique",
            "paper_id is unique in papers",
            "ExpectColumnValuesToBeUnique",
            {"column": "paper_id"},
        ),
        *_text_specs("title", settings.title_min_chars, settings.title_max_chars),
        *_text_specs("abstract", settings.abstract_min_chars, settings.abstract_max_chars),
        Spec(
            "papers.n_records_positive",
            "every paper is backed by at least one record (n_records >= 1)",
            "ExpectColumnValuesToBeBetween",
            {"column": "n_records", "min_value": 1},
        ),
        *[
            Spec(
                f"papers.{column}_no_latex",
                f"no {column} in papers has a LaTeX control word left (such as \\textbf)",
                "ExpectColumnValuesToNotMatchRegex",
                {"column": column, "regex": CONTROL_WORD},
                guarded_by=("latex_remnant",),
            )
            for column in ("title", "abstract")
        ],
        Spec(
            "papers.code_url_canonical",
            "every code_url is a canonical repository URL (https://github.com/owner/repo, ...)",
            "ExpectColumnValuesToMatchRegex",
            {"column": "code_url", "regex": CANONICAL_CODE_URL},
            guarded_by=("code_url_not_canonical",),
        ),
        *_language_specs(settings),
        *_row_count_specs(settings),
    ]


def _language_specs(settings: ExpectationSettings) -> list[Spec]:
    if not settings.languages:
        return []
    allowed = ", ".join(settings.languages)
    return [
        Spec(
            "papers.language_allowed",
            f"at least {settings.min_language_share:.0%} of the papers whose language is "
            f"determined are in {allowed}",
            "ExpectColumnValuesToBeInSet",
            {
                "column": "language",
                "value_set": list(settings.languages),
                "mostly": round(settings.min_language_share, 12),
                # Determined languages only: "und" texts are too short to tell.
                "row_condition": {
                    "type": "comparison",
                    "column": {"name": "language"},
                    "operator": "!=",
                    "parameter": UNDETERMINED,
                },
            },
            max_rate=round(1.0 - settings.min_language_share, 12),
            guarded_by=("language_not_allowed",),
        )
    ]


def _row_count_specs(settings: ExpectationSettings) -> list[Spec]:
    """Papers may not fall by more than ``max_row_drop`` against the previous version."""
    if not settings.previous_papers:
        return []
    floor = max(1, math.ceil(settings.previous_papers * (1.0 - settings.max_row_drop)))
    return [
        Spec(
            "papers.row_count_not_dropping",
            f"papers has at least {floor} rows: no more than {settings.max_row_drop:.0%} fewer "
            f"than the previous version's {settings.previous_papers}",
            "ExpectTableRowCountToBeBetween",
            {"min_value": floor},
        )
    ]


def records_specs(settings: ExpectationSettings | None = None) -> list[Spec]:
    """The expectations on records.parquet, in the order their outcomes are reported.

    None needs a record rule in front of it: a rejected record is a row of records
    too, so these judge the pipeline's own fates (schema, keys, statuses) and the
    shares of rejects and duplicates over the whole table, which no one record fails."""
    settings = settings or default_expectations()
    statuses = list(RECORD_STATUSES)
    return [
        Spec(
            "records.columns_match_schema",
            "records has exactly the declared columns, in the declared order",
            "ExpectTableColumnsToMatchOrderedList",
            {"column_list": schema.RECORDS.names()},
        ),
        Spec(
            "records.key_unique",
            "each (source_file, record_index) appears once in records",
            "ExpectCompoundColumnsToBeUnique",
            {"column_list": list(RECORD_KEY)},
        ),
        Spec(
            "records.status_not_null",
            "every record has a status",
            "ExpectColumnValuesToNotBeNull",
            {"column": "status"},
        ),
        Spec(
            "records.status_known",
            f"every record's status is one of {', '.join(statuses)}",
            "ExpectColumnValuesToBeInSet",
            {"column": "status", "value_set": statuses},
        ),
        Spec(
            "records.reject_rate",
            f"at most {settings.max_reject_rate:.0%} of the records are rejected",
            "ExpectColumnValuesToNotBeInSet",
            {
                "column": "status",
                "value_set": [REJECTED],
                "mostly": _mostly(settings.max_reject_rate),
            },
            max_rate=settings.max_reject_rate,
        ),
        Spec(
            "records.duplicate_rate",
            f"at most {settings.max_duplicate_rate:.0%} of the records are duplicates",
            "ExpectColumnValuesToNotBeInSet",
            {
                "column": "status",
                "value_set": ["duplicate"],
                "mostly": _mostly(settings.max_duplicate_rate),
            },
            max_rate=settings.max_duplicate_rate,
        ),
    ]


# Expectations that judge each row on its own: a row that passed them under a suite
# passes them again under the same suite, so only new or changed rows need them (see
# ``validate_tables(recheck=...)``). With ``mostly`` a check is a rate over the table.
_ROW_WISE = frozenset(
    {
        "ExpectColumnValuesToNotBeNull",
        "ExpectColumnValueLengthsToBeBetween",
        "ExpectColumnValuesToNotMatchRegex",
        "ExpectColumnValuesToMatchRegex",
        "ExpectColumnValuesToBeBetween",
    }
)
# The columns a row's content hash stands for: equal hashes, equal texts.
_HASHED_TEXT = ("title", "abstract")


def is_row_wise(spec: Spec) -> bool:
    return spec.expectation in _ROW_WISE and "mostly" not in spec.kwargs


def suite_fingerprint(settings: ExpectationSettings) -> str:
    """Identifies the papers suite's row-wise verdicts: this module's source (the specs,
    the patterns) and the bounds. The previous version's row count is left out: it only
    moves the table-wide row-count floor."""
    bounds = {k: v for k, v in sorted(settings.__dict__.items()) if k != "previous_papers"}
    payload = json.dumps({"code": modules_version(__name__), "bounds": bounds}, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


def papers_columns(settings: ExpectationSettings | None = None) -> dict[str, list[str]]:
    """What validating papers incrementally reads: ``table`` for every row (the
    table-wide expectations, and ``recheck_key``, the columns that decide whether a row
    is unchanged: the row-wise columns with ``content_hash`` standing for the texts),
    and ``row_wise`` only for the rows to recheck."""
    specs = papers_specs(settings)
    wide = [c for spec in specs if not is_row_wise(spec) for c in spec_columns(spec)]
    row_wise = [c for spec in specs if is_row_wise(spec) for c in spec_columns(spec)]
    key = [c for c in row_wise if c not in _HASHED_TEXT] + ["content_hash"]
    return {
        "table": list(dict.fromkeys([*PAPERS_KEY, *wide, *key])),
        "row_wise": list(dict.fromkeys([*PAPERS_KEY, *row_wise])),
        "recheck_key": list(dict.fromkeys(key)),
    }


def columns_read(settings: ExpectationSettings | None = None) -> dict[str, list[str]]:
    """The columns of papers and records the suites read values of (with each table's
    key, for examples): all a caller must load to validate a stored version."""
    return {
        name: list(dict.fromkeys([*key, *(c for spec in specs for c in spec_columns(spec))]))
        for name, specs, key in (
            ("papers", papers_specs(settings), PAPERS_KEY),
            ("records", records_specs(settings), RECORD_KEY),
        )
    }


def spec_columns(spec: Spec) -> list[str]:
    if spec.expectation == "ExpectTableColumnsToMatchOrderedList":
        return []
    column = spec.kwargs.get("column")
    return [column] if column else list(spec.kwargs.get("column_list", []))
