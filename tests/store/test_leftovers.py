"""What a killed run leaves (temporary names, staging and part directories) is cleared
by the next run, while a temporary file a live per-file run is writing is kept."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import polars as pl
import pytest

from pipeline.cli import main
from tests.conftest import SAMPLE


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_the_next_run_clears_what_a_killed_run_left(data_dir: Path) -> None:
    assert main(["run", "--data-dir", str(data_dir)]) == 0
    processed = data_dir / "processed"
    assets, files = processed / "_assets", processed / "_files"
    (key,) = [p.name for p in files.glob("*.parquet")]
    hexes = uuid.uuid4().hex
    left = [
        assets / f".records.parquet.tmp-{hexes}",  # from before pids were recorded
        assets / f".papers.parquet.tmp-{_dead_pid()}-{hexes}",
        assets / ".records-0123456789ab",  # parts no table points at
        processed / "papers" / "_refused" / f".staging-{hexes}",
        files / f".{key}.tmp-{_dead_pid()}-{hexes}",
    ]
    live = files / f".{key}.tmp-{os.getpid()}-{hexes}"  # a per-file run writing now
    for path in left[:2] + left[-1:] + [live]:
        path.write_bytes(b"half a parquet file")
    for path in left[2:4]:
        path.mkdir(parents=True)
        (path / "part-000000.parquet").write_bytes(b"half")
    lines = SAMPLE.read_text(encoding="utf-8").split("\n")[2:22]
    (data_dir / "raw" / "2026-11-24-trending.txt").write_text("\n".join(lines) + "\n")
    assert main(["run", "--data-dir", str(data_dir)]) == 0
    assert [p for p in left if p.exists()] == []
    assert live.exists()
    root = processed / "papers"
    assert (root / "LATEST").read_text().strip() == "v0002"
    assert pl.read_parquet(root / "v0002" / "papers.parquet").height > 0


def test_every_temporary_file_lives_in_one_directory_the_next_run_clears(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    renamed: list[tuple[Path, Path]] = []
    for name in ("replace", "rename"):
        original = getattr(Path, name)

        def spy(self: Path, target: Path, _original=original) -> Path:
            renamed.append((Path(self), Path(target)))
            return _original(self, target)

        monkeypatch.setattr(Path, name, spy)
    temp = data_dir / "processed" / ".tmp"
    temp.mkdir(parents=True)
    hexes = uuid.uuid4().hex
    junk = [
        temp / "left by someone",
        temp / f".papers.parquet.tmp-{_dead_pid()}-{hexes}",
        temp / f".staging-{_dead_pid()}-{hexes}",
    ]
    live = temp / f".file.parquet.tmp-{os.getpid()}-{hexes}"  # a per-file run writing now
    for path in [*junk[:2], live]:
        path.write_bytes(b"half a parquet file")
    junk[2].mkdir()
    (junk[2] / "papers.parquet").write_bytes(b"half")
    assert main(["run", "--data-dir", str(data_dir)]) == 0
    assert [p for p in junk if p.exists()] == []
    assert sorted(temp.iterdir()) == [live]  # nothing of the run's own is left there
    processed = data_dir / "processed"
    elsewhere = [p for p in processed.rglob("*") if temp not in p.parents and ".tmp-" in p.name]
    assert elsewhere == []  # no temporary name beside a target
    # Every file or directory renamed into place under processed/ came from .tmp (a
    # version being pruned is moved into .tmp to be deleted: not a temporary file).
    into_processed = [
        (a, b)
        for a, b in renamed
        if processed in b.absolute().parents and temp not in b.absolute().parents
    ]
    assert len(into_processed) > 10
    assert [a for a, _ in into_processed if a.absolute().parent != temp] == []
    assert (processed / "papers" / "LATEST").read_text().strip() == "v0001"
