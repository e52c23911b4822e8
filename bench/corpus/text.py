"""Text generation: titles and abstracts walked from the chains, vectorised over the
papers of a file, with each paper's method name, numbers and code URL put in."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from bench.corpus.draws import draw, draw_below, hash_keys, mix, unit
from bench.corpus.sample import corpus_model
from bench.corpus.shape import (
    ABSTRACT_END_FLOOR,
    ABSTRACT_MAX_TOKENS,
    ABSTRACT_ORDER1_SHARE,
    ABSTRACT_OVERSHOOT_CHARS,
    ACRONYM_NAME_SHARE,
    CODE_LINK_ENDING_SHARE,
    CODE_LINK_ENDINGS,
    FULL_STOP_END,
    FUNCTION_WORD_END,
    GREEK_NAME_SHARE,
    GREEK_PREFIXES,
    LOWER_PREFIXES,
    LOWERCASE_NAME_SHARE,
    MIN_ABSTRACT_CHARS,
    MIN_TITLE_CHARS,
    NAME_MARK,
    NAME_PARTS,
    NAME_SUFFIXES,
    ORG_TAILS,
    S_ABSTRACT,
    S_ABSTRACT_LEN,
    S_NAME,
    S_SUBST,
    S_TITLE,
    S_TITLE_META,
    S_UNIQUE,
    SENTENCE_BREAK_RE,
    TITLE_ATTEMPTS,
    TITLE_CEILING_SCALE,
    TITLE_END_FLOOR,
    TITLE_MAX_CHARS,
    TITLE_MAX_TOKENS,
    TITLE_ORDER1_SHARE,
    TITLE_TARGET_SCALE,
    URL_MARK,
)
from bench.corpus.walks import join_tokens, walk_chains


def _jittered(samples: np.ndarray, keys: np.ndarray, spread: float = 0.1) -> np.ndarray:
    """Lengths drawn from the sample's own lengths, each stretched by up to +/-spread."""
    picked = samples[draw_below(draw(keys, 100), samples.size)]
    return picked * (1.0 - spread + 2.0 * spread * unit(draw(keys, 101)))


def _gather(values: Sequence[str], idx: np.ndarray) -> pl.Series:
    """``values[idx]`` as a polars Series, to build strings column-wise."""
    return pl.Series(values, dtype=pl.String).gather(idx)


