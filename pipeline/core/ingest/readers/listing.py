"""Reader for listing pages as scrapers write them: markdown, lynx/w3m dumps, link dumps.

One family, one reader: :mod:`listing_markup` first takes the markup off (headings,
emphasis, inline and reference links, images, bullets, metadata lines), then one
segmenter cuts entries:

- when the page has headings, the heading level most entries use is the entry level:
  each such heading opens an entry (a line right below it, indented, continues a
  wrapped title), the text lines under it are its abstract, and its metadata lines
  give authors and links. Shallower headings ("# What is Papers with Code?",
  "## Daily Papers (2024-05-24)") are page structure and close the entry before them;
  the lines before the first entry are the page's header, not a paper;
- without headings (a text dump whose link targets sit on their own lines), the text
  lines are cut by the text-dump segmenter and each link or metadata line belongs to
  the entry above it.

An entry's links give its arXiv id (the paper's own page) and repository (the first
GitHub/GitLab/Hugging Face repository link). Cards a page lists twice stay two
entries: dedup merges them and counts both.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from pipeline.core.ingest.decode import DecodedLines
from pipeline.core.ingest.readers.errors import UnknownFormatError
from pipeline.core.ingest.readers.ids import first_doi, first_repo
from pipeline.core.ingest.readers.json_readers import JsonRecord
from pipeline.core.ingest.readers.listing_markup import Kind, Line, Page, normalise, paper_id_of
from pipeline.core.ingest.readers.text_dump import parse_text_dump
from pipeline.core.names import UNDECODABLE_FLAG

FORMAT = "listing-markdown"
# Evidence that entries are papers (see _looks_like_papers).
PAPER_EVIDENCE_MIN_SHARE = 0.5
PAPER_TITLE_MIN_WORDS = 3
PAPER_ABSTRACT_MIN_WORDS = 20
PAPER_TITLED_MIN_SHARE = 0.8
# A wrapped title's second line is short; a longer indented line is text.
TITLE_CONTINUATION_MAX_CHARS = 200


@dataclass
class _Entry:
    title: list[Line] = field(default_factory=list)
    body: list[Line] = field(default_factory=list)


def claims(page: Page) -> bool:
    """A page is a listing page for this reader when it has markup: headings or links."""
    return page.n_headings > 0 or page.n_links > 0


def parse_listing(decoded: DecodedLines, page: Page | None = None) -> list[JsonRecord]:
    """Every entry of a listing page; raises UnknownFormatError when it has none."""
    page = page or normalise(decoded.lines)
    level = _entry_level(page.lines)
    entries = _by_headings(page.lines, level) if level else _by_text(page.lines)
    records = [_record(n, e, decoded.bad) for n, e in enumerate(entries)]
    if not any(r.title_raw for r in records):
        raise UnknownFormatError(
            "markup with no paper entries (no heading or title line followed by text)"
        )
    if not _looks_like_papers(entries, records):
        raise UnknownFormatError(
            "markdown whose sections are not paper entries (no paper links or author, "
            "vote or date lines, and few titled sections with an abstract)"
        )
    return records


def _looks_like_papers(entries: list[_Entry], records: list[JsonRecord]) -> bool:
    """Entries are paper cards, not a document's sections (a README's "## Usage").

    Cards either carry what listing pages show (a link to the paper's page, an author
    count, votes, a date) or read like a title over an abstract.
    """
    carded = sum(
        1
        for e, r in zip(entries, records, strict=True)
        if r.arxiv_id or any(ln.kind is Kind.META and not ln.links for ln in e.body)
    )
    if carded / len(records) >= PAPER_EVIDENCE_MIN_SHARE:
        return True
    titled = sum(
        1
        for r in records
        if len((r.title_raw or "").split()) >= PAPER_TITLE_MIN_WORDS
        and len((r.abstract_raw or "").split()) >= PAPER_ABSTRACT_MIN_WORDS
    )
    return titled / len(records) >= PAPER_TITLED_MIN_SHARE


def _entry_level(lines: list[Line]) -> int | None:
    """The heading level of the entries: the level whose headings most often have text
    or links under them (the deeper level on a tie); None when no heading has."""
    counts: Counter[int] = Counter()
    open_level = None
    credited = False
    for line in lines:
        if line.kind is Kind.HEADING:
            open_level = line.level
            counts.setdefault(open_level, 0)
            credited = False
        elif open_level is not None and line.kind in (Kind.TEXT, Kind.META) and not credited:
            counts[open_level] += 1
            credited = True
    if not counts or max(counts.values()) == 0:
        return None
    return max(counts, key=lambda lvl: (counts[lvl], lvl))


def _by_headings(lines: list[Line], level: int) -> list[_Entry]:
    entries: list[_Entry] = []
    entry: _Entry | None = None
    previous: Line | None = None
    for line in lines:
        if line.kind is Kind.HEADING:
            if line.level == level:
                entry = _Entry(title=[line])
                entries.append(entry)
            elif line.level < level:  # page structure: ends the entry above
                entry = None
            # a deeper heading ("#### Abstract") is a label inside the entry
        elif entry is None or line.kind in (Kind.BLANK, Kind.CHROME):
            pass
        elif _continues_title(entry, previous, line):
            entry.title.append(line)
        else:
            entry.body.append(line)
        previous = line
    return entries


def _continues_title(entry: _Entry, previous: Line | None, line: Line) -> bool:
    """An indented text line right under the title line: the title wrapped."""
    return (
        not entry.body
        and previous is entry.title[-1]
        and line.kind is Kind.TEXT
        and line.indented
        and len(line.text) <= TITLE_CONTINUATION_MAX_CHARS
    )


def _by_text(lines: list[Line]) -> list[_Entry]:
    """Entries of a page without headings: the text-dump segmenter on the text lines."""
    text_only = [ln.text if ln.kind is Kind.TEXT else "" for ln in lines]
    parsed = parse_text_dump(DecodedLines(text_only, frozenset()))
    starts = [p.line_start - 1 for p in parsed]
    entries = []
    for n, record in enumerate(parsed):
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        span = lines[record.line_start - 1 : end]
        title_line = lines[record.line_start - 1] if record.title_raw is not None else None
        entry = _Entry(title=[title_line] if title_line else [])
        entry.body = [
            ln for ln in span if ln is not title_line and ln.kind in (Kind.TEXT, Kind.META)
        ]
        entries.append(entry)
    return entries


def _record(index: int, entry: _Entry, bad: frozenset[int]) -> JsonRecord:
    lines = entry.title + entry.body
    text = [ln.text for ln in entry.body if ln.kind is Kind.TEXT]
    links = [u for ln in lines for u in ln.links]
    authors = next((ln.authors for ln in entry.body if ln.authors), None)
    span = [ln.index for ln in lines]
    flags = ["markup_removed"]
    if any(i in bad for i in span):
        flags.append(UNDECODABLE_FLAG)
    if len(entry.title) > 1:
        flags.append("wrapped_title")
    return JsonRecord(
        record_index=index,
        line_start=min(span) + 1,
        line_end=max(span) + 1,
        title_raw=" ".join(ln.text for ln in entry.title) or None,
        abstract_raw="\n".join(text) or None,
        arxiv_id=paper_id_of([u for ln in entry.title for u in ln.links]) or paper_id_of(links),
        doi=first_doi(links),
        authors=authors,
        repo_url=first_repo(links),
        published_date=next((ln.published for ln in entry.body if ln.published), None),
        flags=tuple(flags),
    )
