"""One run at a time per data directory: an advisory file lock that dies with its holder.

Intermediate tables under processed/_assets are shared by the stages of a run, so two
runs on one data directory would overwrite each other's. ``fcntl.flock`` is released
by the kernel when the holding process exits, even by SIGKILL, so a crashed run never
leaves a stale lock behind.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path


class RunInProgressError(RuntimeError):
    """Another run holds the data directory's lock."""


@contextlib.contextmanager
def run_lock(path: Path) -> Iterator[None]:
    """Hold ``path`` exclusively for the duration, or raise RunInProgressError at once."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+") as fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "unknown"
            raise RunInProgressError(
                f"another run is in progress on {path.parent} (pid {holder}); "
                "try again when it has finished"
            ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        try:
            yield
        finally:
            fh.seek(0)
            fh.truncate()
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
