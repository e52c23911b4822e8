"""Hypothesis strategies for hostile raw files, one family per reader, built from the
real samples in tests/data/realdata and tests/data/listing and then mutated.

Each strategy gives the bytes of one file. The mutations are the ones scrapes and
attackers produce: truncation, inserted bytes, values of the wrong type, deep nesting,
long numbers, lone surrogates, entity declarations, markup inside text.
"""

from __future__ import annotations

import json
import re
from functools import cache

from hypothesis import strategies as st

from tests.conftest import SAMPLE, TEST_DATA

REAL = TEST_DATA / "realdata"
LISTING = TEST_DATA / "listing"

# Keys the JSON readers look at, so that generated records reach the field code.
FIELD_KEYS = (
    "id", "title", "abstract", "summary", "authors", "authors_parsed", "versions",
    "categories", "doi", "update_date", "paper", "publishedAt", "submittedOnDailyAt",
    "githubRepo", "github_links", "paper_url", "details", "scraped_date", "name", "url",
)  # fmt: skip
# Text that exercises cleaning and rules: LaTeX, markup, chrome, URLs, odd characters.
TEXT_PIECES = (
    "\\textbf{Lion}", "\\w+", "\\\\alpha", "$\\alpha$", "\\eg", "{\\\"u}", "\\frac{a}{b}",
    "<b>bold</b>", "<img src=x onerror=alert(2)>", "[link](https://github.com/a/b)",
    "https://arxiv.org/abs/2401.00001", "Subscribe", "Get trending papers in your email inbox!",
    "\u200b", "\ufeff", "\x00", "\ud800", "é", "中文", " ", "\n", "\t", ".", "a" * 60,
)  # fmt: skip


@cache
def _text(path: str) -> str:
    return (TEST_DATA / path).read_text(encoding="utf-8")


@cache
def _json_samples() -> tuple[dict, ...]:
    """Records of the three real JSON scrapes: arXiv snapshot, HF API, scraper output."""
    records: list[dict] = []
    for name in (
        "arxiv-metadata-snapshot-sample.json",
        "hf-daily-papers-api-2025-09-30.json",
        "scraper-hf-daily-2026-01-16.json",
    ):
        records.extend(json.loads(_text(f"realdata/{name}"))[:15])
    return tuple(records)


def texts() -> st.SearchStrategy[str]:
    """Free text mixed with the pieces cleaning and the rules react to."""
    piece = st.one_of(st.sampled_from(TEXT_PIECES), st.text(max_size=30))
    return st.lists(piece, max_size=12).map("".join)


def printable_texts() -> st.SearchStrategy[str]:
    """Like :func:`texts`, without control characters: cells a table export would hold."""
    pieces = [p for p in TEXT_PIECES if p.isprintable()]
    chars = st.characters(blacklist_categories=("Cc", "Cs"))
    piece = st.one_of(st.sampled_from(pieces), st.text(alphabet=chars, max_size=30))
    return st.lists(piece, max_size=12).map("".join)


def json_values(max_leaves: int = 12) -> st.SearchStrategy[object]:
    leaves = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=True, allow_infinity=True),
        texts(),
    )
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(FIELD_KEYS), inner)
        ),
        max_leaves=max_leaves,
    )


@st.composite
def json_records(draw) -> dict:
    """A real record with some fields replaced by values of any type, or deleted."""
    record = dict(draw(st.sampled_from(_json_samples())))
    for key in draw(st.lists(st.sampled_from(FIELD_KEYS), max_size=4)):
        if draw(st.booleans()):
            record[key] = draw(json_values())
        else:
            record.pop(key, None)
    return record


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=True)


@st.composite
def hostile_json_tokens(draw) -> str:
    """One JSON value text beyond a bound or at an edge of the grammar."""
    depth = draw(st.integers(1, 3000))
    return draw(
        st.sampled_from(
            [
                "[" * depth + "]" * depth,
                '{"a":' * depth + "1" + "}" * depth,
                "9" * draw(st.integers(90, 6000)),
                "-0." + "1" * draw(st.integers(90, 300)),
                "1e999999",
                "NaN",
                '"\\ud800"',
                '"\\udfff\\ud800"',
                '"\\u0000"',
            ]
        )
    )


