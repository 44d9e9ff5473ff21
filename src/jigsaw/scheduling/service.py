"""Running scheduled jobs, each in one worker at a time, each when it is due.

A job is due once its interval has passed since its last finished run began. Before a
worker runs one it takes the job's lease: a single conditional ``UPDATE`` of the job's
row that succeeds only if nobody holds an unexpired lease and the job is due. Both
backends make that one winner: SQLite lets one writer in at a time (``BEGIN
IMMEDIATE``), and PostgreSQL re-checks the ``WHERE`` of an ``UPDATE`` that waited on a
row lock against the row as the first writer left it. So a deployment may start one
worker or several, on one machine or many, and no job runs twice at once.

A worker that dies holding a lease stops renewing it; once ``lease_until`` has passed,
the next worker takes the job over. Every job's work is itself idempotent (a notice's
dedupe key, an erasure's unique row, a checkpoint only when the log has grown), so a
run cut short and taken over does nothing twice.

A job that fails is not tried again at once: it waits a minute, then two, four and so
on, doubling with each failure in a row up to the job's own interval (``failures`` and
``retry_after`` in its row). So a job that keeps failing makes one attempt, one audit
entry and one log line per wait, not one per worker pass. The log line is for the
operator: the error's kind, and the file, line and function of each frame of its
traceback, never the frames' variables, and the error's message only when the error is
one of Jigsaw's own (whose messages are written to be shown); another library's
message could quote the data it was handling.

Each run that changed something, or failed, is one audit entry naming the job and
its counts. A run that found nothing to do writes only its row here: a worker polling
every minute would otherwise fill the log with entries that say nothing. Checkpoints
are never audited (as ``jigsaw.audit.service.make_checkpoint`` says, the log would grow
past the head just signed); the checkpoint row is their record.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import Dialect, and_, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from jigsaw.audit import service as audit
from jigsaw.audit.actions import AuditAction
from jigsaw.db import Database
from jigsaw.policy.actor import Actor
from jigsaw.policy.authorize import Permission, require
from jigsaw.scheduling.models import ScheduledJob

Outcome = Literal["done", "failed", "not due", "running elsewhere"]

log = logging.getLogger("jigsaw.scheduling")
FIRST_WAIT = timedelta(minutes=1)
"""The wait after a job's first failure in a row; each further failure doubles it."""


class LeaseLost(RuntimeError):
    """Another worker took the job over (this one stopped renewing in time)."""


def worker_name() -> str:
    """This worker's name as a lease holder: host and process, and a random part so a
    restarted process with the same id is never taken for the one before it."""
    return f"{socket.gethostname()[:120]}:{os.getpid()}:{secrets.token_hex(4)}"


@dataclass
class Lease:
    """A job's lease held by one worker, renewed as the job makes progress."""

    db: Database
    job: str
    holder: str
    length: timedelta
    renewed: float = field(default_factory=time.monotonic)

    def keep_alive(self) -> None:
        """Extend the lease if a quarter of it has gone; raise if another worker has it.

        Long jobs (retention over thousands of records) call this between pieces of
        work, so a live worker is never taken for a dead one."""
        if time.monotonic() - self.renewed < self.length.total_seconds() / 4:
            return
        with self.db.transaction() as session:
            kept = session.execute(
                update(ScheduledJob)
                .where(ScheduledJob.name == self.job, ScheduledJob.lease_holder == self.holder)
                .values(lease_until=self.db.clock.now() + self.length)
            )
        if kept.rowcount != 1:  # type: ignore[attr-defined]
            raise LeaseLost(f"The {self.job} job was taken over by another worker")
        self.renewed = time.monotonic()


@dataclass(frozen=True)
class JobContext:
    """What a job's work is given: the database, who it acts as, the moment it runs at,
    and its lease to keep alive."""

    db: Database
    actor: Actor
    now: datetime
    lease: Lease


@dataclass(frozen=True)
class Job:
    name: str
    what: str
    """What it does, in a few words, for the summary line."""
    every: timedelta
    work: Callable[[JobContext], dict[str, int]]
    """Does the job and returns counts of what it did (all zero: nothing was due)."""
    audited: bool = True


