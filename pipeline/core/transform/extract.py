"""Field extraction: code links, URLs, arXiv references, method names, datasets, tasks.

Everything here is a vectorised polars expression over the whole column: URLs are
pulled out with one ``extract_all`` and canonicalised inside ``list.eval``;
datasets and tasks are matched with one regex alternation per vocabulary (the
regex engine compiles it to a single automaton), and the matched alias is mapped
to its canonical name by a join-free ``replace_strict``. No Python loop per row.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

import polars as pl

from pipeline.core.names import CODE_HOSTS_PATTERN, HUGGING_FACE_PATTERN, REPO_HOSTS_PATTERN
from pipeline.core.transform.acronym import acronym_rules, first_name
from pipeline.core.transform.latex import clean_latex

# A URL starts at its scheme even when a word is glued in front ("frameworkhttps://"),
# or a space slipped into it ("https: //github.com/..."), or at a code host's name when
# the scheme is left out ("github.com/showlab/FocusUI"), and stops at whitespace, a
# brace (LaTeX "Name{https://...}") or a quote.
LINK = (
    rf"(?i:https?: ?//|www\.|(?-u:\b)(?:{CODE_HOSTS_PATTERN})/)"
    r"[^\s{}<>\"'`\\]+"
)
_URL = LINK
_TRAILING = r"[.,;:!?'\")\]}>]+$"
# owner/repo of a code host; the repo drops a ".git" suffix and any deeper path.
_REPO = (
    rf"^(?:https?://)?(?:www\.)?({REPO_HOSTS_PATTERN})/([A-Za-z0-9_.-]+)/([A-Za-z0-9_.-]+?)"
    r"(?:\.git)?(?:[/?#].*)?$"
)
# Hugging Face repos: models at the root, spaces and datasets under their prefix.
_HF_NOT_OWNERS = "papers|docs|blog|learn|models|collections|organizations|login|join|settings|api"
_HF_REPO = (
    rf"^(?:https?://)?(?:www\.)?{HUGGING_FACE_PATTERN}/((?:spaces/|datasets/)?)"
    r"((?:[A-Za-z0-9_.-]+))/([A-Za-z0-9_.-]+?)(?:\.git)?(?:[/?#].*)?$"
)
_HF_EXCLUDED = rf"^(?:https?://)?(?:www\.)?{HUGGING_FACE_PATTERN}/(?:{_HF_NOT_OWNERS})(?:/|$)"
_ARXIV_REF = (
    r"(?i)(?:arxiv:\s*|arxiv\.org/(?:abs|pdf)/)"
    r"(\d{4}\.\d{4,5}|[a-z-]+(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?"
)
_ARXIV_REF_ID = r"(?i)^(?:arxiv:\s*|.*arxiv\.org/(?:abs|pdf)/)([^v\s]+?)(?:v\d+)?(?:\.pdf)?$"
_RELEASABLE = (
    r"(?:code|codes|source code|implementation|models?|weights|checkpoints|data|datasets?"
    r"|benchmark|toolkit|library|software|demo|framework)"
)
# Bounded repeats like [^.]{0,100} and Unicode word boundaries push polars' regex
# engine off its fast DFA path (10x slower on 10k abstracts): "[^.]*?" keeps a match
# inside one sentence, and boundaries are ASCII.
_CODE_PROMISE = "|".join(
    [
        # "code is available", "models will be made publicly available", "has been released"
        rf"(?i)(?-u:\b){_RELEASABLE}(?-u:\b)[^.]*?(?-u:\b)(?:is|are|will be|has been"
        r"|have been|shall be|were|was)\s+(?:made\s+)?(?:publicly\s+|freely\s+|openly\s+)?"
        r"(?:available|released|open[- ]?sourced?|public|accessible|published|shared)",
        r"(?i)(?-u:\b)(?:we|will|to)\s+(?:publicly\s+)?(?:release|open[- ]?source)(?-u:\b)",
        r"(?i)(?-u:\b)open[- ]?sourc(?:e|ed|ing)\s+(?:our|the|its|all|both)(?-u:\b)",
        rf"(?i)(?-u:\b)(?:releas(?:e|ing)|provide|share|shared|sharing)\s+(?:\w+\s+){{0,4}}?"
        rf"{_RELEASABLE}(?-u:\b)",
        # "we have made our models publicly available", not "data to be made available"
        r"(?i)(?-u:\b)(?:have|has|we|are|is|will\s+be)\s+made\s+(?:[\w-]+\s+){0,6}?"
        r"(?:publicly\s+|freely\s+|openly\s+)?available",
        r"(?i)(?-u:\b)shared\s+(?:it|them)\s+with\s+the\s+(?:community|public)",
        rf"(?i)(?-u:\b){_RELEASABLE}(?-u:\b)[^.]*(?-u:\b)coming soon",
        r"(?i)(?-u:\b)(?:code|project page|github)\s*:",
        rf"(?i)(?-u:\b){_RELEASABLE}(?-u:\b)[^.]*?(?:https?://|www\.)",
        r"(?i)(?-u:\b)available\s+(?:at|on|from|via)(?-u:\b)",
    ]
)
_REPRODUCTION = r"^\s*\[(?i:re)\]"
_SUPERSEDED = (
    r"(?i)(?:older|earlier|previous|outdated|old)\s+version(?-u:\b)[^\n]*?"
    r"(?:arxiv:\s*|arxiv\.org/(?:abs|pdf)/)(\d{4}\.\d{4,5})"
)


@dataclass(frozen=True)
class Vocabulary:
    """Canonical names with their aliases; matched on word boundaries."""

    name: str
    alias_to_canonical: dict[str, str]  # lowercased alias -> canonical
    pattern: str  # one alternation of every alias

    @property
    def canonical_names(self) -> list[str]:
        return sorted(set(self.alias_to_canonical.values()))


def _alias_pattern(alias: str, case_sensitive: bool) -> str:
    """One alias, bounded by ``\\b`` on each end that is a word character.

    polars' regex engine has no look-around, and a plain word boundary after a
    non-word end ("FaceForensics++") would demand a word character next.
    """
    body = pl.escape_regex(alias)
    if case_sensitive:
        body = f"(?-i:{body})"
    # ASCII boundaries: Unicode ones push polars' regex engine off its fast DFA path.
    start = r"(?-u:\b)" if alias[0].isalnum() or alias[0] == "_" else ""
    end = r"(?-u:\b)" if alias[-1].isalnum() or alias[-1] == "_" else ""
    return f"{start}{body}{end}"


def _alternation(aliases: list[tuple[str, bool]]) -> str:
    """One case-insensitive alternation of every alias, longest first, so the longest
    alias at a position wins ("COCO-Stuff" over "COCO", "visual question answering"
    over "question answering") and matches never overlap."""
    ordered = sorted(set(aliases), key=lambda a: (-len(a[0]), a[0]))
    return "(?i)(?:" + "|".join(_alias_pattern(a, cs) for a, cs in ordered) + ")"


@cache
def load_vocabulary(name: str) -> Vocabulary:
    """Read ``pipeline/vocab/<name>.csv`` (canonical, alias, case_sensitive)."""
    text = resources.files("pipeline").joinpath("vocab", f"{name}.csv").read_text("utf-8")
    rows = list(csv.DictReader(text.splitlines()))
    return Vocabulary(
        name=name,
        alias_to_canonical={r["alias"].strip().lower(): r["canonical"].strip() for r in rows},
        pattern=_alternation(
            [(r["alias"].strip(), r["case_sensitive"].strip() == "true") for r in rows]
        ),
    )


def _match_vocabulary(text: pl.Expr, vocab: Vocabulary) -> pl.Expr:
    """Sorted canonical names whose aliases occur in ``text``."""
    return text.str.extract_all(vocab.pattern).list.eval(
        pl.element()
        .str.to_lowercase()
        .replace_strict(vocab.alias_to_canonical, default=None)
        .drop_nulls()
        .unique()
        .sort()
    )


def _clean_url(e: pl.Expr) -> pl.Expr:
    """Trailing punctuation off, the slipped-in space out of "https: //", and a scheme
    for a bare code-host link, so every URL is one an http client can follow."""
    return (
        e.str.replace(_TRAILING, "")
        .str.replace(_TRAILING, "")
        .str.replace(r"^(?i)(https?): //", "${1}://")
        .str.replace(rf"^(?i)((?:{CODE_HOSTS_PATTERN})/)", "https://${1}")
    )


def _canonical_repo(e: pl.Expr) -> pl.Expr:
    """https://host/owner/repo for code-host and Hugging Face repo URLs, else null."""
    code_host = pl.when(e.str.contains(_REPO)).then(e.str.replace(_REPO, "https://${1}/${2}/${3}"))
    hf = pl.when(e.str.contains(_HF_REPO) & ~e.str.contains(_HF_EXCLUDED)).then(
        e.str.replace(_HF_REPO, "https://huggingface.co/${1}${2}/${3}")
    )
    return pl.coalesce(code_host, hf)


