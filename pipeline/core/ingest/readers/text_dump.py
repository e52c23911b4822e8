"""Reader for text dumps of a "trending papers" web page.

A dump is page chrome ("Get trending papers in your email inbox!", "Subscribe")
followed by entries of a title line and an abstract. Real dumps also wrap
abstracts over several lines, drop abstracts, insert blank lines and concatenate
several page dumps, so line parity means nothing. Each line is instead described
by features that tell titles from abstract text (length, a sentence-ending full
stop, sentence breaks inside it, whether it ends or starts mid-sentence), computed
for all lines at once with polars; a small state machine then walks the lines
once and cuts entries using those features and its neighbours.

Known limits, by design of a heuristic: a title that directly follows a wrapped
abstract line which itself ends without punctuation (for example on a bare URL)
is read as part of that abstract, and titles wrapped over two lines are read as
a title followed by a one-line abstract.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import polars as pl

from pipeline.core.ingest.decode import DecodedLines
from pipeline.core.names import SENTENCE_BREAK, UNDECODABLE_FLAG

# Page chrome, removed wherever it occurs at the start of a line (it is glued to the
# first title in real dumps: "SubscribeDeepZero: ..."). "Subscribe" followed by a
# lowercase letter is a word such as "Subscriber", not chrome, unless what follows is a
# name-like token before a colon ("SubscribexT: ...", "Subscribep-MoD: ..."). Written
# without look-around for polars' regex engine: the kept text is in the last group.
_GET_TRENDING = r"Get trending papers in your email inbox(?: once a day)?\s*!?"
CHROME_PREFIX = (
    rf"^(?:\s*(?:{_GET_TRENDING}|Subscribe))+\s*"
    r"([^a-z].*|[a-z][\w.+-]*[A-Z0-9][\w.+-]*:.*|[a-z][\w+]*-[\w.+-]+:.*|)$"
)


# Longer than any real title: arXiv titles stay well under 300 characters.
TITLE_MAX_CHARS = 300
# A line of more words is abstract text, whatever its punctuation. Higher than the
# record rules' SENTENCED_TITLE_MAX_WORDS (30), which also needs two sentence breaks.
TITLE_LINE_MAX_WORDS = 45
# A line this short can be one line of an abstract wrapped at a fixed width.
WRAPPED_LINE_MAX_CHARS = 200
_STOPWORD_END = (
    r"(?i)(?:,|;|-|\(|\b(?:a|an|the|of|for|and|or|nor|but|in|on|at|to|by|with|from|via|"
    r"into|onto|over|under|than|that|which|who|whose|while|whereas|as|is|are|was|were|be|"
    r"been|being|has|have|had|can|could|may|might|will|would|should|must|we|our|its|their|"
    r"this|these|those|such|both|either|not|also|e\.g\.|i\.e\.|et al\.))$"
)
TITLE_CASE_MIN_SHARE = 0.6
TITLE_WITH_STOP_MAX_WORDS = 20
_STOPWORDS = [
    "a", "an", "the", "of", "for", "and", "or", "in", "on", "at", "to", "by", "with", "from",
    "via", "into", "as", "is", "are", "vs", "its", "is", "be", "do",
]  # fmt: skip


@dataclass
class _Entry:
    title_line: int | None = None  # 0-based
    abstract_lines: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class ParsedRecord:
    """One entry of a dump, with its 1-based line span."""

    record_index: int
    line_start: int
    line_end: int
    title_raw: str | None
    abstract_raw: str | None
    flags: tuple[str, ...]


def _title_case_share(text: pl.Expr) -> pl.Expr:
    """Share of a line's content words that are capitalised (or mixed case, like "xT")."""
    words = text.str.extract_all(r"[A-Za-z][\w'-]*")
    content = words.list.eval(
        pl.element().filter(~pl.element().str.to_lowercase().is_in(_STOPWORDS))
    )
    share = content.list.eval(pl.element().str.contains(r"^[A-Z]|[A-Z0-9]").cast(pl.Float64).mean())
    return share.list.first().fill_null(0.0)


def line_features(lines: list[str]) -> pl.DataFrame:
    """Describe each line by the features the entry cutter needs, vectorised."""
    df = pl.DataFrame({"raw": lines}, schema={"raw": pl.String})
    text = pl.col("raw").str.replace(CHROME_PREFIX, "${1}").str.strip_chars()
    return (
        df.with_columns(text=text)
        .with_columns(
            had_chrome=pl.col("raw").str.contains(CHROME_PREFIX),
            blank=pl.col("text").str.len_chars() == 0,
            n_chars=pl.col("text").str.len_chars(),
            n_words=pl.col("text").str.count_matches(r"\S+"),
            ends_period=pl.col("text").str.contains(r"\.[\"')\]]?$"),
            ends_terminal=pl.col("text").str.contains(r"[.!?:][\"')\]]?$"),
            ends_midsentence=pl.col("text").str.contains(_STOPWORD_END),
            starts_lower=pl.col("text").str.contains(r"^[a-z]"),
            n_breaks=pl.col("text").str.count_matches(SENTENCE_BREAK),
        )
        .pipe(_with_title_case)
        .with_columns(
            # A one-sentence line ending in a full stop that is short enough to be a
            # title ("Deeply-Supervised Nets."): a title when it follows a long abstract.
            title_with_stop=pl.col("ends_period")
            & (pl.col("n_breaks") == 0)
            & (pl.col("n_chars") <= WRAPPED_LINE_MAX_CHARS)
            & (pl.col("n_words") <= TITLE_WITH_STOP_MAX_WORDS)
            & ~pl.col("starts_lower"),
            # Text no title has: too long, a closing full stop, or several sentences.
            abstract_like=(pl.col("n_chars") > TITLE_MAX_CHARS)
            | (pl.col("n_words") > TITLE_LINE_MAX_WORDS)
            | pl.col("ends_period")
            | (pl.col("n_breaks") >= 2),
        )
    )


