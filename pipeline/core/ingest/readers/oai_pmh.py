"""Reader for arXiv OAI-PMH responses (ListRecords / GetRecord), streamed.

A harvest page holds up to thousands of records and a bulk response can reach
100 MB, so the XML is read with lxml's ``iterparse`` record by record and each
record's tree is freed once read: memory stays bounded by one record. The input is
untrusted: entities are not expanded, no DTD is loaded and nothing is fetched
(``resolve_entities=False, load_dtd=False, no_network=True``).

Fields are taken by element *local name*, so the ``arXiv`` metadata format (``id``,
``created``, ``authors/author/{keyname,forenames}``, ``title``, ``abstract``, ``doi``),
``arXivRaw`` and ``oai_dc`` (``dc:title``, ``dc:description``, ``dc:identifier``,
``dc:creator``, ``dc:date``) are all read by one function. The header's
``datestamp`` is the record's scrape date. Deleted records (``<header
status="deleted">``) carry no metadata: each becomes a record with a parse error
saying so, so the count of what the page held is kept.
"""

from __future__ import annotations

import io
from collections import defaultdict

from lxml import etree

from pipeline.core.ingest.readers.fields import author_names, parse_date
from pipeline.core.ingest.readers.ids import (
    first_arxiv_id,
    first_doi,
    normalize_arxiv_id,
    normalize_doi,
)
from pipeline.core.ingest.readers.json_readers import JsonRecord

FORMAT = "oai-pmh"
OAI_NS = "http://www.openarchives.org/OAI/2.0/"
_RECORD = f"{{{OAI_NS}}}record"
_OAI_ID_PREFIX = "oai:arXiv.org:"
DELETED_REASON = "deleted record (OAI-PMH header status=deleted): no metadata"


def is_oai_pmh(head: str) -> bool:
    """The first bytes name the OAI-PMH namespace on an ``OAI-PMH`` root element."""
    return "<OAI-PMH" in head and OAI_NS in head


def parse_oai_pmh(data: bytes) -> list[JsonRecord]:
    """Every ``<record>`` of the response, in order; a syntax error ends the read
    with one record saying where, so a truncated download is visible, not silent."""
    records: list[JsonRecord] = []
    events = etree.iterparse(
        io.BytesIO(data),
        events=("end",),
        tag=_RECORD,
        resolve_entities=False,
        load_dtd=False,
        no_network=True,
        huge_tree=False,
        remove_comments=True,
    )
    try:
        for _, element in events:
            records.append(_record(len(records), element))
            element.clear(keep_tail=False)
            while element.getprevious() is not None:  # free the records already read
                del element.getparent()[0]
    except etree.XMLSyntaxError as exc:
        line = exc.lineno or 1
        error = f"broken XML at line {line}: {exc.msg}; the rest of the file is unread"
        records.append(JsonRecord(len(records), line, line, parse_error=error))
    return records


def _texts(element: etree._Element) -> dict[str, list[etree._Element]]:
    """The record's elements by local name, in document order."""
    by_name: dict[str, list[etree._Element]] = defaultdict(list)
    for child in element.iter():
        if isinstance(child.tag, str):
            by_name[etree.QName(child).localname].append(child)
    return by_name


def _text(by_name: dict[str, list[etree._Element]], *names: str) -> str | None:
    for name in names:
        for element in by_name.get(name, ()):
            text = "".join(element.itertext())
            if text.strip():
                return text
    return None


def _authors(by_name: dict[str, list[etree._Element]]) -> list[str] | None:
    """``author/{forenames,keyname,suffix}`` (arXiv), ``dc:creator`` "Keyname, Forenames"
    (oai_dc) or an ``authors`` string (arXivRaw)."""
    names = []
    for author in by_name.get("author", ()):
        parts = {etree.QName(c).localname: (c.text or "").strip() for c in author}
        name = " ".join(p for p in (parts.get("forenames"), parts.get("keyname")) if p)
        names.append(f"{name} {parts['suffix']}" if parts.get("suffix") else name)
    if not names:
        for creator in by_name.get("creator", ()):
            family, _, given = (creator.text or "").partition(",")
            names.append(" ".join(p.strip() for p in (given, family) if p.strip()))
    if not names:
        return author_names(_text(by_name, "authors"))
    return [n for n in names if n] or None


def _record(index: int, element: etree._Element) -> JsonRecord:
    by_name = _texts(element)
    header = by_name.get("header", [None])[0]
    line_start = element.sourceline or 1
    # The record's last line: its first plus the line breaks of all its text (whitespace
    # between its elements included).
    line_end = line_start + sum(t.count("\n") for t in element.itertext())
    identifier = (_text(by_name, "identifier") or "").strip()
    header_id = normalize_arxiv_id(identifier.removeprefix(_OAI_ID_PREFIX))
    scraped = parse_date(_text(by_name, "datestamp"))
    base = {"record_index": index, "line_start": line_start, "line_end": line_end}
    if header is not None and header.get("status") == "deleted":
        return JsonRecord(
            **base, arxiv_id=header_id, scrape_date=scraped, parse_error=DELETED_REASON
        )
    identifiers = ["".join(e.itertext()).strip() for e in by_name.get("identifier", ())]
    return JsonRecord(
        **base,
        title_raw=_text(by_name, "title"),
        abstract_raw=_text(by_name, "abstract", "description"),
        arxiv_id=normalize_arxiv_id(_text(by_name, "id"))
        or first_arxiv_id(identifiers)
        or header_id,
        doi=normalize_doi(_text(by_name, "doi")) or first_doi(identifiers),
        authors=_authors(by_name),
        published_date=parse_date(_text(by_name, "created", "date")),
        scrape_date=scraped,
    )
