"""Dataset-level Great Expectations validation of the papers and records tables.

The checks in :mod:`pipeline.core.validate.quality` prove the tables are consistent with
each other; these expectations describe what a good table looks like on its own
(schema, keys, text bounds, no page chrome left in the text, plausible reject and
duplicate rates) and can render GX Data Docs, so a reviewer can read a run's
verdict as HTML. Each expectation becomes one :class:`CheckOutcome`, the same shape
the manifest already stores.

Great Expectations costs seconds and a few hundred MB to import, so it is imported
inside :func:`validate_tables` only, never when this module is imported.

GX has no polars engine: tables are handed to its pandas engine with Arrow-backed
columns (``to_pandas(use_pyarrow_extension_array=True)``), which shares the Arrow
buffers instead of copying into numpy objects. List and struct columns (``sources``,
``flags``, ...) are handed over as JSON text (see :func:`to_gx_pandas`): dropping
them would make the column-schema expectation lie, and left nested they make GX's
batch fingerprint fall back to pickling the whole frame.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import polars as pl

from pipeline.core import schema
from pipeline.core.config import default_expectations
from pipeline.core.names import PAGE_CHROME_REGEX, RECORD_KEY, RECORD_STATUSES, REJECTED
from pipeline.core.store.provenance import modules_version
from pipeline.core.transform.latex import CONTROL_WORD
from pipeline.core.transform.rules import UNDETERMINED
from pipeline.core.validate.expectation_settings import (
    CANONICAL_CODE_URL,
    ExpectationSettings,
)
from pipeline.core.validate.quality import MAX_EXAMPLES, CheckOutcome

# Offending values are cut to this length in details: a 10,000-character abstract
# would bloat the manifest without helping anyone find the row.
MAX_EXAMPLE_CHARS = 200

_DOCS_SITE = "papers_pipeline"
# Rows are named by these columns in examples, when the frame has them.
_PAPERS_KEY = ("paper_id",)
# SUMMARY gives counts, the first offending values and their row positions. Rows are
# deliberately not named through GX's "unexpected_index_column_names": GX builds that
# list with a Python loop over *every* offending row (metrics/util.py,
# compute_unexpected_pandas_indices) before keeping the first few, 5 s for 80k rejected
# records; the positions it returns anyway are mapped to key columns here instead. The
# index query (a string listing every offending index) is not wanted either.
_RESULT_FORMAT = {
    "result_format": "SUMMARY",
    "partial_unexpected_count": MAX_EXAMPLES,
    "return_unexpected_index_query": False,
}
# GX logs through this logger; below ERROR it only narrates GX's internals. One module
# sets its own logger to INFO when imported, so the parent's level does not reach it.
_GX_LOGGER = "great_expectations"
_GX_SELF_LEVELLED_LOGGER = "great_expectations.data_context.types.base"


@dataclass(frozen=True)
class _Spec:
    """One expectation: the check's name and sentence, and the GX expectation testing it.

    The expectation is named by its class in ``great_expectations.expectations`` so the
    specs can be built without importing GX.
    """

    name: str
    description: str
    expectation: str
    kwargs: dict[str, Any]
    max_rate: float | None = None  # rate checks: the bound, reported beside the observed rate


@dataclass(frozen=True)
class _Table:
    """A table to validate, its expectations, and the columns that name one of its rows."""

    name: str
    frame: pl.DataFrame
    specs: list[_Spec]
    key: tuple[str, ...]
    columns: list[str] | None = None  # the stored table's columns when ``frame`` has some


def _mostly(max_rate: float) -> float:
    """GX's ``mostly`` for "at most ``max_rate`` of the rows are unexpected".

    GX passes when ``(n - unexpected) / n >= mostly``. ``1 - 0.7`` is
    0.30000000000000004 in floating point, which would fail a table at exactly the
    bound, so the complement is rounded well below any row-count resolution.
    """
    return round(1.0 - max_rate, 12)


def _text_specs(column: str, low: int, high: int) -> list[_Spec]:
    """The same three expectations for each text column of papers."""
    return [
        _Spec(
            f"papers.{column}_not_null",
            f"every paper has {'an' if column[0] in 'aeiou' else 'a'} {column}",
            "ExpectColumnValuesToNotBeNull",
            {"column": column},
        ),
        _Spec(
            f"papers.{column}_length",
            f"every {column} in papers is between {low} and {high} characters long",
            "ExpectColumnValueLengthsToBeBetween",
            {"column": column, "min_value": low, "max_value": high},
        ),
        _Spec(
            f"papers.{column}_no_page_chrome",
            f"no {column} in papers contains page chrome such as 'Get trending papers' "
            "or a leading 'Subscribe'",
            "ExpectColumnValuesToNotMatchRegex",
            {"column": column, "regex": PAGE_CHROME_REGEX},
        ),
    ]


def papers_specs(settings: ExpectationSettings | None = None) -> list[_Spec]:
    """The expectations on papers.parquet, in the order their outcomes are reported."""
    settings = settings or default_expectations()
    return [
        _Spec(
            "papers.not_empty",
            "papers has at least one row",
            "ExpectTableRowCountToBeBetween",
            {"min_value": 1},
        ),
        _Spec(
            "papers.columns_match_schema",
            "papers has exactly the declared columns, in the declared order",
            "ExpectTableColumnsToMatchOrderedList",
            {"column_list": schema.PAPERS.names()},
        ),
        _Spec(
            "papers.paper_id_not_null",
            "every paper has a paper_id",
            "ExpectColumnValuesToNotBeNull",
            {"column": "paper_id"},
        ),
        _Spec(
            "papers.paper_id_unique",
            "paper_id is unique in papers",
            "ExpectColumnValuesToBeUnique",
            {"column": "paper_id"},
        ),
        *_text_specs("title", settings.title_min_chars, settings.title_max_chars),
        *_text_specs("abstract", settings.abstract_min_chars, settings.abstract_max_chars),
        _Spec(
            "papers.n_records_positive",
            "every paper is backed by at least one record (n_records >= 1)",
            "ExpectColumnValuesToBeBetween",
            {"column": "n_records", "min_value": 1},
        ),
        *[
            _Spec(
                f"papers.{column}_no_latex",
                f"no {column} in papers has a LaTeX control word left (such as \\textbf)",
                "ExpectColumnValuesToNotMatchRegex",
                {"column": column, "regex": CONTROL_WORD},
            )
            for column in ("title", "abstract")
        ],
        _Spec(
            "papers.code_url_canonical",
            "every code_url is a canonical repository URL (https://github.com/owner/repo, ...)",
            "ExpectColumnValuesToMatchRegex",
            {"column": "code_url", "regex": CANONICAL_CODE_URL},
        ),
        *_language_specs(settings),
        *_row_count_specs(settings),
    ]


def _language_specs(settings: ExpectationSettings) -> list[_Spec]:
    if not settings.languages:
        return []
    allowed = ", ".join(settings.languages)
    return [
        _Spec(
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
        )
    ]


def _row_count_specs(settings: ExpectationSettings) -> list[_Spec]:
    """Papers may not fall by more than ``max_row_drop`` against the previous version."""
    if not settings.previous_papers:
        return []
    floor = max(1, math.ceil(settings.previous_papers * (1.0 - settings.max_row_drop)))
    return [
        _Spec(
            "papers.row_count_not_dropping",
            f"papers has at least {floor} rows: no more than {settings.max_row_drop:.0%} fewer "
            f"than the previous version's {settings.previous_papers}",
            "ExpectTableRowCountToBeBetween",
            {"min_value": floor},
        )
    ]


def records_specs(settings: ExpectationSettings | None = None) -> list[_Spec]:
    """The expectations on records.parquet, in the order their outcomes are reported."""
    settings = settings or default_expectations()
    statuses = list(RECORD_STATUSES)
    return [
        _Spec(
            "records.columns_match_schema",
            "records has exactly the declared columns, in the declared order",
            "ExpectTableColumnsToMatchOrderedList",
            {"column_list": schema.RECORDS.names()},
        ),
        _Spec(
            "records.key_unique",
            "each (source_file, record_index) appears once in records",
            "ExpectCompoundColumnsToBeUnique",
            {"column_list": list(RECORD_KEY)},
        ),
        _Spec(
            "records.status_not_null",
            "every record has a status",
            "ExpectColumnValuesToNotBeNull",
            {"column": "status"},
        ),
        _Spec(
            "records.status_known",
            f"every record's status is one of {', '.join(statuses)}",
            "ExpectColumnValuesToBeInSet",
            {"column": "status", "value_set": statuses},
        ),
        _Spec(
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
        _Spec(
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


def _is_row_wise(spec: _Spec) -> bool:
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
    wide = [c for spec in specs if not _is_row_wise(spec) for c in _columns_read(spec)]
    row_wise = [c for spec in specs if _is_row_wise(spec) for c in _columns_read(spec)]
    key = [c for c in row_wise if c not in _HASHED_TEXT] + ["content_hash"]
    return {
        "table": list(dict.fromkeys([*_PAPERS_KEY, *wide, *key])),
        "row_wise": list(dict.fromkeys([*_PAPERS_KEY, *row_wise])),
        "recheck_key": list(dict.fromkeys(key)),
    }


def columns_read(settings: ExpectationSettings | None = None) -> dict[str, list[str]]:
    """The columns of papers and records the suites read values of (with each table's
    key, for examples): all a caller must load to validate a stored version."""
    return {
        name: list(dict.fromkeys([*key, *(c for spec in specs for c in _columns_read(spec))]))
        for name, specs, key in (
            ("papers", papers_specs(settings), _PAPERS_KEY),
            ("records", records_specs(settings), RECORD_KEY),
        )
    }


def validate_tables(
    papers: pl.DataFrame,
    records: pl.DataFrame,
    settings: ExpectationSettings | None = None,
    docs_dir: Path | None = None,
    columns: Mapping[str, list[str]] | None = None,
    recheck: pl.DataFrame | None = None,
) -> list[CheckOutcome]:
    """Validate papers and records with Great Expectations; one outcome per expectation.

    ``columns`` gives the stored tables' column names when the frames hold only the
    columns of :func:`columns_read` (a large version need not be loaded whole); the
    schema expectations then check those names. Nothing is persisted except, when
    ``docs_dir`` is given, the Data Docs HTML of this run: the GX context is ephemeral
    (in-memory stores) and made anew per call.

    ``recheck``: the papers that are new or changed since a version that passed a suite
    with the same :func:`suite_fingerprint` (the caller decides, on the
    ``recheck_key`` of :func:`papers_columns`). The row-wise expectations then run on
    those rows only, as the batch ``papers_rechecked``, and ``papers`` need only hold
    the ``table`` columns: a daily run over a million papers checks a few hundred
    texts, not a gigabyte of them.
    """
    columns = columns or {}
    specs = papers_specs(settings)
    tables = [
        _Table("papers", papers, specs, _PAPERS_KEY, columns.get("papers")),
        _Table("records", records, records_specs(settings), RECORD_KEY, columns.get("records")),
    ]
    if recheck is not None:
        tables[0] = _Table(
            "papers",
            papers,
            [s for s in specs if not _is_row_wise(s)],
            _PAPERS_KEY,
            columns.get("papers"),
        )
        tables.append(
            _Table("papers_rechecked", recheck, [s for s in specs if _is_row_wise(s)], _PAPERS_KEY)
        )
    with _quiet_gx() as gx:
        context = _ephemeral_context(gx, docs_dir)
        source = context.data_sources.add_pandas("papers_pipeline")
        run_id = gx.RunIdentifier(run_name="papers_pipeline")
        outcomes = [
            outcome
            for table in tables
            for outcome in _validate_table(gx, context, source, table, run_id)
        ]
        if docs_dir is not None:
            context.build_data_docs(site_names=[_DOCS_SITE])
    if recheck is None:
        return outcomes
    # Back in the suites' order; row-wise outcomes say how many rows they did not redo.
    rechecked = {s.name for s in tables[-1].specs}
    for outcome in outcomes:
        if outcome.name in rechecked:
            outcome.details["rows_unchanged"] = papers.height - recheck.height
    order = {s.name: i for i, s in enumerate([*specs, *records_specs(settings)])}
    return sorted(outcomes, key=lambda o: order[o.name])


def _import_gx() -> ModuleType:
    """Import GX with analytics off: the variable must be set before the import."""
    os.environ["GX_ANALYTICS_ENABLED"] = "false"
    import great_expectations as gx

    return gx


@contextmanager
def _quiet_gx() -> Iterator[ModuleType]:
    """GX, imported and run without its chatter; log levels are restored after.

    Its import logs hundreds of INFO lines about its docs registry and warns that it
    imports the deprecated ``sre_parse``; neither says anything about our data.
    """
    with warnings.catch_warnings(), _log_level(_GX_LOGGER, logging.ERROR):
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        gx = _import_gx()
        # Only now does the self-levelled logger exist with the level GX gives it.
        with _log_level(_GX_SELF_LEVELLED_LOGGER, logging.ERROR):
            yield gx


@contextmanager
def _log_level(name: str, level: int) -> Iterator[None]:
    """Set one logger's level for the duration of the block."""
    logger = logging.getLogger(name)
    previous = logger.level
    logger.setLevel(level)
    try:
        yield
    finally:
        logger.setLevel(previous)


