"""The worker's real jobs: each does its work once, and a second run finds nothing to do.

Reminders about an overdue request and a disclosure about to expire, retention and the
audit checkpoint, run by ``jigsaw worker --once`` and by the service directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from jigsaw.audit.actions import AuditAction
from jigsaw.audit.models import AuditCheckpoint, AuditEntry
from jigsaw.cli import app as cli
from jigsaw.clock import utcnow
from jigsaw.config import Settings, get_settings
from jigsaw.consent.models import SharingPurpose
from jigsaw.db import Database
from jigsaw.deadlines.timescales import load_profile
from jigsaw.deadlines.values import Rag
from jigsaw.notifications.models import Notification, NotificationKind
from jigsaw.people import service as people
from jigsaw.people.models import PersonRole
from jigsaw.people.schemas import AgencyRecordIn
from jigsaw.policy.actor import Actor
from jigsaw.records.models import Category
from jigsaw.retention.models import Erasure
from jigsaw.scheduling import cli as scheduling_cli
from jigsaw.scheduling import service
from jigsaw.scheduling.jobs import scheduled_jobs
from jigsaw.scheduling.models import ScheduledJob
from jigsaw.sharing import decisions, disclosures, requests
from jigsaw.sharing.schemas import RequestIn
from tests.conftest import AUDIT_KEY, World, unique
from tests.scene import Scene, build_scene, school_child

SYSTEM = Actor.system()
LEASE = timedelta(minutes=15)


@dataclass
class Busy:
    """A database with one of everything the jobs look for."""

    db: Database
    scene: Scene
    request_id: int
    disclosure_id: int
    old_record_id: int
    settings: Settings


@pytest.fixture
def busy(private_database: Database) -> Busy:
    db = private_database
    scene = build_scene(db, World(db))
    mash_record = people.create_agency_record(
        db,
        scene.social_worker,
        AgencyRecordIn(
            agency_id=scene.mash.id,
            local_id=unique("M"),
            role=PersonRole.CHILD,
            given_name="Lily",
            family_name="Barnes",
            date_of_birth=date(2017, 6, 1),
        ),
    )
    request = requests.make_request(
        db,
        scene.social_worker,
        RequestIn(
            subject_record_id=mash_record.id,
            recipient_agency_id=scene.school.id,
            purpose=SharingPurpose.MASH_SCREENING,
            categories=[Category.CHILD_WELFARE],
            question="Any injuries this term?",
            rag=Rag.RED,
        ),
        load_profile("default"),
    )
    decision = decisions.decide(db, scene.dsl, scene.decision())
    disclosure = disclosures.disclose(db, scene.dsl, scene.disclosure(decision.id))
    old = school_child(db, scene.dsl, scene.school.id, born=date(1990, 1, 1))
    url = db.engine.url.render_as_string(hide_password=False)
    settings = Settings(database_url=url, audit_signing_key=AUDIT_KEY)
    return Busy(db, scene, request.id, disclosure.id, old.id, settings)


def _state(db: Database) -> dict[str, int]:
    with db.reading() as session:
        return {
            "notices": session.scalar(select(func.count(Notification.id))) or 0,
            "entries": session.scalar(select(func.count(AuditEntry.id))) or 0,
            "erasures": session.scalar(select(func.count(Erasure.id))) or 0,
            "checkpoints": session.scalar(select(func.count(AuditCheckpoint.id))) or 0,
        }


def _pass(busy: Busy, now: datetime) -> dict[str, dict[str, int]]:
    runs = service.run_due(
        busy.db,
        SYSTEM,
        scheduled_jobs(busy.settings),
        holder="worker-a",
        lease_length=LEASE,
        now=now,
        force=True,
    )
    assert [run.outcome for run in runs] == ["done"] * 5, [run.describe() for run in runs]
    return {run.job: run.counts for run in runs}


def test_every_job_run_twice_does_nothing_the_second_time(busy: Busy) -> None:
    # Nearly a month on: the Red request is long overdue, the disclosure ends within a week.
    later = utcnow() + timedelta(days=25)
    first = _pass(busy, later)
    assert first["overdue-requests"]["notices"] >= 1
    assert first["expiring-disclosures"]["notices"] >= 1
    assert first["retention"] == {"erased": 1, "already_erased": 0}
    assert first["audit-checkpoint"]["signed"] == 1
    with busy.db.reading() as session:
        told = {
            (n.kind, n.object_id, n.practitioner_id)
            for n in session.scalars(
                select(Notification).where(
                    Notification.kind.in_(
                        [NotificationKind.REQUEST_OVERDUE, NotificationKind.DISCLOSURE_EXPIRING]
                    )
                )
            )
        }
        erased = session.scalars(select(Erasure.agency_record_id)).all()
    # The school's lead, who should answer the request; the MASH worker it was shared with.
    assert (
        NotificationKind.REQUEST_OVERDUE,
        busy.request_id,
        busy.scene.dsl.practitioner_id,
    ) in told
    assert (
        NotificationKind.DISCLOSURE_EXPIRING,
        busy.disclosure_id,
        busy.scene.social_worker.practitioner_id,
    ) in told
    assert (
        len(told)
        == first["overdue-requests"]["notices"] + (first["expiring-disclosures"]["notices"])
    )
    assert erased == [busy.old_record_id]

    before = _state(busy.db)
    second = _pass(busy, later + timedelta(minutes=1))
    assert second["overdue-requests"] == {"notices": 0}
    assert second["expiring-disclosures"] == {"notices": 0}
    assert second["retention"] == {"erased": 0, "already_erased": 0}
    assert second["link-new-records"] == {"linked": 0, "skipped": 0}
    assert second["audit-checkpoint"]["signed"] == 0
    assert _state(busy.db) == before, "the second run wrote nothing: no notice, entry or key"


def test_the_checkpoint_signs_what_the_other_jobs_wrote(busy: Busy) -> None:
    _pass(busy, utcnow() + timedelta(days=25))
    with busy.db.reading() as session:
        size = session.scalar(select(func.max(AuditCheckpoint.tree_size)))
        entries = session.scalar(select(func.count(AuditEntry.id)))
        runs = session.scalars(
            select(AuditEntry.object_id).where(
                AuditEntry.action == AuditAction.SCHEDULED_JOB_RUN.value
            )
        ).all()
    assert size == entries, "the checkpoint covers every entry, the jobs' own included"
    assert "retention" in runs and "audit-checkpoint" not in runs


def _worker(busy: Busy, *extra: str) -> tuple[int, str]:
    url = busy.db.engine.url.render_as_string(hide_password=False)
    get_settings.cache_clear()  # the command reads this test's environment
    result = CliRunner().invoke(cli, ["worker", "--once", "--database", url, *extra])
    return result.exit_code, result.output


def test_the_worker_once_runs_what_is_due_then_exits(
    busy: Busy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JIGSAW_AUDIT_SIGNING_KEY", AUDIT_KEY)
    code, output = _worker(busy)
    assert code == 0, output
    for line in (
        "overdue-requests: notices 0",  # now: the Red request is not overdue yet
        "expiring-disclosures: notices 0",
        "retention: erased 1, already erased 0",
        "audit-checkpoint: signed 1",
    ):
        assert line in output
    with busy.db.reading() as session:
        assert {row.name: row.runs for row in session.scalars(select(ScheduledJob))} == {
            "overdue-requests": 1,
            "expiring-disclosures": 1,
            "link-new-records": 1,
            "retention": 1,
            "audit-checkpoint": 1,
        }
    before = _state(busy.db)
    code, output = _worker(busy)
    assert code == 0, output
    assert output.count(": not due") == 5
    assert _state(busy.db) == before


def test_the_worker_runs_only_the_jobs_named(busy: Busy, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JIGSAW_AUDIT_SIGNING_KEY", AUDIT_KEY)
    code, output = _worker(busy, "--job", "retention")
    assert code == 0 and "retention: erased 1" in output and "checkpoint" not in output
    code, output = _worker(busy, "--job", "nonsense")
    assert code == 2 and "No such job: nonsense" in output


def test_the_worker_exits_1_when_a_job_fails(busy: Busy, monkeypatch: pytest.MonkeyPatch) -> None:
    """No signing key configured: the checkpoint fails, the other jobs still run."""
    monkeypatch.delenv("JIGSAW_AUDIT_SIGNING_KEY", raising=False)
    monkeypatch.delenv("JIGSAW_AUDIT_SIGNING_KEY_FILE", raising=False)
    code, output = _worker(busy)
    assert code == 1
    assert "audit-checkpoint: failed (CheckpointError)" in output
    assert "retention: erased 1" in output


def test_the_intervals_come_from_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JIGSAW_REMINDER_INTERVAL_MINUTES", "5")
    monkeypatch.setenv("JIGSAW_RETENTION_INTERVAL_HOURS", "12")
    monkeypatch.setenv("JIGSAW_CHECKPOINT_INTERVAL_MINUTES", "30")
    monkeypatch.setenv("JIGSAW_LINKING_INTERVAL_MINUTES", "2")
    every = {job.name: job.every for job in scheduled_jobs(Settings())}
    assert every == {
        "overdue-requests": timedelta(minutes=5),
        "expiring-disclosures": timedelta(minutes=5),
        "link-new-records": timedelta(minutes=2),
        "retention": timedelta(hours=12),
        "audit-checkpoint": timedelta(minutes=30),
    }


def test_the_worker_says_when_it_cannot_use_the_database(tmp_path: Path) -> None:
    get_settings.cache_clear()
    url = f"sqlite:///{tmp_path / 'never-upgraded.db'}"
    result = CliRunner().invoke(cli, ["worker", "--once", "--database", url])
    assert result.exit_code == 1
    assert "Could not use the database" in " ".join(result.output.split())


def test_a_worker_left_running_polls_and_says_only_what_it_did(
    busy: Busy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JIGSAW_AUDIT_SIGNING_KEY", AUDIT_KEY)
    monkeypatch.setenv("JIGSAW_WORKER_POLL_SECONDS", "7")
    naps: list[float] = []

    def nap(seconds: float) -> None:
        naps.append(seconds)
        if len(naps) == 2:
            raise KeyboardInterrupt  # stop the worker after its second pass

    monkeypatch.setattr(scheduling_cli.time, "sleep", nap)
    get_settings.cache_clear()
    url = busy.db.engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(cli, ["worker", "--database", url])
    assert naps == [7, 7]
    assert result.output.count("retention: erased 1") == 1
    assert "not due" not in result.output
    with busy.db.reading() as session:
        assert session.get_one(ScheduledJob, "retention").runs == 1
