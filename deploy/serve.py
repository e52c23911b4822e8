"""``make serve``: the webserver and the daemon on PostgreSQL, as a service runs them.

Unlike ``make dev`` (``dagster dev``: SQLite under data/.dagster, one process tree,
DEBUG output), this starts the processes a deployment runs, on one machine:

- PostgreSQL: ``$PAPERS_DAGSTER_PG_URL`` when set (a ``postgresql+psycopg2://`` URL of
  a database you run), else a cluster of its own under ``DATA_DIR/.postgres`` (created
  on first use, kept between starts, fsync on);
- ``dagster-daemon run`` and ``dagster-webserver`` (127.0.0.1) on
  ``DATA_DIR/.dagster-deploy/dagster.yaml``, logging at INFO;
- optionally ``--celery-workers N`` Celery workers and a Redis broker (needed for
  ``file_job`` runs and backfills; without them those runs wait in the queue);
  ``$PAPERS_CELERY_BROKER`` points at a broker you run instead.

Ctrl-C (or SIGTERM) stops everything it started.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path

from deploy import services
from deploy.definitions import BROKER_ENV
from deploy.instance import write_instance
from deploy.processes import Child, DeployError, stop_all
from deploy.stack import Env, start_daemon, start_webserver, start_worker, wait_webserver

PG_URL_ENV = "PAPERS_DAGSTER_PG_URL"


def _database(data_dir: Path, log_dir: Path) -> str:
    """The Dagster storage URL: the given one, or our own cluster's (started now)."""
    url = os.environ.get(PG_URL_ENV)
    if url:
        return url
    services.ensure_packages(log_dir / "apt.log")
    root = data_dir / ".postgres"
    root.mkdir(parents=True, exist_ok=True)
    return services.start_postgres_durable(root, log_dir).dagster_url


def _broker(data_dir: Path, log_dir: Path, workers: int) -> str:
    url = os.environ.get(BROKER_ENV)
    if url or workers == 0:
        return url or "redis://127.0.0.1:6379/0"
    return services.start_redis(data_dir / ".redis", log_dir).url


def serve(data_dir: Path, port: int, workers: int) -> Child:
    """Start everything; returns the daemon (the process whose end ends the service)."""
    # Not DAGSTER_HOME/logs: Dagster keeps compute logs there.
    log_dir = data_dir / ".dagster-deploy" / "service-logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    home = data_dir / ".dagster-deploy"
    write_instance(home, _database(data_dir, log_dir))
    env = Env(home, data_dir, _broker(data_dir, log_dir, workers), log_dir)
    for n in range(workers):
        start_worker(env, f"w{n + 1}")
    daemon = start_daemon(env)
    web, url = start_webserver(env, port)
    wait_webserver(web, url)
    print(f"Dagster UI: {url}  (DAGSTER_HOME={home}, data {data_dir})", flush=True)
    print(f"logs: {log_dir}/*.log; Ctrl-C stops the service", flush=True)
    return daemon


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default="data")
    parser.add_argument("--port", type=int, default=3000)
    parser.add_argument("--celery-workers", type=int, default=0)
    args = parser.parse_args(argv)
    data_dir = Path(args.data_dir).resolve()
    # Stop on SIGTERM (a supervisor) as on Ctrl-C, also when started in the background
    # (where a shell leaves SIGINT ignored).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        daemon = serve(data_dir, args.port, args.celery_workers)
        daemon.proc.wait()
        print(f"daemon exited ({daemon.proc.returncode}); see {daemon.log}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    except DeployError as exc:
        print(f"serve: {exc}", file=sys.stderr)
        return 1
    finally:
        stop_all()


if __name__ == "__main__":
    sys.exit(main())