def _ephemeral_context(gx: ModuleType, docs_dir: Path | None) -> Any:
    """An in-memory context without progress bars, whose only docs site is ``docs_dir``.

    An ephemeral context comes with a default "local_site" in a temporary directory;
    it is removed so that building docs writes nowhere but ``docs_dir``.
    """
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    for site in list(context.list_data_docs_sites()):
        context.delete_data_docs_site(site)
    if docs_dir is not None:
        context.add_data_docs_site(
            _DOCS_SITE,
            {
                "class_name": "SiteBuilder",
                "show_how_to_buttons": False,
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(Path(docs_dir).resolve()),
                },
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            },
        )
    return context


def _validate_table(
    gx: ModuleType, context: Any, source: Any, table: _Table, run_id: Any
) -> list[CheckOutcome]:
    """Run one table's suite on a whole-dataframe batch and turn each result into an outcome."""
    import great_expectations.expectations as gxe

    batch = source.add_dataframe_asset(table.name).add_batch_definition_whole_dataframe("all")
    suite = context.suites.add(
        gx.ExpectationSuite(
            name=table.name,
            expectations=[
                getattr(gxe, spec.expectation)(
                    **spec.kwargs,
                    meta={"check": spec.name},
                    description=f"{spec.name}: {spec.description}",
                )
                for spec in table.specs
            ],
        )
    )
    validation = context.validation_definitions.add(
        gx.ValidationDefinition(name=table.name, data=batch, suite=suite)
    )
    result = validation.run(
        batch_parameters={"dataframe": to_gx_pandas(_read_columns_only(table))},
        result_format=_RESULT_FORMAT,
        run_id=run_id,
    )
    by_check = {r.expectation_config.meta["check"]: r.to_json_dict() for r in result.results}
    return [_outcome(spec, by_check[spec.name], table) for spec in table.specs]


