"""Only regular files under raw/ are read; everything else is a rejected row with its
reason, never followed, never opened (a FIFO would block the run forever)."""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

import polars as pl
import pytest

from pipeline.cli import main
from pipeline.core.ingest.entries import FileOutputStore, RecordSettings
from pipeline.core.ingest.file_outputs import collect
from pipeline.core.ingest.raw_files import ingest
from tests.conftest import SAMPLE

SECRET = "root:x:0:0:root:/root:/bin/bash"


def _hostile_raw(raw: Path, outside: Path) -> dict[str, str]:
    """Fill ``raw`` with one of each hostile entry; returns name -> expected reason."""
    outside.mkdir()
    (outside / "passwd").write_text(f"{SECRET}\n{SECRET} and more words here\n")
    (raw / "passwd.txt").symlink_to(outside / "passwd")
    (raw / "loop-a.txt").symlink_to(raw / "loop-b.txt")
    (raw / "loop-b.txt").symlink_to(raw / "loop-a.txt")
    (raw / "gone.txt").symlink_to(raw / "nothing-here.txt")
    os.mkfifo(raw / "pipe.txt")
    (raw / "dirlink").symlink_to(outside)
    (raw / "sub").mkdir()
    (raw / "sub" / "inner").symlink_to(raw / "sub", target_is_directory=True)
    (raw / "latest.txt").symlink_to(raw / SAMPLE.name)
    return {
        "passwd.txt": "symlink outside raw/",
        "loop-a.txt": "symlink loop",
        "loop-b.txt": "symlink loop",
        "gone.txt": "broken symlink",
        "pipe.txt": "not a regular file: fifo",
        "dirlink": "symlink outside raw/",
        "sub/inner": "symlink to a directory",
        "latest.txt": f"symlink to raw/{SAMPLE.name}",
    }


def test_symlinks_fifos_and_loops_are_rejected_rows_never_read(
    data_dir: Path, tmp_path: Path
) -> None:
    raw = data_dir / "raw"
    expected = _hostile_raw(raw, tmp_path / "outside")
    settings = RecordSettings()
    result = collect(raw, FileOutputStore(tmp_path / "entries", settings), settings)
    reasons = dict(result.files.filter(status="rejected").select("source_file", "reason").rows())
    assert reasons == expected
    records = result.records
    assert set(records["source_file"]) == {SAMPLE.name}  # the sample, once
    assert not records["title"].str.contains("root:x").any()
    assert ingest(raw).files.filter(status="rejected").height == len(expected)


def test_a_socket_is_rejected(tmp_path: Path) -> None:
    raw = Path("/tmp") / f"r-{os.getpid()}"  # AF_UNIX paths are short
    raw.mkdir()
    try:
        with socket.socket(socket.AF_UNIX) as sock:
            sock.bind(str(raw / "s.txt"))
            files = ingest(raw).files
        assert files.select("source_file", "reason").rows() == [
            ("s.txt", "not a regular file: socket")
        ]
    finally:
        shutil.rmtree(raw)


def test_a_name_that_is_not_utf8_is_read_and_published_escaped(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    raw = data_dir / "raw"
    lines = SAMPLE.read_text(encoding="utf-8").split("\n")[2:22]
    name = os.fsdecode(b"2026-11-24-\xff.txt")
    (raw / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.mkfifo(raw / "pipe.txt")
    assert main(["run", "--data-dir", str(data_dir)]) == 0
    assert main(["run", "--data-dir", str(data_dir)]) == 0  # and again: no crash on reuse
    assert "unchanged" in capsys.readouterr().out
    root = data_dir / "processed" / "papers"
    version = root / (root / "LATEST").read_text().strip()
    files = pl.read_parquet(version / "files.parquet")
    rows = dict(files.select("source_file", "status").rows())
    assert rows == {SAMPLE.name: "ok", "2026-11-24-\\xff.txt": "ok", "pipe.txt": "rejected"}
    records = pl.read_parquet(version / "records.parquet")
    assert records.filter(source_file="2026-11-24-\\xff.txt").height > 0
