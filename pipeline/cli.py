"""The no-UI entry point: ``python -m pipeline run | path | versions | diff``.

``run`` executes the same Dagster job the UI shows, in-process, against the
project's persistent Dagster instance, so a run made here appears in the UI's
run history. The command-line contract (flags, exit codes, output) is relied on
by users and schedulers: change it only with a migration note.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from pipeline.core.config import PipelineConfig, SettingsError
from pipeline.settings import CONFIG_ENV, CONFIG_FILE_NAME, DEFAULT_DATA_DIR, resolve_settings

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
DAGSTER_HOME_ENV = "DAGSTER_HOME"
# No telemetry: the pipeline runs on machines without internet access. One global run
# at a time (runs of one data directory share its intermediate tables); per-file
# partition runs write only their own entries, so two of them (one per core) may run
# beside it.
DAGSTER_YAML = """telemetry:
  enabled: false
concurrency:
  runs:
    max_concurrent_runs: 2
    tag_concurrency_limits:
      - key: papers_pipeline/stage
        value: global
        limit: 1
"""


DIFF_LIMIT = 20


def _non_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {value}")
    return value


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


def _unchanged(data_dir: Path, config: PipelineConfig) -> dict | None:
    """The latest manifest when raw files, code and settings are exactly those it was made
    from: nothing to do. None when anything differs or nothing was published."""
    from pipeline.core.ingest.file_outputs import find_raw_files
    from pipeline.core.provenance import inputs_fingerprint
    from pipeline.settings import PipelineSettings

    settings = PipelineSettings(data_dir=str(data_dir))
    store = _store(data_dir)
    latest = store.latest()
    if latest is None:
        return None
    manifest = store.manifest(latest)
    hashes = settings.hash_cache()
    files = [(f.relative, f.sha256) for f in find_raw_files(settings.raw_dir, hashes)]
    hashes.save()
    current = inputs_fingerprint(files, config.output_config())
    return manifest if current in store.inputs_fingerprints(latest) else None


def _print_summary(counts: dict, state: str, version: str, path: object) -> None:
    print(
        f"files read: {counts['files']}  records found: {counts['records']}  "
        f"papers: {counts['papers']}  duplicates: {counts['duplicate']}  "
        f"rejects: {counts['rejected']}"
    )
    print(f"{state} {version}: {path}")


def _run(data_dir: Path, force: bool = False, config_file: Path | None = None) -> int:
    if not (data_dir / "raw").is_dir():
        raise CliError(f"no raw directory: {data_dir / 'raw'} does not exist")
    resolved = resolve_settings(data_dir, config_file)  # exit 2 before anything is written
    manifest = None if force else _unchanged(data_dir, resolved.config)
    if manifest is not None:
        version = manifest["version"]
        _print_summary(manifest["counts"], "unchanged", version, _store(data_dir).path(version))
        return EXIT_OK
    import dagster as dg  # deferred: `path` and unchanged reruns must answer instantly

    from pipeline.defs.ingest import FORCE_TAG
    from pipeline.defs.run_lease import PID_TAG, fail_dead_cli_runs

    home = dagster_home_for(data_dir)
    instance = dg.DagsterInstance.from_config(str(home))
    # dg.execute_job with the in-process executor, not JobDefinition.execute_in_process:
    # the latter keeps every step's output in memory until the run ends (so tests can
    # ask for them), and at 1M records papers and variants alone were 2.8 GB held
    # through the GX check, which peaked at 7.6 GB for it.
    job = dg.build_reconstructable_job(
        "pipeline.definitions",
        "papers_job_for",
        reconstructable_args=(str(data_dir), None if config_file is None else str(config_file)),
    )
    fail_dead_cli_runs(instance)  # a killed CLI's run must not hold the data directory
    # The job's own steps take the data directory's lock (pipeline.defs.run_lease), so a
    # UI run and this one never run together; the pid tag lets a later run see this
    # process died if it is killed.
    result = dg.execute_job(
        job,
        instance=instance,
        raise_on_error=False,
        # papers_job's executor is the in-process one (see definitions.py).
        run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}},
        tags={
            "launched_by": "cli",
            PID_TAG: str(os.getpid()),
            **({FORCE_TAG: "true"} if force else {}),
        },
    )
    if not result.success:
        raise CliError(_failure_reason(result))
    events = result.asset_materializations_for_node("published_version")
    meta = {k: v.value for k, v in events[-1].metadata.items()}
    state = "unchanged" if meta["unchanged"] else "published"
    _print_summary(meta["counts"], state, meta["version"], meta["path"])
    return EXIT_OK


def _failure_reason(result) -> str:
    """One line naming what failed: the failed checks, else the failing step's error."""
    failed = [e for e in result.get_asset_check_evaluations() if not e.passed]
    if failed:
        kept = [
            e.metadata["refused_candidate"].value
            for e in failed
            if "refused_candidate" in e.metadata
        ]
        names = ", ".join(
            e.check_name + _failed_expectations(e.metadata["refused_candidate"].value)
            if "refused_candidate" in e.metadata
            else e.check_name
            for e in failed
        )
        where = f"; candidate kept at {kept[0]}" if kept else ""
        return f"run {result.run_id[:8]} failed checks: {names}{where}"
    for event in result.all_events:
        if event.is_step_failure:
            error = event.step_failure_data.error
            message = error.message.strip().splitlines()[0] if error else "unknown error"
            return f"run {result.run_id[:8]} failed in {event.step_key}: {message}"
    return f"run {result.run_id[:8]} failed"