def _read_columns_only(table: _Table) -> pl.DataFrame:
    """The table with every column no expectation reads replaced by nulls of its name.

    GX fingerprints a batch by hashing every value of every column
    (``hash_pandas_dataframe``): 1.8 s of the 3.2 s a 100k-record validation took, and
    a copy of each text column in memory. The schema expectations look at column
    names and order only, which the placeholders keep; row examples in the outcomes
    are read from the full table.
    """
    read = {key for spec in table.specs for key in _columns_read(spec)}
    return table.frame.select(
        pl.col(name) if name in read else pl.lit(None, pl.Null).alias(name)
        for name in (table.columns or table.frame.columns)
    )


def _columns_read(spec: _Spec) -> list[str]:
    if spec.expectation == "ExpectTableColumnsToMatchOrderedList":
        return []
    column = spec.kwargs.get("column")
    return [column] if column else list(spec.kwargs.get("column_list", []))


def to_gx_pandas(df: pl.DataFrame) -> Any:
    """The frame as GX's pandas engine should see it: Arrow-backed, nested columns as JSON.

    GX fingerprints every batch with ``pd.util.hash_pandas_object``; Arrow list and
    struct columns are unhashable there, so GX falls back to ``pickle.dumps`` of the
    whole frame (pandas_execution_engine.py, ``hash_pandas_dataframe``): 2.5 s and
    about a GB of memory for 100k papers. JSON text keeps every value, stays readable
    in examples and hashes cheaply. Nulls stay null.
    """
    nested = [name for name, dtype in df.schema.items() if dtype.is_nested()]
    return df.with_columns(_json_text(name) for name in nested).to_pandas(
        use_pyarrow_extension_array=True
    )


