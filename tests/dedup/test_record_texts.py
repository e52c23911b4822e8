"""pipeline/core/dedup/record_texts.py: columns of records by position, the same whether
the records are held in memory or read from the stored Parquet file.

Dedup reads texts from a Parquet scan at scale and from a frame in tests; both must give
the same rows in the order asked, or a signature or a paper would be built from another
record's text. Shown on the sample's normalised records.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from pipeline.core.dedup.record_texts import HeldRecords, RecordSource, ScannedRecords
from pipeline.core.ingest.raw_files import ingest
from pipeline.core.transform.records import normalize_records
from tests.conftest import SAMPLE


@pytest.fixture(scope="module")
def records() -> pl.DataFrame:
    return normalize_records(ingest(SAMPLE.parent).records)


@pytest.fixture(scope="module", params=["frame", "scan"])
def source(request: pytest.FixtureRequest, records: pl.DataFrame, tmp_path_factory) -> RecordSource:
    """The records held in memory, or written to Parquet and read back lazily."""
    if request.param == "frame":
        return HeldRecords(records)
    path = Path(tmp_path_factory.mktemp("records")) / "records.parquet"
    records.write_parquet(path, row_group_size=50)  # several row groups, as at scale
    return ScannedRecords(pl.scan_parquet(path))


def test_gather_returns_the_rows_asked_for_in_their_order(
    source: RecordSource, records: pl.DataFrame
) -> None:
    nodes = np.array([241, 0, 17, 17, 120, 3])  # out of file order, with a repeat
    got = source.gather(nodes, "line_start", "title")
    assert got["line_start"].to_list() == [records["line_start"][int(n)] for n in nodes]
    assert got["title"].to_list() == [records["title"][int(n)] for n in nodes]


def test_match_texts_are_title_and_abstract_of_each_record(
    source: RecordSource, records: pl.DataFrame
) -> None:
    nodes = np.array([5, 2])
    texts = source.match_texts(nodes).to_list()
    for node, text in zip(nodes, texts, strict=True):
        title, abstract = records["title"][int(node)], records["abstract"][int(node)]
        assert text == f"{title} {abstract}"


def test_batches_cover_every_record_once_in_file_order(
    source: RecordSource, records: pl.DataFrame
) -> None:
    batches = list(source.match_text_batches(rows=50))
    starts = [start for start, _ in batches]
    sizes = [texts.len() for _, texts in batches]
    assert starts == [sum(sizes[:i]) for i in range(len(sizes))]
    assert sum(sizes) == records.height == 242
    everything = pl.concat([texts for _, texts in batches])
    assert everything.to_list() == source.match_texts(np.arange(records.height)).to_list()


def test_with_columns_at_keeps_the_order_of_the_rows(
    source: RecordSource, records: pl.DataFrame
) -> None:
    rows = pl.DataFrame({"node": [200, 1, 99], "paper": ["p200", "p1", "p99"]})
    got = source.with_columns_at(rows.with_columns(pl.col("node").cast(pl.UInt32)), ["title"])
    assert got.columns == ["node", "paper", "title"]
    assert got["paper"].to_list() == ["p200", "p1", "p99"]
    assert got["title"].to_list() == [records["title"][n] for n in (200, 1, 99)]


def test_a_position_past_the_last_record_is_an_error_not_a_short_answer(
    records: pl.DataFrame, tmp_path: Path
) -> None:
    path = tmp_path / "records.parquet"
    records.write_parquet(path)
    scan = ScannedRecords(pl.scan_parquet(path))
    with pytest.raises(ValueError, match="1 record positions are out of range"):
        scan.gather(np.array([0, records.height]), "title")
    rows = pl.DataFrame({"node": pl.Series([0, records.height + 5], dtype=pl.UInt32)})
    with pytest.raises(ValueError, match="1 record positions are out of range"):
        scan.with_columns_at(rows, ["title"])
