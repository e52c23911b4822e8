"""``make bench``: the pipeline end to end on a generated corpus, measured.

Stages are timed in-process on the core functions (the Dagster layer adds a
constant), then the real command line runs the whole job three times in a fresh
data directory: the first run, an unchanged rerun, and an incremental run with one
more file of 250 new records. Duplicate detection is scored on pairs against the
corpus's ground truth. Results print as a table and go to
``bench/results/<date>-<N>.json``.

    BENCH_N=1000000 make bench     # or: python -m bench.run --records 1000000
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from bench.make_corpus import make_corpus
from bench.memory import TreePeak, peak_rss_mib
from bench.run_table import print_table
from pipeline.core.config import default_expectations
from pipeline.core.dedup.clustering import cluster_duplicates
from pipeline.core.ingest.raw_files import ingest
from pipeline.core.provenance import code_version
from pipeline.core.store.publish import publish_version
from pipeline.core.transform import language
from pipeline.core.transform.extract import extract_fields
from pipeline.core.transform.language import empty_cache
from pipeline.core.transform.normalize import normalize_text
from pipeline.core.transform.records import transform_records
from pipeline.core.validate.evidence import validate_candidate

REPO = Path(__file__).resolve().parents[1]
CACHE = REPO / "bench" / ".cache"
RESULTS = REPO / "bench" / "results"
INCREMENT_RECORDS = 250


def corpus(n: int, seed: int, jsonl_every: int = 0, formats_every: int = 0) -> Path:
    """The corpus for (n, seed), generated once and cached under bench/.cache;
    ``jsonl_every`` > 0 writes every K-th scrape day as JSON lines, ``formats_every``
    every K-th as listing markdown, HTML, OAI-PMH or CSV in turn."""
    suffix = f"-jsonl{jsonl_every}" if jsonl_every else ""
    suffix += f"-formats{formats_every}" if formats_every else ""
    out = CACHE / f"corpus-{n}-{seed}{suffix}"
    if not (out / "truth.parquet").is_file():
        if out.exists():
            shutil.rmtree(out)
        make_corpus(n, out, seed=seed, jsonl_every=jsonl_every, formats_every=formats_every)
    return out


def timed(stages: list[dict], name: str, records: int, fn: Callable[[], Any]) -> Any:
    start = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - start
    stages.append(
        {
            "stage": name,
            "seconds": round(seconds, 3),
            "records_per_s": round(records / seconds) if seconds else None,
            "peak_rss_mib": round(peak_rss_mib()),
        }
    )
    # As it happens, so a run stopped part-way (memory, time) still shows how far it got.
    print(f"{name}: {seconds:.2f} s, peak RSS {peak_rss_mib():,.0f} MiB", flush=True)
    return result


def pair_count(sizes: pl.Expr) -> pl.Expr:
    return (sizes * (sizes - 1) / 2).sum()


def duplicate_scores(records: pl.DataFrame, truth: pl.DataFrame) -> dict:
    """Pair precision, recall and F1 of the predicted papers against the true ones, over
    the records the pipeline published or merged; recall per edit type."""
    key = ["source_file", "record_index"]
    joined = truth.join(records.select(*key, "paper_id", "status"), on=key, how="inner").filter(
        pl.col("paper_id").is_not_null()
    )
    true_pairs = joined.group_by("paper").len().select(pair_count(pl.col("len"))).item()
    predicted = joined.group_by("paper_id").len().select(pair_count(pl.col("len"))).item()
    correct = joined.group_by("paper", "paper_id").len().select(pair_count(pl.col("len"))).item()
    precision = correct / predicted if predicted else 1.0
    recall = correct / true_pairs if true_pairs else 1.0
    originals = joined.filter(pl.col("edit").is_null()).select(
        "paper", original_id=pl.col("paper_id")
    )
    per_edit = (
        joined.filter(pl.col("edit").is_not_null())
        .join(originals.unique("paper"), on="paper", how="left")
        .group_by("edit")
        .agg(
            records=pl.len(),
            recall=(pl.col("paper_id") == pl.col("original_id")).mean(),
        )
        .sort("edit")
    )
    collisions = joined.filter(pl.col("title_collision"))
    wrongly_merged = collisions.join(
        joined.filter(~pl.col("title_collision")).select("paper_id", other=pl.col("paper")),
        on="paper_id",
    ).filter(pl.col("paper") != pl.col("other"))
    return {
        "pairs_true": int(true_pairs),
        "pairs_predicted": int(predicted),
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(2 * precision * recall / (precision + recall), 4)
        if precision + recall
        else 0.0,
        "recall_by_edit": {
            row["edit"]: {"records": row["records"], "recall": round(row["recall"], 4)}
            for row in per_edit.iter_rows(named=True)
        },
        "title_collisions_merged": wrongly_merged["paper"].n_unique(),
    }


def in_process(raw_dir: Path, truth: pl.DataFrame, workdir: Path) -> dict:
    stages: list[dict] = []
    ingested = timed(stages, "ingest (read + parse)", len(truth), lambda: ingest(raw_dir))
    n = ingested.records.height
    normalized = timed(
        stages, "  normalise (NFC, keys, sha256)", n, lambda: normalize_text(ingested.records)
    )
    timed(
        stages,
        "  extract fields (URLs, LaTeX, vocab, acronym)",
        n,
        lambda: extract_fields(normalized),
    )
    transformed = timed(
        stages,
        "transform (normalise, extract, language, rules)",
        n,
        lambda: transform_records(ingested.records, empty_cache()),
    )
    deduped = timed(
        stages,
        "dedup (keys + MinHash LSH + verify)",
        n,
        lambda: cluster_duplicates(transformed.records),
    )
    evidence = workdir / "evidence"
    outcomes = timed(
        stages,
        "validate (Great Expectations)",
        n,
        lambda: validate_candidate(
            deduped.papers, deduped.records, default_expectations(), evidence
        ),
    )
    store = workdir / "store"
    timed(
        stages,
        "publish (write version)",
        n,
        lambda: publish_version(
            store,
            ingested.files,
            ingested.records,
            deduped.records,
            deduped.papers,
            expectations=outcomes,
            evidence_dir=evidence,
            variants=deduped.variants,
        ),
    )
    version = next(store.glob("v*"))
    sizes = {p.name: p.stat().st_size for p in sorted(version.glob("*.parquet"))}
    return {
        "stages": stages,
        "language": transformed.language_stats,
        "language_prefix_agreement": prefix_agreement(transformed.records),
        "records": n,
        "papers": deduped.papers.height,
        "status_counts": dict(deduped.records.group_by("status").len().iter_rows()),
        "failed_checks": [o.name for o in outcomes if not o.passed],
        "output_bytes": sizes,
        "duplicates": duplicate_scores(deduped.records, truth),
        "peak_rss_mib": round(peak_rss_mib()),
    }


def prefix_agreement(records: pl.DataFrame, sample: int = 2000) -> dict:
    """How often langdetect on the 400-character prefix with 3 trials (what the pipeline
    runs) agrees with langdetect on the full abstract with its default 7 trials."""
    from langdetect import detector_factory

    picked = records.filter(pl.col("language").is_not_null()).sample(
        min(sample, records.height), seed=0
    )
    detector_factory.init_factory()
    factory = detector_factory._factory
    factory.seed = language.LANGDETECT_SEED
    agree = 0
    for text, lang in picked.select("abstract", "language").iter_rows():
        detector = factory.create()
        detector.append(text)
        agree += detector.detect() == lang
    return {"texts": picked.height, "agreement": round(agree / max(picked.height, 1), 4)}


def language_cache_rows(data_dir: Path) -> int:
    path = data_dir / "processed" / "_cache" / "language.parquet"
    return pl.scan_parquet(path).select(pl.len()).collect().item() if path.is_file() else 0


def cli_run(data_dir: Path, label: str) -> dict:
    """One real `python -m pipeline run`: wall time, peak memory and seconds per Dagster
    step. ``peak_rss_mib`` is the largest single process's peak (/usr/bin/time's %M);
    ``peak_tree_rss_mib`` the peak sum over the run and its worker processes, sampled."""
    before = dagster_runs(data_dir)
    start = time.perf_counter()
    command = ["/usr/bin/time", "-f", "%M", sys.executable, "-m", "pipeline", "run"]
    proc = subprocess.Popen(
        [*command, "--data-dir", str(data_dir)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "GX_ANALYTICS_ENABLED": "false"},
    )
    tree = TreePeak(proc.pid)
    stdout, stderr = proc.communicate()
    tree_peak = tree.stop()
    seconds = time.perf_counter() - start
    summary = [line for line in stdout.splitlines() if line]
    rss_kib = stderr.strip().splitlines()[-1] if stderr.strip() else "0"
    return {
        "run": label,
        "seconds": round(seconds, 2),
        "exit": proc.returncode,
        "peak_rss_mib": round(int(rss_kib) / 1024) if rss_kib.isdigit() else None,
        "peak_tree_rss_mib": round(tree_peak),
        "summary": summary,
        "error": stderr.strip().splitlines()[-2:] if proc.returncode else None,
        "steps": step_seconds(data_dir, before),
    }


def step_seconds(data_dir: Path, runs_before: int) -> dict[str, float]:
    """Seconds per step of the run just made, from the Dagster instance it used (an
    unchanged rerun makes no Dagster run: empty)."""
    import dagster as dg

    home = data_dir / ".dagster"
    if not home.is_dir():
        return {}
    instance = dg.DagsterInstance.from_config(str(home))
    runs = instance.get_runs()
    if len(runs) <= runs_before:
        return {}
    return {
        s.step_key: round(s.end_time - s.start_time, 2)
        for s in instance.get_run_step_stats(runs[0].run_id)
        if s.end_time and s.start_time
    }


def dagster_runs(data_dir: Path) -> int:
    home = data_dir / ".dagster"
    if not home.is_dir():
        return 0
    import dagster as dg

    return len(dg.DagsterInstance.from_config(str(home)).get_runs())


def end_to_end(raw_dir: Path, seed: int, workdir: Path) -> list[dict]:
    data = workdir / "data"
    shutil.copytree(raw_dir, data / "raw")
    runs = [cli_run(data, "first run"), cli_run(data, "unchanged rerun")]
    extra = corpus(INCREMENT_RECORDS, seed + 1)
    for src in sorted((extra / "raw").glob("*.txt")):
        shutil.copy(src, data / "raw" / f"2099-12-31-increment-{src.name}")
    cached_before = language_cache_rows(data)
    increment = cli_run(data, f"incremental (+{INCREMENT_RECORDS} records)")
    detected = language_cache_rows(data) - cached_before
    texts = cached_before + detected  # every distinct text of the run is in the cache now
    increment["language_detected"] = detected
    increment["language_cache_hit_rate"] = round(1 - detected / texts, 4) if texts else None
    runs.append(increment)
    return runs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=int(os.environ.get("BENCH_N", 100_000)))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-cli", action="store_true", help="only the in-process stages")
    parser.add_argument(
        "--jsonl-every",
        type=int,
        default=0,
        help="every K-th scrape day of the corpus as JSON lines (0: page dumps only)",
    )
    parser.add_argument(
        "--formats-every",
        type=int,
        default=0,
        help="every K-th scrape day as listing markdown, HTML, OAI-PMH or CSV, in turn "
        "(0: page dumps only)",
    )
    parser.add_argument(
        "--cli-only",
        action="store_true",
        help="only the command-line runs (first, unchanged, incremental): the in-process "
        "stages hold the whole corpus several times over, which a 1M run cannot afford",
    )
    args = parser.parse_args(argv)
    start = time.perf_counter()
    raw_corpus = corpus(args.records, args.seed, args.jsonl_every, args.formats_every)
    generated = time.perf_counter() - start
    truth = pl.read_parquet(raw_corpus / "truth.parquet")
    with tempfile.TemporaryDirectory(prefix="papers-bench-") as tmp:
        result = {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "n_records": args.records,
            "seed": args.seed,
            "jsonl_every": args.jsonl_every,
            "formats_every": args.formats_every,
            "code_version": code_version(),
            "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
            "corpus_seconds_or_cached": round(generated, 1),
            "in_process": None
            if args.cli_only
            else in_process(raw_corpus / "raw", truth, Path(tmp)),
            "end_to_end": []
            if args.skip_cli
            else end_to_end(raw_corpus / "raw", args.seed, Path(tmp)),
        }
    RESULTS.mkdir(parents=True, exist_ok=True)
    suffix = "-cli" if args.cli_only else ""
    suffix += f"-jsonl{args.jsonl_every}" if args.jsonl_every else ""
    suffix += f"-formats{args.formats_every}" if args.formats_every else ""
    out = RESULTS / f"{datetime.now(UTC):%Y-%m-%d}-{args.records}{suffix}.json"
    out.write_text(json.dumps(result, indent=2, default=str) + "\n")
    print_table(result)
    print(f"\nwritten to {out.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
