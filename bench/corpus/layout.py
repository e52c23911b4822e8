"""Page layout: one scrape day written as page dumps (chrome, glued titles, bad bytes)
or in another format, and its truth rows."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import numpy as np
import polars as pl

from bench.corpus.draws import Rng, hash_keys
from bench.corpus.edits import apply_edits
from bench.corpus.plan import Plan
from bench.corpus.shape import (
    BAD_BYTES,
    BAD_MARK,
    CHROME_LINES,
    EDITS,
    GLUED_CHROME,
    MALFORMED_CODE,
    MALFORMED_KINDS,
    PAGE_GLUE,
    S_MALFORM,
    START_DATE,
)
from bench.corpus.stats import NEAR_SIMILARITY_SAMPLE, Accumulator, jaccard, shingles
from bench.corpus.text import Texts
from bench.corpus_formats import write_day_as


def _steer_clear(malformed: np.ndarray, titles: list[str], page_start: np.ndarray) -> np.ndarray:
    """Keep a title-only entry away from a next line that starts with a lowercase letter.

    The reader takes "Title / lo-fi: distributed ... / abstract" for one abstract wrapped
    over three lines (a reader limit, see the tests), so such an entry keeps its abstract
    and gets bad bytes in it instead. Chrome before the next title ("Subscribelo-fi") or a
    page break in between is safe.
    """
    malformed = malformed.copy()
    for j in np.flatnonzero(malformed[:-1] == MALFORMED_CODE["missing_abstract"]):
        first = titles[j + 1][:1]
        glued = page_start[j + 1] or malformed[j + 1] == MALFORMED_CODE["chrome_glued"]
        if first.islower() and first.isascii() and not glued:
            malformed[j] = MALFORMED_CODE["bad_bytes"]
    return malformed


def _lay_out(
    titles: list[str],
    abstracts: list[str],
    malformed: np.ndarray,
    page_start: np.ndarray,
    keys: np.ndarray,
) -> tuple[list[str], np.ndarray]:
    """The file's lines, chrome at each page start and malformations applied, and the
    1-based line of each record's title."""
    lines: list[str] = []
    line_start = np.zeros(len(titles), np.int64)
    for j, (title, abstract, key) in enumerate(zip(titles, abstracts, keys.tolist(), strict=True)):
        kind = malformed[j]
        if page_start[j]:
            lines += CHROME_LINES
            title = PAGE_GLUE + title
        elif kind == MALFORMED_CODE["chrome_glued"]:
            title = Rng(key).pick(GLUED_CHROME) + title
        line_start[j] = len(lines) + 1
        lines.append(title)
        if kind == MALFORMED_CODE["bad_bytes"]:  # a couple of bytes that are not UTF-8
            at = len(abstract) // 10 + Rng(key).below(max(1, len(abstract) * 8 // 10))
            abstract = abstract[:at] + BAD_MARK + abstract[at:]
        if kind != MALFORMED_CODE["missing_abstract"]:
            lines.append(abstract)
    return lines, line_start


