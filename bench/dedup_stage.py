"""Time the dedup stage as the pipeline runs it, each Dagster step in a fresh process,
on a data directory whose normalized_records a run has stored: ``clusters`` (duplicate
detection: every record's fate) and then the three tables built from it, ``records``,
``variants`` and ``papers``.

It reports each step's wall time, records per second and its process's peak RSS
(everything the step holds: its input columns, the near index, the outputs it
writes). The data directory is left as it was: the steps run on a scratch copy whose
files are hard links (every write in the pipeline replaces a file by rename, so the
original files are never touched).

    python -m bench.dedup_stage /tmp/base1m/data                # with the stored index
    python -m bench.dedup_stage /tmp/base1m/data --from-scratch # without it
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
from pathlib import Path

from bench.memory import peak_rss_mib

STEPS = ("clusters", "records", "variants", "papers")


def child(data_dir: str, step: str) -> None:
    """Materialize one dedup asset (and nothing else) on ``data_dir``; print JSON."""
    import dagster as dg
    import polars as pl

    from pipeline.definitions import build_resources
    from pipeline.defs import dedup

    assets = [getattr(dedup, name) for name in STEPS]
    resources = build_resources(data_dir)
    start = time.perf_counter()
    result = dg.materialize(assets, resources=resources, selection=[step])
    seconds = time.perf_counter() - start
    clusters = resources["settings"].asset_dir / "clusters.parquet"
    n = pl.scan_parquet(clusters).select(pl.len()).collect().item()
    print(
        json.dumps(
            {
                "step": step,
                "success": result.success,
                "records": n,
                "seconds": round(seconds, 2),
                "records_per_second": round(n / seconds),
                "peak_rss_mib": round(peak_rss_mib()),
            }
        )
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.dedup_stage", description=__doc__)
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--from-scratch", action="store_true", help="ignore the near index")
    parser.add_argument("--child", choices=STEPS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(str(args.data_dir), args.child)
        return 0
    with tempfile.TemporaryDirectory(prefix="dedup-stage-", dir=args.data_dir.parent) as tmp:
        scratch = Path(tmp) / "data"
        shutil.copytree(
            args.data_dir / "processed",
            scratch / "processed",
            copy_function=os.link,
            ignore=shutil.ignore_patterns(".dagster"),
        )
        (scratch / "raw").mkdir()
        if args.from_scratch:
            shutil.rmtree(scratch / "processed" / "_cache" / "near", ignore_errors=True)
        results = []
        for step in STEPS:
            proc = subprocess.run(
                [sys.executable, "-m", "bench.dedup_stage", str(scratch), "--child", step],
                capture_output=True,
                text=True,
                env={**os.environ, "GX_ANALYTICS_ENABLED": "false"},
            )
            if proc.returncode:
                print(proc.stderr[-3000:], file=sys.stderr)
                return proc.returncode
            result = json.loads(proc.stdout.strip().splitlines()[-1])
            result["index"] = "none" if args.from_scratch else "stored"
            results.append(result)
            print(json.dumps(result), flush=True)
    total = sum(r["seconds"] for r in results)
    print(
        json.dumps(
            {
                "step": "all four",
                "seconds": round(total, 2),
                "records_per_second": round(results[0]["records"] / total),
                "peak_rss_mib": max(r["peak_rss_mib"] for r in results),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
