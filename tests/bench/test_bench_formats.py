"""The corpus generator's command line and its other formats: JSON lines and the
listing, HTML, OAI-PMH and CSV days, each read back by the pipeline's own readers where
the ground truth puts every record."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import polars as pl

from bench.make_corpus import make_corpus
from pipeline.core.ingest.raw_files import ingest
from tests.conftest import REPO

# --- Command line -------------------------------------------------------------------------


def test_command_line_writes_a_corpus_and_refuses_a_used_directory(tmp_path: Path) -> None:
    out = tmp_path / "c"
    cmd = [sys.executable, "-m", "bench.make_corpus", "--records", "400", "--out", str(out)]
    done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "wrote 400 records" in done.stdout
    names = sorted(p.name for p in (out / "raw").iterdir())
    assert names[0] == "2026-01-01-trending.txt" and len(names) == 3  # default: 3 days
    assert date.fromisoformat(names[-1][:10]) == date(2026, 1, 3)
    assert pl.read_parquet(out / "truth.parquet").height == 400
    again = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, check=False)
    assert again.returncode != 0 and "not empty" in again.stderr


def test_json_lines_days_are_read_where_the_truth_puts_them(tmp_path: Path) -> None:
    """Every second day as JSON lines: the pipeline's JSON reader finds each record at its
    truth position, a missing abstract is a rejected record, and the days dedup across
    formats as well as page dumps do."""
    from bench.run import duplicate_scores
    from pipeline.core.dedup.clustering import cluster_duplicates
    from pipeline.core.transform.records import normalize_records

    out = tmp_path / "mixed"
    make_corpus(3000, out, seed=3, jsonl_every=2)
    again = tmp_path / "again"
    make_corpus(3000, again, seed=3, jsonl_every=2)
    jsonl = sorted((out / "raw").glob("*.jsonl"))
    assert jsonl and all(p.read_bytes() == (again / "raw" / p.name).read_bytes() for p in jsonl)
    truth = pl.read_parquet(out / "truth.parquet")
    raw = ingest(out / "raw").records
    from_json = raw.filter(pl.col("source_file").str.ends_with(".jsonl"))
    expected = truth.filter(pl.col("source_file").str.ends_with(".jsonl"))
    assert from_json.select("source_file", "record_index", "line_start").equals(
        expected.select("source_file", "record_index", "line_start")
    )
    json_truth = expected["malformed"].drop_nulls().unique().to_list()
    assert json_truth in ([], ["missing_abstract"])  # no chrome or bad bytes in JSON
    missing = expected.filter(pl.col("malformed") == "missing_abstract").height
    assert from_json["abstract_raw"].null_count() == missing
    scores = duplicate_scores(cluster_duplicates(normalize_records(raw)).records, truth)
    assert scores["precision"] >= 0.995 and scores["recall"] >= 0.95


def test_formats_every_writes_days_each_reader_reads_back_exactly(tmp_path: Path) -> None:
    from bench.run import duplicate_scores
    from pipeline.core.dedup.clustering import cluster_duplicates
    from pipeline.core.transform.records import normalize_records

    out = tmp_path / "formats"
    make_corpus(3000, out, seed=3, days=5, formats_every=1)
    truth = pl.read_parquet(out / "truth.parquet")
    ingested = ingest(out / "raw")
    formats = dict(ingested.files.select("source_file", "format").iter_rows())
    assert sorted(formats.values()) == [
        "csv",
        "html",
        "listing-markdown",
        "listing-markdown",
        "oai-pmh",
    ]
    key = ["source_file", "record_index", "line_start"]
    assert ingested.records.select(key).equals(truth.select(key))
    missing = truth.filter(pl.col("malformed") == "missing_abstract").height
    assert ingested.records["abstract_raw"].null_count() == missing
    scores = duplicate_scores(
        cluster_duplicates(normalize_records(ingested.records)).records, truth
    )
    assert scores["precision"] >= 0.995 and scores["recall"] >= 0.95
