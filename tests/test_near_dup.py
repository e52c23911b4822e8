"""Near-duplicate detection: LSH parameters, verified pairs, and scores on labelled data."""

from __future__ import annotations

import polars as pl
import pytest

from bench.make_corpus import make_corpus
from bench.run import duplicate_scores
from pipeline.core.dedup import cluster_duplicates
from pipeline.core.ingest import ingest
from pipeline.core.near_dup import find_near_duplicates, lsh_params
from pipeline.core.transform import normalize_records

BASE = (
    "We propose a simple method for training deep networks with sparse gradients that "
    "scales to large models and reduces memory by half while keeping accuracy on ImageNet "
    "and COCO within one point of dense training across all of our experiments"
)


def test_lsh_parameters_follow_the_threshold() -> None:
    low, high = lsh_params(0.3), lsh_params(0.8)
    assert low[0] * low[1] == high[0] * high[1] == 128
    # A higher threshold takes more rows per band: a steeper, later S-curve.
    assert high[1] > low[1]


def test_only_verified_similar_pairs_are_returned() -> None:
    revised = BASE.replace("by half", "by sixty percent") + " and we release the code"
    other = (
        "A survey of graph neural networks for molecules covering message passing, "
        "pooling, equivariance and benchmarks on chemistry datasets with open problems"
    )
    texts = pl.Series([BASE, other, revised, BASE.upper()])
    found = find_near_duplicates(texts, threshold=0.5)
    pairs = {(a, b): s for a, b, s in found.pairs.iter_rows()}
    assert set(pairs) == {(0, 2), (0, 3), (2, 3)}
    assert pairs[(0, 3)] == 1.0  # case does not matter
    assert 0.5 <= pairs[(0, 2)] < 1.0
    assert found.stats["verified"] == 3


@pytest.fixture(scope="module")
def labelled(tmp_path_factory: pytest.TempPathFactory) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A 3000-record benchmark corpus: its normalised records and its ground truth."""
    out = tmp_path_factory.mktemp("corpus") / "c"
    make_corpus(3000, out, seed=3)
    normalized = normalize_records(ingest(out / "raw").records)
    return normalized, pl.read_parquet(out / "truth.parquet")


def test_precision_and_recall_on_a_labelled_corpus(labelled) -> None:
    normalized, truth = labelled
    scores = duplicate_scores(cluster_duplicates(normalized).records, truth)
    assert scores["precision"] >= 0.995
    assert scores["recall"] >= 0.95
    assert scores["title_collisions_merged"] == 0
    for edit in ("exact", "format", "revision", "retitle", "noise"):
        assert scores["recall_by_edit"][edit]["recall"] >= 0.9, edit


def test_clusters_do_not_depend_on_input_order(labelled) -> None:
    normalized, _ = labelled
    first = cluster_duplicates(normalized)
    shuffled = cluster_duplicates(normalized.sample(fraction=1.0, shuffle=True, seed=11))
    assert first.records.equals(shuffled.records)
    assert first.papers.equals(shuffled.papers)
    assert first.variants.equals(shuffled.variants)
