"""Where a profiled run spent its time, from py-spy's raw (collapsed-stack) output.

    py-spy record --subprocesses -r 20 -f raw -o run.txt -- python -m pipeline run ...
    python -m bench.profile_summary run.txt

Each sample is attributed twice: to the Dagster step it ran under (the asset or check
function in ``pipeline/defs``, not the decorator in ``defs/errors.py`` that wraps it),
and to the innermost function of the ``pipeline`` package on its stack. Two kinds of
work run outside any step's stack and are counted apart: ``collect_records``' worker
processes (``core/ingest/file_batches.py``, one per core when a run has several
batches of new files) and language-detection threads. Samples are per thread, so with
several threads or processes the total exceeds wall time. py-spy leaves idle threads
out, and a Python thread waiting on polars' own (native) threads is idle: steps that
are mostly polars (writing the papers, records and variants tables) show far fewer
samples than their seconds; the bench's per-step wall times (``steps`` in its JSON)
are the view for those.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

# The functions that mark the work run outside any step's stack.
WORKER_FUNCTION = "_worker_batch"  # pipeline/core/ingest/file_batches.py
LANGUAGE_FUNCTION = "_detect_chunk"  # pipeline/core/transform/language.py
_FRAME = re.compile(r"^(?P<func>[^ ]+) \((?P<file>[^:]+)(?::\d+)?\)$")


def _frames(stack: str) -> list[tuple[str, str]]:
    out = []
    for frame in stack.split(";"):
        match = _FRAME.match(frame.strip())
        if match:
            out.append((match["func"], match["file"]))
    return out


def _ours(path: str, sub: str = "") -> bool:
    """Whether ``path`` (as py-spy prints it: relative to sys.path) is in the package."""
    prefix = f"pipeline/{sub}"
    return path.startswith(prefix) or f"/{prefix}" in path


def _step(ours: list[tuple[str, str]]) -> str:
    """The step a sample's stack (its ``pipeline`` frames, outermost first) ran under."""
    step = next((f for f, p in ours if _ours(p, "defs/") and not _ours(p, "defs/errors")), None)
    if step is not None:
        return step
    names = {f for f, _ in ours}
    if WORKER_FUNCTION in names:
        return "collect_records: worker processes"
    if LANGUAGE_FUNCTION in names:
        return "language threads"
    return "outside steps (start-up, Dagster)"


def summarize(lines: list[str]) -> tuple[Counter, Counter, int]:
    by_step: Counter = Counter()
    by_function: Counter = Counter()
    total = 0
    for line in lines:
        stack, _, count_text = line.rstrip().rpartition(" ")
        if not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        frames = _frames(stack)
        ours = [(f, p) for f, p in frames if _ours(p)]
        by_step[_step(ours)] += count
        if ours:
            func, path = ours[-1]
            by_function[f"{Path(path).stem}.{func}"] += count
        else:
            by_function["(no pipeline frame)"] += count
    return by_step, by_function, total


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__)
        return 2
    by_step, by_function, total = summarize(Path(argv[0]).read_text().splitlines())
    print(f"{total} samples")
    for title, counter, n in (("by step", by_step, 20), ("by function", by_function, 25)):
        print(f"\n{title}:")
        for name, count in counter.most_common(n):
            print(f"  {count / total:6.1%}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
