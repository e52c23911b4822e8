"""Truth and stats: similarity measures, and what stats.json reports about a corpus
against the sample."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from bench.corpus.draws import MASK64
from bench.corpus.plan import Plan
from bench.corpus.sample import corpus_model
from bench.corpus.shape import EDITS, MALFORMED_KINDS, START_DATE, WORD
from bench.corpus.text import Texts

# stats.json
SIMILARITY_PAIRS = 20_000  # distinct-paper pairs whose similarity stats.json reports
SIMILARITY_PAPERS = 4_000  # papers those pairs are drawn from
SHINGLE_WORDS = 5
SAMPLE_CLOSEST_PAIRS = 3  # the sample's most similar pairs, listed in stats.json
NEAR_SIMILARITY_SAMPLE = 1_000  # per edit type, for the near-duplicate similarity figures


def shingles(text: str, k: int = SHINGLE_WORDS) -> set[tuple[str, ...]]:
    """Word k-shingles of the lowercased text (words: runs of letters, digits, "_")."""
    words = WORD.findall(text.lower())
    if len(words) < k:
        return {tuple(words)} if words else set()
    return set(zip(*(words[i:] for i in range(k)), strict=False))


def jaccard(a: set[Any], b: set[Any]) -> float:
    """Jaccard similarity of two sets (two empty sets are identical)."""
    if not a and not b:
        return 1.0
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter)


def _similarity_summary(values: Sequence[float]) -> dict[str, float | int]:
    arr = np.asarray(values, dtype=np.float64)
    if not arr.size:
        return {"n_pairs": 0}
    return {
        "n_pairs": int(arr.size),
        "max": round(float(arr.max()), 4),
        "p99": round(float(np.percentile(arr, 99)), 4),
        "p95": round(float(np.percentile(arr, 95)), 4),
        "p50": round(float(np.percentile(arr, 50)), 4),
        "mean": round(float(arr.mean()), 4),
        "min": round(float(arr.min()), 4),
    }


@dataclass(frozen=True)
class CorpusStats:
    """What :func:`make_corpus` wrote; ``stats`` is the content of stats.json."""

    out_dir: Path
    n_records: int
    n_papers: int
    n_files: int
    seconds: float
    stats: dict[str, Any]


class Accumulator:
    """Per-file results gathered for truth.parquet and stats.json."""

    def __init__(self) -> None:
        self.truth: list[pl.DataFrame] = []
        self.title_chars: list[np.ndarray] = []
        self.abstract_chars: list[np.ndarray] = []
        self.full_stop = 0
        self.near_similarity: dict[str, list[float]] = {e: [] for e in EDITS}
        self.pages = 0


def _percentiles(values: np.ndarray) -> dict[str, float]:
    if not values.size:
        return {}
    p5, p50, p95 = np.percentile(values, [5, 50, 95])
    return {"p5": round(float(p5), 1), "p50": round(float(p50), 1), "p95": round(float(p95), 1)}


def _distinct_pairs(n_items: int, rng: np.random.Generator) -> np.ndarray:
    """At least SIMILARITY_PAIRS distinct unordered pairs (all of them when fewer exist)."""
    possible = n_items * (n_items - 1) // 2
    if possible <= 2 * SIMILARITY_PAIRS:
        a, b = np.triu_indices(n_items, 1)
        return np.stack([a, b], axis=1)
    a = rng.integers(0, n_items, 3 * SIMILARITY_PAIRS)
    b = rng.integers(0, n_items, 3 * SIMILARITY_PAIRS)
    pairs = np.unique(np.stack([np.minimum(a, b), np.maximum(a, b)], axis=1)[a != b], axis=0)
    return pairs[rng.permutation(len(pairs))[:SIMILARITY_PAIRS]]


def _pair_similarities(texts: list[str], pairs: np.ndarray) -> list[float]:
    sets = [shingles(t) for t in texts]
    return [jaccard(sets[a], sets[b]) for a, b in pairs.tolist()]


def sample_similarity() -> dict[str, Any]:
    """Similarity of every pair of papers in the real sample, and its closest pairs.

    The closest pairs matter: the sample itself holds two re-sightings of one work under
    different entries (a retitled version, and a revised one), which exact dedup keeps apart.
    """
    sample = corpus_model().sample
    docs = [f"{t} {a}" for t, a in zip(sample.titles, sample.abstracts, strict=True)]
    a, b = np.triu_indices(len(docs), 1)
    sims = _pair_similarities(docs, np.stack([a, b], axis=1))
    closest = np.argsort(-np.asarray(sims), kind="stable")[:SAMPLE_CLOSEST_PAIRS]
    return {
        **_similarity_summary(sims),
        "closest_pairs": [
            {"jaccard": round(sims[k], 4), "titles": [sample.titles[a[k]], sample.titles[b[k]]]}
            for k in closest.tolist()
        ],
    }


def _corpus_similarity(texts: Texts, plan: Plan, seed: int) -> dict[str, Any]:
    """Similarity of random pairs of distinct papers (deliberate title collisions left
    out), and of each title collision pair, on the papers' original texts."""
    rng = np.random.default_rng([seed & MASK64, 0x5EED])
    m = min(plan.n_papers, SIMILARITY_PAPERS)
    chosen = np.sort(rng.choice(plan.n_papers, m, replace=False))
    pairs = _distinct_pairs(m, rng)
    one, other = chosen[pairs[:, 0]], chosen[pairs[:, 1]]
    deliberate = (plan.partner[one] == other) | (plan.partner[other] == one)
    pairs = pairs[~deliberate]
    titles = texts.titles.gather(chosen).to_list()
    docs = [f"{t} {a}" for t, a in zip(titles, texts.abstracts(chosen), strict=True)]
    out: dict[str, Any] = {
        "distinct_papers": {"n_papers": m, **_similarity_summary(_pair_similarities(docs, pairs))}
    }
    coll = np.flatnonzero(plan.partner >= 0)[:2000]
    if coll.size:
        both = np.concatenate([coll, plan.partner[coll]])
        tt = texts.titles.gather(both).to_list()
        cdocs = [f"{t} {a}" for t, a in zip(tt, texts.abstracts(both), strict=True)]
        idx = np.arange(coll.size)
        out["title_collision_pairs"] = _similarity_summary(
            _pair_similarities(cdocs, np.stack([idx, idx + coll.size], axis=1))
        )
    return out


