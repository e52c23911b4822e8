"""A publisher killed at any moment leaves the store readable, and the next run completes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import polars as pl

from pipeline.core.store.versions import LATEST, VersionStore
from tests.conftest import REPO

ROWS = 500_000
# Publishes ever-changing tables in a loop until killed.
PUBLISHER = textwrap.dedent(
    """
    import sys, itertools
    import polars as pl
    from pathlib import Path
    from pipeline.core.store.versions import VersionStore
    store = VersionStore(Path(sys.argv[1]))
    rows = int(sys.argv[2])
    for n in itertools.count(1):
        df = pl.DataFrame({"paper_id": [f"p{i}-{n}" for i in range(rows)]})
        store.publish({"papers": df}, {"run": n})
        print(n, flush=True)
    """
)


def assert_store_is_consistent(root: Path) -> None:
    store = VersionStore(root)
    latest = store.latest()
    if latest is None:
        return
    manifest = store.manifest(latest)
    table = pl.read_parquet(root / latest / "papers.parquet")
    assert table.height == manifest["tables"]["papers"]["rows"] == ROWS
    for version in store.versions():
        assert (root / version / "manifest.json").is_file()
        assert (root / version / "papers.parquet").is_file()


def staging_dirs(root: Path) -> set[Path]:
    return set(root.glob(".staging-*"))


def wait_for_staging(root: Path, old: set[Path], timeout: float = 30.0) -> None:
    """Block until a publish is under way: a new staging directory exists."""
    deadline = time.monotonic() + timeout
    while not staging_dirs(root) - old:
        assert time.monotonic() < deadline, "the publisher never started a publish"
        time.sleep(0.001)


def test_killing_a_publisher_at_random_moments_never_corrupts_the_store(tmp_path: Path) -> None:
    root = tmp_path / "papers"
    # Kill at moments spread over a publish: while writing the table, while
    # renaming, while replacing LATEST; and once right at the start.
    delays = [0.0, 0.02, 0.05, 0.08, 0.12, 0.16, 0.2, 0.3]
    killed_mid_write = 0
    for delay in delays:
        old = staging_dirs(root)
        proc = subprocess.Popen(
            [sys.executable, "-c", PUBLISHER, str(root), str(ROWS)],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        wait_for_staging(root, old)
        time.sleep(delay)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        killed_mid_write += bool(staging_dirs(root) - old)
        assert_store_is_consistent(root)
    # Kills landed inside publishes, leaving half-written staging directories.
    assert killed_mid_write >= 1, f"no kill landed inside a publish ({len(delays)} tries)"
    # After all that, a normal publish completes and cleans up what the kills left.
    store = VersionStore(root)
    before = store.versions()
    result = store.publish({"papers": pl.DataFrame({"paper_id": ["final"]})}, {})
    assert result.version not in before and not result.unchanged
    assert store.latest() == result.version
    assert not list(root.glob(".staging-*"))
    assert (root / LATEST).read_text().strip() == result.version


def test_two_publishers_at_once_serialise_on_the_lock(tmp_path: Path) -> None:
    root = tmp_path / "papers"
    script = textwrap.dedent(
        """
        import sys
        import polars as pl
        from pathlib import Path
        from pipeline.core.store.versions import VersionStore
        store = VersionStore(Path(sys.argv[1]))
        for n in range(5):
            df = pl.DataFrame({"paper_id": [f"{sys.argv[2]}-{n}-{i}" for i in range(50_000)]})
            store.publish({"papers": df}, {})
        """
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", script, str(root), tag], cwd=REPO)
        for tag in ("a", "b")
    ]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    store = VersionStore(root)
    assert store.versions() == [f"v{n:04d}" for n in range(1, 11)]
    manifests = [store.manifest(v) for v in store.versions()]
    assert [m["parent"] for m in manifests] == [None, *store.versions()[:-1]]
