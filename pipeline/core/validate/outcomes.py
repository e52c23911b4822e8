"""Great Expectations' results as :class:`CheckOutcome`: the shape the manifest stores.

An outcome says what was observed, how many rows broke the expectation and which
(named by the table's key columns, values cut to MAX_EXAMPLE_CHARS), and why GX could
not evaluate it, if it could not.
"""

from __future__ import annotations

from typing import Any

from pipeline.core.validate.quality import MAX_EXAMPLES, CheckOutcome
from pipeline.core.validate.suites import Spec, TableSuite

# Offending values are cut to this length in details: a 10,000-character abstract
# would bloat the manifest without helping anyone find the row.
MAX_EXAMPLE_CHARS = 200


def to_outcome(spec: Spec, result: dict, table: TableSuite) -> CheckOutcome:
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


def _map_details(spec: Spec, gx_result: dict, table: TableSuite) -> dict[str, Any]:
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


def _rows_at(table: TableSuite, spec: Spec, positions: list[int]) -> list[dict[str, Any]]:
    """The offending rows GX points at, by position: their key and the checked values.

    The pandas frame GX saw has a default RangeIndex, so its index is the row position
    in the polars frame; ``first_row`` makes it the whole table's row for a part.
    """
    checked = [spec.kwargs["column"]] if "column" in spec.kwargs else spec.kwargs["column_list"]
    columns = [c for c in dict.fromkeys([*table.key, *checked]) if c in table.frame.columns]
    rows = table.frame.select(columns).with_row_index("row", offset=table.first_row)[
        positions[:MAX_EXAMPLES]
    ]
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
