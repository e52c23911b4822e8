"""Child processes that are always stopped: each in its own process group, logged to a
file, killed on exit.

A deployment test that leaves a PostgreSQL, a Redis or a daemon behind poisons the
next run on the same machine (ports, locks, CPU), so every process started here is
registered and its whole group is stopped by :func:`stop_all` (called from
``finally`` and atexit), and every wait has a deadline.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


class DeployError(Exception):
    """A failed expectation of the deployment, reported as one line."""


@dataclass
class Child:
    """A started process (the leader of its own process group) and its log file."""

    name: str
    proc: subprocess.Popen
    log: Path
    stop_signal: int = signal.SIGTERM
    descendants: set[int] = field(default_factory=set)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def tail(self, lines: int = 30) -> str:
        """The end of the process's log, for a failure report."""
        if not self.log.exists():
            return ""
        text = self.log.read_text(encoding="utf-8", errors="replace").splitlines()
        return "\n".join(text[-lines:])


_CHILDREN: list[Child] = []


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_open(port: int) -> bool:
    """Whether something accepts TCP connections on 127.0.0.1:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def wait_for(what: str, check: Callable[[], T | None], timeout: float, every: float = 0.5) -> T:
    """Poll ``check`` until it returns something other than None/False; raise after
    ``timeout`` seconds. The only way this package waits: no fixed sleeps."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise DeployError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


def start(
    name: str,
    argv: Sequence[str],
    log: Path,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    stop_signal: int = signal.SIGTERM,
) -> Child:
    """Start ``argv`` in a new session (its own process group), output to ``log``."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        proc = subprocess.Popen(
            list(argv),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            start_new_session=True,
        )
    child = Child(name, proc, log, stop_signal)
    _CHILDREN.append(child)
    return child


def _descendants(pid: int) -> set[int]:
    """Every process under ``pid`` (from /proc), so that a child which left the group
    (a setsid in a grandchild) is stopped too."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for kid in children.get(todo.pop(), []):
            if kid not in found:
                found.add(kid)
                todo.append(kid)
    return found


def _signal_all(child: Child, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(child.proc.pid, sig)
    for pid in child.descendants:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)


def kill(child: Child) -> None:
    """SIGKILL the child's whole process tree at once, as a machine dying would."""
    child.descendants |= _descendants(child.proc.pid)
    _signal_all(child, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        child.proc.wait(timeout=10)


def stop(child: Child, grace: float = 15.0) -> None:
    """Ask the group to stop (its stop signal), then SIGKILL what is left after ``grace``."""
    child.descendants |= _descendants(child.proc.pid)
    if child.alive():
        _signal_all(child, child.stop_signal)
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.proc.wait(timeout=grace)
    _signal_all(child, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        child.proc.wait(timeout=5)
    if child in _CHILDREN:
        _CHILDREN.remove(child)


def stop_all(grace: float = 15.0) -> None:
    """Stop every child still registered: all asked at once (the last started first),
    then each waited for within one shared ``grace``, then SIGKILLed."""
    children = list(reversed(_CHILDREN))
    for child in children:
        child.descendants |= _descendants(child.proc.pid)
        if child.alive():
            _signal_all(child, child.stop_signal)
    deadline = time.monotonic() + grace
    for child in children:
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
    for child in children:
        stop(child, grace=0)


atexit.register(stop_all)
