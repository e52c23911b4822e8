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
from datetime import date, datetime
from email.utils import parsedate_to_datetime

_DECODER = json.JSONDecoder()
_WS = re.compile(r"\s*")
_OBJECT_LINE = re.compile(r"^[ \t]*\{", re.MULTILINE)
# New-style arXiv ids (0704.0001, 2509.24006) and old-style (cs/0501001, math.CO/0601001),
# with an optional version suffix that is split off.
_ARXIV_ID = re.compile(
    r"^(?:arxiv:)?(?P<id>\d{4}\.\d{4,5}|[a-z-]+(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?$", re.IGNORECASE
)
_DOI = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:)?(?P<doi>10\.\d{4,9}/\S+)$", re.I)
SHAPE_SNIFF_RECORDS = 20

# Default field paths of the generic reader: the first path present wins. Dotted
# paths reach into nested objects ("paper.title").
DEFAULT_FIELD_MAP: dict[str, tuple[str, ...]] = {
    "title": ("title", "paper.title", "name"),
    "abstract": ("abstract", "summary", "paper.summary", "description"),
    "arxiv_id": ("arxiv_id", "arxivId", "arxiv", "paper.id"),
    "doi": ("doi",),
    "authors": ("authors",),
    "published": ("published", "publishedAt", "published_date", "date"),
    "repo_url": ("github", "githubRepo", "code_url", "repo_url"),
}


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


class UnknownShapeError(ValueError):
    """The file is JSON, but its records have no field this reader can take a title from."""


@dataclass(frozen=True)
class _Item:
    value: object
    start: int  # character offsets in the text
    end: int
    error: str | None = None


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
            value, end = _DECODER.raw_decode(text, pos)
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


def _iter_lines(text: str) -> Iterator[_Item]:
    """One JSON value per non-blank line (JSON lines)."""
    pos = 0
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped:
            offset = pos + (len(line) - len(line.lstrip()))
            try:
                yield _Item(json.loads(stripped), offset, offset + len(stripped))
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
            if inner is not None:
                yield from (_Item(v, items[0].start, items[0].end) for v in inner)
                return
        yield from items
        return
    # Not JSON lines from the first line on: one document spread over many lines, or
    # JSON lines whose first line is broken.
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        yield from items
        return
    inner = _records_inside(value) if isinstance(value, dict) else None
    for v in inner if inner is not None else [value]:
        yield _Item(v, first, len(text))


def _records_inside(obj: dict) -> list | None:
    """The first list of objects among a wrapper object's values, if any."""
    for value in obj.values():
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value[:5]):
            return value
    return None


# Fields -----------------------------------------------------------------------------------
def _get(obj: Mapping, path: str) -> object:
    cur: object = obj
    for part in path.split("."):
        if not isinstance(cur, Mapping) or part not in cur:
            return None
        cur = cur[part]
    return cur


def _first(obj: Mapping, paths: tuple[str, ...]) -> object:
    for path in paths:
        value = _get(obj, path)
        if value is not None:
            return value
    return None


class FieldTypeError(ValueError):
    """A record field holds a value of the wrong type."""


