"""Time the dedup stage alone on a cached normalised corpus (see bench/dedup_prepare.py).

Prints seconds, records/s, peak RSS (the process's, input included, and the input
alone before dedup), and pair precision/recall/F1 against the corpus's truth.
``--profile`` writes a cProfile dump; ``--incremental F`` first builds the near index
on the records of the first F of the files, then times the full run with that index
and checks it equals the run without one.

    python -m bench.dedup_time 100000
    python -m bench.dedup_time 1000000 --incremental 0.99
"""

from __future__ import annotations

import argparse
import cProfile
import time

import polars as pl

from bench.dedup_prepare import corpus_dir, prepare
from bench.memory import peak_rss_mib
from bench.run import duplicate_scores
from pipeline.core.dedup.clustering import cluster_duplicates


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("n", type=int)
    parser.add_argument("--profile", help="write a cProfile dump here")
    parser.add_argument("--incremental", type=float, help="share of files in the first run")
    args = parser.parse_args()
    normalized = pl.read_parquet(prepare(args.n))
    truth = pl.read_parquet(corpus_dir(args.n) / "truth.parquet")
    n = normalized.height
    print(f"{n:,} records loaded; peak RSS {peak_rss_mib():,.0f} MiB", flush=True)
    index = None
    if args.incremental:
        files = normalized["source_file"].unique().sort()
        first = files.head(int(len(files) * args.incremental))
        part = normalized.filter(pl.col("source_file").is_in(first.to_list()))
        start = time.perf_counter()
        index = cluster_duplicates(part, index=None).index
        print(
            f"index on {part.height:,} records ({len(first)} files): "
            f"{time.perf_counter() - start:.2f} s; peak RSS {peak_rss_mib():,.0f} MiB",
            flush=True,
        )
    profiler = cProfile.Profile() if args.profile else None
    start = time.perf_counter()
    if profiler:
        profiler.enable()
    result = (
        cluster_duplicates(normalized, index=index)
        if index is not None
        else cluster_duplicates(normalized)
    )
    if profiler:
        profiler.disable()
        profiler.dump_stats(args.profile)
    seconds = time.perf_counter() - start
    print(
        f"dedup{' (incremental)' if index is not None else ''}: {seconds:.2f} s, "
        f"{n / seconds:,.0f} records/s; peak RSS {peak_rss_mib():,.0f} MiB",
        flush=True,
    )
    stats = {k: v for k, v in result.stats.items() if k != "largest_cluster_titles"}
    print("stats:", stats)
    scores = duplicate_scores(result.records, truth)
    print(
        f"pairs: precision {scores['precision']}, recall {scores['recall']}, F1 {scores['f1']} "
        f"({scores['pairs_predicted']:,} predicted / {scores['pairs_true']:,} true); "
        f"title collisions merged {scores['title_collisions_merged']}"
    )
    print("recall by edit:", {k: v["recall"] for k, v in scores["recall_by_edit"].items()})
    if index is not None:
        start = time.perf_counter()
        scratch = cluster_duplicates(normalized)
        print(f"from scratch: {time.perf_counter() - start:.2f} s")
        same = all(
            getattr(result, t).equals(getattr(scratch, t))
            for t in ("records", "papers", "variants")
        )
        print(f"incremental == from scratch: {same}")


if __name__ == "__main__":
    main()
