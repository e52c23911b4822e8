"""The no-UI entry point: ``python -m pipeline run | path``.

``run`` executes the same Dagster job the UI shows, in-process, against the
project's persistent Dagster instance, so a run made here appears in the UI's
run history. The command-line contract (flags, exit codes, output) is relied on
by users and schedulers: change it only with a migration note.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from pipeline.settings import DEFAULT_DATA_DIR

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
DAGSTER_HOME_ENV = "DAGSTER_HOME"
# No telemetry: the pipeline runs on machines without internet access.
DAGSTER_YAML = "telemetry:\n  enabled: false\n"


class CliError(Exception):
    """A failure to report as one line, without a traceback."""


def dagster_home_for(data_dir: Path) -> Path:
    """``$DAGSTER_HOME`` if set, else ``<data_dir>/.dagster``; created with telemetry off."""
    home = Path(os.environ.get(DAGSTER_HOME_ENV) or data_dir / ".dagster").resolve()
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML, encoding="utf-8")
    return home


def _run(data_dir: Path) -> int:
    import dagster as dg  # deferred: `path` must answer instantly

    from pipeline.definitions import JOB_NAME, build_definitions

    if not (data_dir / "raw").is_dir():
        raise CliError(f"no raw directory: {data_dir / 'raw'} does not exist")
    home = dagster_home_for(data_dir)
    instance = dg.DagsterInstance.from_config(str(home))
    job = build_definitions(str(data_dir)).resolve_job_def(JOB_NAME)
    result = job.execute_in_process(
        instance=instance,
        raise_on_error=False,
        run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}},
        tags={"launched_by": "cli"},
    )
    if not result.success:
        raise CliError(_failure_reason(result))
    events = result.asset_materializations_for_node("published_version")
    meta = {k: v.value for k, v in events[-1].metadata.items()}
    counts = meta["counts"]
    state = "unchanged" if meta["unchanged"] else "published"
    print(
        f"files read: {counts['files']}  records found: {counts['records']}  "
        f"papers: {counts['papers']}  duplicates: {counts['duplicate']}  "
        f"rejects: {counts['rejected']}"
    )
    print(f"{state} {meta['version']}: {meta['path']}")
    return EXIT_OK


def _failure_reason(result) -> str:
    """One line naming what failed: the failed checks, else the failing step's error."""
    failed_checks = [e.check_name for e in result.get_asset_check_evaluations() if not e.passed]
    if failed_checks:
        return f"run {result.run_id[:8]} failed checks: {', '.join(failed_checks)}"
    for event in result.all_events:
        if event.is_step_failure:
            error = event.step_failure_data.error
            message = error.message.strip().splitlines()[0] if error else "unknown error"
            return f"run {result.run_id[:8]} failed in {event.step_key}: {message}"
    return f"run {result.run_id[:8]} failed"


def _path(data_dir: Path) -> int:
    from pipeline.core.store import VersionStore
    from pipeline.settings import PipelineSettings

    store = VersionStore(PipelineSettings(data_dir=str(data_dir)).store_root)
    version = store.latest()
    if version is None:
        raise CliError(f"no version published yet under {store.root}")
    print(store.path(version))
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m pipeline",
        description="Raw scrapes of ML-paper listings to a versioned Parquet dataset.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, help_text in (
        ("run", "parse DIR/raw, deduplicate, check and publish DIR/processed/papers/vNNNN"),
        ("path", "print the latest version's directory"),
    ):
        cmd = sub.add_parser(name, help=help_text, description=help_text)
        cmd.add_argument(
            "--data-dir",
            type=Path,
            default=Path(DEFAULT_DATA_DIR),
            metavar="DIR",
            help="data directory holding raw/ and processed/ (default: ./data)",
        )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    data_dir = args.data_dir.resolve()
    commands = {"run": _run, "path": _path}
    try:
        return commands[args.command](data_dir)
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except Exception as exc:  # a one-line reason for users; the type says where to look
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_FAILED
