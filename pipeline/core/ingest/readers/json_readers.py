"""Readers for JSON and JSON-lines scrapes: the HF daily-papers API, arXiv snapshots, generic.

A file is either one JSON array of records or one record per line (JSON lines).
Arrays are walked element by element with ``JSONDecoder.raw_decode`` rather than
loaded whole, so every record keeps its line span and one truncated or broken
element costs that element only: it becomes a record with a ``parse_error`` and
the reader resynchronises at the next line that starts an object.

The shape of the records (which fields hold title, abstract, ids) is decided per
file from its first records, never from the file name.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date

from pipeline.core.ingest.readers.errors import UnknownFormatError
from pipeline.core.ingest.readers.fields import (
    DEFAULT_FIELD_MAP,
    FieldTypeError,
    author_names,
    generic_reader,
    has_title,
    parse_date,
    scalar_value,
    text_value,
)
from pipeline.core.ingest.readers.ids import normalize_arxiv_id, normalize_doi
from pipeline.core.names import UNDECODABLE_FLAG

__all__ = [
    "DEFAULT_FIELD_MAP",
    "JsonRecord",
    "UnknownShapeError",
    "normalize_arxiv_id",
    "normalize_doi",
    "parse_date",
    "parse_json_records",
]

# Bounds on untrusted JSON. Python's decoder recurses once per nesting level and
# converts integer literals of any length (quadratic, refused past 4,300 digits), so a
# value deeper or a number longer than these is an unreadable record with that reason,
# never an exception. Real records nest 3-5 levels and hold numbers of a few digits.
JSON_MAX_DEPTH = 64
JSON_MAX_NUMBER_CHARS = 100
_TOO_DEEP = f"JSON nested deeper than {JSON_MAX_DEPTH} levels"
_WS = re.compile(r"\s*")
# What changes the nesting depth outside strings: a whole string, or a bracket.
_DEPTH_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')
_OBJECT_LINE = re.compile(r"^[ \t]*\{", re.MULTILINE)
SHAPE_SNIFF_RECORDS = 20
# An object is a collection keyed by id ({"2312.17276": {...}, ...}) when at least this
# share of its values are objects; a single record has mostly text values.
KEYED_MIN_OBJECT_SHARE = 0.8


@dataclass(frozen=True)
class JsonRecord:
    """One record of a JSON scrape, in the raw-record vocabulary, with its line span."""

    record_index: int
    line_start: int
    line_end: int
    title_raw: str | None = None
    abstract_raw: str | None = None
    arxiv_id: str | None = None
    doi: str | None = None
    authors: list[str] | None = None
    published_date: date | None = None
    repo_url: str | None = None
    parse_error: str | None = None
    flags: tuple[str, ...] = field(default=())
    scrape_date: date | None = None  # when this record was scraped, when the file says


class UnknownShapeError(UnknownFormatError):
    """The file is JSON, but its records have no field this reader can take a title from."""


@dataclass(frozen=True)
class _Item:
    value: object
    start: int  # character offsets in the text
    end: int
    error: str | None = None
    key: str | None = None  # the record's key in an object keyed by id


class _BoundError(ValueError):
    """A JSON value beyond one of the bounds above; the message is the reason."""


def _number(literal: str, convert: Callable[[str], object]) -> object:
    if len(literal) > JSON_MAX_NUMBER_CHARS:
        raise _BoundError(f"number longer than {JSON_MAX_NUMBER_CHARS} characters")
    return convert(literal)


_DECODER = json.JSONDecoder(
    parse_int=lambda literal: _number(literal, int),
    parse_float=lambda literal: _number(literal, float),
)


def _deeper_than_limit(text: str, start: int, end: int) -> bool:
    """Whether the JSON in ``text[start:end]`` nests deeper than JSON_MAX_DEPTH. Counting
    brackets first: a value with fewer brackets than the limit cannot be too deep."""
    if text.count("[", start, end) + text.count("{", start, end) <= JSON_MAX_DEPTH:
        return False
    depth = 0
    for token in _DEPTH_TOKEN.finditer(text, start, end):
        first = text[token.start()]
        if first in "[{":
            depth += 1
            if depth > JSON_MAX_DEPTH:
                return True
        elif first in "]}":
            depth -= 1
    return False


def _decode(text: str, pos: int) -> tuple[object, int]:
    """``raw_decode`` within the bounds: a value too deep or a number too long raises
    JSONDecodeError naming the bound, like any other unreadable value."""
    try:
        value, end = _DECODER.raw_decode(text, pos)
    except RecursionError:  # deeper than the interpreter's stack: surely too deep
        raise json.JSONDecodeError(_TOO_DEEP, text, pos) from None
    except _BoundError as exc:
        raise json.JSONDecodeError(str(exc), text, pos) from None
    if _deeper_than_limit(text, pos, end):
        raise json.JSONDecodeError(_TOO_DEEP, text, pos)
    return value, end


def _loads(text: str) -> object:
    """``json.loads`` within the bounds (see :func:`_decode`)."""
    value, end = _decode(text, _WS.match(text).end())  # type: ignore[union-attr]
    end = _WS.match(text, end).end()  # type: ignore[union-attr]
    if end != len(text):
        raise json.JSONDecodeError("Extra data", text, end)
    return value


# Walking the text -------------------------------------------------------------------------
def _iter_array(text: str, start: int) -> Iterator[_Item]:
    """Elements of the array whose '[' is at ``start``; broken elements become errors."""
    pos = start + 1
    while True:
        pos = _WS.match(text, pos).end()  # type: ignore[union-attr]
        if pos >= len(text):
            return
        if text[pos] == "]":
            return
        if text[pos] == ",":
            pos += 1
            continue
        try:
            value, end = _decode(text, pos)
        except json.JSONDecodeError as exc:
            next_line = text.find("\n", pos)
            resume = _OBJECT_LINE.search(text, next_line + 1) if next_line != -1 else None
            stop = resume.start() if resume else len(text)
            yield _Item(None, pos, max(pos, stop - 1), error=f"invalid JSON: {exc.msg}")
            if not resume:
                return
            pos = resume.start()
            continue
        yield _Item(value, pos, end)
        pos = end


def _iter_object(text: str, start: int) -> Iterator[_Item]:
    """The values of the object whose '{' is at ``start``, each with its key.

    Only called on text that parsed as a whole, so every step succeeds.
    """
    pos = start + 1
    while True:
        pos = _WS.match(text, pos).end()  # type: ignore[union-attr]
        if pos >= len(text) or text[pos] == "}":
            return
        if text[pos] == ",":
            pos += 1
            continue
        key, pos = _DECODER.raw_decode(text, pos)
        pos = _WS.match(text, pos).end() + 1  # type: ignore[union-attr]  # the ':'
        pos = _WS.match(text, pos).end()  # type: ignore[union-attr]
        value, end = _DECODER.raw_decode(text, pos)
        yield _Item(value, pos, end, key=str(key))
        pos = end


def _is_keyed(obj: object) -> bool:
    """``obj`` is a collection of records keyed by id, not one record."""
    if not isinstance(obj, dict) or not obj:
        return False
    objects = sum(1 for v in obj.values() if isinstance(v, Mapping))
    return objects / len(obj) >= KEYED_MIN_OBJECT_SHARE


def _iter_lines(text: str) -> Iterator[_Item]:
    """One JSON value per non-blank line (JSON lines)."""
    pos = 0
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped:
            offset = pos + (len(line) - len(line.lstrip()))
            try:
                yield _Item(_loads(stripped), offset, offset + len(stripped))
            except json.JSONDecodeError as exc:
                yield _Item(None, offset, offset + len(stripped), error=f"invalid JSON: {exc.msg}")
        pos += len(line) + 1


def iter_json_items(text: str) -> Iterator[_Item]:
    """The records of a JSON array file or a JSON-lines file."""
    first = _WS.match(text).end()  # type: ignore[union-attr]
    if text[first : first + 1] == "[":
        yield from _iter_array(text, first)
        return
    items = list(_iter_lines(text))
    if items and items[0].error is None:
        # A single object wrapping the records ({"papers": [...]}) is unwrapped.
        if len(items) == 1 and isinstance(items[0].value, dict):
            inner = _records_inside(items[0].value)
            # One record is not a wrapper, though its "versions" are a list of objects.
            if inner is not None and not has_title(items[0].value, DEFAULT_FIELD_MAP):
                yield from (_Item(v, items[0].start, items[0].end) for v in inner)
                return
            if _is_keyed(items[0].value):
                yield from _iter_object(text, items[0].start)
                return
        yield from items
        return
    # Not JSON lines from the first line on: one document spread over many lines, or
    # JSON lines whose first line is broken.
    try:
        value = _loads(text)
    except json.JSONDecodeError:
        yield from items
        return
    inner = _records_inside(value) if isinstance(value, dict) else None
    if inner is None and _is_keyed(value):
        yield from _iter_object(text, first)
        return
    for v in inner if inner is not None else [value]:
        yield _Item(v, first, len(text))


def _records_inside(obj: dict) -> list | None:
    """The first list of objects among a wrapper object's values, if any."""
    for value in obj.values():
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value[:5]):
            return value
    return None


