"""Dataset-level Great Expectations validation of the papers and records tables.

The checks in :mod:`pipeline.core.validate.quality` prove the tables are consistent with
each other; these expectations describe what a good table looks like on its own
(schema, keys, text bounds, no page chrome left in the text, plausible reject and
duplicate rates) and can render GX Data Docs, so a reviewer can read a run's
verdict as HTML. Each expectation becomes one :class:`CheckOutcome`, the same shape
the manifest already stores. This module runs the suites
(:mod:`pipeline.core.validate.suites` defines them, :mod:`pipeline.core.validate.outcomes`
reads GX's results).

Great Expectations costs seconds and a few hundred MB to import, so it is imported
inside :func:`validate_tables` only, never when this module is imported. (Not in a
background thread either: importing GX there raced the run's own SQLAlchemy queries,
its half-imported ``sqlalchemy.orm`` already registered for every object; a deploy
test's run failed on it.)

GX has no polars engine: tables are handed to its pandas engine with Arrow-backed
columns (``to_pandas(use_pyarrow_extension_array=True)``), which shares the Arrow
buffers instead of copying into numpy objects. List and struct columns (``sources``,
``flags``, ...) are handed over as JSON text (see :func:`to_gx_pandas`): dropping
them would make the column-schema expectation lie, and left nested they make GX's
batch fingerprint fall back to pickling the whole frame.
"""

from __future__ import annotations

import html
import logging
import os
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import polars as pl

from pipeline.core.names import RECORD_KEY
from pipeline.core.validate.expectation_settings import ExpectationSettings
from pipeline.core.validate.outcomes import to_outcome
from pipeline.core.validate.parts import PART_ROWS, in_parts, merge_parts
from pipeline.core.validate.quality import MAX_EXAMPLES, CheckOutcome
from pipeline.core.validate.suites import (
    PAPERS_KEY,
    TableSuite,
    is_row_wise,
    papers_specs,
    records_specs,
    spec_columns,
)

_DOCS_SITE = "papers_pipeline"
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


