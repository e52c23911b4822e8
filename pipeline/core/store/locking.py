"""One run at a time per data directory: an advisory file lock that dies with its holder.

Intermediate tables under processed/_assets are shared by the stages of a run, so two
runs on one data directory would overwrite each other's. ``fcntl.flock`` is released
by the kernel when the holding process exits, even by SIGKILL, so a crashed run never
leaves a stale lock behind.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO


class RunInProgressError(RuntimeError):
    """Another run holds the data directory's lock."""


@dataclass(frozen=True)
class RunOwner:
    """The run that holds a data directory (written into the lock file as JSON)."""

    run_id: str
    pid: int
    started_at: str

    def describe(self) -> str:
        return f"run {self.run_id[:8]} (pid {self.pid}, started at {self.started_at})"


def read_owner(path: Path) -> RunOwner | None:
    """The owner recorded in the lease file ``path``, or None (free, unreadable, torn)."""
    try:
        return RunOwner(**json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None


@contextlib.contextmanager
def exclusive_lock(path: Path, wait: bool) -> Iterator[IO[str]]:
    """Hold an exclusive ``fcntl.flock`` on ``path`` (created if missing) for the block;
    yields the open file (read and append). ``wait``: block until it is free, else raise
    BlockingIOError at once. The pipeline's one lock mechanism: the run lease and the
    version store's publish lock are both this. The kernel drops it when the holder
    exits, even by SIGKILL."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+") as fh:
        flags = fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB
        fcntl.flock(fh.fileno(), flags)
        try:
            yield fh
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


@contextlib.contextmanager
def run_lease(
    path: Path, run_id: str, is_live: Callable[[RunOwner], bool], release: bool = False
) -> Iterator[RunOwner]:
    """Hold the data directory for run ``run_id`` across its steps, whatever executor
    runs them (each step may be its own process, so no one process can hold a lock for
    the whole run). The lease is a record of the owning run in ``path``; it is claimed
    and checked under an :func:`exclusive_lock` held for the step's duration, so two
    steps never claim at once and a SIGKILLed step's lock vanishes with it. A recorded
    owner that is another run still live (``is_live``: asked of the run's launcher, e.g.
    Dagster's run status and the launching pid) makes this raise RunInProgressError
    naming it; an owner that finished or died is taken over. ``release``: clear the
    record at the end (the run's last global step)."""
    with contextlib.ExitStack() as held:
        try:
            fh = held.enter_context(exclusive_lock(path, wait=False))
        except BlockingIOError:
            owner = read_owner(path)
            holder = owner.describe() if owner else "another process"
            raise RunInProgressError(
                f"{holder} is running on {path.parent.parent}; try again when it has finished"
            ) from None
        owner = read_owner(path)
        if owner is not None and owner.run_id != run_id and is_live(owner):
            raise RunInProgressError(
                f"{owner.describe()} is running on {path.parent.parent}; "
                "try again when it has finished"
            )
        if owner is None or owner.run_id != run_id:
            now = datetime.now(UTC).isoformat(timespec="seconds")
            owner = RunOwner(run_id, os.getpid(), now)
            _write(fh, json.dumps(dataclasses.asdict(owner)))
        yield owner
        if release:
            _write(fh, "")


def _write(fh: IO[str], text: str) -> None:
    fh.seek(0)
    fh.truncate()
    fh.write(text)
    fh.flush()
    os.fsync(fh.fileno())


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists on this host (signal 0 checks without sending)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True