@dataclass(frozen=True)
class JobRun:
    """One job's turn in one pass of the worker."""

    job: str
    outcome: Outcome
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    error: str | None = None
    retry_in: timedelta | None = None
    """After a failure, how long until the job is tried again."""

    @property
    def changed_something(self) -> bool:
        return any(self.counts.values())

    def describe(self) -> str:
        if self.outcome in ("not due", "running elsewhere"):
            return f"{self.job}: {self.outcome}"
        if self.outcome == "failed":
            said = f"{self.job}: failed ({self.error}) after {self.seconds:.1f} s"
            if self.retry_in is not None:
                said += f"; tried again in {_duration(self.retry_in)}"
            return said
        said = ", ".join(f"{name.replace('_', ' ')} {n:,}" for name, n in self.counts.items())
        return f"{self.job}: {said or 'nothing to do'} in {self.seconds:.1f} s"


def _duration(span: timedelta) -> str:
    minutes = max(1, round(span.total_seconds() / 60))
    if minutes % 60 == 0:
        hours = minutes // 60
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def wait_after(failures: int, every: timedelta) -> timedelta:
    """How long a job that has failed ``failures`` times in a row waits before its next try.

    Doubling from a minute keeps a passing fault (a database restart) from costing a
    day's run, and capping at the job's interval means a broken job is still tried as
    often as it would run when healthy, never more."""
    doublings = min(max(failures, 1) - 1, 30)
    return min(FIRST_WAIT * (1 << doublings), every)


def _is_own(exc: BaseException) -> bool:
    """Whether the error is one of Jigsaw's own, whose messages never quote records."""
    module = type(exc).__module__
    return module == "jigsaw" or module.startswith("jigsaw.")


def scrubbed_traceback(exc: BaseException) -> str:
    """The error's traceback for the operator's log, with nothing a record could be in.

    Each frame gives its file, line and function; the frames' variables and source
    lines are left out, and so is the message of any error not Jigsaw's own (a database
    driver's message quotes the values it was given). Chained errors (``from``, or
    raised while handling another) are given the same way, the earliest first, as
    Python prints them."""
    # Each error, latest first, with the sentence linking the one before it to it.
    chain: list[tuple[BaseException, str]] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    link = ""
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append((current, link))
        if current.__cause__ is not None:
            current, link = current.__cause__, _CAUSED
        elif current.__context__ is not None and not current.__suppress_context__:
            current, link = current.__context__, _DURING
        else:
            current = None
    lines: list[str] = []
    for position in range(len(chain) - 1, -1, -1):
        error = chain[position][0]
        lines.append("Traceback (most recent call last):")
        for frame in traceback.extract_tb(error.__traceback__):
            lines.append(f'  File "{frame.filename}", line {frame.lineno}, in {frame.name}')
        lines.append(_what(error))
        if position > 0:
            lines += ["", chain[position][1], ""]
    return "\n".join(lines)


_CAUSED = "The above exception was the direct cause of the following exception:"
_DURING = "During handling of the above exception, another exception occurred:"


def _what(error: BaseException) -> str:
    """The error's last traceback line: its kind, and its message only if it is our own."""
    module = type(error).__module__
    kind = (
        type(error).__qualname__ if module == "builtins" else f"{module}.{type(error).__qualname__}"
    )
    if not _is_own(error):
        return f"{kind} (message not logged: it could quote a record)"
    try:
        message = str(error)
    except Exception:  # a message that cannot be made is left out
        message = ""
    return f"{kind}: {message}" if message else kind


def _insert_missing(session: Session, name: str) -> None:
    """Create the job's row if absent; a worker creating it at the same moment wins quietly."""
    dialect: Dialect = session.get_bind().dialect
    if dialect.name == "postgresql":
        session.execute(
            postgresql.insert(ScheduledJob)
            .values(name=name, runs=0, failures=0)
            .on_conflict_do_nothing(index_elements=["name"])
        )
    else:
        session.execute(
            sqlite.insert(ScheduledJob)
            .values(name=name, runs=0, failures=0)
            .on_conflict_do_nothing(index_elements=["name"])
        )


def take_lease(
    db: Database,
    job: Job,
    holder: str,
    now: datetime,
    *,
    length: timedelta,
    force: bool = False,
) -> bool:
    """Take ``job``'s lease for ``holder`` if it is free (or lapsed) and the job is due.

    Due means its interval has passed since its last successful run began and, after a
    failure, its wait has passed too. One conditional ``UPDATE``: of any number of
    workers asking at once, exactly one gets a row changed. ``force`` takes a free lease
    whether or not the job is due (the demo, a test), never one another worker holds.
    """
    free = or_(ScheduledJob.lease_until.is_(None), ScheduledJob.lease_until <= now)
    due = and_(
        or_(
            ScheduledJob.last_succeeded_at.is_(None),
            ScheduledJob.last_succeeded_at <= now - job.every,
        ),
        or_(ScheduledJob.retry_after.is_(None), ScheduledJob.retry_after <= now),
    )
    with db.transaction() as session:
        _insert_missing(session, job.name)
        taken = session.execute(
            update(ScheduledJob)
            .where(ScheduledJob.name == job.name, free, *(() if force else (due,)))
            .values(lease_holder=holder, lease_until=now + length, last_started_at=now)
        )
    return bool(taken.rowcount == 1)  # type: ignore[attr-defined]


