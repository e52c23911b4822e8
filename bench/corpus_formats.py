"""Scrape days of the bench corpus written in the other shapes real scrapes come in.

``make_corpus --formats-every K`` writes every K-th scrape day as a listing-page
markdown (crawl4ai's shape), an HTML save with the page JSON, an OAI-PMH page or a
CSV export, cycling through them, so duplicate precision and recall are measured
across readers too. Each writer returns the file's bytes and the 1-based line on
which each record starts, in the order the reader gives them, for the truth table.
Only a missing abstract (left out) applies of the malformations: the others are a
page dump's.
"""

from __future__ import annotations

import csv
import html
import io
import json
from collections.abc import Callable
from datetime import date
from xml.sax.saxutils import escape

import numpy as np

FORMATS = ("md", "html", "xml", "csv")


def _markdown(
    titles: list[str], abstracts: list[str | None], day: date, papers: np.ndarray
) -> tuple[str, list]:
    """crawl4ai's shape: a page header, then "### Title", the text, an author count and
    the paper's repository as a label link (one repository per paper, as on the page)."""
    lines = ["# Trending Papers", f"**URL:** https://huggingface.co/papers/trending?date={day}", ""]
    starts = []
    for n, (title, abstract) in enumerate(zip(titles, abstracts, strict=True)):
        starts.append(len(lines) + 1)
        lines += [f"### {title}", ""]
        if abstract is not None:
            lines.append(abstract)
        lines += [
            f"- {n % 17 + 1} authors",
            f"[LINK: GitHub {n % 90 + 1}k](https://github.com/o/r{n})",
            "",
        ]
    return "\n".join(lines) + "\n", starts


def _html(
    titles: list[str], abstracts: list[str | None], day: date, papers: np.ndarray
) -> tuple[str, list]:
    papers = [
        {"paper": {"title": t} if a is None else {"title": t, "summary": a}}
        for t, a in zip(titles, abstracts, strict=True)
    ]
    props = html.escape(json.dumps({"dailyPapers": papers, "date": str(day)}), quote=True)
    page = (
        "<!doctype html>\n<html>\n<head><title>Daily Papers - Hugging Face</title></head>\n"
        f'<body>\n<div class="SVELTE_HYDRATER contents" data-target="DailyPapers" '
        f'data-props="{props}">\n</div>\n</body>\n</html>\n'
    )
    return page, [5] * len(titles)  # the line of the data-props div


def _oai(
    titles: list[str], abstracts: list[str | None], day: date, papers: np.ndarray
) -> tuple[str, list]:
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">',
        "<ListRecords>",
    ]
    starts = []
    for n, (title, abstract) in enumerate(zip(titles, abstracts, strict=True)):
        starts.append(len(lines) + 1)
        body = f"<title>{escape(title)}</title>"
        if abstract is not None:
            body += f"<abstract>{escape(abstract)}</abstract>"
        lines += [
            "<record>",
            f"<header><identifier>oai:bench:{day}:{n}</identifier>"
            f"<datestamp>{day}</datestamp></header>",
            f'<metadata><arXiv xmlns="http://arxiv.org/OAI/arXiv/">{body}</arXiv></metadata>',
            "</record>",
        ]
    lines += ["</ListRecords>", "</OAI-PMH>"]
    return "\n".join(lines) + "\n", starts


def _csv(
    titles: list[str], abstracts: list[str | None], day: date, papers: np.ndarray
) -> tuple[str, list]:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["title", "abstract", "scraped_date"])
    for title, abstract in zip(titles, abstracts, strict=True):
        writer.writerow([title, abstract or "", str(day)])
    text = out.getvalue()
    # Records start after the header; a cell with a line break spans several lines.
    starts, line = [], 2
    reader = csv.reader(io.StringIO(text))
    next(reader)
    for _ in reader:
        starts.append(line)
        line = reader.line_num + 1
    return text, starts


WRITERS: dict[str, Callable[..., tuple[str, list]]] = {
    "md": _markdown,
    "html": _html,
    "xml": _oai,
    "csv": _csv,
}


def write_day_as(
    fmt: str,
    titles: list[str],
    abstracts: list[str],
    missing: np.ndarray,
    day: date,
    papers: np.ndarray,
) -> tuple[bytes, np.ndarray]:
    """The file of one scrape day in ``fmt`` and each record's first line; ``papers``
    (each record's true paper) only names a paper's repository where a shape shows one."""
    kept = [None if gone else a for a, gone in zip(abstracts, missing.tolist(), strict=True)]
    text, starts = WRITERS[fmt](titles, kept, day, papers)
    return text.encode("utf-8"), np.asarray(starts, dtype=np.int64)


def format_of_day(day: int, formats_every: int) -> str | None:
    """The shape of scrape day ``day``: every K-th day, cycling through FORMATS."""
    if formats_every <= 0 or day % formats_every != formats_every - 1:
        return None
    return FORMATS[(day // formats_every) % len(FORMATS)]
