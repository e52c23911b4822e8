"""Taking a record's fields out of a structured row: JSON objects, CSV rows, HTML props.

One vocabulary for every structured reader: the field paths of ``DEFAULT_FIELD_MAP``
(configured paths come first, see ``PipelineSettings.field_map``), the same coercion
of lists where a scalar is expected, and the same id and date parsing. Real scrapes
nest the text (``details.abstract``), keep ids only as URLs (``paper_url``) and store
one repository as a list (``github_links``); all three are read here rather than
rejected, and a value of a truly wrong type rejects its record only.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from datetime import date, datetime
from email.utils import parsedate_to_datetime

from pipeline.core.ingest.readers.ids import normalize_arxiv_id, normalize_doi

# Default field paths of the generic reader: the first path present (and, for ids,
# parseable) wins. Dotted paths reach into nested objects ("paper.title"); when no
# path matches, title, abstract and ids are also looked up one and two levels down
# (``details.abstract``), see :func:`nested_objects`.
DEFAULT_FIELD_MAP: dict[str, tuple[str, ...]] = {
    "title": ("title", "paper.title", "name"),
    "abstract": ("abstract", "summary", "paper.summary", "description"),
    "arxiv_id": (
        "arxiv_id", "arxivId", "arxiv", "paper.id", "id", "paper_url", "arxiv_url",
        "arxiv_page_url", "page_url", "pdf_url", "url", "link",
    ),
    "doi": ("doi",),
    "authors": ("authors",),
    "published": ("published", "publishedAt", "published_date", "date"),
    "repo_url": ("github", "githubRepo", "code_url", "repo_url", "github_links", "github_url"),
    # When the record itself was scraped: wins over the file's date for first/last seen.
    "scraped": ("scraped_date", "scraped_at", "scrapedAt", "submittedOnDailyAt", "crawled_at"),
}  # fmt: skip
# Fields looked up in nested objects when none of their paths is present at the top.
NESTED_LOOKUP_FIELDS = ("title", "abstract", "arxiv_id", "doi", "repo_url", "scraped")
NESTED_MAX_DEPTH = 2


class FieldTypeError(ValueError):
    """A record field holds a value of the wrong type."""


def get_path(obj: Mapping, path: str) -> object:
    """The value at a dotted ``path``; a key that itself contains dots (a CSV header
    "details.abstract") is taken as it is first."""
    if path in obj:
        return obj[path]
    cur: object = obj
    for part in path.split("."):
        if not isinstance(cur, Mapping) or part not in cur:
            return None
        cur = cur[part]
    return cur


def nested_objects(obj: Mapping, depth: int = NESTED_MAX_DEPTH) -> Iterator[Mapping]:
    """The objects one, then two levels below ``obj``, in key order (breadth first)."""
    level = [obj]
    for _ in range(depth):
        level = [v for o in level for v in o.values() if isinstance(v, Mapping)]
        yield from level


def first_value(obj: Mapping, paths: tuple[str, ...], convert: Callable | None = None) -> object:
    """The first present value among ``paths`` (the first that ``convert`` accepts)."""
    for path in paths:
        value = get_path(obj, path)
        if convert is not None and value is not None:
            value = convert(value)
        if value is not None and value != "" and value != []:
            return value
    return None


def text_value(value: object, name: str) -> str | None:
    """A text field: a string, or a list of strings joined with a space (several
    paragraphs, a title split into parts); anything else rejects the record."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return " ".join(v.strip() for v in value if v.strip()) or None
    raise FieldTypeError(f"field {name!r} is {type(value).__name__}, expected a string")


def scalar_value(value: object, name: str) -> str | None:
    """A one-value field (an id, a URL): a string, or the first string of a list."""
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str) and v.strip()), None)
    if value is None or isinstance(value, str):
        return value.strip() if isinstance(value, str) else None
    raise FieldTypeError(f"field {name!r} is {type(value).__name__}, expected a string")


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


def author_names(value: object) -> list[str] | None:
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


def _arxiv(value: object) -> str | None:
    """An id path is a guess ("id", "url"): a value that is no id is absent, not wrong."""
    try:
        return normalize_arxiv_id(scalar_value(value, "arxiv_id"))
    except FieldTypeError:
        return None


def _doi(value: object) -> str | None:
    try:
        return normalize_doi(scalar_value(value, "doi"))
    except FieldTypeError:
        return None


def _repo(value: object) -> str | None:
    return scalar_value(value, "repo_url")


# How each field of the generic reader is converted: ids must parse to count as present.
_CONVERT: dict[str, Callable | None] = {
    "arxiv_id": _arxiv,
    "doi": _doi,
    "repo_url": _repo,
    "scraped": parse_date,
}


def field(obj: Mapping, field_map: Mapping[str, tuple[str, ...]], name: str) -> object:
    """Field ``name`` of ``obj`` by its paths, then (for the lookup fields) the same paths
    in the objects nested one and two levels down."""
    paths = field_map.get(name, ())
    convert = _CONVERT.get(name)
    value = first_value(obj, paths, convert)
    if value is None and name in NESTED_LOOKUP_FIELDS:
        for inner in nested_objects(obj):
            value = first_value(inner, paths, convert)
            if value is not None:
                break
    return value


def generic_reader(field_map: Mapping[str, tuple[str, ...]]) -> Callable[[Mapping], dict]:
    """A reader taking each field from the first of its configured paths that is present."""

    def read(obj: Mapping) -> dict:
        return {
            "title_raw": text_value(field(obj, field_map, "title"), "title"),
            "abstract_raw": text_value(field(obj, field_map, "abstract"), "abstract"),
            "arxiv_id": field(obj, field_map, "arxiv_id"),
            "doi": field(obj, field_map, "doi"),
            "authors": author_names(field(obj, field_map, "authors")),
            "published_date": parse_date(field(obj, field_map, "published")),
            "repo_url": field(obj, field_map, "repo_url"),
            "scrape_date": field(obj, field_map, "scraped"),
        }

    return read


def has_title(obj: Mapping, field_map: Mapping[str, tuple[str, ...]]) -> bool:
    """Whether the generic reader finds a title in ``obj`` (at its paths or nested)."""
    try:
        return field(obj, field_map, "title") is not None
    except FieldTypeError:
        return True  # a title of the wrong type: the record is read and rejected