def _finish(
    db: Database, actor: Actor, job: Job, holder: str, started: datetime, run: JobRun
) -> JobRun:
    """Give the lease back and record the run, with its audit entry, in one transaction.

    A failure sets the wait before the next try; the run comes back saying how long
    it is (unchanged if another worker took the job over meanwhile)."""
    succeeded = run.outcome == "done"
    with db.transaction() as session:
        row = session.scalar(
            select(ScheduledJob)
            .where(ScheduledJob.name == job.name, ScheduledJob.lease_holder == holder)
            .with_for_update()
        )
        if row is None:
            return run  # taken over while it ran: the new holder records its own run
        row.lease_holder = None
        row.lease_until = None
        row.last_finished_at = db.clock.now()
        row.last_outcome = "done" if succeeded else "failed"
        row.last_counts = dict(run.counts)
        row.runs = (row.runs or 0) + 1
        refs: dict[str, int | str] = {"outcome": row.last_outcome, **run.counts}
        if succeeded:
            row.last_succeeded_at = started
            row.failures = 0
            row.retry_after = None
        else:
            row.failures = (row.failures or 0) + 1
            wait = wait_after(row.failures, job.every)
            # From when the attempt ended (to the second), so a long run that fails is not
            # tried again at once.
            row.retry_after = started + timedelta(seconds=int(run.seconds)) + wait
            run = replace(run, retry_in=wait)
            refs |= {"failures": row.failures, "retry_in_minutes": round(wait.total_seconds() / 60)}
        if run.error:
            refs["error"] = run.error
        if job.audited and (run.changed_something or not succeeded):
            audit.append(
                session, actor, AuditAction.SCHEDULED_JOB_RUN, "scheduled_job", job.name, refs=refs
            )
    return run


def _why_not(db: Database, job: Job, now: datetime) -> Outcome:
    with db.reading() as session:
        row = session.get(ScheduledJob, job.name)
    held = row is not None and row.lease_until is not None and row.lease_until > now
    return "running elsewhere" if held else "not due"


def run_job(
    db: Database,
    actor: Actor,
    job: Job,
    *,
    holder: str,
    lease_length: timedelta,
    now: datetime | None = None,
    force: bool = False,
) -> JobRun:
    """Run ``job`` if it is due and no other worker has it; say what became of it.

    A job that raises is recorded as failed (its error's kind only: a message could
    quote what it was working on), its scrubbed traceback goes to the operator's log
    (logger ``jigsaw.scheduling``), and it waits before its next try (``wait_after``).
    """
    require(actor, Permission.RUN_SCHEDULED_WORK)
    now = now or db.clock.now()
    if not take_lease(db, job, holder, now, length=lease_length, force=force):
        return JobRun(job.name, _why_not(db, job, now))
    lease = Lease(db, job.name, holder, lease_length)
    started = time.perf_counter()
    try:
        counts = job.work(JobContext(db, actor, now, lease))
        run = JobRun(job.name, "done", counts, round(time.perf_counter() - started, 2))
    except Exception as exc:  # one job failing must not stop the others
        run = JobRun(
            job.name, "failed", {}, round(time.perf_counter() - started, 2), type(exc).__name__
        )
        run = _finish(db, actor, job, holder, now, run)
        wait = (
            f"tried again in {_duration(run.retry_in)}"
            if run.retry_in
            else "another worker took it over"
        )
        log.error("The %s job failed (%s)\n%s", job.name, wait, scrubbed_traceback(exc))
        return run
    return _finish(db, actor, job, holder, now, run)


def run_due(
    db: Database,
    actor: Actor,
    jobs: Iterable[Job],
    *,
    holder: str,
    lease_length: timedelta,
    now: datetime | None = None,
    force: bool = False,
    report: Callable[[JobRun], None] = lambda _run: None,
) -> list[JobRun]:
    """One pass of the worker: each job in turn, if due and free; ``report`` hears each."""
    require(actor, Permission.RUN_SCHEDULED_WORK)
    runs = []
    for job in jobs:
        run = run_job(
            db, actor, job, holder=holder, lease_length=lease_length, now=now, force=force
        )
        report(run)
        runs.append(run)
    return runs