def _json_text(column: str) -> pl.Expr:
    """A nested column as JSON text, e.g. '[{"file":"a.txt","index":0,"line":1}]'.

    polars encodes structs only, so the value is wrapped in a one-field struct and the
    wrapper's ``{"v":`` and ``}`` are cut off again.
    """
    wrapped = pl.struct(pl.col(column).alias("v")).struct.json_encode()
    unwrapped = wrapped.str.strip_prefix('{"v":').str.strip_suffix("}")
    return pl.when(pl.col(column).is_not_null()).then(unwrapped).alias(column)


def _outcome(spec: _Spec, result: dict, table: _Table) -> CheckOutcome:
    """A CheckOutcome from one JSON-ready GX result: observed value, examples, any error."""
    gx_result = result.get("result") or {}
    details: dict[str, Any] = {"expectation": spec.expectation}
    errors = _error_messages(result.get("exception_info") or {})
    if errors:
        details["error"] = "; ".join(errors)
    if "observed_value" in gx_result:  # table-level expectations
        details["observed"] = _clip(gx_result["observed_value"])
        if spec.expectation == "ExpectTableColumnsToMatchOrderedList":
            details.update(_column_differences(spec.kwargs["column_list"], gx_result))
    if "unexpected_count" in gx_result:  # column-map expectations
        details.update(_map_details(spec, gx_result, table))
    return CheckOutcome(
        name=spec.name,
        passed=bool(result.get("success")),
        description=spec.description,
        details=details,
    )