def _text(value: object, name: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise FieldTypeError(f"field {name!r} is {type(value).__name__}, expected a string")


def normalize_arxiv_id(value: object) -> str | None:
    """'2509.24006v2', 'arXiv:2509.24006' -> '2509.24006'; None for anything else."""
    if not isinstance(value, str):
        return None
    m = _ARXIV_ID.match(value.strip())
    return m.group("id") if m else None


def normalize_doi(value: object) -> str | None:
    """The first DOI in ``value``, lowercased, without resolver prefix.

    DOIs are case-insensitive; arXiv snapshots list several DOIs separated by spaces.
    """
    if not isinstance(value, str):
        return None
    for token in value.split():
        m = _DOI.match(token)
        if m:
            return m.group("doi").lower()
    return None


def parse_date(value: object) -> date | None:
    """ISO 8601 ('2025-09-28T17:58:59.000Z', '2008-12-13') or RFC 2822 (arXiv versions)."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(text).date()
    except (TypeError, ValueError):
        return None


def _author_names(value: object) -> list[str] | None:
    """Names from a list of strings, of {"name": ...} objects, or an 'A, B and C' string."""
    if value is None:
        return None
    if isinstance(value, str):
        names = re.split(r",\s*|\s+and\s+", value.replace("\n", " "))
    elif isinstance(value, list):
        names = [v.get("name") if isinstance(v, Mapping) else v for v in value]
    else:
        raise FieldTypeError(f"field 'authors' is {type(value).__name__}, expected a list")
    clean = [" ".join(n.split()) for n in names if isinstance(n, str) and n.strip()]
    return clean or None


# Shapes -----------------------------------------------------------------------------------
def _hf_daily_papers(obj: Mapping) -> dict:
    paper = obj.get("paper")
    if not isinstance(paper, Mapping):
        raise FieldTypeError("field 'paper' is missing or not an object")
    return {
        "title_raw": _text(paper.get("title", obj.get("title")), "paper.title"),
        "abstract_raw": _text(paper.get("summary", obj.get("summary")), "paper.summary"),
        "arxiv_id": normalize_arxiv_id(paper.get("id")),
        "authors": _author_names(paper.get("authors")),
        "published_date": parse_date(paper.get("publishedAt") or obj.get("publishedAt")),
        "repo_url": _text(paper.get("githubRepo"), "paper.githubRepo"),
    }


def _arxiv_snapshot(obj: Mapping) -> dict:
    parsed = obj.get("authors_parsed")
    if isinstance(parsed, list) and parsed:
        authors = [
            " ".join(p for p in (a[1], a[0], a[2] if len(a) > 2 else "") if p).strip()
            for a in parsed
            if isinstance(a, list) and len(a) >= 2
        ] or None
    else:
        authors = _author_names(obj.get("authors"))
    versions = obj.get("versions")
    first_version = versions[0].get("created") if isinstance(versions, list) and versions else None
    return {
        "title_raw": _text(obj.get("title"), "title"),
        "abstract_raw": _text(obj.get("abstract"), "abstract"),
        "arxiv_id": normalize_arxiv_id(obj.get("id")),
        "doi": normalize_doi(obj.get("doi")),
        "authors": authors,
        "published_date": parse_date(first_version) or parse_date(obj.get("update_date")),
    }


def generic_reader(field_map: Mapping[str, tuple[str, ...]]) -> Callable[[Mapping], dict]:
    """A reader taking each field from the first of its configured paths that is present."""

    def read(obj: Mapping) -> dict:
        return {
            "title_raw": _text(_first(obj, field_map["title"]), "title"),
            "abstract_raw": _text(_first(obj, field_map["abstract"]), "abstract"),
            "arxiv_id": normalize_arxiv_id(_first(obj, field_map.get("arxiv_id", ()))),
            "doi": normalize_doi(_first(obj, field_map.get("doi", ()))),
            "authors": _author_names(_first(obj, field_map.get("authors", ()))),
            "published_date": parse_date(_first(obj, field_map.get("published", ()))),
            "repo_url": _text(_first(obj, field_map.get("repo_url", ())), "repo_url"),
        }

    return read


def detect_shape(
    samples: list[Mapping], field_map: Mapping[str, tuple[str, ...]] = DEFAULT_FIELD_MAP
) -> tuple[str, Callable[[Mapping], dict]]:
    """The format name and record reader for a file, from its first records' keys."""
    if not samples:
        raise UnknownShapeError("no JSON objects found")

    def share(test: Callable[[Mapping], bool]) -> float:
        return sum(1 for s in samples if test(s)) / len(samples)

    if share(lambda s: isinstance(s.get("paper"), Mapping) and "title" in s["paper"]) > 0.5:
        return "hf-daily-papers", _hf_daily_papers
    arxiv_keys = {"id", "title", "abstract"}
    if share(lambda s: arxiv_keys <= s.keys() and ("categories" in s or "versions" in s)) > 0.5:
        return "arxiv-snapshot", _arxiv_snapshot
    if share(lambda s: _first(s, field_map["title"]) is not None) > 0.5:
        return "json", generic_reader(field_map)
    keys = sorted({k for s in samples for k in s})[:12]
    raise UnknownShapeError(f"unknown JSON record shape: no title field among keys {keys}")


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
    records = []
    for index, item in enumerate(items):
        start, end = line_of(item.start), line_of(max(item.start, item.end - 1))
        flags = ("undecodable_bytes",) if any(i in bad_lines for i in range(start - 1, end)) else ()
        base = {"record_index": index, "line_start": start, "line_end": end, "flags": flags}
        if item.error:
            records.append(JsonRecord(**base, parse_error=item.error))
        elif not isinstance(item.value, Mapping):
            error = f"record is {type(item.value).__name__}, expected an object"
            records.append(JsonRecord(**base, parse_error=error))
        else:
            try:
                records.append(JsonRecord(**base, **read(item.value)))
            except FieldTypeError as exc:
                records.append(JsonRecord(**base, parse_error=str(exc)))
    return fmt, records