# Shapes -----------------------------------------------------------------------------------
def hf_daily_paper(obj: Mapping) -> dict:
    paper = obj.get("paper")
    if not isinstance(paper, Mapping):
        raise FieldTypeError("field 'paper' is missing or not an object")
    return {
        "title_raw": text_value(paper.get("title", obj.get("title")), "paper.title"),
        "abstract_raw": text_value(paper.get("summary", obj.get("summary")), "paper.summary"),
        "arxiv_id": normalize_arxiv_id(paper.get("id")),
        "authors": author_names(paper.get("authors")),
        "published_date": parse_date(paper.get("publishedAt") or obj.get("publishedAt")),
        "repo_url": scalar_value(paper.get("githubRepo"), "paper.githubRepo"),
        # The day the paper was listed on the daily page: the day it was seen there.
        "scrape_date": parse_date(paper.get("submittedOnDailyAt") or obj.get("submittedOnDailyAt")),
    }


def _parsed_name(parts: object) -> str | None:
    """ "First Last Suffix" from an ``authors_parsed`` entry [last, first, suffix, ...];
    parts that are not text are left out, like non-text names in ``authors``."""
    if not isinstance(parts, list) or len(parts) < 2:
        return None
    last, first, *rest = parts
    words = [p for p in (first, last, rest[0] if rest else "") if isinstance(p, str) and p]
    return " ".join(words).strip() or None


