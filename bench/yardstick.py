"""``python -m bench.yardstick``: this machine's speed, by issue #17's own measurement.

Why: the machine's speed has varied by about 2x between sessions, so figures taken on
different days cannot be compared. This times langdetect itself (the reference, which
no change to the pipeline makes faster) on the sample's 242 clean abstracts, as
detection sees them (the first DETECT_PREFIX_CHARS characters, N_TRIALS trials, seed
LANGDETECT_SEED), in CPU seconds of the thread, ``--runs`` times after one warm-up,
and prints one JSON line: milliseconds a text for each run. Runs of the benchmarks
are comparable when this gives the same figures beside them.
"""

from __future__ import annotations

import argparse
import json
import time

from bench.run import REPO
from pipeline.core.ingest.raw_files import ingest
from pipeline.core.transform.language import DETECT_PREFIX_CHARS, _langdetect_best
from pipeline.core.transform.normalize import normalize_text

SAMPLE_DIR = REPO / "data" / "raw"


def sample_prefixes() -> list[str]:
    """The sample's clean abstracts, cut as detection cuts them."""
    clean = normalize_text(ingest(SAMPLE_DIR).records)
    return [a[:DETECT_PREFIX_CHARS] for a in clean["abstract"].drop_nulls().to_list()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    texts = sample_prefixes()
    _langdetect_best(texts[:5])  # the profiles load once per process
    per_text = []
    for _ in range(args.runs):
        start = time.thread_time()
        _langdetect_best(texts)
        per_text.append(round((time.thread_time() - start) / len(texts) * 1000, 3))
    print(json.dumps({"texts": len(texts), "langdetect_ms_per_text": per_text}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
