"""Normalising the markup of a scraped listing page into plain lines with their links.

Crawlers (crawl4ai, firecrawl), text browsers (lynx, w3m) and hand-kept logs write
the same listing page in different markup: markdown headings and emphasis, inline
links ``[text](url)``, reference links ``[text][N]`` with a reference list, images,
bullets, and metadata lines (author counts, votes, dates). This module takes all of
that off, line by line, and keeps what the entry cutter needs: each line's kind
(heading, text, metadata, chrome), its plain text and the link targets on it, so
the paper's own page still gives its arXiv id and a GitHub link its repository.

Line numbers are kept: every substitution leaves the number of newlines unchanged.
"""

from __future__ import annotations

import bisect
import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum

from pipeline.core.ingest.readers.ids import normalize_arxiv_id, repo_url_of


class Kind(Enum):
    BLANK = "blank"
    HEADING = "heading"
    TEXT = "text"
    META = "meta"  # author counts, votes, dates, label links: about the entry, not in it
    CHROME = "chrome"  # page furniture, front matter, reference lists, rules


@dataclass
class Line:
    """One line of the page after normalisation."""

    index: int  # 0-based line in the file
    kind: Kind
    text: str = ""
    level: int = 0  # heading level (1 for '#')
    indented: bool = False
    links: list[str] = field(default_factory=list)
    authors: list[str] | None = None
    bare_url: str | None = None  # the line is nothing but this URL
    submitted_by: bool = False  # a "Submitted by" label: the user name follows
    published: date | None = None  # from "Published on Jan 14, 2026"


