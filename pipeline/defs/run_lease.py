"""One run per data directory, whoever starts it (CLI, UI, schedule, sensor).

The lock used to be taken by the CLI around its run, so a UI run and a CLI run ran
together. Now the job's own global steps take it: ``collect_records`` claims the data
directory for its run (see :func:`pipeline.core.store.locking.run_lease`) and
``published_version`` checks and releases it; a run that finds another live run
holding it fails at once with a one-line message naming that run, its pid and start.

Whether the holder is live is asked of Dagster (a finished run holds nothing) and, for
runs the CLI started, of the CLI's process (tag ``papers_pipeline/pid``): a CLI killed
by SIGKILL leaves its Dagster run STARTED forever, which would block this lease and,
through the global-run concurrency limit, every queued UI run. Such runs are marked
failed by :func:`fail_dead_cli_runs` (called at each CLI start, by the sensor, and when
a lease finds one). Dagster's run monitoring cannot see them: the CLI executes in its
own process, not through a run launcher whose worker the daemon could check.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import dagster as dg

from pipeline.core.store.locking import RunInProgressError, RunOwner, pid_alive, run_lease

LEASE_FILE = ".run.lock"  # under processed/
PID_TAG = "papers_pipeline/pid"


def _dead_cli_run(run: dg.DagsterRun) -> bool:
    pid = run.tags.get(PID_TAG)
    return pid is not None and pid.isdigit() and not pid_alive(int(pid))


def fail_dead_cli_runs(instance: dg.DagsterInstance) -> list[str]:
    """Mark failed every unfinished run whose launching CLI process is gone; their ids."""
    runs = instance.get_runs(
        dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING])
    )
    failed = []
    for run in runs:
        if _dead_cli_run(run):
            instance.report_run_failed(
                run, message=f"the CLI process {run.tags[PID_TAG]} that ran it is gone (killed?)"
            )
            failed.append(run.run_id)
    return failed


def _is_live(instance: dg.DagsterInstance) -> Callable[[RunOwner], bool]:
    def live(owner: RunOwner) -> bool:
        run = instance.get_run_by_id(owner.run_id)
        if run is None or run.is_finished:
            return False
        if _dead_cli_run(run):
            fail_dead_cli_runs(instance)
            return False
        return True

    return live


def claim_data_dir(
    context: dg.AssetExecutionContext, processed_dir: Path, release: bool = False
) -> None:
    """Claim the data directory for this run (kept until released or the run ends), or
    raise a dg.Failure naming the live run that holds it. ``release``: check, then free
    it (the run's last global step)."""
    lease = run_lease(
        processed_dir / LEASE_FILE, context.run_id, _is_live(context.instance), release
    )
    try:
        with lease as owner:
            pass
    except RunInProgressError as exc:
        raise dg.Failure(description=str(exc), allow_retries=False) from None
    verb = "released" if release else "holding"
    context.log.info(f"{verb} {processed_dir.parent} for {owner.describe()}")
