"""``jigsaw worker``: run the scheduled jobs, once (for cron) or on a loop."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy.exc import OperationalError

from jigsaw.config import get_settings
from jigsaw.policy.actor import Actor
from jigsaw.protection.master_key import open_database
from jigsaw.scheduling import service
from jigsaw.scheduling.jobs import scheduled_jobs

console = Console(stderr=True)


def _line(run: service.JobRun) -> None:
    colour = {"done": "green", "failed": "red"}.get(run.outcome, "dim")
    console.print(f"[{colour}]{run.describe()}[/{colour}]")


def _line_if_it_ran(run: service.JobRun) -> None:
    """A worker left running says what it did, not each minute that nothing was due."""
    if run.outcome in ("done", "failed"):
        _line(run)


def worker(
    once: Annotated[
        bool, typer.Option("--once", help="Run every job that is due once, then exit (cron).")
    ] = False,
    only: Annotated[
        list[str] | None,
        typer.Option("--job", help="Run only this job (repeat for more); all by default."),
    ] = None,
    database: Annotated[
        str | None, typer.Option("--database", help="SQLAlchemy URL; defaults to settings.")
    ] = None,
) -> None:
    """Run the scheduled jobs: reminders, linking new records, retention, checkpoints.

    Safe to run in several processes at once: each job runs in one of them at a time.
    """
    settings = get_settings()
    jobs = scheduled_jobs(settings)
    if only:
        unknown = sorted(set(only) - {job.name for job in jobs})
        if unknown:
            raise typer.BadParameter(
                f"No such job: {', '.join(unknown)}. The jobs are: "
                + ", ".join(job.name for job in jobs),
                param_hint="--job",
            )
        jobs = [job for job in jobs if job.name in only]
    db = open_database(settings, url=database)
    holder = service.worker_name()
    lease_length = timedelta(minutes=settings.worker_lease_minutes)
    try:
        while True:
            try:
                runs = service.run_due(
                    db,
                    Actor.system(),
                    jobs,
                    holder=holder,
                    lease_length=lease_length,
                    report=_line if once else _line_if_it_ran,
                )
                failed = any(run.outcome == "failed" for run in runs)
            except OperationalError:
                # The database is unreachable or restarting: a worker left running keeps
                # trying; the lease of a job it was in lapses and is taken over.
                console.print(
                    "[red]Could not use the database: is it reachable, and upgraded "
                    "(`jigsaw db upgrade`)?[/red]"
                )
                failed = True
            if once:
                if failed:
                    raise typer.Exit(1)
                return
            time.sleep(settings.worker_poll_seconds)
    finally:
        db.dispose()