_START, _END = "\x01", "\x02"  # around the text of a link, until lines are classified
_IMAGE = re.compile(r"!\[[^\[\]]*\](?:\([^()\s]*(?:\s+\"[^\"]*\")?\)|\[[^\]]*\])")
_INLINE = re.compile(r"\[([^\[\]]*)\]\(\s*<?([^()\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_REFERENCE = re.compile(r"\[([^\[\]]*)\]\[([^\[\]\n]+)\]")
_AUTOLINK = re.compile(r"<(https?://[^\s<>]+)>")
_REF_DEF = re.compile(r"^\s{0,3}\[([^\]]+)\]:\s*<?(\S+?)>?(?:\s+[\"'(].*)?\s*$")
_LYNX_REFS_HEAD = re.compile(r"^\s*(?:References|Visible links)\s*$")
_LYNX_REF = re.compile(r"^\s*(\d+)\.\s+(\S+)\s*$")
_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)(?:\s+#+)?\s*$")
_RULE = re.compile(r"^\s*([-*_=])(?:\s*\1){2,}\s*$")
_BULLET = re.compile(r"^\s*(?:[-*+•]|\d{1,3}[.)])\s+")
_BARE_URL = re.compile(r"^<?(https?://\S+?)>?$")
_URL_IN_TEXT = re.compile(r"https?://\S+")
# A line ending like this continues into the next: a URL there is part of the sentence.
_CONTINUES = re.compile(r"(?:\b(?:at|in|from|see|here|via|on|to)|:)$", re.IGNORECASE)
_FRONT_MATTER_LINE = re.compile(r"^\s*(?:[\w-]+\s*:.*|-\s.*|)$")
FRONT_MATTER_MAX_LINES = 60
_EMPHASIS = [
    (re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1"), r"\2"),
    (re.compile(r"(?<![\w*])\*(?=\S)([^*]+?)(?<=\S)\*(?![\w*])"), r"\1"),
    (re.compile(r"(?<![\w_])_(?=\S)([^_]+?)(?<=\S)_(?![\w_])"), r"\1"),
    (re.compile(r"`([^`]+)`"), r"\1"),
]
# Link texts that label a link rather than say something: "[LINK: GitHub 11.3k](...)".
_LABEL = re.compile(
    r"^(?:LINK:.*|(?:GitHub|GitLab|Code|Paper|PDF|arXiv|Project(?: page)?|Website|Demo|"
    r"Hugging ?Face|Model|Dataset|Space|abs|html|View\b.*|Read more|Upvote|Comments?|"
    r"Submitted by)\b.*|[\d.,]+\s*k?|)$",
    re.IGNORECASE,
)
LABEL_MAX_WORDS = 2
META_MAX_CHARS = 200  # a metadata line is short; longer lines are text
SUBMITTER_MAX_WORDS = 3
_SUBMITTED_BY = re.compile(r"^submitted by\s*:?$", re.IGNORECASE)
_META = re.compile(
    r"^(?:\d[\d,]*\s+authors?"
    r"|(?:votes?|upvotes?|likes?|stars?|comments?)\s*[:：]?\s*[\d.,]+\s*k?"
    r"|[▲△⬆↑]?\s*[\d.,]+\s*k?(?:\s+(?:votes?|upvotes?|stars?|comments?))?"
    r"|(?:published|submitted|updated|posted)\b.{0,80}"
    r"|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2}(?:,\s*\d{4})?"
    r"|(?:arxiv|pdf|code|github|project page|website|demo|upvote|submitted by)\s*[:：]?\s*)$",
    re.IGNORECASE,
)
_PUBLISHED = re.compile(
    r"published(?: on)?\s+([A-Za-z]+\.? \d{1,2}, \d{4}|\d{4}-\d{2}-\d{2})", re.I
)
_AUTHORS = re.compile(r"^(?:authors?|by)\s*[:：]\s*(.+)$", re.IGNORECASE)
_SEPARATORS = re.compile(r"\s*[·•|]\s*")
# A whole line of page furniture (navigation, buttons) that text browsers and crawlers
# keep around a listing's cards: the line is dropped. Not names.PAGE_CHROME_REGEX,
# which finds chrome left inside a record's text and rejects the record.
_NAVIGATION_LINE = re.compile(
    r"^(?:get trending papers in your email inbox(?: once a day)?\s*!?|subscribe|sign (?:up|in)"
    r"|log ?in|search|copy link|share|load more|next|previous|back to top|view all.*"
    r"|see all.*|menu|home)$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Page:
    """A page's normalised lines, and how much markup it had (what claims it)."""

    lines: list[Line]
    n_headings: int
    n_links: int


def normalise(lines: list[str]) -> Page:
    """Every line of a page, classified, with markup removed and link targets kept."""
    raw = list(lines)
    chrome = _front_matter(raw)
    refs = _reference_list(raw, chrome)
    blanked = ["" if i in chrome else line for i, line in enumerate(raw)]
    text, links = _substitute_links("\n".join(blanked), refs)
    out: list[Line] = []
    previous: Line | None = None  # the last line that is not blank
    for i, line in enumerate(text.split("\n")):
        current = _classify(i, line, links.get(i, []), i in chrome)
        if current.bare_url and i and _announces_link(out[i - 1]):
            current.kind, current.text = Kind.TEXT, current.bare_url
        elif current.kind is Kind.TEXT and _after_submitted_by(previous, current):
            current.kind = Kind.META  # the submitter's user name
        out.append(current)
        previous = current if current.kind is not Kind.BLANK else previous
    n_links = sum(len(v) for v in links.values()) + sum(1 for ln in out if ln.bare_url)
    return Page(out, sum(ln.kind is Kind.HEADING for ln in out), n_links)


def _after_submitted_by(previous: Line | None, line: Line) -> bool:
    """``line`` is a short name right below a card's "Submitted by" label."""
    return (
        previous is not None
        and previous.kind is Kind.META
        and previous.submitted_by
        and len(line.text.split()) <= SUBMITTER_MAX_WORDS
    )


def _announces_link(previous: Line) -> bool:
    """A text line whose sentence goes on into the URL below it ("available at")."""
    return previous.kind is Kind.TEXT and bool(_CONTINUES.search(previous.text))


def _front_matter(lines: list[str]) -> set[int]:
    """Lines of a YAML front matter block ('---' ... '---' at the top), as firecrawl writes."""
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None or lines[first].strip() != "---":
        return set()
    for j in range(first + 1, min(len(lines), first + FRONT_MATTER_MAX_LINES)):
        if lines[j].strip() == "---":
            return set(range(first, j + 1))
        if not _FRONT_MATTER_LINE.match(lines[j]):
            return set()
    return set()


def _reference_list(lines: list[str], chrome: set[int]) -> dict[str, str]:
    """Targets of reference links: markdown ``[N]: url`` definitions and lynx's
    trailing ``References`` list (``  32. https://...``); their lines become chrome."""
    refs: dict[str, str] = {}
    in_lynx = False
    for i, line in enumerate(lines):
        if _LYNX_REFS_HEAD.match(line):
            in_lynx = True
            chrome.add(i)
            continue
        m = _REF_DEF.match(line)
        if m:
            refs[m.group(1).strip().lower()] = m.group(2)
            chrome.add(i)
        elif in_lynx and (m := _LYNX_REF.match(line)):
            refs[m.group(1)] = m.group(2)
            chrome.add(i)
    return refs


def _substitute_links(text: str, refs: dict[str, str]) -> tuple[str, dict[int, list[str]]]:
    """Images removed, links replaced by their marked text; targets by line.

    Every substitution keeps the line breaks of what it replaces, so a match's line is
    its offset's rank among the line breaks of the text it was found in."""
    links: dict[int, list[str]] = {}

    def substitute(pattern: re.Pattern, current: str, target: Callable) -> str:
        breaks = [m.start() for m in re.finditer("\n", current)]

        def replace(m: re.Match) -> str:
            url, replacement = target(m)
            if url:
                line = bisect.bisect_left(breaks, m.start())
                links.setdefault(line, []).append(html.unescape(url))
            return replacement

        return pattern.sub(replace, current)

    def reference(m: re.Match) -> tuple[str | None, str]:
        url = refs.get(m.group(2).strip().lower())
        return (url, f"{_START}{m.group(1)}{_END}") if url else (None, m.group(0))

    for _ in range(2):  # twice: a link around an image is a link once the image is gone
        text = _IMAGE.sub(lambda m: "\n" * m.group(0).count("\n"), text)
        text = substitute(_INLINE, text, lambda m: (m.group(2), f"{_START}{m.group(1)}{_END}"))
        text = substitute(_REFERENCE, text, reference)
    return substitute(_AUTOLINK, text, lambda m: (m.group(1), m.group(1))), links


def _plain(text: str) -> str:
    text = text.replace(_START, "").replace(_END, "")  # a link that wraps onto other lines
    if any(mark in text for mark in "*_`"):
        for pattern, repl in _EMPHASIS:
            text = pattern.sub(repl, text)
    return " ".join(html.unescape(text).split())


def _without_links(line: str) -> str:
    if _START not in line:
        return line
    return re.sub(f"{_START}[^{_END}]*{_END}", "", line)


def _link_texts(line: str) -> list[str]:
    return re.findall(f"{_START}([^{_END}]*){_END}", line)


def _render_links(line: str, links: list[str]) -> str:
    """Link texts in running text; a code repository's URL is kept after its text so
    extraction still finds it ("code at this URL (https://github.com/...)")."""
    if _START not in line:
        return line
    repos = [u for u in links if repo_url_of(u)]

    def render(m: re.Match) -> str:
        label = m.group(1)
        if repos and not _URL_IN_TEXT.search(label):
            return f"{label} ({repos.pop(0)})"
        return label

    return re.sub(f"{_START}([^{_END}]*){_END}", render, line)


def _is_label_only(line: str) -> bool:
    """Nothing but links whose texts are labels, and separators."""
    if _START not in line and len(line) > META_MAX_CHARS:
        return False
    if _SEPARATORS.sub("", _BULLET.sub("", _without_links(line))).strip():
        return False
    return all(
        _LABEL.match(_plain(t)) or len(t.split()) <= LABEL_MAX_WORDS or _URL_IN_TEXT.match(t)
        for t in _link_texts(line)
    )


def _is_meta(text: str) -> bool:
    """Author counts, votes, dates, alone or joined by '·' / '|'."""
    if len(text) > META_MAX_CHARS:
        return False
    parts = [p for p in _SEPARATORS.split(text) if p]
    return bool(parts) and all(_META.match(p) for p in parts)


def _classify(index: int, line: str, links: list[str], chrome: bool) -> Line:
    if chrome or _RULE.match(line):
        return Line(index, Kind.CHROME if line.strip() else Kind.BLANK)
    if not line.strip():
        return Line(index, Kind.BLANK, links=links)
    indented = line[:1].isspace() and not _BULLET.match(line)
    heading = _HEADING.match(line)
    if heading:
        text = _plain(_render_links(heading.group(2), []))
        return Line(index, Kind.HEADING, text, len(heading.group(1)), links=links)
    if _is_label_only(line):
        return Line(index, Kind.META, links=links)
    body = _BULLET.sub("", line)
    bare = _BARE_URL.match(body.strip())
    if bare and _START not in body:
        return Line(index, Kind.META, links=[*links, bare.group(1)], bare_url=bare.group(1))
    text = _plain(_render_links(body, links))
    if authors := _AUTHORS.match(text):
        names = [n.strip() for n in re.split(r",\s*|\s+and\s+", authors.group(1)) if n.strip()]
        return Line(index, Kind.META, links=links, authors=names or None)
    if _is_meta(text):
        submitted = bool(_SUBMITTED_BY.match(text))
        return Line(
            index, Kind.META, links=links, submitted_by=submitted, published=_published(text)
        )
    if _NAVIGATION_LINE.match(text):
        return Line(index, Kind.CHROME)
    return Line(index, Kind.TEXT, text, indented=indented, links=links)


def _published(text: str) -> date | None:
    """The date of a "Published on Jan 14, 2026" part; None without a year."""
    m = _PUBLISHED.search(text)
    if not m:
        return None
    for layout in ("%b %d, %Y", "%B %d, %Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(m.group(1).replace(".", ""), layout).date()
        except ValueError:
            continue
    return None


def paper_id_of(links: list[str]) -> str | None:
    """The arXiv id of the first link to a paper page."""
    return next((i for i in map(normalize_arxiv_id, links) if i), None)
