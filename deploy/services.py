"""PostgreSQL and Redis for a deployment on this machine: installed from Debian's
packages when missing, started as throwaway servers on 127.0.0.1.

A fresh machine (CI's) has neither server; installing them here keeps
``make deploy-test`` a command that needs nothing done by hand. The servers run
from a directory of ours on a free port, never as the system's services, so they
cannot collide with a PostgreSQL or Redis that the machine runs for something else.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

from deploy.processes import Child, DeployError, free_port, port_open, start, wait_for

PG_USER = "papers"
PG_DB = "dagster"
# The unprivileged account PostgreSQL runs as when we are root (it refuses to run as root).
RUN_AS = "nobody"
# Debian's maintainer scripts start the packaged services after installing them; this
# policy (exit 101: "action forbidden") stops that, so we never start a system server.
_POLICY_RC = Path("/usr/sbin/policy-rc.d")


def _pg_bindir() -> Path | None:
    """The newest installed server's bin directory (Debian: /usr/lib/postgresql/<v>/bin)."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/postgres"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    return found[-1].parent if found else None


def apt_install(packages: list[str], log: Path) -> None:
    """``apt-get update`` once, then install ``packages``, without starting their services."""
    if os.geteuid() != 0:
        raise DeployError(f"{' '.join(packages)} missing and not root: apt-get install them")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    placed = False
    if not _POLICY_RC.exists():
        _POLICY_RC.write_text("#!/bin/sh\nexit 101\n")
        _POLICY_RC.chmod(0o755)
        placed = True
    try:
        with log.open("ab") as out:
            # Another apt-get on the machine holds dpkg's lock: wait for it, bounded.
            wait = ["-o", "DPkg::Lock::Timeout=240"]
            for argv in (
                ["apt-get", *wait, "update", "-q"],
                ["apt-get", *wait, "install", "-y", "-q", "--no-install-recommends", *packages],
            ):
                done = subprocess.run(
                    argv, stdout=out, stderr=subprocess.STDOUT, env=env, timeout=420
                )
                if done.returncode != 0:
                    command = " ".join(argv)
                    raise DeployError(f"{command} failed (exit {done.returncode}); see {log}")
    finally:
        if placed:
            _POLICY_RC.unlink()


def ensure_packages(log: Path) -> None:
    """Install the PostgreSQL server and Redis from Debian's packages if either is missing."""
    missing = []
    if _pg_bindir() is None:
        missing.append("postgresql")
    if shutil.which("redis-server") is None and not Path("/usr/bin/redis-server").exists():
        missing.append("redis-server")
    if missing:
        apt_install(missing, log)


def _as_unprivileged(argv: list[str]) -> list[str]:
    return ["runuser", "-u", RUN_AS, "--", *argv] if os.geteuid() == 0 else argv


@dataclass
class Postgres:
    """A running throwaway cluster: its DSN for Dagster and the process to stop."""

    port: int
    child: Child

    @property
    def url(self) -> str:
        """A libpq DSN (psql, psycopg2.connect)."""
        return f"postgresql://{PG_USER}@127.0.0.1:{self.port}/{PG_DB}"

    @property
    def dagster_url(self) -> str:
        """The same for Dagster's ``postgres_url``: SQLAlchemy 2.1 would otherwise pick the
        psycopg 3 driver, which dagster-postgres does not install."""
        return self.url.replace("postgresql://", "postgresql+psycopg2://", 1)


def _initdb(bindir: Path, datadir: Path, log: Path) -> None:
    datadir.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(datadir, user=RUN_AS)
        shutil.chown(datadir.parent, user=RUN_AS)
    argv = _as_unprivileged(
        [
            str(bindir / "initdb"),
            "-D",
            str(datadir),
            "-U",
            PG_USER,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
        ]
    )
    with log.open("ab") as out:
        done = subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT, timeout=120, cwd="/")
    if done.returncode != 0:
        raise DeployError(f"initdb failed (exit {done.returncode}); see {log}")


def start_postgres(root: Path, log_dir: Path, port: int | None = None) -> Postgres:
    """initdb (first time) into ``root``/data and start it on 127.0.0.1 only.

    ``root`` must be reachable by the unprivileged account (no 0700 parent owned by
    root): pass a directory made for it. fsync is off, as for any throwaway cluster
    of a test; ``make serve`` passes ``durable=True`` through :func:`start_postgres_durable`.
    """
    return _start_postgres(root, log_dir, port, durable=False)


def start_postgres_durable(root: Path, log_dir: Path, port: int | None = None) -> Postgres:
    """As :func:`start_postgres`, with fsync on: for a cluster that keeps run history."""
    return _start_postgres(root, log_dir, port, durable=True)


def _start_postgres(root: Path, log_dir: Path, port: int | None, durable: bool) -> Postgres:
    bindir = _pg_bindir()
    if bindir is None:
        raise DeployError("no PostgreSQL server under /usr/lib/postgresql")
    datadir = root / "data"
    if not (datadir / "PG_VERSION").exists():
        _initdb(bindir, datadir, log_dir / "initdb.log")
    port = port or free_port()
    argv = [str(bindir / "postgres"), "-D", str(datadir), "-p", str(port)]
    argv += ["-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={root}"]
    argv += ["-c", "max_connections=200"]
    if not durable:
        argv += ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
    # SIGINT is PostgreSQL's fast shutdown: clients are disconnected, the cluster is clean.
    child = start(
        "postgres", _as_unprivileged(argv), log_dir / "postgres.log", stop_signal=signal.SIGINT
    )
    wait_for(f"postgres on port {port}", lambda: not child.alive() or port_open(port), 60, 0.2)
    if not child.alive():
        raise DeployError(f"postgres exited at start:\n{child.tail()}")
    pg = Postgres(port, child)
    wait_for("postgres to accept connections", lambda: _create_db(pg), 60, 0.5)
    return pg


def _create_db(pg: Postgres) -> bool:
    """Create the Dagster database if it is not there; False while the server starts up."""
    import psycopg2

    try:
        conn = psycopg2.connect(host="127.0.0.1", port=pg.port, user=PG_USER, dbname="postgres")
    except psycopg2.OperationalError:
        return False
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("select 1 from pg_database where datname = %s", (PG_DB,))
            if cur.fetchone() is None:
                cur.execute(f'create database "{PG_DB}"')
    finally:
        conn.close()
    return True


@dataclass
class Redis:
    """A running Redis: the broker and result backend URL, and the process to stop."""

    port: int
    child: Child

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


def start_redis(workdir: Path, log_dir: Path) -> Redis:
    """Redis on 127.0.0.1 and a free port, nothing persisted (the queue is transient)."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    argv = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    argv += ["--appendonly", "no", "--dir", str(workdir), "--protected-mode", "yes"]
    child = start("redis", argv, log_dir / "redis.log")
    wait_for(f"redis on port {port}", lambda: not child.alive() or port_open(port), 30, 0.2)
    if not child.alive():
        raise DeployError(f"redis exited at start:\n{child.tail()}")
    return Redis(port, child)
