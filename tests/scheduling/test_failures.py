"""A failing scheduled job waits longer after each failure, and tells the operator why."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path

import pytest
from sqlalchemy import select

from jigsaw.audit.actions import AuditAction
from jigsaw.audit.models import AuditEntry
from jigsaw.db import Database
from jigsaw.errors import Conflict
from jigsaw.policy.actor import Actor
from jigsaw.scheduling import service
from jigsaw.scheduling.models import ScheduledJob
from jigsaw.scheduling.service import Job, JobContext

SYSTEM = Actor.system()
LEASE = timedelta(minutes=15)
START = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
_names = count(1)


class Failing:
    """A job's work that fails (with a message naming someone) until told to work."""

    def __init__(self) -> None:
        self.attempts = 0
        self.broken = True

    def __call__(self, context: JobContext) -> dict[str, int]:
        self.attempts += 1
        if self.broken:
            raise ZeroDivisionError("while reading the record of Lily Barnes")
        return {"things": 1}


def _job(work: Failing, every: timedelta) -> Job:
    return Job(f"test-failing-{next(_names)}", "fail", every, work)


def _run(db: Database, job: Job, at: datetime) -> service.JobRun:
    return service.run_job(db, SYSTEM, job, holder="worker-a", lease_length=LEASE, now=at)


def _failures_audited(db: Database, job: Job) -> list[dict[str, object]]:
    with db.reading() as session:
        return [
            dict(entry.refs)
            for entry in session.scalars(
                select(AuditEntry)
                .where(
                    AuditEntry.action == AuditAction.SCHEDULED_JOB_RUN.value,
                    AuditEntry.object_id == job.name,
                )
                .order_by(AuditEntry.id)
            )
        ]


def _logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "jigsaw.scheduling"]


def test_the_wait_doubles_from_a_minute_up_to_the_jobs_interval() -> None:
    hourly = [service.wait_after(n, timedelta(hours=1)) for n in range(1, 9)]
    assert hourly == [MINUTE * m for m in (1, 2, 4, 8, 16, 32, 60, 60)]
    assert service.wait_after(1, timedelta(seconds=30)) == timedelta(seconds=30)
    assert service.wait_after(10_000, timedelta(days=1)) == timedelta(days=1)


