"""Start the deployment's processes: Celery workers, the Dagster daemon, the webserver.

Shared by ``make serve`` and ``make deploy-test``: both run the same commands with
the same environment, so what the test proves is what the service runs.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from deploy.definitions import BROKER_ENV
from deploy.processes import Child, DeployError, free_port, start, wait_for

REPO = Path(__file__).resolve().parent.parent
WORKSPACE = REPO / "deploy" / "workspace.yaml"
BIN = Path(sys.executable).parent
LOCATION = "papers_pipeline"
REPOSITORY = "__repository__"


@dataclass(frozen=True)
class Env:
    """Where a deployment keeps its state: the variables every process of it gets."""

    dagster_home: Path
    data_dir: Path
    broker_url: str
    log_dir: Path
    extra: tuple[tuple[str, str], ...] = ()

    def variables(self) -> dict[str, str]:
        """The process environment: DAGSTER_HOME and the data directory for every
        process (the daemon's code servers, run workers and Celery workers build the
        pipeline's settings from PAPERS_PIPELINE_DATA_DIR), the broker, and this
        checkout on the import path (deploy/ is not an installed package)."""
        path = os.environ.get("PYTHONPATH")
        return {
            **os.environ,
            "DAGSTER_HOME": str(self.dagster_home),
            "PAPERS_PIPELINE_DATA_DIR": str(self.data_dir),
            BROKER_ENV: self.broker_url,
            "PYTHONPATH": f"{REPO}{os.pathsep}{path}" if path else str(REPO),
            "GX_ANALYTICS_ENABLED": "false",
            **dict(self.extra),
        }


def start_worker(env: Env, name: str) -> Child:
    """A ``dagster-celery`` worker process taking one step at a time, named ``name@host``
    (the name is what a step's event log records as its Celery worker). Returns at
    once: :func:`wait_worker` waits for it to be ready."""
    argv = [str(BIN / "celery"), "-A", "deploy.celery_app", "worker", "-c", "1", "-n"]
    argv += [f"{name}@%h", "-Q", "dagster", "-l", "INFO", "--without-gossip", "--without-mingle"]
    log = env.log_dir / f"celery-{name}.log"
    return start(f"celery-{name}", argv, log, env=env.variables(), cwd=REPO)


def wait_worker(child: Child, timeout: float = 180) -> None:
    """Wait until the worker has connected to the broker and says it is ready."""

    def ready() -> bool:
        if not child.alive():
            raise DeployError(f"{child.name} exited:\n{child.tail()}")
        text = child.log.read_text(encoding="utf-8", errors="replace") if child.log.exists() else ""
        return " ready." in text

    wait_for(child.name, ready, timeout)


def start_daemon(env: Env, log_name: str = "daemon.log") -> Child:
    """``dagster-daemon run``: schedules, sensors, the run queue, monitoring, retries."""
    argv = [str(BIN / "dagster-daemon"), "run", "-w", str(WORKSPACE), "--log-level", "info"]
    argv += ["--code-server-log-level", "info"]
    return start("daemon", argv, env.log_dir / log_name, env=env.variables(), cwd=REPO)


def start_webserver(env: Env, port: int | None = None) -> tuple[Child, str]:
    """``dagster-webserver`` on 127.0.0.1; returns the process and its base URL at
    once: :func:`wait_webserver` waits for it to answer."""
    port = port or free_port()
    argv = [str(BIN / "dagster-webserver"), "-h", "127.0.0.1", "-p", str(port)]
    argv += ["-w", str(WORKSPACE), "--dagster-log-level", "info", "--log-level", "warning"]
    child = start("webserver", argv, env.log_dir / "webserver.log", env=env.variables(), cwd=REPO)
    return child, f"http://127.0.0.1:{port}"


def wait_webserver(child: Child, url: str, timeout: float = 180) -> None:
    """Wait until the webserver answers GraphQL."""

    def answers() -> bool:
        if not child.alive():
            raise DeployError(f"webserver exited:\n{child.tail()}")
        try:
            return "version" in graphql(url, "{ version }", timeout=5)
        except (OSError, DeployError):
            return False

    wait_for("the webserver", answers, timeout, 1.0)


def graphql(url: str, query: str, variables: dict | None = None, timeout: float = 60) -> dict:
    """POST a GraphQL query to the webserver; its ``data``, or DeployError on errors."""
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    request = urllib.request.Request(
        f"{url}/graphql", data=body, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            payload = json.loads(response.read())
    except urllib.error.HTTPError as exc:
        raise DeployError(f"GraphQL HTTP {exc.code}: {exc.read()[:500]!r}") from exc
    if payload.get("errors"):
        raise DeployError(f"GraphQL errors: {payload['errors']}")
    return payload["data"]
