"""``make deploy-test``: the pipeline run as in production, on this machine, end to end.

PostgreSQL (installed from Debian's packages if missing) holds the Dagster instance;
``dagster-daemon`` runs the sensor, the run queue, run monitoring and retries; the
webserver serves the GraphQL API the UI uses; two ``dagster-celery`` workers on a
Redis broker execute the per-file steps. The test then:

1. turns the ``new_raw_files`` sensor on with the first scrape and waits for the file
   run (Celery) and the global run it requests, which publish v0001;
2. with the sensor off, drops three more scrapes and backfills their ``file_job``
   partitions on the Celery executor; every run succeeds and both workers take steps;
3. launches ``papers_job``, SIGKILLs the daemon's process tree (its code servers and
   the run worker) in the middle of that run, restarts the daemon, and checks that run
   monitoring fails the orphaned run, that the crash retry publishes v0002 reusing
   every backfilled file, and that the store never showed a partial version;
4. compares v0002 with a ``python -m pipeline run`` on a copy of the same raw files
   (run meanwhile), table for table, and reads the run history from PostgreSQL.

Every process runs in its own process group and is killed on the way out; every wait
has a deadline; the whole test is bounded by ``--timeout`` (default 600 s).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from deploy import checks, operations, scrapes, services
from deploy.celery_control import celery_control, set_consuming
from deploy.instance import TEST_TIMINGS, write_instance
from deploy.processes import Child, DeployError, kill, start, stop, stop_all, wait_for
from deploy.stack import (
    REPO,
    Env,
    start_daemon,
    start_webserver,
    start_worker,
    wait_webserver,
    wait_worker,
)

RUN_WAIT = 240  # seconds: the longest any one run may take here


class DeadlineError(DeployError):
    """The overall deadline passed."""


@dataclass
class World:
    """The running deployment the steps of the test act on."""

    tmp: Path
    env: Env
    instance: dg.DagsterInstance
    url: str
    pg: services.Postgres
    daemon: Child
    children: list[Child] = field(default_factory=list)
    seen: dict[str, object] = field(default_factory=dict)

    @property
    def data(self) -> Path:
        return self.env.data_dir


def _up(tmp: Path, pg_root: Path) -> World:
    """Install what is missing, start every server, return the deployment. The Celery
    workers, the daemon and the webserver start side by side (each spends seconds
    importing), then each is waited for."""
    logs = tmp / "logs"
    logs.mkdir(parents=True)
    services.ensure_packages(logs / "apt.log")
    pg = services.start_postgres(pg_root, logs)
    redis = services.start_redis(tmp / "redis", logs)
    home = tmp / "dagster_home"
    write_instance(home, pg.dagster_url, TEST_TIMINGS)
    data = tmp / "data"
    (data / "raw").mkdir(parents=True)
    env = Env(home, data, redis.url, logs, extra=(("PAPERS_SENSOR_INTERVAL_SECONDS", "2"),))
    workers = [start_worker(env, name) for name in ("w1", "w2")]
    daemon = start_daemon(env)
    web, url = start_webserver(env)
    for worker in workers:
        wait_worker(worker)
    wait_webserver(web, url)
    instance = dg.DagsterInstance.from_config(str(home))
    return World(tmp, env, instance, url, pg, daemon, [pg.child, redis.child, *workers, web])


def _wait_version(world: World, version: str) -> None:
    """Wait for LATEST to name ``version`` and the global run that published it to end;
    fail at once if a global run fails."""

    def published() -> bool:
        runs = checks.runs_of(world.instance, "papers_job")
        for run in runs:
            if run.status == dg.DagsterRunStatus.FAILURE and run.run_id not in world.seen:
                raise DeployError(f"papers_job run {run.run_id[:8]} failed waiting for {version}")
        return checks.latest(world.data) == version and all(r.is_finished for r in runs)

    wait_for(f"version {version}", published, RUN_WAIT, 0.5)


def sensor_phase(world: World, file: tuple[str, str]) -> str:
    """Drop the first scrape, turn the sensor on: a file run, then a global run publishes."""
    scrapes.drop(world.data / "raw", *file)
    sensor = operations.start_sensor(world.url, "new_raw_files")
    _wait_version(world, "v0001")
    return sensor


def _running_global(world: World, before: set[str]) -> str | None:
    """A papers_job run (not one of ``before``) that has started a step."""
    for run in checks.runs_of(world.instance, "papers_job"):
        if run.run_id in before:
            continue
        if run.status == dg.DagsterRunStatus.STARTED and checks.step_started(
            world.instance, run.run_id
        ):
            return run.run_id
    return None


def crash_phase(world: World, meanwhile: Callable[[], None]) -> str:
    """Launch the global run that publishes the backfilled files, SIGKILL the daemon's
    whole process tree (its code servers and the run worker with it) while that run is
    at work, restart the daemon; the orphaned run must end failed, its crash retry must
    publish reusing every backfilled file, the store must show only complete versions
    throughout. ``meanwhile`` runs while the restarted daemon finds the dead run."""
    before = {run.run_id for run in checks.runs_of(world.instance, "papers_job")}
    operations.launch_job(world.url, "papers_job")
    run_id = wait_for(
        "a papers_job run at work", lambda: _running_global(world, before), RUN_WAIT, 0.2
    )
    kill(world.daemon)
    killed_at = time.monotonic()
    world.seen[run_id] = "killed"
    run = world.instance.get_run_by_id(run_id)
    if run is None or run.status != dg.DagsterRunStatus.STARTED:
        raise DeployError(f"run {run_id[:8]} was not in progress when killed: {run and run.status}")
    checks.check_store(world.data)  # v0001 complete; nothing half-published
    world.daemon = start_daemon(world.env, "daemon-restarted.log")
    meanwhile()
    status = checks.wait_run(world.instance, run_id, RUN_WAIT)
    if status != dg.DagsterRunStatus.FAILURE:
        raise DeployError(f"killed run {run_id[:8]} ended {status}, expected FAILURE")
    failed_after = time.monotonic() - killed_at

    def retry() -> str | None:
        retries = checks.runs_of(world.instance, "papers_job", {"dagster/parent_run_id": run_id})
        return retries[0].run_id if retries else None

    retry_id = wait_for(f"a retry of run {run_id[:8]}", retry, RUN_WAIT, 1.0)
    world.seen[retry_id] = "retry"
    if checks.wait_run(world.instance, retry_id, RUN_WAIT) != dg.DagsterRunStatus.SUCCESS:
        raise DeployError(f"retry run {retry_id[:8]} of the killed run failed")
    _wait_version(world, "v0002")
    transformed = checks.metadata_of(world.instance, retry_id, "raw_files")["files_transformed"]
    if transformed != 0:
        raise DeployError(f"the global run transformed {transformed} files the backfill had done")
    return (
        f"papers_job run {run_id[:8]} killed mid-run with the daemon, failed by run "
        f"monitoring {failed_after:.0f} s later, its retry {retry_id[:8]} published v0002 "
        "reusing every backfilled file"
    )


def _submitted(world: World, runs: list[dg.DagsterRun]) -> int:
    """How many of these runs have handed their step to the broker."""
    count = 0
    for run in runs:
        records = world.instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ENGINE_EVENT)
        count += any("Submitting celery task" in (r.user_message or "") for r in records)
    return count


def backfill_phase(world: World, files: list[tuple[str, str]]) -> str:
    """With the sensor off, add three files and backfill their partitions on Celery;
    every run must succeed and both workers must have taken steps.

    The workers stop consuming until two steps wait in the queue, as they do whenever
    a backfill has more files than there are workers: here, with three small files,
    a run takes longer to launch (the daemon launches a code location's runs one at a
    time, each waiting for its worker process to import the code) than its step takes
    to run, so otherwise the steps would go to whichever worker is idle, by chance."""
    names = [scrapes.drop(world.data / "raw", *f).name for f in files]
    world.instance.add_dynamic_partitions("raw_files", names)
    celery = celery_control(world.env.broker_url)
    workers = [f"{name}@{socket.gethostname()}" for name in ("w1", "w2")]
    set_consuming(celery, workers, consume=False)
    backfill_id = operations.backfill(world.url, "file_job", names)

    def runs() -> list[dg.DagsterRun]:
        return checks.runs_of(world.instance, "file_job", {"dagster/backfill": backfill_id})

    wait_for("two file steps queued", lambda: _submitted(world, runs()) >= 2, RUN_WAIT, 1.0)
    set_consuming(celery, workers, consume=True)

    def finished() -> list[dg.DagsterRun] | None:
        done = runs()
        return done if len(done) == len(names) and all(r.is_finished for r in done) else None

    done = wait_for(f"backfill {backfill_id}", finished, RUN_WAIT * 2, 1.0)
    failed = [r.run_id[:8] for r in done if r.status != dg.DagsterRunStatus.SUCCESS]
    if failed:
        raise DeployError(f"backfill runs failed: {failed}")
    steps = checks.celery_workers(world.instance, [r.run_id for r in done])
    if len(steps) < 2 or sum(steps.values()) != len(names):
        raise DeployError(f"file steps not spread over both Celery workers: {dict(steps)}")
    spread = ", ".join(f"{w.split('@')[0]}: {n}" for w, n in sorted(steps.items()))
    return f"backfill of {len(names)} files on Celery ({spread} steps)"


def start_local_run(world: World, files: list[tuple[str, str]]) -> Child:
    """Start ``python -m pipeline run`` (in-process, SQLite instance of its own) on a
    copy of the raw files the deployment will have at the end."""
    local = world.tmp / "local"
    for name, text in files:
        scrapes.drop(local / "raw", name, text)
    env = {k: v for k, v in world.env.variables().items() if k != "DAGSTER_HOME"}
    argv = [sys.executable, "-m", "pipeline", "run", "--data-dir", str(local)]
    return start("local-run", argv, world.env.log_dir / "local-run.log", env=env, cwd=REPO)


def compare_phase(world: World, local_run: Child) -> str:
    """The local run must have published the same tables as the deployment's latest."""
    wait_for("the local run", lambda: not local_run.alive(), RUN_WAIT, 0.5)
    if local_run.proc.returncode != 0:
        raise DeployError(f"local run failed:\n{local_run.tail(5)}")
    stop(local_run)
    differ = checks.same_tables(world.data, "v0002", world.tmp / "local", "v0001")
    if differ:
        raise DeployError(f"deployment v0002 and the local run differ in {differ}")
    return "v0002 equals a local `pipeline run` on the same files, table for table"