def test_a_failing_job_is_tried_only_after_each_wait_with_one_entry_per_try(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """Three hours of a worker looking every minute: eight tries, not 181."""
    work = Failing()
    job = _job(work, timedelta(hours=1))
    caplog.set_level(logging.ERROR, logger="jigsaw.scheduling")
    tried_at = [
        minute
        for minute in range(181)
        if _run(db, job, START + minute * MINUTE).outcome == "failed"
    ]
    assert tried_at == [0, 1, 3, 7, 15, 31, 63, 123]
    assert work.attempts == 8
    audited = _failures_audited(db, job)
    assert [refs["failures"] for refs in audited] == list(range(1, 9))
    assert [refs["retry_in_minutes"] for refs in audited] == [1, 2, 4, 8, 16, 32, 60, 60]
    assert all(refs["error"] == "ZeroDivisionError" for refs in audited)
    assert len(_logged(caplog)) == 8, "one log line per try, not per pass"
    with db.reading() as session:
        row = session.get_one(ScheduledJob, job.name)
        assert (row.failures, row.retry_after) == (8, START + 183 * MINUTE)


def test_a_success_clears_the_wait_so_the_next_failure_starts_again_at_a_minute(
    db: Database,
) -> None:
    work = Failing()
    job = _job(work, timedelta(minutes=15))
    for minute in (0, 1, 3, 7):
        assert _run(db, job, START + minute * MINUTE).outcome == "failed"
    work.broken = False
    assert _run(db, job, START + 15 * MINUTE).outcome == "done"
    with db.reading() as session:
        row = session.get_one(ScheduledJob, job.name)
        assert (row.failures, row.retry_after) == (0, None)
    work.broken = True
    assert _run(db, job, START + 30 * MINUTE).outcome == "failed"
    assert _failures_audited(db, job)[-1]["failures"] == 1
    assert _run(db, job, START + 31 * MINUTE).outcome == "failed"


def test_a_forced_run_does_not_wait(db: Database) -> None:
    job = _job(Failing(), timedelta(hours=1))
    assert _run(db, job, START).outcome == "failed"
    forced = service.run_job(
        db, SYSTEM, job, holder="demo", lease_length=LEASE, now=START, force=True
    )
    assert forced.outcome == "failed"
    assert forced.describe().endswith("; tried again in 2 minutes")


def test_the_log_has_the_traceback_frames_but_not_another_librarys_message(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    job = _job(Failing(), timedelta(hours=1))
    caplog.set_level(logging.ERROR, logger="jigsaw.scheduling")
    _run(db, job, START)
    [line] = _logged(caplog)
    assert line.startswith(f"The {job.name} job failed (tried again in 1 minute)")
    assert "Traceback (most recent call last):" in line
    assert f'File "{__file__}"' in line and "in __call__" in line
    assert '/jigsaw/scheduling/service.py", line ' in line and "in run_job" in line
    assert "ZeroDivisionError (message not logged" in line
    assert "Barnes" not in line and "record of" not in line


def test_a_chained_errors_messages_are_left_out_and_jigsaws_own_kept(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    def chained(context: JobContext) -> dict[str, int]:
        try:
            {"name": "Lily Barnes"}["nhs"]
        except KeyError as exc:
            raise Conflict("The retention schedule names an unknown kind of record") from exc
        return {}

    job = Job(f"test-chained-{next(_names)}", "fail", timedelta(hours=1), chained)
    caplog.set_level(logging.ERROR, logger="jigsaw.scheduling")
    _run(db, job, START)
    [line] = _logged(caplog)
    cause, effect = line.split("The above exception was the direct cause")
    assert "KeyError (message not logged" in cause and "nhs" not in cause
    assert (
        "jigsaw.errors.Conflict: The retention schedule names an unknown kind of record" in effect
    )
    assert "Barnes" not in line
    [refs] = _failures_audited(db, job)
    assert refs["error"] == "Conflict", "the audit log keeps only the kind, even of our own"


def test_the_scrubbed_traceback_leaves_out_locals_and_source() -> None:
    secret = "Lily Barnes, 12 Mill Lane"
    try:
        raise ValueError(secret)
    except ValueError as exc:
        text = service.scrubbed_traceback(exc)
    assert "Lily" not in text and "secret" not in text and "raise" not in text
    assert text.splitlines()[-1] == "ValueError (message not logged: it could quote a record)"
    assert "in test_the_scrubbed_traceback_leaves_out_locals_and_source" in text


def test_the_worker_writes_the_traceback_to_standard_error_when_logging_is_not_set_up(
    private_database: Database,
) -> None:
    """A real ``jigsaw worker --once`` process, as an operator runs it: no signing key, so
    the checkpoint fails and its scrubbed traceback reaches standard error."""
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("JIGSAW_AUDIT_SIGNING_KEY")
    }
    url = private_database.engine.url.render_as_string(hide_password=False)
    finished = subprocess.run(
        [
            str(Path(sys.executable).parent / "jigsaw"),
            "worker",
            "--once",
            "--database",
            url,
            "--job",
            "audit-checkpoint",
        ],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert finished.returncode == 1, finished.stderr
    assert "audit-checkpoint: failed (CheckpointError)" in finished.stderr
    assert "tried again in 1 minute" in finished.stderr
    assert "The audit-checkpoint job failed (tried again in 1 minute)" in finished.stderr
    assert "Traceback (most recent call last):" in finished.stderr
    assert "jigsaw.audit.signing.CheckpointError: " in finished.stderr