def _error_messages(exception_info: dict) -> list[str]:
    """Why GX could not evaluate an expectation, e.g. a column that does not exist.

    GX reports one error flat, or several keyed by the metric that failed.
    """
    infos = [exception_info, *(v for v in exception_info.values() if isinstance(v, dict))]
    messages = [i.get("exception_message") for i in infos if i.get("raised_exception")]
    return list(dict.fromkeys(m for m in messages if m))


def _map_details(spec: _Spec, gx_result: dict, table: _Table) -> dict[str, Any]:
    """Counts, the observed rate for rate checks, and up to MAX_EXAMPLES offending rows."""
    details: dict[str, Any] = {
        "rows": gx_result.get("element_count"),
        "unexpected": gx_result.get("unexpected_count"),
    }
    if spec.max_rate is not None:
        percent = gx_result.get("unexpected_percent")
        details["observed_rate"] = None if percent is None else round(percent / 100, 6)
        details["max_rate"] = spec.max_rate
    positions = gx_result.get("partial_unexpected_index_list") or []
    values = gx_result.get("partial_unexpected_list") or []
    details["examples"] = (
        _rows_at(table, spec, positions) if positions else _clip(values[:MAX_EXAMPLES])
    )
    return details


def _rows_at(table: _Table, spec: _Spec, positions: list[int]) -> list[dict[str, Any]]:
    """The offending rows GX points at, by position: their key and the checked values.

    The pandas frame GX saw has a default RangeIndex, so its index is the row position
    in the polars frame.
    """
    checked = [spec.kwargs["column"]] if "column" in spec.kwargs else spec.kwargs["column_list"]
    columns = [c for c in dict.fromkeys([*table.key, *checked]) if c in table.frame.columns]
    rows = table.frame.select(columns).with_row_index("row")[positions[:MAX_EXAMPLES]]
    return _clip([{k: _jsonable(v) for k, v in r.items()} for r in rows.to_dicts()])


def _column_differences(expected: list[str], gx_result: dict) -> dict[str, Any]:
    """Which declared columns are missing and which found ones are not declared."""
    found = gx_result.get("observed_value") or []
    return {
        "expected": list(expected),
        "missing": [c for c in expected if c not in found],
        "unexpected_columns": [c for c in found if c not in expected],
        "mismatched": _clip((gx_result.get("details") or {}).get("mismatched", []))[:MAX_EXAMPLES],
    }


def _jsonable(value: Any) -> Any:
    """Key and checked columns are strings and integers; anything else becomes its text."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _clip(value: Any) -> Any:
    """Cut long strings inside a JSON-ready value to MAX_EXAMPLE_CHARS."""
    if isinstance(value, str) and len(value) > MAX_EXAMPLE_CHARS:
        return value[:MAX_EXAMPLE_CHARS] + "…"
    if isinstance(value, list):
        return [_clip(v) for v in value]
    if isinstance(value, dict):
        return {k: _clip(v) for k, v in value.items()}
    return value
