"""``jigsaw retention run``: erase what each agency's schedule says is due."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from jigsaw.clock import utcnow
from jigsaw.policy.actor import Actor
from jigsaw.protection.master_key import open_database
from jigsaw.retention import service
from jigsaw.retention.schedule import read_schedule, shipped_schedule

app = typer.Typer(no_args_is_help=True, help="Retention schedules and erasure.")
console = Console(stderr=True)

DatabaseOption = Annotated[str | None, typer.Option("--database", help="SQLAlchemy URL.")]
SHOWN = 50


def _table(due: list[service.DueRecord], dry_run: bool, as_of: date) -> Table:
    verb = "Would erase" if dry_run else "Erasing"
    table = Table(title=f"{verb} {len(due):,} agency records due by {as_of.isoformat()}")
    for column in ("Agency record", "Agency", "Rule", "Due on", "Last activity"):
        table.add_column(column)
    for record in due[:SHOWN]:
        table.add_row(
            str(record.agency_record_id),
            record.agency_name,
            record.rule,
            record.due_on.isoformat(),
            record.last_activity.isoformat(),
        )
    if len(due) > SHOWN:
        table.caption = f"and {len(due) - SHOWN:,} more"
    return table


@app.command("run")
def run(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what is due; change nothing.")
    ] = False,
    as_of: Annotated[
        datetime | None,
        typer.Option("--as-of", formats=["%Y-%m-%d"], help="Apply the schedule as on this date."),
    ] = None,
    schedule_file: Annotated[
        Path | None, typer.Option("--schedule", help="An authority's own schedule file.")
    ] = None,
    database: DatabaseOption = None,
) -> None:
    """Find the agency records due for erasure and destroy their data keys."""
    today = as_of.date() if as_of is not None else utcnow().date()
    schedule = read_schedule(schedule_file) if schedule_file else shipped_schedule()
    db = open_database(url=database)
    actor = Actor.system()
    try:
        due = service.run(db, actor, schedule, today, dry_run=True)
        console.print(_table(due, dry_run, today))
        if dry_run or not due:
            return
        with Progress(
            TextColumn("Erasing"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=console,
        ) as bar:
            task = bar.add_task("erasing", total=len(due))
            for record in due:
                # One unit of work a record: a stop part-way keeps every erasure made.
                with db.unit_of_work() as work:
                    service.erase(work, actor, schedule, record)
                bar.advance(task)
        console.print(
            f"[green]Erased {len(due):,} agency records (schedule {schedule.version}).[/green]"
        )
    finally:
        db.dispose()
