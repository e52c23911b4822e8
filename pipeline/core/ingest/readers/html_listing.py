"""Reader for HTML saves of a paper listing page, with lxml's HTML parser.

Hugging Face's papers pages carry their data as JSON in an attribute:
``<div ... data-target="DailyPapers" data-props="{&quot;dailyPapers&quot;: [...]}">``.
The parser unescapes the attribute; its ``dailyPapers[].paper`` objects have the
daily-papers API's shape (``id``, ``title``, ``summary``, ``authors``, ``githubRepo``)
and are read by that reader's own function, so a page save and an API download of
the same day give the same records. Only when no such JSON is there are the visible
cards read: each ``<article>`` (or the block around an ``<h3>`` linking to a paper
page) gives a title, its paragraphs an abstract and its links ids and a repository.

A page with neither is not a listing and is rejected as a whole. Never regexes over
HTML: the parser copes with the broken markup real saves have.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping

from lxml import etree

from pipeline.core.ingest.readers.errors import UnknownFormatError
from pipeline.core.ingest.readers.fields import FieldTypeError
from pipeline.core.ingest.readers.ids import first_arxiv_id, first_repo
from pipeline.core.ingest.readers.json_readers import JsonRecord, hf_daily_paper

FORMAT = "html"
SITE = "https://huggingface.co"
_HTML_START = ("<!doctype html", "<html", "<head", "<body", "<meta", "<div", "<title")
# Where the visible cards are when there is no page JSON.
_CARDS = "//article[.//h3 or .//h2]"
_HEADING_CARDS = "//h3[.//a[contains(@href, '/papers/') or contains(@href, 'arxiv.org/abs/')]]/.."
MIN_PAPER_SHARE = 0.5


def is_html(head: str) -> bool:
    """The file starts like an HTML document or fragment."""
    start = head.lstrip("\ufeff \t\r\n").lower()
    return start.startswith(_HTML_START) or (start.startswith("<!--") and "<html" in start)


def parse_html(data: bytes) -> list[JsonRecord]:
    """The listing's records: from the page JSON when there is one, else from cards."""
    parser = etree.HTMLParser(no_network=True, remove_comments=True, remove_pis=True)
    root = etree.fromstring(data, parser)
    if root is None:
        raise UnknownFormatError("HTML with no content")
    records = list(_from_props(root)) or list(_from_cards(root))
    if not records:
        raise UnknownFormatError(
            "HTML page with no paper listing (no data-props JSON with papers, no paper cards)"
        )
    return [_renumber(n, r) for n, r in enumerate(records)]


def _renumber(index: int, record: JsonRecord) -> JsonRecord:
    return JsonRecord(**{**record.__dict__, "record_index": index})


def _paper_lists(value: object) -> Iterator[list]:
    """Lists of daily-papers entries ({"paper": {...}}) or bare paper objects, anywhere."""
    if isinstance(value, Mapping):
        for inner in value.values():
            yield from _paper_lists(inner)
    elif isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
        wrapped = [v if isinstance(v.get("paper"), Mapping) else {"paper": v} for v in value]
        papers = sum(1 for v in wrapped if "title" in v["paper"])
        if papers / len(wrapped) >= MIN_PAPER_SHARE:
            yield wrapped


def _from_props(root: etree._Element) -> Iterator[JsonRecord]:
    elements = root.xpath("//*[@data-props]")
    # The daily-papers component first, then any other component with papers in it.
    elements.sort(key=lambda e: e.get("data-target") != "DailyPapers")
    for element in elements:
        try:
            props = json.loads(element.get("data-props"))
        except ValueError:
            continue
        line = element.sourceline or 1
        for papers in _paper_lists(props):
            for entry in papers:
                base = {"record_index": 0, "line_start": line, "line_end": line}
                try:
                    yield JsonRecord(**base, **hf_daily_paper(entry), flags=("page_json",))
                except FieldTypeError as exc:
                    yield JsonRecord(**base, parse_error=str(exc))
            return  # one listing per page: the first component that has one


def _text(element: etree._Element) -> str:
    return " ".join("".join(element.itertext()).split())


def _from_cards(root: etree._Element) -> Iterator[JsonRecord]:
    cards = root.xpath(_CARDS) or root.xpath(_HEADING_CARDS)
    for card in cards:
        heading = (card.xpath(".//h3") or card.xpath(".//h2"))[0]
        hrefs = [h if h.startswith("http") else SITE + h for h in card.xpath(".//a/@href")]
        title_links = [h if h.startswith("http") else SITE + h for h in heading.xpath(".//a/@href")]
        paragraphs = [t for p in card.xpath(".//p") if (t := _text(p))]
        line = card.sourceline or 1
        yield JsonRecord(
            record_index=0,
            line_start=line,
            line_end=line + sum(t.count("\n") for t in card.itertext()),
            title_raw=_text(heading) or None,
            abstract_raw="\n".join(paragraphs) or None,
            arxiv_id=first_arxiv_id(title_links) or first_arxiv_id(hrefs),
            repo_url=first_repo(hrefs),
            flags=("page_cards",),
        )
