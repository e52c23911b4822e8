"""Record-level rules: each a small polars expression that yields a reason or null.

Following datatrove's filters, a rule never drops a row: it names why a record
cannot be published, and one place applies every rule, joins the reasons of a
record and routes it to the rejects. A record that breaks several rules lists
them all, so a person fixing the source sees every problem at once.

Each rule's name is its stable reason code (``abstract_missing``): records carry the
codes in ``reason_codes`` beside the human detail in ``reason``, and every count of
rejects (manifest, metadata, ``versions``) is by code, so a rule whose detail varies
(a length, a line number) is still one entry. :data:`REASON_CODES` lists them all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from pipeline.core.config import default_expectations
from pipeline.core.names import PAGE_CHROME_REGEX, SENTENCE_BREAK, UNDECODABLE_FLAG
from pipeline.core.transform.extract import LINK
from pipeline.core.transform.latex import CONTROL_WORD
from pipeline.core.validate.expectation_settings import (
    CANONICAL_CODE_URL,
    ExpectationSettings,
)


@dataclass(frozen=True)
class Rule:
    """A named check; ``reason`` is a string expression, null where the record passes."""

    name: str
    reason: pl.Expr


_READABLE = pl.col("parse_error").is_null()
# Several sentences and many words: prose, not a title. Series titles ("Clouds. IX. The
# Serpens ...") have sentence breaks too, but few words. Lower than the text-dump
# reader's TITLE_LINE_MAX_WORDS (45): the reader bounds any line it may take for a
# title, with no other evidence; this bounds a title that also has two sentence breaks.
SENTENCED_TITLE_MAX_WORDS = 30

RULES: tuple[Rule, ...] = (
    Rule(
        "unreadable_record",
        pl.when(~_READABLE).then(
            pl.format("unreadable record at line {}: {}", "line_start", "parse_error")
        ),
    ),
    Rule(
        "title_missing",
        pl.when(_READABLE & pl.col("title").is_null()).then(pl.lit("title missing")),
    ),
    Rule(
        "abstract_missing",
        pl.when(_READABLE & pl.col("abstract").is_null()).then(pl.lit("abstract missing")),
    ),
    Rule(
        "title_without_words",
        pl.when(pl.col("title").is_not_null() & pl.col("title_key").is_null()).then(
            pl.lit("title has no letters or digits")
        ),
    ),
)

# Automated comments listing pages show in a paper's abstract slot: Hugging Face's
# Librarian Bot ("This is an automated message from the Librarian Bot. I found the
# following papers similar to this paper. ...") and the phrasing of other bots.
_BOT_TEXT = (
    r"(?i)this is an automated (?:message|comment|response)|librarian[ -]?bot"
    r"|i found the following papers similar to this paper"
    r"|the following papers were recommended by the semantic scholar api"
    r"|this (?:comment|message|summary) (?:was|has been|is) (?:automatically|auto-)generated"
    r"|^\s*(?:i am|i'm) a bot\b"
)
# A text with links and fewer words than this beside them is a pointer, not an abstract
# ("Code: https://...", "Project page: https://...", "arXiv explained breakdown of this
# paper 👉 https://...").
LINK_ONLY_MAX_WORDS = 10
# A word: a run of non-space characters with a letter in it; each CJK character counts
# as one, since Chinese and Japanese put no spaces between words.
_CJK = r"[\p{Han}\p{Hiragana}\p{Katakana}]"
_WORD = r"[^\s\p{Han}\p{Hiragana}\p{Katakana}]*\p{L}[^\s\p{Han}\p{Hiragana}\p{Katakana}]*"
# Page headers and navigation a scraper cut out as entries, by their title_key (lowercase,
# punctuation-free): the page's own name and menu items, never a paper's title.
_NAVIGATION_TITLE = (
    r"^(?:what is papers with code|papers with code|trending papers|daily papers"
    r"|hugging face(?: papers)?|get trending papers in your email inbox|subscribe"
    r"|sign in|sign up|log in|login|logout|newsletter|browse state of the art"
    r"|skip to (?:main )?content|table of contents|contents|menu|home|search|about"
    r"|next page|previous page|load more|show more|see all|back to top|privacy policy"
    r"|terms of service|terms|contact(?: us)?|trending|latest|top|new|submit a paper)$"
)


def word_count(text: pl.Expr) -> pl.Expr:
    """Words of ``text``: runs of non-space characters with a letter, each CJK
    character one."""
    return text.str.count_matches(_WORD) + text.str.count_matches(_CJK)


def words_outside_links(text: pl.Expr) -> pl.Expr:
    """Words of ``text`` once its links are cut out: what a reader has beside them (the
    definition :func:`with_words_beside_links` computes faster)."""
    return word_count(text.str.replace_all(LINK, " "))


# The abstract's words beside its links, a helper column while the language verdict and
# the rules run: both need it, and counting words is the costliest of the rules.
WORDS_BESIDE_LINKS = "_words_beside_links"
_WORDS_BESIDE_LINKS = pl.col(WORDS_BESIDE_LINKS)


def with_words_beside_links(df: pl.DataFrame) -> pl.DataFrame:
    """``df`` with the :data:`WORDS_BESIDE_LINKS` helper column (unchanged if present):
    the abstract's words beside its links, exact below :data:`WORDS_COUNTED_UP_TO`, at
    least that many otherwise (which is all the rules ask).

    A prefix of a text has at most the text's words (a word is a run with a letter, and
    the cut can only shorten the last run), so the words of the first
    WORDS_PREFIX_CHARS characters settle almost every abstract; only the texts with
    fewer there are counted in full. Counting every word of every abstract was the
    costliest rule (0.4 s per 29k abstracts)."""
    if WORDS_BESIDE_LINKS in df.columns:
        return df
    bare = df["abstract"].str.replace_all(LINK, " ")
    counts = _words(bare.str.slice(0, WORDS_PREFIX_CHARS))
    few = (counts < WORDS_COUNTED_UP_TO).fill_null(False).arg_true()
    if not few.is_empty():
        counts = counts.scatter(few, _words(bare.gather(few)))
    return df.with_columns(counts.alias(WORDS_BESIDE_LINKS))


def _words(texts: pl.Series) -> pl.Series:
    """:func:`word_count` of a series."""
    return pl.select(word_count(pl.lit(texts))).to_series()


JUNK_RULES: tuple[Rule, ...] = (
    Rule(
        "bot_comment",
        pl.when(pl.col("abstract").str.contains(_BOT_TEXT)).then(
            pl.lit("abstract is an automated comment, not an abstract")
        ),
    ),
    Rule(
        "link_only",
        pl.when(
            pl.col("abstract").str.contains(LINK) & (_WORDS_BESIDE_LINKS < LINK_ONLY_MAX_WORDS)
        ).then(
            pl.format(
                "abstract is links with {} words beside them (fewer than {})",
                _WORDS_BESIDE_LINKS,
                pl.lit(LINK_ONLY_MAX_WORDS),
            )
        ),
    ),
    Rule(
        "navigation_entry",
        pl.when(pl.col("title_key").str.contains(_NAVIGATION_TITLE)).then(
            pl.format("title '{}' is page navigation, not a paper", "title")
        ),
    ),
)


# Below this many words (outside links) or this confidence langdetect's answer is a
# guess: "A very interesting benchmark (ICLR2026) for T2I models!" (8 words) comes out
# as Danish with p = 1.0. Measured on the sample's sentences cut to k words, langdetect
# calls 0.7% of 8-word English lines another language with p >= 0.8, 0.06% at 12.
LANGUAGE_MIN_WORDS = 12
LANGUAGE_MIN_PROB = 0.8
# The words beside links are counted exactly up to this many: no rule asks further.
WORDS_COUNTED_UP_TO = max(LINK_ONLY_MAX_WORDS, LANGUAGE_MIN_WORDS)
WORDS_PREFIX_CHARS = 256
# The language of a text too short or too link-heavy to tell (ISO 639-2 "undetermined").
UNDETERMINED = "und"


def undetermined_language() -> dict[str, pl.Expr]:
    """``language`` and ``language_prob`` with every guess replaced by ``und`` (and a
    null probability): no language, no confident answer, or too few words beside the
    links. Such a text is neither rejected for its language nor counted in the dataset's
    language share. Determined answers stay langdetect's; a missing abstract keeps null.
    Reads the :func:`with_words_beside_links` column."""
    guess = (
        pl.col("language").is_null()
        | (pl.col("language_prob") < LANGUAGE_MIN_PROB)
        | (_WORDS_BESIDE_LINKS < LANGUAGE_MIN_WORDS)
    )
    und = pl.col("abstract").is_not_null() & guess
    return {
        "language": pl.when(und).then(pl.lit(UNDETERMINED)).otherwise(pl.col("language")),
        "language_prob": pl.when(und).then(None).otherwise(pl.col("language_prob")),
    }


def language_rule(languages: Sequence[str]) -> Rule:
    """Reject abstracts detected (not ``und``) in a language outside ``languages``."""
    prob = pl.col("language_prob").round(2).cast(pl.String)
    foreign = (
        pl.col("language").is_not_null()
        & (pl.col("language") != UNDETERMINED)
        & ~pl.col("language").is_in(list(languages))
    )
    return Rule(
        "language_not_allowed",
        pl.when(foreign).then(pl.format("abstract language is '{}' (p={})", "language", prob)),
    )


def bounds_rules(bounds: ExpectationSettings) -> tuple[Rule, ...]:
    """Record rules mirroring the dataset expectations, so one bad record is rejected
    with its reason instead of failing the whole version's checks."""
    title_len = pl.col("title").str.len_chars()
    abstract_len = pl.col("abstract").str.len_chars()
    return (
        Rule(
            UNDECODABLE_FLAG,
            pl.when(pl.col("flags").list.contains(UNDECODABLE_FLAG)).then(
                pl.lit("undecodable bytes in title or abstract")
            ),
        ),
        Rule(
            "title_too_short",
            pl.when(title_len < bounds.title_min_chars).then(
                pl.format("title too short ({} characters)", title_len)
            ),
        ),
        Rule(
            "title_looks_like_abstract",
            pl.when(
                (title_len > bounds.title_max_chars)
                | (
                    (pl.col("title").str.count_matches(SENTENCE_BREAK) >= 2)
                    & (pl.col("title").str.count_matches(r"\S+") > SENTENCED_TITLE_MAX_WORDS)
                )
            ).then(pl.lit("title looks like an abstract")),
        ),
        Rule(
            "abstract_too_short",
            pl.when(abstract_len < bounds.abstract_min_chars).then(
                pl.format("abstract too short ({} characters)", abstract_len)
            ),
        ),
        Rule(
            "abstract_too_long",
            pl.when(abstract_len > bounds.abstract_max_chars).then(
                pl.format("abstract too long ({} characters)", abstract_len)
            ),
        ),
        Rule(
            "page_chrome",
            pl.when(
                pl.col("title").str.contains(PAGE_CHROME_REGEX)
                | pl.col("abstract").str.contains(PAGE_CHROME_REGEX)
            ).then(pl.lit("page chrome in title or abstract")),
        ),
        Rule(
            "latex_remnant",
            pl.when(
                pl.col("title").str.contains(CONTROL_WORD)
                | pl.col("abstract").str.contains(CONTROL_WORD)
            ).then(
                pl.format(
                    "LaTeX left in the text: {}",
                    pl.concat_str(
                        ["title", "abstract"], separator=" ", ignore_nulls=True
                    ).str.extract(rf"({CONTROL_WORD})"),
                )
            ),
        ),
        Rule(
            "code_url_not_canonical",
            pl.when(~pl.col("code_url").str.contains(CANONICAL_CODE_URL)).then(
                pl.format("code_url is not a canonical repository URL: {}", "code_url")
            ),
        ),
    )


