"""Fuzzing every reader (#20 item 9): hostile bytes of each family give records,
rejected records or a rejected file, each with a reason, and never an exception.

A file reaching the readers' last line of defence (``reader error: ...``) counts as
a finding too: each cause gets a specific reason. The examples per test come from the
hypothesis profile (``suite`` in the test run, ``fuzz`` for ``make fuzz``, see
tests/conftest.py); ``test_every_record_is_accounted_for_after_rules_and_dedup``
takes the accounting invariant through the record rules and deduplication.
"""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from pipeline.core import schema
from pipeline.core.dedup.clustering import cluster_duplicates
from pipeline.core.ingest.raw_files import READER_ERROR, parse_file_bytes
from pipeline.core.transform.records import normalize_records
from pipeline.core.validate import quality
from tests import fuzz_inputs

DAY = date(2026, 11, 24)
STATUSES = {"ok", "empty", "rejected"}


def read_total(data: bytes, name: str = "2026-11-24-scrape.txt") -> pl.DataFrame:
    """Read ``data`` as a file and assert the reader's contract; its raw records."""
    row, records = parse_file_bytes(data, name, DAY)
    event(f"{row['format']} {row['status']}")  # the mix, in --hypothesis-show-statistics
    assert row["status"] in STATUSES
    reason = row["reason"]
    assert not (reason or "").startswith(READER_ERROR), reason
    assert (row["status"] == "ok") == (row["n_records"] > 0)
    if row["status"] != "ok":
        assert isinstance(reason, str) and reason.strip() and records == []
    assert row["n_records"] == len(records)
    assert sorted(r["record_index"] for r in records) == list(range(len(records)))
    for record in records:
        assert record["source_file"] == name and record["format"] == row["format"]
        assert record["parse_error"] is None or record["parse_error"].strip()
    frame = pl.DataFrame(records, schema=schema.RAW_RECORDS)
    return schema.conform(frame, schema.RAW_RECORDS, "raw_records")


@pytest.mark.parametrize(
    "family",
    ["json_files", "oai_files", "csv_files", "html_files", "markdown_files", "text_dump_files"],
)
@given(data=st.data())
def test_every_reader_is_total_on_hostile_files(family: str, data: st.DataObject) -> None:
    read_total(data.draw(getattr(fuzz_inputs, family)(), label=family))


@given(st.binary(max_size=3000))
def test_any_bytes_are_read_or_rejected_with_a_reason(data: bytes) -> None:
    read_total(data)


@given(st.lists(fuzz_inputs.any_files(), min_size=1, max_size=3))
def test_every_record_is_accounted_for_after_rules_and_dedup(files: list[bytes]) -> None:
    """Every raw record ends published, a duplicate, or rejected with a reason and a
    code; the dataset invariants hold on what is left."""
    raw = pl.concat(
        [read_total(data, f"2026-11-{i + 1:02d}-scrape.txt") for i, data in enumerate(files)]
    )
    normalized = normalize_records(raw)
    assert normalized.height == raw.height
    rejected = normalized.filter(pl.col("reason").is_not_null())
    assert (rejected["reason_codes"].list.len() > 0).all()
    passed = normalized.filter(pl.col("reason").is_null())
    assert (passed["reason_codes"].list.len() == 0).all()
    result = cluster_duplicates(normalized)
    assert result.records.height == raw.height
    assert set(result.records["status"].unique()) <= {"published", "duplicate", "rejected"}
    outcomes = quality.run_all(raw, result.records, result.papers)
    assert [o.name for o in outcomes if not o.passed] == []