def clean_text_latex(df: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    """Resolve LaTeX in ``columns``, only on the rows that contain markup at all.

    Most abstracts have none, so filtering first keeps the 40-odd regex passes of
    :func:`clean_latex` off the hot path.
    """
    marked = pl.any_horizontal([pl.col(c).str.contains(r"[\\{}$]") for c in columns])
    df = df.with_row_index("_row")
    dirty = df.filter(marked.fill_null(False))
    if dirty.is_empty():
        return df.drop("_row")
    fixed = dirty.with_columns(
        [clean_latex(pl.col(c)).str.replace_all(r"\s+", " ").str.strip_chars() for c in columns]
    )
    return pl.concat([df.filter(~marked.fill_null(False)), fixed]).sort("_row").drop("_row")


def _on_rows(df: pl.DataFrame, mask: pl.Expr, **columns: pl.Expr) -> pl.DataFrame:
    """Add ``columns`` computed on the rows where ``mask`` holds; null elsewhere."""
    indexed = df.with_row_index("_row")
    part = indexed.filter(mask).select("_row", **columns)
    return indexed.join(part, on="_row", how="left", maintain_order="left").drop("_row")


def _word_count(text: pl.Expr) -> pl.Expr:
    """Words in ``text``, which is normalised: single spaces, trimmed (see
    ``normalize.clean_text``). Counting the spaces is 5x faster than matching ``\\S+``."""
    return (
        pl.when(text.str.len_bytes() > 0)
        .then(text.str.count_matches(" ") + 1)
        .otherwise(0)
        .cast(pl.Int64)
    )


def extract_fields(df: pl.DataFrame) -> pl.DataFrame:
    """Add the extracted columns, computed from ``title``/``abstract`` (normalised text).

    URLs and arXiv references are read before LaTeX is resolved (markup can hide
    or glue URLs, and the URL pattern already stops at braces); method names,
    datasets and tasks are read from the clean text.
    """
    text = pl.concat_str([pl.col("title"), pl.col("abstract")], separator="\n", ignore_nulls=True)
    urls = text.str.extract_all(_URL).list.eval(_clean_url(pl.element()))
    df = df.with_columns(_urls=urls.list.unique(maintain_order=True))
    # A repository a source names in a field of its own (an HF githubRepo, a listing's
    # "GitHub" link line) is a code link as much as one in the text. (Text-only frames,
    # as callers of this function alone pass, have no such field.)
    own_repo = (
        pl.concat_list([_canonical_repo(_clean_url(pl.col("repo_url")))]).list.drop_nulls()
        if "repo_url" in df.columns
        else pl.lit([], dtype=pl.List(pl.String))
    )
    df = df.with_columns(
        code_urls=pl.concat_list(
            [pl.col("_urls").list.eval(_canonical_repo(pl.element()).drop_nulls()), own_repo]
        ).list.unique(maintain_order=True),
        urls=pl.col("_urls").list.eval(
            pl.element().filter(_canonical_repo(pl.element()).is_null())
        ),
        arxiv_ids=text.str.extract_all(_ARXIV_REF)
        .list.eval(pl.element().str.replace(_ARXIV_REF_ID, "${1}"))
        .list.unique(maintain_order=True),
        is_reproduction=pl.col("title").str.contains(_REPRODUCTION).fill_null(False),
    ).drop("_urls")
    # Only an abstract that cites an arXiv id can point to a newer version of itself:
    # the regex runs on those few rows instead of every abstract.
    df = _on_rows(
        df,
        pl.col("arxiv_ids").list.len() > 0,
        superseded_by=pl.col("abstract").str.extract(_SUPERSEDED, 1),
    )
    df = clean_text_latex(df, ["title", "abstract"])
    clean = pl.concat_str([pl.col("title"), pl.col("abstract")], separator="\n", ignore_nulls=True)
    acronyms = acronym_rules(df)
    return (
        df.with_columns(
            code_url=pl.col("code_urls").list.first(),
            code_promised=(pl.col("code_urls").list.len() > 0)
            | pl.col("abstract").str.contains(_CODE_PROMISE).fill_null(False),
            datasets=_match_vocabulary(clean, load_vocabulary("datasets")),
            tasks=_match_vocabulary(clean, load_vocabulary("tasks")),
            n_words=_word_count(pl.col("abstract")),
            **acronyms,
        )
        .with_columns(acronym=first_name(acronyms))
        .drop(list(acronyms))
    )