def _with_title_case(feats: pl.DataFrame) -> pl.DataFrame:
    """Add ``title_case``, computed only on lines short enough to be a title.

    The cutter reads it only for lines of at most ``TITLE_MAX_CHARS`` (a title
    candidate and the line after it); splitting every abstract line into words for it
    was most of a dump's parsing time. Longer lines get False, which nothing reads.
    """
    short = pl.col("n_chars") <= TITLE_MAX_CHARS
    rows = feats.select(short.arg_true()).to_series()
    shares = (
        feats.filter(short)
        .select(_title_case_share(pl.col("text")) >= TITLE_CASE_MIN_SHARE)
        .to_series()
    )
    title_case = pl.Series("title_case", [False] * feats.height, dtype=pl.Boolean)
    return feats.with_columns(title_case.scatter(rows, shares))


def parse_text_dump(decoded: DecodedLines) -> list[ParsedRecord]:
    """Cut a dump's lines into title/abstract entries.

    Every non-chrome, non-blank line ends up in exactly one entry, so nothing a
    dump holds is lost: text that cannot be a title becomes an entry without one,
    and a later rule rejects it with that reason.
    """
    if not decoded.lines:
        return []
    feats = line_features(decoded.lines)
    cols = {name: feats.get_column(name).to_list() for name in feats.columns}
    return list(_cut_entries(cols, decoded))


class _LineFeatures:
    """The per-line features of a dump and the neighbour tests the segmenter asks."""

    def __init__(self, cols: dict[str, list]) -> None:
        self.cols = cols
        self.blank: list[bool] = cols["blank"]
        self.n = len(cols["text"])

    def next_content(self, i: int) -> int | None:
        """Index of the line right after ``i`` when it has text (no blank in between)."""
        j = i + 1
        return j if j < self.n and not self.blank[j] else None

    def midsentence_before(self, i: int) -> bool:
        """Line ``i`` stops mid-sentence: the next (wrapped) line carries on its sentence."""
        nxt = self.next_content(i)
        return self.cols["ends_midsentence"][i] or (
            nxt is not None
            and self.cols["starts_lower"][nxt]
            and self.cols["n_chars"][nxt] <= WRAPPED_LINE_MAX_CHARS
        )

    def wrapped(self, line: int) -> bool:
        """Short enough to be one line of an abstract wrapped at a fixed width."""
        return self.cols["n_chars"][line] <= WRAPPED_LINE_MAX_CHARS

    def is_wrap_of(self, prev: int, i: int) -> bool:
        """Line ``i`` continues the wrapped abstract line ``prev`` (adjacent lines).

        Only a short line can be wrapped; a long one-line abstract that ends without a
        full stop (on a URL, say) is followed by a title, whatever its first letter.
        """
        cols = self.cols
        return self.wrapped(prev) and (
            cols["ends_midsentence"][prev] or not cols["ends_terminal"][prev]
        )

    def title_then_abstract(self, i: int) -> bool:
        """After a title, short line ``i`` is a new title only when it is a whole unit:
        followed by nothing, by a long abstract line, or, both in title case, by another
        title (several title-only entries in a row)."""
        if self.midsentence_before(i):
            return False
        nxt = self.next_content(i)
        if nxt is None or self.cols["n_chars"][nxt] > TITLE_MAX_CHARS:
            return True
        cols = self.cols
        return cols["title_case"][i] and cols["title_case"][nxt] and not cols["abstract_like"][nxt]


# Where a content line goes: onto the open entry's abstract, or opening a new entry.
_APPEND, _NEW_TITLE, _NEW_ABSTRACT = "append", "new title", "new abstract"


