"""Scheduled jobs run when due, in one worker at a time, and are taken over when a worker dies."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from itertools import count

import pytest
from sqlalchemy import select

from jigsaw.audit.actions import AuditAction
from jigsaw.audit.models import AuditEntry
from jigsaw.db import Database
from jigsaw.errors import NotPermitted
from jigsaw.policy import authorize as policy
from jigsaw.policy.actor import Actor
from jigsaw.policy.authorize import Permission
from jigsaw.policy.roles import Role
from jigsaw.scheduling import service
from jigsaw.scheduling.models import ScheduledJob
from jigsaw.scheduling.service import Job, JobContext, LeaseLost
from tests.conftest import World

SYSTEM = Actor.system()
LEASE = timedelta(minutes=15)
START = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
_names = count(1)


class Counting:
    """A job's work that counts its runs, reporting ``found`` things done each time."""

    def __init__(self, found: int = 1) -> None:
        self.runs = 0
        self.found = found

    def __call__(self, context: JobContext) -> dict[str, int]:
        self.runs += 1
        return {"things": self.found}


def _job(work: Counting | None = None, every: timedelta = timedelta(hours=1)) -> Job:
    return Job(f"test-job-{next(_names)}-{id(work)}", "count", every, work or Counting())


def _entries(db: Database, job: Job) -> list[AuditEntry]:
    with db.reading() as session:
        return list(
            session.scalars(
                select(AuditEntry).where(
                    AuditEntry.action == AuditAction.SCHEDULED_JOB_RUN.value,
                    AuditEntry.object_id == job.name,
                )
            )
        )


def _run(db: Database, job: Job, at: datetime, holder: str = "worker-a") -> service.JobRun:
    return service.run_job(db, SYSTEM, job, holder=holder, lease_length=LEASE, now=at)


def test_a_job_runs_when_due_and_not_again_until_its_interval_has_passed(db: Database) -> None:
    work = Counting()
    job = _job(work)
    first = _run(db, job, START)
    assert (first.outcome, first.counts) == ("done", {"things": 1})
    assert _run(db, job, START + timedelta(minutes=59)).outcome == "not due"
    assert work.runs == 1
    assert _run(db, job, START + timedelta(hours=1)).outcome == "done"
    assert work.runs == 2
    with db.reading() as session:
        row = session.get_one(ScheduledJob, job.name)
        assert (row.runs, row.last_outcome, row.lease_holder) == (2, "done", None)
        assert row.last_succeeded_at == START + timedelta(hours=1)


def test_each_run_that_did_something_is_one_audit_entry_with_its_counts(db: Database) -> None:
    busy, idle = _job(Counting(found=3)), _job(Counting(found=0))
    _run(db, busy, START)
    _run(db, idle, START)
    [entry] = _entries(db, busy)
    assert entry.refs == {"outcome": "done", "things": 3}
    assert entry.actor_id is None  # the system
    assert _entries(db, idle) == [], "a run that found nothing to do adds nothing to the log"


def test_a_failed_run_is_recorded_audited_and_tried_again_after_a_minute(db: Database) -> None:
    def broken(context: JobContext) -> dict[str, int]:
        raise ZeroDivisionError("about Lily Barnes")

    job = Job(f"test-broken-{next(_names)}", "fail", timedelta(days=1), broken)
    failed = _run(db, job, START)
    assert (failed.outcome, failed.error) == ("failed", "ZeroDivisionError")
    [entry] = _entries(db, job)
    assert entry.refs == {
        "outcome": "failed",
        "error": "ZeroDivisionError",
        "failures": 1,
        "retry_in_minutes": 1,
    }
    assert "Barnes" not in str(entry.refs), "the error's message could name someone"
    assert _run(db, job, START + timedelta(seconds=59)).outcome == "not due"
    assert _run(db, job, START + timedelta(minutes=1)).outcome == "failed"


def test_a_force_run_ignores_the_interval_but_never_a_lease_held_elsewhere(
    db: Database,
) -> None:
    work = Counting()
    job = _job(work)
    _run(db, job, START)
    forced = service.run_job(
        db, SYSTEM, job, holder="demo", lease_length=LEASE, now=START, force=True
    )
    assert forced.outcome == "done" and work.runs == 2
    assert service.take_lease(db, job, "worker-a", START, length=LEASE, force=True)
    assert not service.take_lease(db, job, "worker-b", START, length=LEASE, force=True)


