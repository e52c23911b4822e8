"""Property-based tests: random and mutated raw files never crash or hang the pipeline,
and every raw record is accounted for exactly once."""

from __future__ import annotations

import tempfile
from pathlib import Path

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.core.dedup.clustering import cluster_duplicates
from pipeline.core.ingest.raw_files import ingest
from pipeline.core.transform.records import normalize_records
from pipeline.core.validate import quality
from tests.conftest import SAMPLE

SAMPLE_LINES = SAMPLE.read_bytes().split(b"\n")
CHROME = [b"Get trending papers in your email inbox once a day!", b"Subscribe"]
PROPERTY = settings(
    max_examples=60,
    deadline=20_000,  # ms per example: a hang fails instead of blocking CI
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def sample_lines(n: int) -> st.SearchStrategy[list[bytes]]:
    return st.lists(st.sampled_from(SAMPLE_LINES), min_size=0, max_size=n)


def mutate(lines: list[bytes], draw) -> bytes:
    """Join lines with random line ends, and maybe glue chrome, drop bytes, add a BOM."""
    ends = draw(
        st.lists(
            st.sampled_from([b"\n", b"\r\n", b"\r", b"\n\n"]),
            min_size=len(lines),
            max_size=len(lines),
        )
    )
    out = b"".join(line + end for line, end in zip(lines, ends, strict=True))
    if draw(st.booleans()):
        out = b"\xef\xbb\xbf" + out
    if out and draw(st.booleans()):
        cut = draw(st.integers(0, len(out)))
        out = out[:cut] + draw(st.binary(max_size=8)) + out[cut:]
    return out


@st.composite
def raw_files(draw) -> bytes:
    kind = draw(st.sampled_from(["bytes", "shuffled", "huge", "chrome", "titles", "mixed", "json"]))
    if kind == "bytes":
        return draw(st.binary(max_size=4000))
    if kind == "shuffled":
        return mutate(draw(st.permutations(draw(sample_lines(40)))), draw)
    if kind == "huge":
        line = draw(st.sampled_from(SAMPLE_LINES)) * draw(st.integers(1, 300))
        return mutate([line, *draw(sample_lines(4))], draw)
    if kind == "chrome":
        return mutate(draw(st.lists(st.sampled_from(CHROME), max_size=20)), draw)
    if kind == "titles":
        titles = [line for line in SAMPLE_LINES[2::2] if line]
        return mutate(draw(st.lists(st.sampled_from(titles), max_size=30)), draw)
    if kind == "json":
        head = b'[{"paper": {"id": "2401.00001", "title": "T", "summary": "S"}},\n'
        return head + draw(st.binary(max_size=200)) + b"\n]"
    # mixed encodings: some lines re-encoded as Latin-1 or UTF-16
    lines = draw(sample_lines(30))
    encodings = draw(
        st.lists(
            st.sampled_from(["utf-8", "latin-1", "utf-16"]),
            min_size=len(lines),
            max_size=len(lines),
        )
    )
    converted = [
        line.decode("utf-8", "replace").encode(enc, "replace")
        for line, enc in zip(lines, encodings, strict=True)
    ]
    return mutate(converted, draw)


def run_core(files: list[bytes]) -> None:
    """Ingest, transform and cluster the files; assert the accounting invariants."""
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp)
        for i, data in enumerate(files):
            (raw / f"2026-01-{i + 1:02d}-scrape.txt").write_bytes(data)
        ingested = ingest(raw)
    assert ingested.files.height == len(files)
    per_file = ingested.records.group_by("source_file").len()
    expected = ingested.files.filter(pl.col("n_records") > 0).select("source_file", "n_records")
    joined = expected.join(per_file, on="source_file", how="full", coalesce=True)
    assert joined.filter(pl.col("n_records") != pl.col("len")).is_empty()
    assert ingested.files.filter(pl.col("status") == "rejected")["reason"].null_count() == 0
    result = cluster_duplicates(normalize_records(ingested.records))
    outcomes = quality.run_all(ingested.records, result.records, result.papers)
    assert [o.name for o in outcomes if not o.passed] == []
    assert result.records.height == ingested.records.height


@PROPERTY
@given(st.lists(raw_files(), min_size=1, max_size=3))
def test_random_and_mutated_files_never_crash_and_every_record_is_accounted_for(
    files: list[bytes],
) -> None:
    run_core(files)


def test_a_file_of_only_page_chrome_has_no_records() -> None:
    """The sample's own banner lines and "Subscribe", repeated as several page dumps glued
    together: no entry at all, and the file is reported empty for that reason (were the
    chrome not recognised, its lines would be read as titles and abstracts)."""
    banner = [line for line in SAMPLE_LINES[:2] if line.startswith(b"Get trending")]
    assert len(banner) == 2
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp)
        (raw / "2026-01-01-scrape.txt").write_bytes(b"\n".join([*banner, b"Subscribe"] * 5))
        ingested = ingest(raw)
    assert ingested.records.is_empty()
    assert ingested.files.select("format", "status", "reason", "n_records").to_dicts() == [
        {
            "format": "text-dump",
            "status": "empty",
            "reason": "no entries found (only page chrome)",
            "n_records": 0,
        }
    ]