def corpus_stats(
    n: int, seed: int, days: int, plan: Plan, texts: Texts, truth: pl.DataFrame, acc: Accumulator
) -> dict[str, Any]:
    edits = truth.get_column("edit").fill_null("original").value_counts()
    edit_counts = dict(zip(edits["edit"].to_list(), edits["count"].to_list(), strict=True))
    mal = truth.get_column("malformed").drop_nulls().value_counts()
    mal_counts = dict(zip(mal["malformed"].to_list(), mal["count"].to_list(), strict=True))
    dups = truth.filter(pl.col("edit").is_not_null())
    originals = truth.filter(pl.col("edit").is_null()).select("paper", orig="source_file")
    same_day = dups.join(originals, on="paper").filter(pl.col("source_file") == pl.col("orig"))
    sample = corpus_model().sample
    title_chars = np.concatenate(acc.title_chars)
    abstract_chars = np.concatenate(acc.abstract_chars)
    sample_abstracts = np.asarray([len(a) for a in sample.abstracts])
    return {
        "seed": seed,
        "n_records": n,
        "n_papers": plan.n_papers,
        "n_files": len(acc.truth),
        "n_pages": acc.pages,
        "days": days,
        "start_date": str(START_DATE),
        "edit": {k: edit_counts.get(k, 0) for k in ("original", *EDITS)},
        "malformed": {k: mal_counts.get(k, 0) for k in MALFORMED_KINDS},
        "chrome_glued_page_starts": acc.pages,
        "title_collision_papers": int((plan.partner >= 0).sum()),
        "title_collision_records": int(truth.get_column("title_collision").sum()),
        "duplicates_same_day": same_day.height,
        "duplicates_later_day": dups.height - same_day.height,
        "lengths": {
            "title_chars": {
                "corpus": _percentiles(title_chars),
                "sample": _percentiles(np.asarray([len(t) for t in sample.titles])),
            },
            "abstract_chars": {
                "corpus": _percentiles(abstract_chars),
                "sample": _percentiles(sample_abstracts),
            },
            "abstract_ends_with_full_stop": {
                "corpus": round(acc.full_stop / max(abstract_chars.size, 1), 4),
                "sample": round(
                    sum(a.endswith(".") for a in sample.abstracts) / len(sample_abstracts), 4
                ),
            },
        },
        "similarity": {
            "measure": f"Jaccard of word {SHINGLE_WORDS}-shingles of lowercased title + abstract",
            "corpus": _corpus_similarity(texts, plan, seed),
            "sample_distinct_papers": sample_similarity(),
            "near_duplicates_vs_original": {
                k: _similarity_summary(v) for k, v in acc.near_similarity.items()
            },
        },
    }
