"""A seeded benchmark corpus of raw trending-page text dumps, with its ground truth.

Why: the one real sample holds 242 distinct, clean papers: far too few to measure the
pipeline's speed and memory, and with no duplicates to score deduplication against.
This module builds corpora of any size (1k to 2M records) that look like the sample to
the reader (same page chrome, line layout, title and abstract lengths, vocabulary) and
come with the answer key: which records are the same work, which edit produced each
re-sighting, which titles collide on purpose, which entries are malformed and how.

How text is made, and why that way:

* Abstracts are walks of a word Markov chain over the sample's abstracts: the next word
  follows the last two (and, on a share of the steps, only the last one, so that walks
  leave the runs they copy). Numbers, dataset and model names are drawn again for each
  paper, and each paper's own method name and code URL are put in. Every word pair
  is one the sample has, yet two papers rarely share five words in a row.
* Titles are walks of the same kind over the sample's titles, behind a generated method
  name ("DeepZero: ...") about as often as in the sample, and made unique.
* Every random choice about a paper's text is a counter-based hash of (seed, paper), so
  any paper's text can be regenerated on its own: re-sightings need no memory of earlier
  files, and generation runs file by file, vectorised with numpy/polars over the records
  of one file. Per-record Python work is kept to the few records that are edited.

Output in DIR (``python -m bench.make_corpus --records N --out DIR [--seed 0] [--days D]``
or :func:`make_corpus`):

* ``raw/YYYY-MM-DD-trending.txt``: one file per scrape day from START_DATE, each one or
  more page dumps (chrome lines, "Subscribe" glued to the first title), then a title
  line and an abstract line per entry, LF line ends.
* ``truth.parquet``, one row per record: ``source_file`` (relative to raw/),
  ``record_index`` and ``line_start`` (as the reader numbers them), ``paper`` (the work),
  ``edit`` (null for the first sighting, else one of EDITS), ``title_collision`` (a
  distinct paper that took another's title phrase: must not be merged),
  ``collides_with`` (that other paper), ``malformed`` (null or one of MALFORMED_KINDS).
* ``stats.json``: counts, length distributions and similarity figures, corpus vs sample.

Layouts the reader cannot cut (see tests/bench/test_bench_corpus.py) are never written: two
title-only entries in a row, or one followed by a title that starts with a lowercase
letter; titles are never too long, closed by a full stop or a function word.

The generator lives in :mod:`bench.corpus`, one module per concern: ``shape`` (rates,
sizes, vocabularies), ``draws`` (counter-based randomness), ``sample`` (the sample and
its Markov chains), ``walks`` (walking them), ``text`` (titles and abstracts), ``edits``
(re-sightings), ``plan`` (the ground truth: who is what, where), ``layout`` (a day's
file), ``stats`` (similarity and stats.json). This module is the entry point and the
command line.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import polars as pl

from bench.corpus.layout import write_day
from bench.corpus.plan import default_days, plan_corpus
from bench.corpus.stats import Accumulator, CorpusStats, corpus_stats
from bench.corpus.text import Texts
from bench.corpus_formats import format_of_day
from bench.memory import peak_rss_mib


def make_corpus(
    n_records: int,
    out_dir: Path,
    seed: int = 0,
    days: int | None = None,
    jsonl_every: int = 0,
    formats_every: int = 0,
) -> CorpusStats:
    """Write ``n_records`` raw records under ``out_dir/raw`` with truth.parquet and stats.json.

    The same (n_records, seed, days) always gives byte-identical files.
    """
    started = time.perf_counter()
    if n_records < 1:
        raise ValueError("n_records must be at least 1")
    days = default_days(n_records) if days is None else days
    if days < 1:
        raise ValueError("days must be at least 1")
    out_dir = Path(out_dir)
    raw_dir = out_dir / "raw"
    if raw_dir.exists() and any(raw_dir.iterdir()):
        raise FileExistsError(f"{raw_dir} is not empty: a corpus needs a fresh directory")
    raw_dir.mkdir(parents=True, exist_ok=True)

    plan = plan_corpus(n_records, seed, days)
    texts = Texts(seed, plan.n_papers, plan.partner, plan.same_title)
    acc = Accumulator()
    for (day,), rows in plan.records.partition_by("day", as_dict=True, maintain_order=True).items():
        as_jsonl = jsonl_every > 0 and int(day) % jsonl_every == jsonl_every - 1
        fmt = None if as_jsonl else format_of_day(int(day), formats_every)
        write_day(int(day), rows, texts, plan, raw_dir, acc, as_jsonl, fmt)

    truth = pl.concat(acc.truth)
    truth.write_parquet(out_dir / "truth.parquet")
    stats = corpus_stats(n_records, seed, days, plan, texts, truth, acc)
    (out_dir / "stats.json").write_text(json.dumps(stats, indent=2) + "\n", encoding="utf-8")
    return CorpusStats(
        out_dir=out_dir,
        n_records=n_records,
        n_papers=plan.n_papers,
        n_files=len(acc.truth),
        seconds=time.perf_counter() - started,
        stats=stats,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: write a corpus and print its size, time and peak memory."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.make_corpus", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--records", type=int, required=True, help="raw records to write")
    parser.add_argument("--out", type=Path, required=True, help="output directory")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--days", type=int, default=None, help="files (scrape days)")
    parser.add_argument(
        "--jsonl-every",
        type=int,
        default=0,
        help="write every K-th scrape day as JSON lines instead of a page dump (0: none)",
    )
    parser.add_argument(
        "--formats-every",
        type=int,
        default=0,
        help="write every K-th scrape day as listing markdown, HTML, OAI-PMH or CSV, in turn",
    )
    args = parser.parse_args(argv)
    try:
        result = make_corpus(
            args.records,
            args.out,
            seed=args.seed,
            days=args.days,
            jsonl_every=args.jsonl_every,
            formats_every=args.formats_every,
        )
    except (ValueError, FileExistsError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    peak_mib = peak_rss_mib()
    sim = result.stats["similarity"]["corpus"]["distinct_papers"]
    print(
        f"wrote {result.n_records} records of {result.n_papers} papers in {result.n_files} "
        f"files to {result.out_dir} in {result.seconds:.1f} s, peak RSS {peak_mib:.0f} MiB; "
        f"distinct-paper similarity p99 {sim.get('p99')} max {sim.get('max')}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
