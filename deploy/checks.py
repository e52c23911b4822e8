"""What the deployment test verifies, read from where the truth is: the published store
on disk, the Dagster instance, and PostgreSQL itself.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path

import dagster as dg

from deploy.processes import DeployError, wait_for

_FINISHED = {dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED}


def papers_root(data_dir: Path) -> Path:
    return data_dir / "processed" / "papers"


def latest(data_dir: Path) -> str | None:
    path = papers_root(data_dir) / "LATEST"
    return path.read_text().strip() if path.exists() else None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def version_problems(data_dir: Path, version: str) -> list[str]:
    """Why ``version`` is not a complete version (empty when it is): a manifest, and
    every table it lists present with its recorded size and sha256."""
    root = papers_root(data_dir) / version
    manifest_path = root / "manifest.json"
    if not manifest_path.exists():
        return [f"{version}: no manifest.json"]
    manifest = json.loads(manifest_path.read_text())
    problems = [] if manifest.get("version") == version else [f"{version}: manifest names another"]
    for name, table in manifest.get("tables", {}).items():
        path = root / table["file"]
        if not path.exists():
            problems.append(f"{version}: {name} missing")
        elif path.stat().st_size != table["bytes"] or _sha256(path) != table["sha256"]:
            problems.append(f"{version}: {name} differs from its manifest")
    if not manifest.get("tables"):
        problems.append(f"{version}: manifest lists no tables")
    return problems


def check_store(data_dir: Path) -> list[str]:
    """Every published version complete, LATEST naming the newest; the versions."""
    root = papers_root(data_dir)
    versions = sorted(p.name for p in root.glob("v[0-9]*") if p.is_dir())
    problems = [p for v in versions for p in version_problems(data_dir, v)]
    if not versions or latest(data_dir) != versions[-1]:
        problems.append(f"LATEST is {latest(data_dir)!r}, versions {versions}")
    if problems:
        raise DeployError("store: " + "; ".join(problems))
    return versions


def table_hashes(data_dir: Path, version: str) -> dict[str, str]:
    manifest = json.loads((papers_root(data_dir) / version / "manifest.json").read_text())
    return {name: table["sha256"] for name, table in manifest["tables"].items()}


def same_tables(dir_a: Path, ver_a: str, dir_b: Path, ver_b: str) -> list[str]:
    """The tables of two versions that differ: by the manifest's sha256, and if the bytes
    differ, by content (``pl.DataFrame.equals``, so only a real difference counts)."""
    import polars as pl

    hashes_a, hashes_b = table_hashes(dir_a, ver_a), table_hashes(dir_b, ver_b)
    differ = []
    for name in sorted(set(hashes_a) | set(hashes_b)):
        if hashes_a.get(name) == hashes_b.get(name):
            continue
        file = f"{name}.parquet"
        a = pl.read_parquet(papers_root(dir_a) / ver_a / file)
        b = pl.read_parquet(papers_root(dir_b) / ver_b / file)
        if not a.equals(b):
            differ.append(name)
    return differ


def wait_run(instance: dg.DagsterInstance, run_id: str, timeout: float) -> dg.DagsterRunStatus:
    """The run's final status, once it has one."""

    def finished() -> dg.DagsterRunStatus | None:
        run = instance.get_run_by_id(run_id)
        return run.status if run is not None and run.status in _FINISHED else None

    return wait_for(f"run {run_id[:8]} to finish", finished, timeout, 1.0)


def runs_of(
    instance: dg.DagsterInstance, job: str, tags: dict | None = None
) -> list[dg.DagsterRun]:
    """Runs of ``job`` (newest first)."""
    return list(instance.get_runs(filters=dg.RunsFilter(job_name=job, tags=tags or {})))


def celery_workers(instance: dg.DagsterInstance, run_ids: list[str]) -> Counter:
    """How many steps of these runs each Celery worker executed, from the engine event
    dagster-celery logs when a worker starts a step ("Celery worker" metadata)."""
    seen: Counter = Counter()
    for run_id in run_ids:
        for record in instance.all_logs(run_id, of_type=dg.DagsterEventType.ENGINE_EVENT):
            event = record.dagster_event
            data = getattr(event, "event_specific_data", None) if event else None
            metadata = getattr(data, "metadata", None) or {}
            if "Celery worker" in metadata:
                seen[str(metadata["Celery worker"].value)] += 1
    return seen


def step_started(instance: dg.DagsterInstance, run_id: str) -> bool:
    """Whether the run has started a step (its worker is doing work, not importing)."""
    records = instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_START)
    return bool(records)


def metadata_of(instance: dg.DagsterInstance, run_id: str, asset: str) -> dict:
    """The metadata of the run's materialization of ``asset``."""
    for record in instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION):
        mat = record.asset_materialization
        if mat is not None and mat.asset_key.to_user_string() == asset:
            return {k: v.value for k, v in mat.metadata.items()}
    raise DeployError(f"run {run_id[:8]} did not materialize {asset}")


def postgres_runs(url: str) -> Counter:
    """Runs by job and status, read from PostgreSQL's ``runs`` table directly (not through
    Dagster): the history is in the database, not in a file under DAGSTER_HOME."""
    import psycopg2

    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute("select pipeline_name, status, count(*) from runs group by 1, 2")
            return Counter({f"{job}:{status}": n for job, status, n in cur.fetchall()})
    finally:
        conn.close()
