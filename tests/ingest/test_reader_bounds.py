"""Every reader is total (#20): input from the cases that crashed whole runs gives
records, rejected records with a reason, or a file rejected with a reason, each
bound with its own wording; and the run publishes the good files beside them."""

from __future__ import annotations

import json
import shutil
import time
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from pipeline.cli import main
from pipeline.core import schema
from pipeline.core.ingest import raw_files
from pipeline.core.ingest.raw_files import parse_file_bytes, read_file
from pipeline.core.ingest.readers import detect
from pipeline.core.ingest.readers.detect import MAX_LINE_CHARS
from pipeline.core.ingest.readers.json_readers import JSON_MAX_DEPTH, JSON_MAX_NUMBER_CHARS
from pipeline.core.store.versions import VersionStore
from tests.conftest import SAMPLE, TEST_DATA

SNAPSHOT = TEST_DATA / "realdata" / "arxiv-metadata-snapshot-sample.json"
DAY = date(2026, 11, 24)


def parse(data: bytes, name: str = "scrape.json") -> tuple[dict, list[dict]]:
    return parse_file_bytes(data, name, DAY)


def snapshot_records(n: int = 3) -> list[dict]:
    """The first ``n`` records of the real arXiv-snapshot sample."""
    return json.loads(SNAPSHOT.read_text(encoding="utf-8"))[:n]


def jsonl(records: list[dict]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in records).encode()


def test_json_nested_a_thousand_levels_deep_rejects_the_file_with_the_bound() -> None:
    row, records = parse(b"[" * 1000 + b"]" * 1000)
    assert (row["status"], records) == ("rejected", [])
    assert row["reason"] == (
        f"unknown format: not readable as JSON: invalid JSON: "
        f"JSON nested deeper than {JSON_MAX_DEPTH} levels"
    )


@pytest.mark.parametrize("depth", [JSON_MAX_DEPTH + 1, 5000])
def test_one_record_nested_too_deep_costs_only_itself(depth: int) -> None:
    good = snapshot_records(2)
    # Written as text: json.dumps itself recurses once per level.
    line = json.dumps({**good[1], "id": "2401.00001"})[:-1]
    line += ', "extra": ' + "[" * (depth - 1) + "]" * (depth - 1) + "}"
    data = jsonl(good) + line.encode() + b"\n"
    row, records = parse(data, "snap.jsonl")
    assert (row["status"], row["format"], row["n_records"]) == ("ok", "arxiv-snapshot", 3)
    assert [r["parse_error"] for r in records] == [
        None,
        None,
        f"invalid JSON: JSON nested deeper than {JSON_MAX_DEPTH} levels",
    ]


def test_a_record_exactly_at_the_depth_bound_is_read() -> None:
    good = snapshot_records(1)[0]
    nested: object = "x"
    for _ in range(JSON_MAX_DEPTH - 1):  # the record itself is the first level
        nested = [nested]
    row, records = parse(jsonl([{**good, "extra": nested}]), "snap.jsonl")
    assert row["status"] == "ok" and records[0]["parse_error"] is None


def test_an_integer_of_5000_digits_rejects_its_record_only() -> None:
    good = snapshot_records(2)
    line = json.dumps(good[1])[:-1] + ', "votes": ' + "9" * 5000 + "}"
    row, records = parse(jsonl(good[:1]) + line.encode() + b"\n", "snap.jsonl")
    assert (row["status"], row["n_records"]) == ("ok", 2)
    assert records[0]["parse_error"] is None
    assert records[1]["parse_error"] == (
        f"invalid JSON: number longer than {JSON_MAX_NUMBER_CHARS} characters"
    )
    assert records[1]["line_start"] == 2


def test_an_array_element_with_a_huge_number_is_rejected_and_the_rest_read() -> None:
    good = snapshot_records(3)
    elements = [json.dumps(good[0]), '{"id": 1' + "0" * 200 + "}", json.dumps(good[2])]
    _, records = parse(("[\n" + ",\n".join(elements) + "\n]\n").encode())
    assert [r["parse_error"] is None for r in records] == [True, False, True]
    assert records[2]["title_raw"] == good[2]["title"]


def test_arxiv_versions_and_authors_parsed_of_the_wrong_shape_are_read_not_fatal() -> None:
    first, second, third = snapshot_records(3)
    second = {**second, "versions": ["v1"]}
    third = {**third, "authors_parsed": [[1, 2, 3], ["Doe", "Jane", ""], ["Solo"], "x"]}
    row, records = parse(jsonl([first, second, third]), "snap.jsonl")
    assert (row["status"], row["format"]) == ("ok", "arxiv-snapshot")
    assert [r["parse_error"] for r in records] == [None, None, None]
    # No date from a version that is not an object: the update date is used instead.
    assert records[1]["published_date"] == date.fromisoformat(second["update_date"])
    # Non-text name parts are left out, like non-text names in "authors".
    assert records[2]["authors"] == ["Jane Doe"]