def _arxiv_snapshot(obj: Mapping) -> dict:
    parsed = obj.get("authors_parsed")
    if isinstance(parsed, list) and parsed:
        authors = [name for a in parsed if (name := _parsed_name(a))] or None
    else:
        authors = author_names(obj.get("authors"))
    versions = obj.get("versions")
    first = versions[0] if isinstance(versions, list) and versions else None
    first_version = first.get("created") if isinstance(first, Mapping) else None
    return {
        "title_raw": text_value(obj.get("title"), "title"),
        "abstract_raw": text_value(obj.get("abstract"), "abstract"),
        "arxiv_id": normalize_arxiv_id(obj.get("id")),
        "doi": normalize_doi(obj.get("doi")),
        "authors": authors,
        "published_date": parse_date(first_version) or parse_date(obj.get("update_date")),
    }


def detect_shape(
    samples: list[Mapping], field_map: Mapping[str, tuple[str, ...]] = DEFAULT_FIELD_MAP
) -> tuple[str, Callable[[Mapping], dict]]:
    """The format name and record reader for a file, from its first records' keys."""
    if not samples:
        raise UnknownShapeError("JSON with no objects")

    def share(test: Callable[[Mapping], bool]) -> float:
        return sum(1 for s in samples if test(s)) / len(samples)

    if share(lambda s: isinstance(s.get("paper"), Mapping) and "title" in s["paper"]) > 0.5:
        return "hf-daily-papers", hf_daily_paper
    arxiv_keys = {"id", "title", "abstract"}
    if share(lambda s: arxiv_keys <= s.keys() and ("categories" in s or "versions" in s)) > 0.5:
        return "arxiv-snapshot", _arxiv_snapshot
    if share(lambda s: has_title(s, field_map)) > 0.5:
        return "json", generic_reader(field_map)
    keys = sorted({k for s in samples for k in s})[:12]
    raise UnknownShapeError(f"JSON records with no title field among keys {keys}")


def parse_json_records(
    text: str,
    bad_lines: frozenset[int] = frozenset(),
    field_map: Mapping[str, tuple[str, ...]] = DEFAULT_FIELD_MAP,
) -> tuple[str, list[JsonRecord]]:
    """Read a JSON or JSON-lines scrape: its format name and every record in it.

    ``bad_lines`` (0-based) are lines that held undecodable bytes; records that
    span one are flagged. Raises UnknownShapeError when no reader fits the file.
    """
    newlines = [m.start() for m in re.finditer("\n", text)]

    def line_of(offset: int) -> int:
        return bisect.bisect_right(newlines, offset - 1) + 1 if offset else 1

    items = list(iter_json_items(text))
    samples = [i.value for i in items if isinstance(i.value, Mapping)][:SHAPE_SNIFF_RECORDS]
    if not samples and all(i.error for i in items):
        detail = items[0].error if items else "no records"
        raise UnknownShapeError(f"not readable as JSON: {detail}")
    fmt, read = detect_shape(samples, field_map)
    if fmt == "json" and any(i.key is not None for i in items):
        fmt = "json-keyed"
    records = []
    for index, item in enumerate(items):
        start, end = line_of(item.start), line_of(max(item.start, item.end - 1))
        flags = (UNDECODABLE_FLAG,) if any(i in bad_lines for i in range(start - 1, end)) else ()
        base = {"record_index": index, "line_start": start, "line_end": end, "flags": flags}
        if item.error:
            records.append(JsonRecord(**base, parse_error=item.error))
        elif not isinstance(item.value, Mapping):
            error = f"record is {type(item.value).__name__}, expected an object"
            records.append(JsonRecord(**base, parse_error=error))
        else:
            try:
                fields = read(item.value)
                if fields.get("arxiv_id") is None and item.key is not None:
                    fields["arxiv_id"] = normalize_arxiv_id(item.key)
                records.append(JsonRecord(**base, **fields))
            except FieldTypeError as exc:
                records.append(JsonRecord(**base, parse_error=str(exc)))
    return fmt, records
