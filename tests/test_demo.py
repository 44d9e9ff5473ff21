"""The demo ships current: records linked, a day's requests and a share made, retention
applied and the reminders sent, so every account's pages have something real to show."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy import func, select

from jigsaw.clock import today
from jigsaw.config import Settings
from jigsaw.demo import build_demo, demo_database_url
from jigsaw.identity.models import Practitioner
from jigsaw.linkage.models import LinkageRun
from jigsaw.notifications.models import Notification, NotificationKind
from jigsaw.protection.master_key import open_database
from jigsaw.retention import service as retention
from jigsaw.retention.models import Erasure
from jigsaw.retention.schedule import shipped_schedule
from jigsaw.scheduling.models import ScheduledJob

pytest.importorskip("faker")


def test_the_demo_is_built_linked_busy_and_current(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with (tmp_path / "out.txt").open("w") as out:
        build_demo(children=150, seed=1, console=Console(file=out))
    db = open_database(Settings(demo_mode=True, database_url=demo_database_url()))
    try:
        with db.reading() as session:
            assert session.scalar(select(func.count(LinkageRun.id))) == 1
            jobs = {
                row.name: (row.runs, row.last_outcome)
                for row in session.scalars(select(ScheduledJob))
            }
            assert jobs == {
                name: (1, "done")
                for name in (
                    "overdue-requests",
                    "expiring-disclosures",
                    "retention",
                    "audit-checkpoint",
                    "link-new-records",
                )
            }
            assert (session.scalar(select(func.count(Erasure.id))) or 0) > 0
            told = {
                (email, kind)
                for email, kind in session.execute(
                    select(Practitioner.email, Notification.kind).join(
                        Practitioner, Practitioner.id == Notification.practitioner_id
                    )
                )
            }
        assert list(retention.due_records(db, shipped_schedule(), today())) == []
        assert ("hv@health.demo", NotificationKind.REQUEST_OVERDUE) in told
        assert ("dsl@school.demo", NotificationKind.REQUEST_RECEIVED) in told
        assert ("mash@council.demo", NotificationKind.DISCLOSURE_RECEIVED) in told
        assert ("mash@council.demo", NotificationKind.DISCLOSURE_EXPIRING) in told
        assert ("dsl@school.demo", NotificationKind.OPERATION_ENCOMPASS) in told
    finally:
        db.dispose()