def test_a_file_of_one_arxiv_record_is_that_record_not_a_wrapper_of_its_versions() -> None:
    record = snapshot_records(1)[0]
    assert isinstance(record["versions"][0], dict)
    row, records = parse(jsonl([record]), "one.jsonl")
    assert (row["status"], row["format"], row["n_records"]) == ("ok", "arxiv-snapshot", 1)
    assert records[0]["title_raw"] == record["title"]


def test_a_line_longer_than_the_bound_rejects_a_line_oriented_file() -> None:
    lines = SAMPLE.read_bytes().split(b"\n")[:20]
    lines[7] = b"word " * (MAX_LINE_CHARS // 5 + 1)
    row, records = parse(b"\n".join(lines), "dump.txt")
    assert (row["status"], records) == ("rejected", [])
    assert row["reason"] == (
        f"line too long: line 8 has {len(lines[7])} characters, over {MAX_LINE_CHARS}"
    )


def test_json_on_one_long_line_is_not_held_to_the_line_bound() -> None:
    records = snapshot_records(3) * 200
    data = json.dumps(records).encode()
    assert len(data) > MAX_LINE_CHARS
    row, _ = parse(data)
    assert (row["status"], row["n_records"]) == ("ok", 600)


def test_a_file_over_the_size_bound_is_rejected_unread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "2026-11-24-big.txt"
    shutil.copy(SAMPLE, path)
    monkeypatch.setattr(raw_files, "MAX_FILE_BYTES", 1000)
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail("read"))
    row, records = read_file(path, path.name)
    size = SAMPLE.stat().st_size
    assert (row["status"], row["n_bytes"], row["sha256"], records) == ("rejected", size, None, [])
    assert row["reason"] == f"file too large: {size} bytes, over 1000: split it into several files"


def test_an_unexpected_reader_exception_rejects_that_file_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*args: object) -> None:
        raise KeyError("boom")

    monkeypatch.setattr(detect, "parse_text_dump", broken)
    row, records = parse(SAMPLE.read_bytes(), "dump.txt")
    assert (row["status"], records) == ("rejected", [])
    assert row["reason"] == "reader error: KeyError: 'boom'"
    assert row["sha256"] is not None


def test_a_run_over_every_crashing_input_publishes_the_good_file(
    data_dir: Path, capsys: pytest.CaptureFixture
) -> None:
    """The files that made ``collect_records`` fail on main: now each costs itself only."""
    raw = data_dir / "raw"
    good = snapshot_records(2)
    (raw / "deep.json").write_bytes(b"[" * 1000 + b"]" * 1000)
    (raw / "number.json").write_text('[{"title": "T", "votes": ' + "9" * 5000 + "}]")
    (raw / "versions.jsonl").write_bytes(jsonl([good[0], {**good[1], "versions": ["v1"]}]))
    (raw / "authors.jsonl").write_bytes(jsonl([good[0], {**good[1], "authors_parsed": [[1, 2]]}]))
    assert main(["run", "--data-dir", str(data_dir)]) == 0
    assert "published v0001" in capsys.readouterr().out
    vdir = VersionStore(data_dir / "processed" / "papers").path("v0001")
    files = pl.read_parquet(vdir / "files.parquet").sort("source_file")
    status = dict(files.select("source_file", "status").rows())
    assert status == {
        "authors.jsonl": "ok",
        "deep.json": "rejected",
        "number.json": "rejected",
        SAMPLE.name: "ok",
        "versions.jsonl": "ok",
    }
    records = pl.read_parquet(vdir / "records.parquet")
    assert records.filter(source_file="versions.jsonl").height == 2
    assert records.filter(pl.col("status") == "rejected", pl.col("reason").is_null()).is_empty()


def test_a_lone_surrogate_escape_is_replaced_and_flagged_not_a_crash() -> None:
    """Found by the fuzzing: "\\ud800" is valid JSON but no UTF-8 text; polars refused
    the record (UnicodeEncodeError) after the reader, outside every guard."""
    first, second = snapshot_records(2)
    line = json.dumps({**second, "title": "A title \ud800 here"})  # written as \\ud800
    assert "\\ud800" in line
    row, records = parse(jsonl([first]) + line.encode() + b"\n", "snap.jsonl")
    assert row["status"] == "ok"
    assert records[1]["title_raw"] == "A title \ufffd here"
    assert records[1]["flags"] == ["undecodable_bytes"] and records[0]["flags"] == []
    frame = pl.DataFrame(records, schema=schema.RAW_RECORDS)  # raised before
    assert frame.height == 2


def test_a_listing_line_at_the_bound_costs_well_under_a_second_of_cpu() -> None:
    """Links separated by spaces, up to the line bound: the separator pattern was
    quadratic in a run of spaces (about 2 s of CPU for this line, 0.1 s now)."""
    data = b"# Title\n" + b"[a](x) " * (MAX_LINE_CHARS // 7) + b"\n"
    start = time.process_time()
    row, _ = parse(data, "page.md")
    assert time.process_time() - start < 0.6
    assert row["status"] in {"ok", "rejected"} and row["reason"] != "reader error"
