"""The compiled shingle kernels against a plain-Python statement of what they compute:
words, 3-shingles, one-permutation MinHash with densification, exact Jaccard."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.core.dedup import near_dup
from pipeline.core.dedup import shingle_params as kernels
from tests.conftest import REPO, TEST_DATA

MASK64 = (1 << 64) - 1
REALDATA = TEST_DATA / "realdata"
SEED = REPO / "data" / "raw"


def words(text: str) -> list[str]:
    """Runs of letters and digits of the lowercased text (WORD_PATTERN)."""
    out, word = [], []
    for char in text.lower() + " ":
        if char.isalnum():
            word.append(char)
        elif word:
            out.append("".join(word))
            word = []
    return out


def fnv1a(word: str) -> int:
    h = int(kernels.FNV_OFFSET)
    for byte in word.encode():
        h = ((h ^ byte) * int(kernels.FNV_PRIME)) & MASK64
    return h


def reference_shingles(text: str | None) -> set[int]:
    hashes = [fnv1a(w) for w in words(text or "")]
    if len(hashes) < 3:
        return set(hashes)
    c1, c2 = int(kernels.C1), int(kernels.C2)
    return {
        (a * c1 + b * c2 + c) & MASK64
        for a, b, c in zip(hashes, hashes[1:], hashes[2:], strict=False)
    }


def mix(x: int) -> int:
    x ^= int(kernels.SIGNATURE_SEED)
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK64
    return x ^ (x >> 31)


def reference_signature(text: str | None) -> list[int]:
    bins = [None] * kernels.NUM_BINS
    for shingle in reference_shingles(text):
        mixed = mix(shingle)
        b, value = mixed >> (64 - kernels.BIN_BITS), mixed & ((1 << (64 - kernels.BIN_BITS)) - 1)
        bins[b] = value if bins[b] is None else min(bins[b], value)
    if all(v is None for v in bins):
        return [0xFFFFFFFF] * kernels.NUM_BINS
    out = []
    for b, value in enumerate(bins):
        distance = 0
        while value is None:
            distance += 1
            value = bins[(b + distance) % kernels.NUM_BINS]
        out.append((value + distance * int(kernels.MIX)) & 0xFFFFFFFF)
    return out


def real_texts() -> list[str | None]:
    """Titles and abstracts of the real samples: the seed dump, Hugging Face daily papers
    (non-ASCII, LaTeX, URLs) and arXiv records."""
    texts: list[str | None] = SEED.joinpath("2026-11-23-trending.txt").read_text().splitlines()
    daily = json.loads((REALDATA / "hf-daily-papers-api-2025-09-30.json").read_text())
    texts += [p["paper"]["title"] + " " + p["paper"]["summary"] for p in daily]
    arxiv = json.loads((REALDATA / "arxiv-metadata-snapshot-sample.json").read_text())
    texts += [r["title"] + " " + r["abstract"] for r in arxiv]
    return [
        *texts,
        None,
        "",
        "   ",
        "one",
        "two words",
        "Ünïcödé wörds, ÉCOLE naïve",
        "東京 大学",
        "A state‑of‑the‑art “quoted” model — 2×faster on α-β tasks’ data…",
    ]


def test_shingle_sets_and_signatures_match_the_definition_on_real_texts() -> None:
    texts = real_texts()
    assert sum(1 for t in texts if t and not t.isascii()) >= 4  # both paths are exercised
    values, starts = near_dup.shingle_sets(pl.Series(texts, dtype=pl.String))
    signatures = near_dup.signatures(pl.Series(texts, dtype=pl.String))
    for i, text in enumerate(texts):
        got = values[starts[i] : starts[i + 1]]
        assert list(got) == sorted(reference_shingles(text)), text
        assert signatures[i].tolist() == reference_signature(text), text


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.text(alphabet=st.sampled_from("abcXYZ019 .,-_'\n\téüßÉ東京"), max_size=60),
        min_size=1,
        max_size=8,
    )
)
def test_kernels_match_the_definition_on_any_text(texts: list[str]) -> None:
    series = pl.Series(texts, dtype=pl.String)
    values, starts = near_dup.shingle_sets(series)
    signatures = near_dup.signatures(series)
    for i, text in enumerate(texts):
        assert list(values[starts[i] : starts[i + 1]]) == sorted(reference_shingles(text))
        assert signatures[i].tolist() == reference_signature(text)
    a = np.repeat(np.arange(len(texts)), len(texts))
    b = np.tile(np.arange(len(texts)), len(texts))
    got = near_dup.exact_similarity(series.gather, a, b)
    for k, (i, j) in enumerate(zip(a, b, strict=True)):
        x, y = reference_shingles(texts[i]), reference_shingles(texts[j])
        expected = len(x & y) / len(x | y) if x | y else 0.0
        assert got[k] == expected


def test_a_slice_reads_its_own_texts() -> None:
    """Texts that are a slice of a longer series (an Arrow offset) hash their own bytes."""
    series = pl.Series(["alpha beta gamma", "delta epsilon zeta eta", "theta iota kappa"])
    whole = near_dup.signatures(series)
    assert (near_dup.signatures(series.slice(1, 2)) == whole[1:]).all()