@st.composite
def json_files(draw) -> bytes:
    """A JSON array, JSON lines, a wrapper or an object keyed by id, then mutated."""
    records: list[object] = draw(st.lists(json_records(), min_size=0, max_size=6))
    if draw(st.booleans()):
        records.insert(draw(st.integers(0, len(records))), draw(json_values()))
    layout = draw(st.sampled_from(["array", "lines", "wrapper", "keyed", "one"]))
    if layout == "array":
        text = "[\n" + ",\n".join(_dumps(r) for r in records) + "\n]\n"
    elif layout == "lines":
        text = "".join(_dumps(r) + "\n" for r in records)
    elif layout == "wrapper":
        text = _dumps({"papers": records, "count": len(records)})
    elif layout == "keyed":
        text = _dumps({f"2401.{i:05d}": r for i, r in enumerate(records)})
    else:
        text = _dumps(records[0] if records else {})
    if draw(st.booleans()):  # a value beyond a bound, spliced in as a field's text
        token = draw(hostile_json_tokens())
        text = re.sub(r'("title": )("[^"]*")', lambda m: m.group(1) + token, text, count=1)
    return mutate_bytes(draw, text.encode("utf-8", "surrogatepass"))


def mutate_bytes(draw, data: bytes) -> bytes:
    """Maybe truncate, maybe insert a few random bytes, maybe add a BOM."""
    if data and draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]
    if data and draw(st.booleans()):
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(max_size=6)) + data[at:]
    if draw(st.integers(0, 9)) == 0:
        data = b"\xef\xbb\xbf" + data
    return data


@cache
def _oai_parts() -> tuple[str, tuple[str, ...], str]:
    """The real OAI-PMH page cut into its head, its first records and its tail."""
    text = _text("realdata/arxiv-oai-pmh-listrecords.xml")
    first = text.index("<record>")
    records = tuple(re.findall(r"<record>.*?</record>\n", text, re.DOTALL)[:8])
    tail = text[text.rindex("<resumptionToken") :]
    return text[:first], records, tail


_XML_INSERTS = (
    "&amp;",
    "&lt;b&gt;",
    "&xxe;",
    "&#0;",
    "&#xD800;",
    "<![CDATA[<b>x</b>]]>",
    "<title>",
    "</abstract>",
    "<record>",
    "<!-- c -->",
    "<?pi x?>",
    "\x00",
)
_DOCTYPES = (
    '<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>',
    '<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
    '<!DOCTYPE r SYSTEM "http://127.0.0.1:1/x.dtd">',
)


@st.composite
def oai_files(draw) -> bytes:
    head, records, tail = _oai_parts()
    chosen = draw(st.lists(st.sampled_from(records), max_size=4))
    body = "".join(chosen)
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(body)))
        insert = draw(st.one_of(st.sampled_from(_XML_INSERTS), texts()))
        body = body[:at] + insert + body[at:]
    if draw(st.booleans()):
        first_line_end = head.index("\n") + 1
        head = head[:first_line_end] + draw(st.sampled_from(_DOCTYPES)) + head[first_line_end:]
    data = (head + body + tail).encode("utf-8", "surrogatepass")
    return mutate_bytes(draw, data)


CSV_HEADERS = ("title", "abstract", "arxiv_id", "authors", "doi", "url", "details.abstract", "x")


@st.composite
def csv_files(draw) -> bytes:
    delimiter = draw(st.sampled_from([",", "\t"]))
    header = draw(st.lists(st.sampled_from(CSV_HEADERS), min_size=2, max_size=5))
    # Mostly a table (rows as wide as the header), sometimes one ragged row.
    width = len(header)
    rows = draw(st.lists(st.lists(printable_texts(), min_size=width, max_size=width), max_size=8))
    if draw(st.integers(0, 3)) == 0:
        rows.insert(draw(st.integers(0, len(rows))), draw(st.lists(printable_texts(), max_size=7)))

    def cell(value: str) -> str:
        if draw(st.integers(0, 3)) > 0:
            return '"' + value.replace('"', '""') + '"'
        return value

    lines = [delimiter.join(header)] + [delimiter.join(cell(v) for v in row) for row in rows]
    text = "\n".join(lines) + draw(st.sampled_from(["", "\n", '"']))
    return mutate_bytes(draw, text.encode("utf-8", "surrogatepass"))


