"""The changelog between two papers tables: added, removed, changed and which fields."""

from __future__ import annotations

import polars as pl

from pipeline.core.store.diff import diff_papers
from pipeline.core.transform.normalize import content_hash


def papers(rows: list[tuple[str, str, str | None, int]]) -> pl.DataFrame:
    frame = pl.DataFrame(rows, schema=["paper_id", "title", "abstract", "n_records"], orient="row")
    return frame.with_columns(content_hash=content_hash(frame["title"], frame["abstract"]))


OLD = papers(
    [
        ("a", "Attention Is All You Need", "We propose the Transformer.", 1),
        ("b", "Deep Residual Learning", "We present residual nets.", 2),
        ("c", "Dropout", None, 1),
        ("d", "Gone Paper", "It leaves.", 1),
    ]
)


def test_each_changed_field_is_named_and_texts_only_where_their_hash_moved() -> None:
    new = papers(
        [
            ("a", "Attention Is All You Need", "We propose the Transformer.", 3),  # count
            ("b", "Deep Residual Learning for Images", "We present residual nets.", 2),
            ("c", "Dropout", "A simple way to prevent overfitting.", 1),  # null -> text
            ("e", "New Paper", "It arrives.", 1),
        ]
    )
    diff = diff_papers(OLD.lazy(), new.lazy())
    assert diff.added == ["e"] and diff.removed == ["d"]
    assert diff.changed == {
        "a": ["n_records"],
        "b": ["title", "content_hash"],
        "c": ["abstract", "content_hash"],
    }
    assert diff.field_counts == {"title": 1, "abstract": 1, "n_records": 1, "content_hash": 2}


def test_without_a_content_hash_the_texts_are_compared_themselves() -> None:
    new = OLD.with_columns(
        title=pl.when(pl.col("paper_id") == "b").then(pl.lit("Retitled")).otherwise("title")
    )
    diff = diff_papers(OLD.drop("content_hash"), new.drop("content_hash"))
    assert diff.changed == {"b": ["title"]}
    # With it, an unchanged hash vouches for the texts (the proxy is trusted).
    assert diff_papers(OLD, new).changed == {}
    assert diff_papers(OLD, OLD).changed == {}