def test_two_workers_racing_for_one_job_run_it_exactly_once(database_url: str) -> None:
    """Two processes' worth of engines, released at the same instant, many times over."""
    first, second = Database(database_url), Database(database_url)
    try:
        for _ in range(8):
            work = Counting()
            job = _job(work)
            gate = threading.Barrier(2)
            outcomes: dict[str, str] = {}

            def race(
                db: Database, holder: str, job: Job = job, gate: threading.Barrier = gate
            ) -> None:
                gate.wait()
                outcomes[holder] = _run(db, job, START, holder).outcome

            threads = [
                threading.Thread(target=race, args=(first, "worker-a")),
                threading.Thread(target=race, args=(second, "worker-b")),
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
            assert work.runs == 1
            assert sorted(outcomes.values()) in (["done", "not due"], ["done", "running elsewhere"])
    finally:
        first.dispose()
        second.dispose()


def test_a_worker_finds_the_job_running_elsewhere_while_another_holds_it(
    database_url: str,
) -> None:
    first, second = Database(database_url), Database(database_url)
    started, release = threading.Event(), threading.Event()

    def slow(context: JobContext) -> dict[str, int]:
        started.set()
        assert release.wait(timeout=60)
        return {"things": 1}

    job = Job(f"test-slow-{next(_names)}", "wait", timedelta(hours=1), slow)
    outcome: list[str] = []
    holder = threading.Thread(target=lambda: outcome.append(_run(first, job, START).outcome))
    try:
        holder.start()
        assert started.wait(timeout=60)
        assert _run(second, job, START, "worker-b").outcome == "running elsewhere"
        release.set()
        holder.join(timeout=60)
        assert outcome == ["done"]
        assert _run(second, job, START, "worker-b").outcome == "not due"
    finally:
        release.set()
        first.dispose()
        second.dispose()


def test_a_lapsed_lease_is_taken_over_and_the_old_holder_stops(db: Database) -> None:
    """A worker killed mid-run never gives its lease back; it lapses and another takes over."""
    work = Counting()
    job = _job(work)
    assert service.take_lease(db, job, "killed", START, length=LEASE)
    assert _run(db, job, START + LEASE - timedelta(seconds=1), "worker-b").outcome == (
        "running elsewhere"
    )
    taken_over = _run(db, job, START + LEASE, "worker-b")
    assert taken_over.outcome == "done" and work.runs == 1
    stale = service.Lease(db, job.name, "killed", LEASE, renewed=0.0)
    with pytest.raises(LeaseLost):
        stale.keep_alive()


def test_a_live_worker_keeps_its_lease_by_renewing_it(db: Database) -> None:
    job = _job()
    db.clock.hold(START)
    try:
        assert service.take_lease(db, job, "worker-a", START, length=LEASE)
        db.clock.hold(START + timedelta(minutes=10))
        service.Lease(db, job.name, "worker-a", LEASE, renewed=0.0).keep_alive()
    finally:
        db.clock.hold(None)
    with db.reading() as session:
        assert session.get_one(ScheduledJob, job.name).lease_until == START + timedelta(minutes=25)
    assert not service.take_lease(db, job, "worker-b", START + LEASE, length=LEASE)


def test_only_the_system_runs_scheduled_work(db: Database, world: World) -> None:
    for role in Role:
        person = Actor(1, 1, role, mfa_verified=True)
        assert policy.is_permitted(person, Permission.RUN_SCHEDULED_WORK) is (
            role is Role.SYSTEM
        ), role
    for role in (Role.ADMIN, Role.DPO, Role.PRACTITIONER):
        person = world.actor(world.practitioner(role=role))
        with pytest.raises(NotPermitted):
            service.run_job(db, person, _job(), holder="x", lease_length=LEASE)
        with pytest.raises(NotPermitted):
            service.run_due(db, person, [_job()], holder="x", lease_length=LEASE)
