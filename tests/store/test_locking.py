"""The one lock mechanism (``exclusive_lock``): held across processes, never waited on
by the run lease, waited on by the store's publish lock, and gone with a killed holder."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline.core.store.locking import (
    RunInProgressError,
    exclusive_lock,
    pid_alive,
    read_owner,
    run_lease,
)
from pipeline.core.store.versions import VersionStore
from tests.conftest import REPO

HOLD = """
import sys, time
from pathlib import Path
from pipeline.core.store.locking import exclusive_lock
with exclusive_lock(Path(sys.argv[1]), wait=True):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def hold(path: Path, seconds: float) -> subprocess.Popen:
    """Another process holding the lock on ``path`` for ``seconds``, once it says so."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def test_a_lock_held_elsewhere_refuses_at_once_or_is_waited_for(tmp_path: Path) -> None:
    path = tmp_path / "processed" / ".run.lock"
    holder = hold(path, 3.0)
    held_at = time.monotonic()
    try:
        with pytest.raises(BlockingIOError), exclusive_lock(path, wait=False):
            pass
        assert time.monotonic() - held_at < 2.5  # refused at once, not after the hold
        with exclusive_lock(path, wait=True):
            assert time.monotonic() - held_at >= 2.9  # only once the holder let go
    finally:
        holder.kill()
        holder.wait()


def test_the_run_lease_fails_fast_while_another_process_holds_its_lock(tmp_path: Path) -> None:
    path = tmp_path / "processed" / ".run.lock"
    holder = hold(path, 60.0)
    try:
        refused = pytest.raises(RunInProgressError, match="another process is running on")
        with refused, run_lease(path, "run-cccccccc", lambda owner: False):
            pass
        assert read_owner(path) is None  # nothing was claimed
    finally:
        holder.kill()
        holder.wait()


def test_a_killed_holder_leaves_no_lock_behind(tmp_path: Path) -> None:
    path = tmp_path / "papers" / ".lock"
    holder = hold(path, 60.0)
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    assert not pid_alive(holder.pid)
    with exclusive_lock(path, wait=False):
        pass
    # The version store's publish lock is the same mechanism on the same file.
    publishing = VersionStore(tmp_path / "papers").lock()
    with publishing, pytest.raises(BlockingIOError), exclusive_lock(path, wait=False):
        pass


def test_a_lease_released_by_its_run_is_free_for_the_next(tmp_path: Path) -> None:
    path = tmp_path / "processed" / ".run.lock"
    with run_lease(path, "run-aaaaaaaa", lambda owner: True):
        pass
    with run_lease(path, "run-aaaaaaaa", lambda owner: True, release=True) as owner:
        assert owner.run_id == "run-aaaaaaaa"  # the run's own later step goes on
    assert read_owner(path) is None
    with run_lease(path, "run-bbbbbbbb", lambda owner: True) as owner:
        assert owner.run_id == "run-bbbbbbbb"
