"""Reader for CSV and TSV exports of paper lists (a header row, one paper per row).

The columns are read by the same field paths as generic JSON (``DEFAULT_FIELD_MAP``
and the configured ``field_map``; a header may itself be a dotted path such as
``details.abstract``). A file is taken for a CSV only when its first line is a header
of short column names and the rows after it have as many cells: a text dump whose
first lines happen to hold commas is not a table. A table without a title column is
not a paper list and is rejected as a whole.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping

from pipeline.core.ingest.readers.errors import UnknownFormatError
from pipeline.core.ingest.readers.fields import FieldTypeError, generic_reader, has_title
from pipeline.core.ingest.readers.json_readers import JsonRecord

DELIMITERS = {"\t": "tsv", ",": "csv", ";": "csv"}
HEADER_CELL_MAX_CHARS = 64
HEADER_CELL_MAX_WORDS = 4
SNIFF_ROWS = 50
# A cell may hold a whole abstract; bounded so one runaway quote cannot hold a file.
CELL_MAX_CHARS = 1_000_000


def sniff_delimiter(text: str) -> str | None:
    """The delimiter when ``text`` is a table with a header row, else None."""
    sample = text[: 256 * 1024]
    first = sample.lstrip("\ufeff").split("\n", 1)[0]
    for delimiter in DELIMITERS:
        if delimiter not in first:
            continue
        rows = _rows(sample, delimiter, SNIFF_ROWS + 1)
        header = rows[0] if rows else []
        if len(header) < 2 or not all(_header_cell(c) for c in header):
            continue
        complete = rows[1:-1] if len(rows) > SNIFF_ROWS else rows[1:]  # last may be cut
        if complete and all(len(r) == len(header) for r in complete):
            return delimiter
    return None


def _header_cell(cell: str) -> bool:
    cell = cell.strip()
    return 0 < len(cell) <= HEADER_CELL_MAX_CHARS and len(cell.split()) <= HEADER_CELL_MAX_WORDS


def _rows(text: str, delimiter: str, limit: int) -> list[list[str]]:
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=delimiter)
    rows = []
    try:
        for row in reader:
            if row:
                rows.append(row)
            if len(rows) >= limit:
                break
    except csv.Error:
        pass
    return rows


def parse_csv(
    text: str, delimiter: str, field_map: Mapping[str, tuple[str, ...]]
) -> tuple[str, list[JsonRecord]]:
    """The table's format name and one record per data row."""
    csv.field_size_limit(CELL_MAX_CHARS)
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=delimiter)
    header = [h.strip() for h in next(reader)]
    if not _titled(header, field_map):
        raise UnknownFormatError(
            f"{DELIMITERS[delimiter]} with no title column among {header[:12]}"
        )
    read = generic_reader(field_map)
    records: list[JsonRecord] = []
    start = reader.line_num + 1
    try:
        for row in reader:
            end = reader.line_num
            if any(cell.strip() for cell in row):
                records.append(_record(len(records), start, end, header, row, read))
            start = end + 1
    except csv.Error as exc:
        error = f"broken CSV at line {reader.line_num}: {exc}; the rest of the file is unread"
        records.append(JsonRecord(len(records), start, reader.line_num, parse_error=error))
    return DELIMITERS[delimiter], records


def _titled(header: list[str], field_map: Mapping[str, tuple[str, ...]]) -> bool:
    return has_title(dict.fromkeys(header, "x"), field_map)


def _put(obj: dict, name: str, value: str | None) -> None:
    """Set column ``name`` in ``obj``; a dotted header ("details.abstract") is nested the
    way the JSON it was flattened from was, so the same field paths find it."""
    obj[name] = value
    *parents, leaf = name.split(".")
    for part in parents:
        child = obj.setdefault(part, {})
        if not isinstance(child, dict):
            return
        obj = child
    if parents:
        obj[leaf] = value


def _record(
    index: int, start: int, end: int, header: list[str], row: list[str], read
) -> JsonRecord:
    base = {"record_index": index, "line_start": start, "line_end": end}
    if len(row) != len(header):
        error = f"row has {len(row)} cells, the header {len(header)}"
        return JsonRecord(**base, parse_error=error)
    obj: dict = {}
    for name, value in zip(header, row, strict=True):
        _put(obj, name, value if value.strip() else None)
    try:
        return JsonRecord(**base, **read(obj))
    except FieldTypeError as exc:
        return JsonRecord(**base, parse_error=str(exc))