def write_day(
    day: int,
    rows: pl.DataFrame,
    texts: Texts,
    plan: Plan,
    raw_dir: Path,
    acc: Accumulator,
    as_jsonl: bool = False,
    fmt: str | None = None,
) -> None:
    """Generate, edit, damage and write one scrape day's file, and its truth rows.

    ``as_jsonl``: the day is a JSON-lines scrape ({"title", "abstract"} per line) instead
    of a page dump: no page chrome, and of the malformations only a missing abstract
    (the key left out) applies; the truth says so. ``fmt``: the same, in one of the
    other formats of :mod:`bench.corpus_formats`."""
    papers = rows.get_column("paper").to_numpy()
    plan_ids = rows.get_column("plan_id").to_numpy()
    edit = rows.get_column("edit").to_numpy()
    page_start = rows.get_column("page_start").to_numpy()
    canon_titles = texts.titles.gather(papers).to_list()
    canon = texts.abstracts(papers)
    titles, abstracts = apply_edits(texts, papers, plan_ids, edit, canon_titles, canon)
    _sample_near_similarity(acc, edit, (titles, abstracts), (canon_titles, canon))

    malformed = _steer_clear(rows.get_column("malformed").to_numpy(), titles, page_start)
    day_date = START_DATE + timedelta(days=day)
    if fmt is not None or as_jsonl:
        missing = malformed == MALFORMED_CODE["missing_abstract"]
        malformed = np.where(missing, malformed, 0).astype(malformed.dtype)
        page_start = np.zeros_like(page_start)
    if fmt is not None:
        data, line_start = write_day_as(fmt, titles, abstracts, missing, day_date, papers)
        name = f"{day_date}-trending.{fmt}"
    elif as_jsonl:
        lines = [
            json.dumps({"title": t} if gone else {"title": t, "abstract": a}, ensure_ascii=False)
            for t, a, gone in zip(titles, abstracts, missing.tolist(), strict=True)
        ]
        data = ("\n".join(lines) + "\n").encode("utf-8")
        line_start = np.arange(1, len(titles) + 1, dtype=np.int64)
        name = f"{day_date}-trending.jsonl"
    else:
        lines, line_start = _lay_out(
            titles, abstracts, malformed, page_start, hash_keys(texts.seed, S_MALFORM, plan_ids)
        )
        data = ("\n".join(lines) + "\n").encode("utf-8")
        name = f"{day_date}-trending.txt"
    if (malformed == MALFORMED_CODE["bad_bytes"]).any():
        data = data.replace(BAD_MARK.encode(), BAD_BYTES)
    (raw_dir / name).write_bytes(data)
    acc.truth.append(_truth_rows(name, papers, edit, malformed, line_start, plan.partner[papers]))
    acc.title_chars.append(pl.Series(titles, dtype=pl.String).str.len_chars().to_numpy())
    has_abstract = malformed != MALFORMED_CODE["missing_abstract"]
    kept = [a for a, h in zip(abstracts, has_abstract, strict=True) if h]
    acc.abstract_chars.append(pl.Series(kept, dtype=pl.String).str.len_chars().to_numpy())
    acc.full_stop += sum(a.endswith(".") for a in kept)
    acc.pages += int(page_start.sum())


def _sample_near_similarity(
    acc: Accumulator,
    edit: np.ndarray,
    edited: tuple[list[str], list[str]],
    originals: tuple[list[str], list[str]],
) -> None:
    """Similarity of near duplicates (titles, abstracts) to their original, on the
    first few of each type."""
    (titles, abstracts), (canon_titles, canon) = edited, originals
    for j in np.flatnonzero(edit > 0):
        sims = acc.near_similarity[EDITS[edit[j] - 1]]
        if len(sims) < NEAR_SIMILARITY_SAMPLE:
            changed = shingles(titles[j] + " " + abstracts[j])
            sims.append(jaccard(changed, shingles(canon_titles[j] + " " + canon[j])))


def _truth_rows(
    name: str,
    papers: np.ndarray,
    edit: np.ndarray,
    malformed: np.ndarray,
    line_start: np.ndarray,
    partner: np.ndarray,
) -> pl.DataFrame:
    """truth.parquet's rows for one file (see the module docstring of bench.make_corpus)."""
    edit_names = pl.Series([None, *EDITS], dtype=pl.String).gather(edit.astype(np.int64))
    mal_names = pl.Series([None, *MALFORMED_KINDS], dtype=pl.String).gather(
        malformed.astype(np.int64)
    )
    return pl.DataFrame(
        {
            "source_file": pl.Series([name] * len(papers), dtype=pl.String),
            "record_index": np.arange(len(papers), dtype=np.int64),
            "line_start": line_start,
            "paper": papers.astype(np.int64),
            "edit": edit_names,
            "title_collision": partner >= 0,
            "malformed": mal_names,
            "collides_with": partner.astype(np.int64),
        }
    ).with_columns(collides_with=pl.when(pl.col("title_collision")).then(pl.col("collides_with")))