def _place_line(
    features: _LineFeatures, i: int, entry: _Entry | None, prev_line: int | None, gap: bool
) -> str:
    """Where content line ``i`` goes, given the open entry, its last content line
    ``prev_line`` and whether a blank line came since (``gap``)."""
    cols = features.cols
    in_abstract = entry is not None and bool(entry.abstract_lines)
    after_long_line = prev_line is not None and not features.wrapped(prev_line)
    if cols["abstract_like"][i] and not (
        in_abstract and after_long_line and cols["title_with_stop"][i]
    ):
        if entry is not None and not in_abstract:
            return _APPEND
        if in_abstract and (not gap or not cols["ends_terminal"][prev_line]):  # type: ignore[index]
            return _APPEND
        return _NEW_ABSTRACT  # abstract text with no title before it
    if entry is None:
        return _NEW_TITLE
    if not in_abstract:
        if entry.title_line is not None and features.title_then_abstract(i):
            return _NEW_TITLE
        return _APPEND
    # Only a wrapped (short) abstract line continues onto the next line; after a long
    # one-line abstract comes a title, whatever its first letter.
    if (
        not gap
        and not after_long_line
        and (
            features.is_wrap_of(prev_line, i) or features.midsentence_before(i)  # type: ignore[arg-type]
        )
    ):
        return _APPEND
    return _NEW_TITLE


def _cut_entries(cols: dict[str, list], decoded: DecodedLines) -> Iterator[ParsedRecord]:
    """The entries of a dump, line by line: each content line is placed by
    :func:`_place_line`; a blank line left by removed chrome ends a page."""
    features = _LineFeatures(cols)
    text: list[str] = cols["text"]
    chrome = [h and b for h, b in zip(cols["had_chrome"], features.blank, strict=True)]
    entry: _Entry | None = None
    index = 0
    prev_line: int | None = None  # last content line of the open entry
    gap = False  # a blank line since prev_line
    for i in range(features.n):
        if features.blank[i]:
            if chrome[i] and entry is not None:  # chrome ends a page: a hard boundary
                yield _to_record(entry, index, text, cols["had_chrome"], decoded.bad)
                entry, index, prev_line = None, index + 1, None
            gap = True
            continue
        action = _place_line(features, i, entry, prev_line, gap)
        if action == _APPEND:
            entry.abstract_lines.append(i)  # type: ignore[union-attr]
        else:
            if entry is not None:
                yield _to_record(entry, index, text, cols["had_chrome"], decoded.bad)
                index += 1
            entry = _Entry(title_line=i) if action == _NEW_TITLE else _Entry(abstract_lines=[i])
        prev_line = i
        gap = False
    if entry is not None:
        yield _to_record(entry, index, text, cols["had_chrome"], decoded.bad)


def _to_record(
    entry: _Entry,
    index: int,
    text: list[str],
    had_chrome: list[bool],
    bad: frozenset[int],
) -> ParsedRecord:
    lines = ([entry.title_line] if entry.title_line is not None else []) + entry.abstract_lines
    flags = []
    if any(i in bad for i in lines):
        flags.append(UNDECODABLE_FLAG)
    if any(had_chrome[i] for i in lines):
        flags.append("chrome_removed")
    if entry.title_line is not None and len(entry.abstract_lines) > 1:
        flags.append("wrapped_abstract")
    return ParsedRecord(
        record_index=index,
        line_start=lines[0] + 1,
        line_end=lines[-1] + 1,
        title_raw=text[entry.title_line] if entry.title_line is not None else None,
        abstract_raw="\n".join(text[i] for i in entry.abstract_lines) or None,
        flags=tuple(flags),
    )


# Evidence that a text is a dump of title/abstract entries and not prose: most entries
# pair a title with an abstract of some length, and few look like the first line of a
# wrapped paragraph (stops mid-sentence, holds a sentence break, or the "abstract"
# carries on in lowercase).
EVIDENCE_MIN_ABSTRACT_WORDS = 5
EVIDENCE_MIN_PAIRED_SHARE = 0.5
EVIDENCE_MAX_MIDSENTENCE_SHARE = 0.5
# Entries looked at: the evidence of a dump's first entries holds for the rest, and a
# large dump does not pay for it twice.
EVIDENCE_SAMPLE = 200
_STOPWORD_END_RE = re.compile(_STOPWORD_END)
_SENTENCE_BREAK_RE = re.compile(SENTENCE_BREAK)


def missing_entries_reason(records: list[ParsedRecord]) -> str | None:
    """Why ``records`` do not show a text dump of entries (None when they do).

    The text-dump reader is no fallback: a file it cannot see entries in is refused
    as a whole instead of being published line by line.
    """
    if not records:
        return None
    records = records[:EVIDENCE_SAMPLE]
    paired = [
        r
        for r in records
        if r.title_raw
        and r.abstract_raw
        and r.abstract_raw.count(" ") + 1 >= EVIDENCE_MIN_ABSTRACT_WORDS
    ]
    if not paired:
        return "text with no title/abstract entries"
    if len(paired) / len(records) < EVIDENCE_MIN_PAIRED_SHARE:
        return (
            f"text where only {len(paired)} of {len(records)} parts pair a title with an abstract"
        )
    stop, breaks = _STOPWORD_END_RE, _SENTENCE_BREAK_RE
    wrapped = sum(
        1
        for r in paired
        if stop.search((r.title_raw or "")[-24:])  # the last words are enough
        or breaks.search(r.title_raw or "")
        or (r.abstract_raw or "")[:1].islower()
    )
    if wrapped / len(paired) > EVIDENCE_MAX_MIDSENTENCE_SHARE:
        return f"prose: {wrapped} of {len(paired)} would-be titles read as lines of a paragraph"
    return None