def _failed_expectations(candidate: str) -> str:
    """`` (name: N unexpected, ...)``: the failed expectations a refused candidate's
    validation.json records, so the one line names the cause, not only the check."""
    try:
        checks = json.loads((Path(candidate) / "validation.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    parts = []
    for check in checks.get("checks", []):
        if not check.get("passed", True):
            details = check.get("details") or {}
            if details.get("unexpected") is not None:  # row-wise: how many rows failed
                rows = details.get("rows")
                count = f": {details['unexpected']}{f' of {rows}' if rows else ''} unexpected"
            elif "observed" in details:  # table-level: the value that failed
                count = f": observed {json.dumps(details['observed'], default=str)[:80]}"
            else:
                count = ""
            parts.append(f"{check['name']}{count}")
    return f" ({', '.join(parts)})" if parts else ""


def _path(data_dir: Path) -> int:
    store = _store(data_dir)
    version = store.latest()
    if version is None:
        raise CliError(f"no version published yet under {store.root}")
    print(store.path(version))
    return EXIT_OK


def _store(data_dir: Path):
    from pipeline.core.store.versions import VersionStore
    from pipeline.settings import PipelineSettings

    return VersionStore(PipelineSettings(data_dir=str(data_dir)).store_root)


def _rejects_by_code(manifest: dict) -> str:
    """``code=count, ...`` from a manifest's ``reject_reasons`` (counted by reason code),
    or ``-`` when nothing was rejected."""
    reasons = manifest.get("reject_reasons") or {}
    return ", ".join(f"{code}={n}" for code, n in reasons.items()) or "-"


def _versions(data_dir: Path) -> int:
    store = _store(data_dir)
    versions = store.versions()
    if not versions:
        raise CliError(f"no version published yet under {store.root}")
    latest = store.latest()
    print(f"{'version':<8} {'created_at':<26} {'papers':>8} {'records':>8}  checks  rejects")
    for version in versions:
        manifest = store.manifest(version)
        checks = manifest.get("checks", [])
        passed = sum(1 for c in checks if c["passed"])
        tables = manifest.get("tables", {})
        print(
            f"{version:<8} {manifest.get('created_at', '?'):<26} "
            f"{tables.get('papers', {}).get('rows', '?'):>8} "
            f"{tables.get('records', {}).get('rows', '?'):>8}  "
            f"{passed}/{len(checks)} passed  {_rejects_by_code(manifest)}"
            f"{'  <- LATEST' if version == latest else ''}"
        )
    return EXIT_OK


def _diff(data_dir: Path, old: str | None, new: str | None, limit: int) -> int:
    import polars as pl

    from pipeline.core.store.diff import diff_papers

    store = _store(data_dir)
    versions = store.versions()
    if old is None and new is None:
        if len(versions) < 2:
            raise CliError(f"need two versions to compare; {store.root} has {len(versions)}")
        old, new = versions[-2], versions[-1]
    elif new is None:
        new = store.latest()
    for version in (old, new):
        if version not in versions:
            raise CliError(f"no version {version!r} under {store.root}")
    diff = diff_papers(
        pl.scan_parquet(store.path(old) / "papers.parquet"),  # type: ignore[arg-type]
        pl.scan_parquet(store.path(new) / "papers.parquet"),  # type: ignore[arg-type]
    )
    _print_diff(diff, f"{old} -> {new}", limit)
    return EXIT_OK


def _print_diff(diff, title: str, limit: int) -> None:
    """The summary first (counts, changed fields, papers only seen again), then at most
    ``limit`` papers of each kind: added, removed, revised."""
    from pipeline.core.store.diff import SIGHTING_FIELDS

    print(
        f"{title}: {len(diff.added)} added, {len(diff.removed)} removed, "
        f"{len(diff.changed)} changed"
    )
    if diff.field_counts:
        print("changed fields: " + ", ".join(f"{k} {v}" for k, v in diff.field_counts.items()))
    revised = diff.revised
    print(
        f"only seen again ({', '.join(sorted(SIGHTING_FIELDS))} changed): "
        f"{diff.sighting_only}; revised: {len(revised)}"
    )
    sections = (
        ("added", "+", [(i, "") for i in diff.added]),
        ("removed", "-", [(i, "") for i in diff.removed]),
        ("revised", "~", [(i, ": " + ", ".join(f)) for i, f in revised.items()]),
    )
    for label, mark, rows in sections:
        if not rows or limit == 0:
            continue
        shown = rows[:limit]
        more = f", first {len(shown)} (--limit)" if len(shown) < len(rows) else ""
        print(f"{label} ({len(rows)}{more}):")
        for paper_id, detail in shown:
            print(f"  {mark} {paper_id}{detail}")


def _config(data_dir: Path, config_file: Path | None, init: bool) -> int:
    from pipeline.config_toml import commented_template, resolved_toml

    if init:
        target = data_dir / CONFIG_FILE_NAME
        if target.exists():
            raise CliError(f"{target} exists; remove it first or edit it")
        data_dir.mkdir(parents=True, exist_ok=True)
        target.write_text(commented_template(), encoding="utf-8")
        print(f"wrote {target}")
        return EXIT_OK
    print(resolved_toml(resolve_settings(data_dir, config_file)), end="")
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
        ("versions", "list the versions with their dates, row counts and check outcomes"),
        ("diff", "papers added, removed and changed between two versions (default: newest two)"),
        ("config", "print the resolved settings as TOML with their sources, or --init a file"),
    ):
        cmd = sub.add_parser(name, help=help_text, description=help_text)
        if name == "run":
            cmd.add_argument(
                "--force",
                action="store_true",
                help=(
                    "run the job even when raw files, code and settings are unchanged, "
                    "re-hashing and re-transforming every raw file (no stored per-file output "
                    "or remembered hash is trusted)"
                ),
            )
        if name in ("run", "config"):
            cmd.add_argument(
                "--config",
                type=Path,
                metavar="FILE",
                help=(
                    f"settings file (default: ${CONFIG_ENV}, else DIR/{CONFIG_FILE_NAME}, "
                    "else the defaults)"
                ),
            )
        if name == "config":
            cmd.add_argument(
                "--init",
                action="store_true",
                help=f"write a commented DIR/{CONFIG_FILE_NAME} listing every setting",
            )
        if name == "diff":
            cmd.add_argument("old", nargs="?", help="older version, e.g. v0001")
            cmd.add_argument("new", nargs="?", help="newer version (default: LATEST)")
            cmd.add_argument(
                "--limit",
                type=_non_negative,
                default=DIFF_LIMIT,
                metavar="N",
                help=f"list at most N papers of each kind (default {DIFF_LIMIT}; 0: summary only)",
            )
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
    commands = {
        "run": lambda d: _run(d, args.force, args.config),
        "config": lambda d: _config(d, args.config, args.init),
        "path": _path,
        "versions": _versions,
        "diff": lambda d: _diff(d, args.old, args.new, args.limit),
    }
    try:
        code = commands[args.command](data_dir)
        sys.stdout.flush()  # a closed pipe shows here, inside the handler below
        return code
    except BrokenPipeError:
        # The reader went away (``pipeline diff | head``): what it wanted is out. Point
        # stdout at /dev/null so the interpreter's final flush cannot fail again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except Exception as exc:  # a one-line reason for users; the type says where to look
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_FAILED