def record_rules(
    languages: Sequence[str] | None,
    bounds: ExpectationSettings | None = None,
) -> tuple[Rule, ...]:
    """The rules of a run: the fixed ones, the bounds of ``bounds`` (default bounds when
    None), and the language rule unless ``languages`` is empty or None (any language)."""
    language = (language_rule(languages),) if languages else ()
    return RULES + JUNK_RULES + bounds_rules(bounds or default_expectations()) + language


# Every reason code a record can carry, in the order rules apply: parse errors of the
# readers are ``unreadable_record``.
REASON_CODES: tuple[str, ...] = tuple(
    rule.name
    for rule in record_rules(languages=("any",))  # any list: with the language rule
)


def apply_record_rules(df: pl.DataFrame, rules: tuple[Rule, ...] = RULES) -> pl.DataFrame:
    """Set ``reason`` to the '; '-joined reasons of every rule a record breaks, else null,
    and ``reason_codes`` to those rules' names (empty when the record passes). The
    :data:`WORDS_BESIDE_LINKS` helper column is added if missing and dropped after."""
    reasons = pl.concat_list([r.reason.alias(r.name) for r in rules]).list.drop_nulls()
    codes = pl.concat_list(
        [pl.when(r.reason.is_not_null()).then(pl.lit(r.name)).alias(r.name) for r in rules]
    ).list.drop_nulls()
    # Lazily: the optimiser computes each rule's reason once for both columns (eager
    # ``with_columns`` evaluates every repeated expression again).
    return (
        with_words_beside_links(df)
        .lazy()
        .with_columns(
            reason=pl.when(reasons.list.len() > 0).then(reasons.list.join("; ")).cast(pl.String),
            reason_codes=codes.cast(pl.List(pl.String)),
        )
        .drop(WORDS_BESIDE_LINKS)
        .collect()
    )


def reason_counts(records: pl.DataFrame) -> dict[str, int]:
    """How many records each reason code rejected, most frequent first (a record that
    broke two rules counts once under each)."""
    counts = (
        records.select(pl.col("reason_codes").explode().drop_nulls().alias("code"))
        .group_by("code")
        .len()
        .sort(["len", "code"], descending=[True, False])
    )
    return dict(zip(counts["code"].to_list(), counts["len"].to_list(), strict=True))