class Texts:
    """The canonical text of every paper, regenerated on demand from (seed, paper).

    Titles (short) are made for all papers up front because they must be unique across
    the corpus and colliding titles copy other papers' titles; abstracts (long) are made
    per batch when a file needs them.
    """

    def __init__(
        self, seed: int, n_papers: int, partner: np.ndarray, same_title: np.ndarray
    ) -> None:
        self.seed = seed
        self.model = corpus_model()
        ids = np.arange(n_papers)
        self.names = self._names(ids)
        meta = hash_keys(seed, S_TITLE_META, ids)
        self.has_prefix = unit(draw(meta, 0)) < self.model.prefix_share
        descs = self._descs(hash_keys(seed, S_TITLE, ids), self.has_prefix, meta)
        self.titles, self.descs = self._unique_titles(descs, partner)
        self._collide(partner, same_title)

    def _names(self, ids: np.ndarray) -> pl.Series:
        k = hash_keys(self.seed, S_NAME, ids)
        d = [draw(k, i) for i in range(10)]
        parts, letters = NAME_PARTS, [chr(c) for c in range(ord("A"), ord("Z") + 1)]
        third = np.where(unit(d[2]) < 0.25, draw_below(d[3], len(parts)) + 1, 0)
        suffix = np.where(unit(d[4]) < 0.3, draw_below(d[5], len(NAME_SUFFIXES)) + 1, 0)
        camel = (
            _gather(parts, draw_below(d[0], len(parts)))
            + _gather(parts, draw_below(d[1], len(parts)))
            + _gather(("", *parts), third)
            + _gather(("", *NAME_SUFFIXES), suffix)
        )
        n_letters = 3 + draw_below(d[6], 3)
        acronym = _gather(letters, draw_below(d[7], 26))
        for i in range(1, 5):
            more = np.where(i < n_letters, draw_below(draw(k, 20 + i), 26) + 1, 0)
            acronym = acronym + _gather(("", *letters), more)
        u = unit(d[8])
        lower = _gather(LOWER_PREFIXES, draw_below(d[9], len(LOWER_PREFIXES)))
        greek = _gather(GREEK_PREFIXES, draw_below(d[9], len(GREEK_PREFIXES)))
        return pl.select(
            pl.when(pl.lit(u < LOWERCASE_NAME_SHARE))
            .then(lower + camel)
            .when(pl.lit(u < LOWERCASE_NAME_SHARE + GREEK_NAME_SHARE))
            .then(greek + camel)
            .when(pl.lit(u < LOWERCASE_NAME_SHARE + GREEK_NAME_SHARE + ACRONYM_NAME_SHARE))
            .then(acronym)
            .otherwise(camel)
        ).to_series()

    def urls(self, papers: np.ndarray) -> pl.Series:
        """Each paper's code URL: a GitHub repository named after the method."""
        k = hash_keys(self.seed, S_NAME, papers)
        org = (
            _gather(NAME_PARTS, draw_below(draw(k, 30), len(NAME_PARTS))).str.to_lowercase()
            + _gather(NAME_PARTS, draw_below(draw(k, 31), len(NAME_PARTS))).str.to_lowercase()
            + _gather(ORG_TAILS, draw_below(draw(k, 32), len(ORG_TAILS)))
        )
        repo = self.names.gather(papers).str.replace_all(r"[^A-Za-z0-9._-]", "")
        return "https://github.com/" + org + "/" + repo

    def _descs(self, keys: np.ndarray, named: np.ndarray, meta: np.ndarray) -> pl.Series:
        m = self.model
        targets = np.where(
            named, _jittered(m.desc_chars_named, meta), _jittered(m.desc_chars_plain, meta)
        )
        floors = np.maximum(targets * TITLE_END_FLOOR, MIN_TITLE_CHARS)
        flat, lengths = walk_chains(
            m.titles,
            keys,
            np.maximum(targets * TITLE_TARGET_SCALE, MIN_TITLE_CHARS),
            floors,
            np.maximum(targets * TITLE_CEILING_SCALE, MIN_TITLE_CHARS),
            TITLE_ORDER1_SHARE,
            TITLE_MAX_TOKENS,
        )
        return join_tokens(m.titles.vocab, flat, lengths)

    def _compose(self, names: pl.Series, descs: pl.Series, named: np.ndarray) -> pl.Series:
        return pl.select(
            pl.when(pl.lit(named)).then(names + ": " + descs).otherwise(descs)
        ).to_series()

    def _unique_titles(self, descs: pl.Series, partner: np.ndarray) -> tuple[pl.Series, pl.Series]:
        """Titles of distinct papers must differ, or "different paper, same title" would
        not be the deliberate, labelled exception. Re-walk duplicates until none is left."""
        titles = self._compose(self.names, descs, self.has_prefix)
        free = pl.Series(partner < 0)
        for attempt in range(1, TITLE_ATTEMPTS + 1):
            # Colliders are left out: their titles are overwritten by _collide.
            dup = (
                pl.DataFrame({"key": title_key(titles)})
                .with_row_index()
                .filter(free)
                .filter(~pl.col("key").is_first_distinct())
                .get_column("index")
                .to_numpy()
                .astype(np.int64)
            )
            dup = np.union1d(dup, np.flatnonzero(_unlike_titles(titles)))
            if not dup.size:
                break
            if attempt == TITLE_ATTEMPTS:
                raise RuntimeError(f"{dup.size} titles still repeat after {attempt} attempts")
            keys = hash_keys(self.seed, S_UNIQUE * 1000 + attempt, dup)
            self.has_prefix[dup] |= attempt > 2  # a method name makes a title unique
            new = self._descs(keys, self.has_prefix[dup], keys)
            descs = descs.scatter(dup, new)
            titles = titles.scatter(
                dup, self._compose(self.names.gather(dup), new, self.has_prefix[dup])
            )
        return titles, descs

    def _collide(self, partner: np.ndarray, same_title: np.ndarray) -> None:
        """Colliders take their partner's whole title, or its description behind their
        own method name: different work, same title phrase."""
        coll = np.flatnonzero(partner >= 0)
        if not coll.size:
            return
        src = partner[coll]
        short = self.descs.gather(src).str.count_matches(r"\S+").to_numpy() < 3
        same = same_title[coll] | short
        own = self.names.gather(coll) + ": " + self.descs.gather(src)
        new = pl.select(pl.when(pl.lit(same)).then(self.titles.gather(src)).otherwise(own))
        self.titles = self.titles.scatter(coll, new.to_series())
        self.descs = self.descs.scatter(coll, self.descs.gather(src))
        self.has_prefix[coll] = np.where(same, self.has_prefix[src], True)

    def abstract_texts(
        self,
        papers: np.ndarray,
        walk_keys: np.ndarray,
        targets: np.ndarray,
        endings: list[str] | None = None,
    ) -> list[str]:
        """Abstract walks for ``papers`` (repeats allowed), with that paper's numbers,
        datasets, models, name and URL filled in."""
        m = self.model
        if not papers.size:
            return []
        floors = targets * ABSTRACT_END_FLOOR
        ceilings = np.full(targets.size, np.inf)
        flat, lengths = walk_chains(
            m.abstracts,
            walk_keys,
            targets,
            floors,
            ceilings,
            ABSTRACT_ORDER1_SHARE,
            ABSTRACT_MAX_TOKENS,
        )
        subst = np.repeat(hash_keys(self.seed, S_SUBST, papers), lengths)
        base = m.slots.base[flat]
        slotted = base >= 0
        if slotted.any():
            starts = np.repeat(np.cumsum(lengths) - lengths, lengths)
            occurrence = (np.arange(flat.size) - starts).astype(np.uint64)
            key = m.slots.key[flat]
            salt = np.where(key > 0, key + np.uint64(1 << 40), occurrence)[slotted]
            pick = draw_below(mix(subst[slotted] ^ (salt * np.uint64(0x9E3779B97F4A7C15))), 1 << 30)
            flat = flat.copy()
            flat[slotted] = base[slotted] + pick % m.slots.size[flat[slotted]]
        # Plain Python joins: the callers need Python strings, and this beats Arrow here.
        tokens = m.slots.ext_tokens[flat].tolist()
        ends = np.cumsum(lengths).tolist()
        starts = [0, *ends[:-1]]
        tails = [""] * papers.size if endings is None else endings
        names = self.names.gather(papers).to_list()
        urls = self.urls(papers).to_list()
        return [
            (" ".join(tokens[a:b]) + tail).replace(NAME_MARK, name).replace(URL_MARK, url)
            for a, b, tail, name, url in zip(starts, ends, tails, names, urls, strict=True)
        ]

    def abstracts(self, papers: np.ndarray) -> list[str]:
        """The canonical abstract of each paper."""
        lens = hash_keys(self.seed, S_ABSTRACT_LEN, papers)
        targets = _jittered(self.model.abstract_chars, lens) - ABSTRACT_OVERSHOOT_CHARS
        targets = np.maximum(targets, MIN_ABSTRACT_CHARS)
        link = unit(draw(lens, 200)) < CODE_LINK_ENDING_SHARE
        choice = np.where(link, draw_below(draw(lens, 201), len(CODE_LINK_ENDINGS)) + 1, 0)
        tails = ("", *(" " + e + URL_MARK for e in CODE_LINK_ENDINGS))
        endings = _gather(tails, choice).to_list()
        return self.abstract_texts(
            papers, hash_keys(self.seed, S_ABSTRACT, papers), targets, endings
        )

    def new_descs(self, keys: np.ndarray, papers: np.ndarray) -> list[str]:
        """Fresh title descriptions (for retitles), one per key."""
        descs = self._descs(keys, self.has_prefix[papers], keys)
        for attempt in range(1, TITLE_ATTEMPTS + 1):
            bad = np.flatnonzero(_unlike_titles("Name: " + descs))
            if not bad.size:
                break
            salted = mix(keys[bad] ^ np.uint64(attempt))
            descs = descs.scatter(bad, self._descs(salted, self.has_prefix[papers[bad]], salted))
        return descs.to_list()


