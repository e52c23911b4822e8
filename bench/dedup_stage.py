"""Time the dedup stage as the pipeline runs it: the Dagster step ``deduplicate`` alone,
in a fresh process, on a data directory whose normalized_records a run has stored.

It reports the step's wall time, records per second and the process's peak RSS
(everything the step holds: its input columns, the near index, the outputs it
writes). The data directory is left as it was: the step runs on a scratch copy whose
files are hard links (every write in the pipeline replaces a file by rename, so the
original files are never touched).

    python -m bench.dedup_stage /tmp/base1m/data                # with the stored index
    python -m bench.dedup_stage /tmp/base1m/data --from-scratch # without it
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def child(data_dir: str) -> None:
    """Materialize deduplicate (and nothing else) on ``data_dir``; print JSON."""
    import dagster as dg
    import polars as pl

    from pipeline.definitions import build_resources
    from pipeline.defs.dedup import deduplicate

    resources = build_resources(data_dir)
    start = time.perf_counter()
    result = dg.materialize([deduplicate], resources=resources, selection=[deduplicate])
    seconds = time.perf_counter() - start
    records = resources["settings"].asset_dir / "records.parquet"
    n = pl.scan_parquet(records).select(pl.len()).collect().item()
    print(
        json.dumps(
            {
                "success": result.success,
                "records": n,
                "seconds": round(seconds, 2),
                "records_per_second": round(n / seconds),
                "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            }
        )
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.dedup_stage", description=__doc__)
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--from-scratch", action="store_true", help="ignore the near index")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(str(args.data_dir))
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
        proc = subprocess.run(
            [sys.executable, "-m", "bench.dedup_stage", str(scratch), "--child"],
            capture_output=True,
            text=True,
            env={**os.environ, "GX_ANALYTICS_ENABLED": "false"},
        )
    if proc.returncode:
        print(proc.stderr[-3000:], file=sys.stderr)
        return proc.returncode
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["index"] = "none" if args.from_scratch else "stored"
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