def run_all(tmp: Path, pg_root: Path) -> str:
    """The whole scenario; its one-line summary."""
    started = time.monotonic()
    world = _up(tmp, pg_root)
    files = scrapes.scrape_files()[:4]
    sensor = sensor_phase(world, files[0])
    operations.stop_sensor(world.url, "new_raw_files", sensor)
    spread = backfill_phase(world, files[1:])
    local: list[Child] = []
    crash = crash_phase(world, lambda: local.append(start_local_run(world, files)))
    same = compare_phase(world, local[0])
    versions = checks.check_store(world.data)
    history = checks.postgres_runs(world.pg.url)
    runs = ", ".join(f"{k} {n}" for k, n in sorted(history.items()))
    return (
        f"deploy-test OK in {time.monotonic() - started:.0f} s: {len(versions)} versions "
        f"({', '.join(versions)}, all complete, LATEST {checks.latest(world.data)}); "
        f"v0001 by the sensor; {spread}; {crash}; {same}; runs in PostgreSQL: {runs}"
    )


def _on_signal(signum: int, _frame: object) -> None:
    raise DeadlineError(f"stopped by signal {signal.Signals(signum).name}")


def _report_logs(tmp: Path) -> None:
    for log in sorted((tmp / "logs").glob("*.log")):
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()[-25:]
        print(f"--- {log.name} (last {len(lines)} lines)", file=sys.stderr)
        print("\n".join(lines), file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=int, default=600, help="overall limit, seconds")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGALRM, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    signal.alarm(args.timeout)
    tmp = Path(tempfile.mkdtemp(prefix="papers-deploy-"))
    pg_root = Path(tempfile.mkdtemp(prefix="papers-deploy-pg-"))
    os.environ.pop("DAGSTER_HOME", None)
    code = 1
    try:
        print(run_all(tmp, pg_root), flush=True)
        code = 0
    except Exception as exc:  # any failure: the logs, then one line saying what failed
        _report_logs(tmp)
        print(f"deploy-test FAILED: {type(exc).__name__}: {exc}", flush=True)
    finally:
        signal.alarm(0)
        stop_all()
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
            shutil.rmtree(pg_root, ignore_errors=True)
        else:
            print(f"kept {tmp} and {pg_root}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
