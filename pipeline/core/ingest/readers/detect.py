"""Which reader a file is for, decided by its content, and reading it with that reader.

Each reader claims a file only when the content has its shape; a file no reader
claims is rejected as a whole (``unknown format: <why>``) and the run goes on.
In order: JSON (``[`` / ``{``), markup starting with ``<`` (an OAI-PMH response, an
HTML page; any other XML is refused), a CSV/TSV table with a header row, a listing
page with markup (headings or links), and last a plain text dump, which must show
title/abstract entries to be read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from pipeline.core.ingest.decode import DecodedLines
from pipeline.core.ingest.readers.csv_export import parse_csv, sniff_delimiter
from pipeline.core.ingest.readers.errors import FileRejectedError, UnknownFormatError
from pipeline.core.ingest.readers.html_listing import is_html, parse_html
from pipeline.core.ingest.readers.json_readers import JsonRecord, parse_json_records
from pipeline.core.ingest.readers.listing import FORMAT as LISTING_FORMAT
from pipeline.core.ingest.readers.listing import claims, parse_listing
from pipeline.core.ingest.readers.listing_markup import normalise
from pipeline.core.ingest.readers.oai_pmh import is_oai_pmh, parse_oai_pmh
from pipeline.core.ingest.readers.text_dump import (
    ParsedRecord,
    missing_entries_reason,
    parse_text_dump,
)

SNIFF_CHARS = 4096
# The line-oriented readers (CSV, listing, text dump) run several regexes per line; a
# longer line is no scrape's (an abstract is at most 10,000 characters) and would only
# cost time, so the file is rejected. JSON, XML and HTML may be written on one line.
MAX_LINE_CHARS = 100_000
# Any markup a listing page would have: a heading, a link, a line that is a URL. A
# plain text dump has none, and skips the markup pass.
_MARKUP_LINE = re.compile(r"#{1,6}\s|<?https?://\S+>?$")
_LINK_MIDDLE = re.compile(r"\][(\[]")  # "[text](url)", "[text][ref]"
# A JSON array opens on a value: "[Hugging Face][1]", "[Re] A Reproduction ..." (a page
# that starts with a link or a reproduction report's title) are not JSON.
_JSON_ARRAY = re.compile(r"\[\s*(?:[\[{\"\]\d-]|true|false|null)")
_ROOT = re.compile(r"<([A-Za-z][\w:.-]*)")


def read_records(
    data: bytes, decoded: DecodedLines, field_map: Mapping[str, tuple[str, ...]]
) -> tuple[str, list[ParsedRecord] | list[JsonRecord]]:
    """The format name and records of a file; raises UnknownFormatError, or
    FileRejectedError when the file is beyond a bound."""
    text = "\n".join(decoded.lines)
    head = text[:SNIFF_CHARS].lstrip("\ufeff \t\r\n")
    if head[:1] == "{" or _JSON_ARRAY.match(head):
        return parse_json_records(text, decoded.bad, field_map)
    if head[:1] == "<":
        return _read_markup(data, head)
    _check_line_lengths(decoded.lines)
    delimiter = sniff_delimiter(text)
    if delimiter:
        return parse_csv(text, delimiter, field_map)
    if _has_markup(text, decoded.lines):
        page = normalise(decoded.lines)
        if claims(page):
            return LISTING_FORMAT, parse_listing(decoded, page)
    records = parse_text_dump(decoded)
    reason = missing_entries_reason(records)
    if reason:
        raise UnknownFormatError(reason)
    return "text-dump", records


def _check_line_lengths(lines: list[str]) -> None:
    """Raise FileRejectedError naming the first line longer than MAX_LINE_CHARS."""
    longest = max(map(len, lines), default=0)
    if longest > MAX_LINE_CHARS:
        number = next(i for i, line in enumerate(lines, 1) if len(line) == longest)
        raise FileRejectedError(
            f"line too long: line {number} has {longest} characters, over {MAX_LINE_CHARS}"
        )


def _has_markup(text: str, lines: list[str]) -> bool:
    """Cheap test for markup, so a plain dump never pays for the markup pass. Plain
    string tests first: one regex with line anchors over a whole file is slow."""
    if _has_link_brackets(text):
        return True
    starts = ("#", "http", "<http")
    return any(
        _MARKUP_LINE.match(stripped)
        for line in lines
        if (stripped := line.strip()).startswith(starts)
    )


def _has_link_brackets(text: str) -> bool:
    """Whether a "](" or "][" (a markdown link's middle) is in ``text``: one regex
    search, led by its literal "]". Over a 12 MB dump with non-ASCII text it took 11 ms
    where the two substring searches it replaced took 35, and as long on 10M characters
    of citations ("[12]")."""
    return _LINK_MIDDLE.search(text) is not None


def _read_markup(data: bytes, head: str) -> tuple[str, list[JsonRecord]]:
    """An OAI-PMH response or an HTML page; any other XML is refused, naming its root."""
    if is_oai_pmh(head):
        return "oai-pmh", parse_oai_pmh(data)
    roots = _ROOT.findall(head)
    if is_html(head) or (roots and roots[0].lower() == "html"):
        return "html", parse_html(data)
    root = f"<{roots[0]}>" if roots else "none found"
    raise UnknownFormatError(f"XML that is not an OAI-PMH response (root element {root})")