def _unlike_titles(titles: pl.Series) -> np.ndarray:
    """Which titles no real listing has, and the reader would not read as titles: too
    long, ending on a full stop or a function word, or holding several sentences."""
    return (
        (titles.str.len_chars() > TITLE_MAX_CHARS)
        | titles.str.contains(FUNCTION_WORD_END.pattern)
        | titles.str.contains(FULL_STOP_END.pattern)
        | (titles.str.count_matches(SENTENCE_BREAK_RE.pattern) >= 2)
    ).to_numpy()


def unlike_title(title: str) -> bool:
    """:func:`_unlike_titles` for one title."""
    return (
        len(title) > TITLE_MAX_CHARS
        or bool(FUNCTION_WORD_END.search(title))
        or bool(FULL_STOP_END.search(title))
        or len(SENTENCE_BREAK_RE.findall(title)) >= 2
    )


def title_key(titles: pl.Series) -> pl.Series:
    """Lowercase, punctuation-free title: two titles are "the same" when these match."""
    return titles.str.to_lowercase().str.replace_all(r"[^\p{L}\p{N}]+", " ").str.strip_chars()


def sentence_case(title: str) -> str:
    """Lowercase capitalised words after the first; acronyms and CamelCase stay."""

    def fix(word: str) -> str:
        return "-".join(
            p.lower() if p[:1].isupper() and p[1:].islower() else p for p in word.split("-")
        )

    words = title.split(" ")
    return " ".join([words[0], *(fix(w) for w in words[1:])])


def title_case(title: str) -> str:
    return " ".join(w[:1].upper() + w[1:] if w[:1].islower() else w for w in title.split(" "))