@st.composite
def html_files(draw) -> bytes:
    """A saved listing page: the real ones, or cards and page JSON built from text."""
    kind = draw(st.sampled_from(["real", "cards", "props"]))
    if kind == "real":
        name = draw(
            st.sampled_from(["hf-daily-page-2025-09-30.html", "hf-trending-cards-2026-01-16.html"])
        )
        text = _text(f"listing/{name}")
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.one_of(texts(), st.sampled_from(_XML_INSERTS))) + text[at:]
    elif kind == "cards":
        cards = [
            f'<article><h3><a href="/papers/2401.{i:05d}">{draw(texts())}</a></h3>'
            f"<p>{draw(texts())}</p></article>"
            for i in range(draw(st.integers(0, 5)))
        ]
        text = "<!DOCTYPE html><html><body>" + "".join(cards) + "</body></html>"
    else:
        props = _dumps({"dailyPapers": draw(st.lists(json_records(), max_size=4))})
        escaped = props.replace("&", "&amp;").replace('"', "&quot;")
        div = f'<div data-target="DailyPapers" data-props="{escaped}"></div>'
        text = f"<html><body>{div}</body></html>"
    return mutate_bytes(draw, text.encode("utf-8", "surrogatepass"))


_MARKDOWN_PIECES = (
    "# ", "## ", "### ", "**", "_", "`", "[", "](", ")", "![img](x.png)", "<https://x.org>",
    "* ", "- ", "1. ", "> ", "---", "|", "·", "Authors: ", "Published on Jan 16, 2026",
    "[1]: https://huggingface.co/papers/2401.00001", "References", "   ",
)  # fmt: skip


@st.composite
def markdown_files(draw) -> bytes:
    """Lines of the real listing pages, shuffled and mixed with markdown fragments."""
    name = draw(
        st.sampled_from(
            [
                "realdata/trending-crawl-markdown.md",
                "realdata/daily-papers-ko-2024-05-24.md",
                "listing/firecrawl-hf-daily-2026-01-16.md",
                "listing/lynx-hf-daily-2026-01-16.txt",
                "listing/links-own-line-2026-01-16.txt",
            ]
        )
    )
    lines = _text(name).split("\n")
    start = draw(st.integers(0, max(len(lines) - 1, 0)))
    chosen = lines[start : start + draw(st.integers(1, 60))]
    if draw(st.booleans()):
        chosen = draw(st.permutations(chosen))
    extra = st.lists(st.one_of(st.sampled_from(_MARKDOWN_PIECES), texts()), max_size=6).map("".join)
    for _ in range(draw(st.integers(0, 4))):
        chosen.insert(draw(st.integers(0, len(chosen))), draw(extra))
    end = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    return mutate_bytes(draw, end.join(chosen).encode("utf-8", "surrogatepass"))


@st.composite
def text_dump_files(draw) -> bytes:
    """Lines of the real trending dump, cut, shuffled and mixed with text."""
    lines = SAMPLE.read_text(encoding="utf-8").split("\n")
    start = draw(st.integers(0, len(lines) - 1))
    chosen = lines[start : start + draw(st.integers(1, 40))]
    if draw(st.booleans()):
        chosen = draw(st.permutations(chosen))
    for _ in range(draw(st.integers(0, 4))):
        chosen.insert(draw(st.integers(0, len(chosen))), draw(texts()))
    end = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    return mutate_bytes(draw, end.join(chosen).encode("utf-8", "surrogatepass"))


def any_files() -> st.SearchStrategy[bytes]:
    return st.one_of(
        json_files(),
        oai_files(),
        csv_files(),
        html_files(),
        markdown_files(),
        text_dump_files(),
        st.binary(max_size=2000),
    )
