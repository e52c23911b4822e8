"""The measures of memory the benchmarks report."""

from __future__ import annotations

import os
import resource
import threading
from pathlib import Path

_PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")
_MIB = 1024 * 1024


def peak_rss_mib() -> float:
    """This process's peak resident set size so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def tree_rss_mib(root: int) -> float:
    """Resident set size of ``root`` and all its descendants now, in MiB (from /proc).
    A run with worker processes holds memory in all of them at once; the peak RSS of
    any one process (``ru_maxrss``, /usr/bin/time's %M) undercounts it. A sum of RSS
    counts the pages processes share (libraries, polars) once per process, so it
    overstates what the tree holds: an upper bound."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # pid (comm) state ppid ...: comm may hold spaces, so split after its ')'
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process exited meanwhile
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, ()))
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * _PAGE_BYTES
        except OSError:
            continue
    return total / _MIB


class TreePeak:
    """The peak of :func:`tree_rss_mib` of a process, sampled every ``interval`` s on a
    thread until :meth:`stop` (a peak shorter than the interval can be missed)."""

    def __init__(self, root: int, interval: float = 0.25) -> None:
        self.peak = 0.0
        self._error: Exception | None = None
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._sample, args=(root, interval), daemon=True)
        self._thread.start()

    def _sample(self, root: int, interval: float) -> None:
        try:
            while not self._stopped.wait(interval):
                self.peak = max(self.peak, tree_rss_mib(root))
        except Exception as exc:  # reported by stop(): a silent sampler reports too low
            self._error = exc

    def stop(self) -> float:
        """The peak sampled; raises what stopped the sampling early, if anything did."""
        self._stopped.set()
        self._thread.join()
        if self._error is not None:
            raise RuntimeError("the memory sampler failed") from self._error
        return self.peak
