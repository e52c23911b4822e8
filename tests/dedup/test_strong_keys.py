"""pipeline/core/dedup/strong_keys.py: records sharing a content hash, arXiv id or DOI
are one paper, transitively; the vectorised union-find that finds the components.

Shown on a real Hugging Face daily-papers API response scraped twice: the re-scrape
repeats every paper, some with a revised abstract (same arXiv id, new content hash),
some without their id (same text); each re-sighting joins its own paper and no other.
"""

from __future__ import annotations

import shutil

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.core.dedup.strong_keys import components, strong_groups
from pipeline.core.ingest.raw_files import ingest
from pipeline.core.transform.normalize import normalize_text
from tests.conftest import TEST_DATA

API = "hf-daily-papers-api-2025-09-30.json"
NO_TITLE_LINKS = pl.DataFrame(schema={"a": pl.UInt32, "b": pl.UInt32})


def reference_components(n: int, edges: list[tuple[int, int]]) -> list[int]:
    """The smallest node of each node's component, by a plain union-find."""
    parent = list(range(n))

    def root(x: int) -> int:
        while parent[x] != x:
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = root(a), root(b)
        parent[max(ra, rb)] = min(ra, rb)
    return [root(x) for x in range(n)]


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1, 60).flatmap(
        lambda n: st.tuples(
            st.just(n), st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)))
        )
    )
)
def test_components_match_a_plain_union_find(graph: tuple[int, list[tuple[int, int]]]) -> None:
    n, edges = graph
    a = np.array([e[0] for e in edges], dtype=np.int64)
    b = np.array([e[1] for e in edges], dtype=np.int64)
    assert components(n, a, b).tolist() == reference_components(n, edges)


def test_a_long_chain_is_one_component_labelled_by_its_smallest_node() -> None:
    n = 10_000  # edges listed from the far end: the worst order for pointer jumping
    a, b = np.arange(n - 1, 0, -1), np.arange(n - 2, -1, -1)
    assert (components(n, a, b) == 0).all()


@pytest.fixture(scope="module")
def scrapes(tmp_path_factory: pytest.TempPathFactory) -> tuple[pl.DataFrame, pl.DataFrame]:
    raw = tmp_path_factory.mktemp("raw")
    shutil.copy(TEST_DATA / "realdata" / API, raw / API)
    first = normalize_text(ingest(raw).records).select("content_hash", "arxiv_id", "doi")
    assert first.height == 50 and first["arxiv_id"].n_unique() == 50
    index = pl.int_range(pl.len())
    again = first.with_columns(
        # a revised abstract: same arXiv id, another text
        content_hash=pl.when(index < 10)
        .then(pl.lit("revised-") + pl.col("content_hash"))
        .otherwise("content_hash"),
        # a source that gives no id: the same text
        arxiv_id=pl.when(index.is_between(10, 19)).then(None).otherwise("arxiv_id"),
    )
    return first, again


def test_every_re_sighting_joins_its_own_paper_and_no_other(
    scrapes: tuple[pl.DataFrame, pl.DataFrame],
) -> None:
    first, again = scrapes
    ok = pl.concat([first, again]).with_row_index("local")
    group = strong_groups(ok, NO_TITLE_LINKS)
    n = first.height
    assert group[:n].tolist() == list(range(n))  # 50 different papers stay apart
    assert group[n:].tolist() == list(range(n))  # each sighting joins its first one


def test_a_title_link_joins_records_no_key_joins(
    scrapes: tuple[pl.DataFrame, pl.DataFrame],
) -> None:
    first, _ = scrapes
    ok = first.with_row_index("local")
    links = pl.DataFrame({"a": [7], "b": [3]}, schema={"a": pl.UInt32, "b": pl.UInt32})
    group = strong_groups(ok, links)
    assert group[7] == group[3] == 3
    assert len(set(group.tolist())) == first.height - 1