def validate_tables(
    papers: pl.DataFrame,
    records: pl.DataFrame,
    settings: ExpectationSettings | None = None,
    docs_dir: Path | None = None,
    columns: Mapping[str, list[str]] | None = None,
    recheck: pl.DataFrame | None = None,
    part_rows: int = PART_ROWS,
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

    ``part_rows``: row-wise expectations run on parts of at most that many rows (see
    :mod:`pipeline.core.validate.parts`), with the same outcomes as on the whole table.
    """
    columns = columns or {}
    specs = papers_specs(settings)
    tables = [
        TableSuite("papers", papers, specs, PAPERS_KEY, columns.get("papers")),
        TableSuite("records", records, records_specs(settings), RECORD_KEY, columns.get("records")),
    ]
    if recheck is not None:
        tables[0] = TableSuite(
            "papers",
            papers,
            [s for s in specs if not is_row_wise(s)],
            PAPERS_KEY,
            columns.get("papers"),
        )
        tables.append(
            TableSuite(
                "papers_rechecked", recheck, [s for s in specs if is_row_wise(s)], PAPERS_KEY
            )
        )
    rechecked = {s.name for s in tables[-1].specs} if recheck is not None else set()
    parts = [part for table in tables for part in in_parts(table, part_rows)]
    with _quiet_gx() as gx:
        context = _ephemeral_context(gx, docs_dir)
        source = context.data_sources.add_pandas("papers_pipeline")
        run_id = gx.RunIdentifier(run_name="papers_pipeline")
        outcomes = [
            outcome
            for part in parts
            for outcome in _validate_table(gx, context, source, part, run_id)
        ]
        if docs_dir is not None:
            _escape_stored_results(context)
            context.build_data_docs(site_names=[_DOCS_SITE])
    outcomes = merge_parts(outcomes)
    # Row-wise outcomes of a recheck say how many rows they did not redo.
    for outcome in outcomes:
        if outcome.name in rechecked:
            outcome.details["rows_unchanged"] = papers.height - recheck.height  # type: ignore[union-attr]
    order = {s.name: i for i, s in enumerate([*specs, *records_specs(settings)])}
    return sorted(outcomes, key=lambda o: order[o.name])


def _escape_stored_results(context: Any) -> None:
    """HTML-escape every text of the stored results, which the Data Docs are built from.

    GX escapes an expectation's parameters, but writes the values of a result
    (``partial_unexpected_list``, the counts table, ``observed_value``) into the page as
    they are (``render_content_block`` returns a string cell unescaped), and those values
    are scraped text: a title ``<img src=x onerror=...>`` would run in the reader's
    browser. Only the stored copies are escaped: the outcomes, and so the manifest, keep
    the values as found.
    """
    store = context.validation_results_store
    for key in store.list_keys():
        suite_result = store.get(key)
        for result in suite_result.results:
            result.result = _escaped(result.result)
        store.set(key, suite_result)


def _escaped(value: Any) -> Any:
    """``value`` with every string in it (nested in lists and dicts) HTML-escaped."""
    if isinstance(value, str):
        return html.escape(value)
    if isinstance(value, list | tuple):
        return [_escaped(v) for v in value]
    if isinstance(value, dict):
        return {k: _escaped(v) for k, v in value.items()}
    return value


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
        with _log_level(_GX_SELF_LEVELLED_LOGGER, logging.ERROR), _no_batch_fingerprint():
            yield gx


@contextmanager
def _no_batch_fingerprint() -> Iterator[None]:
    """GX's pandas engine fingerprints every batch smaller than its ``HASH_THRESHOLD``
    (1 GB) by hashing every value (``hash_pandas_dataframe``), a marker of the batch
    that nothing here reads (validation.json keeps the pipeline's own fingerprint of
    the tables): 5.7 s -> 4.9 s for a validation of 100k papers. GX itself skips it above
    the threshold; with the threshold at 0 it skips it for every batch. Restored after."""
    from great_expectations.execution_engine import pandas_execution_engine as engine

    previous = engine.HASH_THRESHOLD
    engine.HASH_THRESHOLD = 0
    try:
        yield
    finally:
        engine.HASH_THRESHOLD = previous


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
    gx: ModuleType, context: Any, source: Any, table: TableSuite, run_id: Any
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
    return [to_outcome(spec, by_check[spec.name], table) for spec in table.specs]


def _read_columns_only(table: TableSuite) -> pl.DataFrame:
    """The table with every column no expectation reads replaced by nulls of its name.

    Every column handed to GX is copied into its pandas frame, and GX's batch
    fingerprint, were it on (:func:`_no_batch_fingerprint` turns it off), hashes every
    value of it: 1.8 s of the 3.2 s a 100k-record validation took before either change.
    The schema expectations look at column names and order only, which the
    placeholders keep; row examples in the outcomes are read from the full table.
    """
    read = {key for spec in table.specs for key in spec_columns(spec)}
    return table.frame.select(
        pl.col(name) if name in read else pl.lit(None, pl.Null).alias(name)
        for name in (table.columns or table.frame.columns)
    )


def to_gx_pandas(df: pl.DataFrame) -> Any:
    """The frame as GX's pandas engine should see it: Arrow-backed, nested columns as JSON.

    GX's batch fingerprint uses ``pd.util.hash_pandas_object``; Arrow list and struct
    columns are unhashable there, so it falls back to ``pickle.dumps`` of the whole
    frame (pandas_execution_engine.py, ``hash_pandas_dataframe``): 2.5 s and about a GB
    of memory for 100k papers. :func:`validate_tables` turns the fingerprint off, but
    GX is handed JSON text all the same: it keeps every value, reads as text in the
    examples, and costs nothing should a GX release fingerprint some other way. Nulls
    stay null.
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
