"""Row-wise expectations on a large table, run part by part with the whole table's outcome.

A first run over a million papers handed every title and abstract to Great
Expectations at once: the Arrow-backed pandas copy and GX's per-expectation
intermediates took the run's peak from 4.1 GB (clustering) to 5.6 GB. A row-wise
expectation (every row must match; no ``mostly``) passes on a table exactly when it
passes on every part of it, its counts are the parts' sums, and its first offending
rows are the first parts' first offending rows, so running it on consecutive slices
and merging loses nothing. Table-wide expectations (counts, uniqueness, schema, rates)
still see the whole table, without its texts (only the columns they read are handed
over).
"""

from __future__ import annotations

from collections.abc import Iterator

from pipeline.core.validate.quality import MAX_EXAMPLES, CheckOutcome
from pipeline.core.validate.suites import TableSuite, is_row_wise

# About 270 MB of papers' texts per part at the bench corpus's lengths: GX's
# intermediates stay well under the dedup steps' peak.
PART_ROWS = 200_000
_SUMMED = ("rows", "unexpected")


def in_parts(table: TableSuite, part_rows: int = PART_ROWS) -> Iterator[TableSuite]:
    """``table`` itself when small, else its table-wide expectations on the whole table
    and its row-wise ones on consecutive slices of at most ``part_rows`` rows, each a
    batch of its own (``papers_rows_1``, ``papers_rows_2``, ... in the Data Docs)."""
    if part_rows < 1:
        raise ValueError(f"part_rows must be at least 1, got {part_rows}")
    row_wise = [spec for spec in table.specs if is_row_wise(spec)]
    if table.frame.height <= part_rows or not row_wise:
        yield table
        return
    whole = [spec for spec in table.specs if not is_row_wise(spec)]
    if whole:
        yield TableSuite(table.name, table.frame, whole, table.key, table.columns)
    for number, start in enumerate(range(0, table.frame.height, part_rows), start=1):
        yield TableSuite(
            f"{table.name}_rows_{number}",
            table.frame.slice(start, part_rows),
            row_wise,
            table.key,
            first_row=start,
        )


def merge_parts(outcomes: list[CheckOutcome]) -> list[CheckOutcome]:
    """One outcome per expectation, in order of first appearance: the parts' outcomes of
    a row-wise expectation merged (passed on every part, counts summed, the first
    MAX_EXAMPLES offending rows, every distinct error)."""
    by_name: dict[str, list[CheckOutcome]] = {}
    for outcome in outcomes:
        by_name.setdefault(outcome.name, []).append(outcome)
    return [group[0] if len(group) == 1 else _merged(group) for group in by_name.values()]


def _merged(parts: list[CheckOutcome]) -> CheckOutcome:
    first = parts[0]
    details = dict(first.details)
    errors = list(dict.fromkeys(p.details["error"] for p in parts if "error" in p.details))
    if errors:
        details["error"] = "; ".join(errors)
    for key in _SUMMED:
        if key in details:
            counts = [p.details.get(key) for p in parts]
            details[key] = None if None in counts else sum(counts)
    if "examples" in details:
        examples = [example for p in parts for example in p.details.get("examples", [])]
        details["examples"] = examples[:MAX_EXAMPLES]
    return CheckOutcome(
        name=first.name,
        passed=all(p.passed for p in parts),
        description=first.description,
        details=details,
    )
