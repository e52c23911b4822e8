"""An OS error out of a step is one line naming the errno and the file."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.core.store import versions


def test_a_full_disk_during_publish_names_enospc_and_the_file(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    def disk_full(source: Path, target: Path) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(target))

    monkeypatch.setattr(versions, "link_or_copy", disk_full)
    assert main(["run", "--data-dir", str(data_dir)]) == 1
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert line.startswith("error: run ")
    assert " failed in published_version: " in line
    assert line.endswith(".parquet")
    assert "No space left on device (ENOSPC): " in line
    assert f"{data_dir.resolve() / 'processed' / '.tmp'}/.staging-" in line
