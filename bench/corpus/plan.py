"""The plan: every record's paper, edit, day, position, page and malformation, decided
before any text is made (the corpus's ground truth)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from bench.corpus.draws import MASK64
from bench.corpus.shape import (
    EDITS,
    EXACT_RATE,
    MALFORMED_CODE,
    MALFORMED_KINDS,
    MALFORMED_RATES,
    MAX_PAGES_PER_FILE,
    MIN_DEFAULT_DAYS,
    MIN_RECORDS_PER_PAGE,
    MULTI_PAGE_FILE_SHARE,
    NEAR_EDITS,
    NEAR_RATE,
    RECORDS_PER_FILE,
    SAME_DAY_DUPLICATE_SHARE,
    SAME_TITLE_COLLISION_SHARE,
    TITLE_COLLISION_RATE,
)


@dataclass(frozen=True)
class Plan:
    records: pl.DataFrame  # plan_id, paper, edit, day, page_start, malformed; file order
    n_papers: int
    partner: np.ndarray  # per paper: the paper whose title it collides with, or -1
    same_title: np.ndarray  # per paper: the collision copies the whole title


def plan_corpus(n: int, seed: int, days: int) -> Plan:
    """Decide every record's paper, edit, day, position, page and malformation. The
    steps draw from one generator in a fixed order: the plan of a (n, seed, days) never
    changes."""
    rng = np.random.default_rng([seed & MASK64, 0xC0FFEE])
    n_exact = round(n * EXACT_RATE)
    n_each = round(n * NEAR_RATE / len(NEAR_EDITS))
    n_papers = n - n_exact - n_each * len(NEAR_EDITS)
    orig_day = np.sort(rng.integers(0, days, n_papers))
    partner, same_title = _title_collisions(rng, n, n_papers)
    codes = np.repeat(np.arange(1, len(EDITS) + 1), [n_exact] + [n_each] * len(NEAR_EDITS))
    records, day = _sightings(rng, n, orig_day, days, codes.astype(np.int8))
    page_start = _page_starts(rng, records, n)
    malformed = _malformed(rng, n, page_start, day)
    records = records.with_columns(page_start=pl.Series(page_start), malformed=pl.Series(malformed))
    return Plan(records, n_papers, partner, same_title)


def _title_collisions(
    rng: np.random.Generator, n: int, n_papers: int
) -> tuple[np.ndarray, np.ndarray]:
    """Title collisions: a later paper takes the title (phrase) of an earlier one.
    Per paper: the paper it collides with (or -1), and whether it takes the whole title."""
    partner = np.full(n_papers, -1, np.int64)
    same_title = np.zeros(n_papers, bool)
    n_coll = min(round(n * TITLE_COLLISION_RATE), max(n_papers - 1, 0) // 2)
    if n_coll:
        coll = np.sort(rng.choice(np.arange(1, n_papers), n_coll, replace=False))
        free = np.setdiff1d(np.arange(n_papers), coll)
        below = np.searchsorted(free, coll)  # >= 1: paper 0 is never a collider
        partner[coll] = free[(rng.random(n_coll) * below).astype(np.int64)]
        same_title[coll] = rng.random(n_coll) < SAME_TITLE_COLLISION_SHARE
    return partner, same_title


def _sightings(
    rng: np.random.Generator, n: int, orig_day: np.ndarray, days: int, codes: np.ndarray
) -> tuple[pl.DataFrame, np.ndarray]:
    """Every record (originals, then re-sightings with their edit ``codes``) with its
    paper and day, in file order; and the records' days in that order. Re-sightings
    are mostly on a later day (recent papers more often), some the same day."""
    n_papers, n_dup = orig_day.size, codes.size
    day_start = np.searchsorted(orig_day, np.arange(days + 1))
    codes = rng.permutation(codes)
    src = rng.integers(0, max(n_papers, 1), n_dup)
    dup_day = orig_day[src] if n_dup else np.zeros(0, np.int64)
    if days > 1 and n_dup:
        later = rng.random(n_dup) >= SAME_DAY_DUPLICATE_SHARE
        d = rng.integers(1, days, n_dup)
        before = day_start[d]
        later &= before > 0
        back = (before * rng.random(n_dup) ** 2).astype(np.int64)
        src = np.where(later, np.maximum(before - 1 - back, 0), src)
        dup_day = np.where(later, d, orig_day[src])

    paper = np.concatenate([np.arange(n_papers), src]).astype(np.int64)
    day = np.concatenate([orig_day, dup_day]).astype(np.int64)
    plan_id = np.arange(n, dtype=np.int64)
    slot = np.argsort(np.lexsort((rng.random(n), day)))  # a random order within each day
    # Within a day the original comes first among the sightings of its paper: the sightings
    # of a (day, paper) take that group's slots in plan order (originals have the lowest ids).
    by_plan = np.lexsort((plan_id, paper, day))
    by_slot = np.lexsort((slot, paper, day))
    slot[by_plan] = slot[by_slot]
    order = np.argsort(slot)
    records = pl.DataFrame(
        {
            "plan_id": plan_id[order],
            "paper": paper[order],
            "edit": np.concatenate([np.zeros(n_papers, np.int8), codes])[order],
            "day": day[order].astype(np.int32),
        }
    )
    return records, day[order]


def _page_starts(rng: np.random.Generator, records: pl.DataFrame, n: int) -> np.ndarray:
    """Per record, whether it starts a page: some files hold several page dumps; each
    page starts with chrome + "Subscribe"."""
    per_day = records.group_by("day", maintain_order=True).len().get_column("len").to_numpy()
    per_day = per_day.astype(np.int64)
    offsets = np.cumsum(per_day) - per_day
    roomy = per_day >= 2 * MIN_RECORDS_PER_PAGE
    multi = roomy & (rng.random(per_day.size) < MULTI_PAGE_FILE_SHARE)
    if roomy.any() and not multi.any():  # every corpus has some concatenated dumps
        multi[np.argmax(per_day)] = True
    pages = np.minimum(
        rng.integers(2, MAX_PAGES_PER_FILE + 1, per_day.size), per_day // MIN_RECORDS_PER_PAGE
    )
    page_start = np.zeros(n, bool)
    page_start[offsets] = True
    for d in np.flatnonzero(multi):
        cuts = rng.choice(np.arange(1, per_day[d]), pages[d] - 1, replace=False)
        page_start[offsets[d] + cuts] = True
    return page_start


def _malformed(
    rng: np.random.Generator, n: int, page_start: np.ndarray, day: np.ndarray
) -> np.ndarray:
    """Per record, its malformation code (0: none). Never on a page's first record (that
    one has chrome glued anyway)."""
    malformed = np.where(page_start, MALFORMED_CODE["chrome_glued"], 0).astype(np.int8)
    want = [round(n * MALFORMED_RATES[k]) for k in MALFORMED_KINDS]
    eligible = np.flatnonzero(~page_start)
    chosen = rng.choice(eligible, min(sum(want), eligible.size), replace=False)
    kinds = np.repeat(np.arange(1, len(MALFORMED_KINDS) + 1), want)[: chosen.size]
    malformed[chosen] = kinds.astype(np.int8)
    # Two title-only entries in a row read as a title wrapped over two lines: keep them apart.
    missing = malformed == MALFORMED_CODE["missing_abstract"]
    clash = missing & np.concatenate([[False], missing[:-1] & (day[1:] == day[:-1])])
    malformed[clash] = MALFORMED_CODE["bad_bytes"]
    return malformed


def default_days(n_records: int) -> int:
    """Days (files) for a corpus: ~RECORDS_PER_FILE records each, at least a few files."""
    return max(1, min(n_records, max(MIN_DEFAULT_DAYS, round(n_records / RECORDS_PER_FILE))))
