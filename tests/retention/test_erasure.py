"""Erasure by destroying a record's data key: unreadable everywhere, audited, verifiable."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from typer.testing import CliRunner

from jigsaw.app import create_app
from jigsaw.audit import service as audit
from jigsaw.audit.actions import AuditAction
from jigsaw.audit.models import AuditEntry
from jigsaw.audit.signing import Signer
from jigsaw.cli import app as cli
from jigsaw.clock import utcnow
from jigsaw.config import Settings
from jigsaw.db import Database
from jigsaw.errors import Conflict
from jigsaw.identity.schemas import PractitionerOut
from jigsaw.linkage.models import MatchKey
from jigsaw.people.models import AgencyRecord
from jigsaw.policy.actor import Actor
from jigsaw.policy.roles import AgencyKind, Role
from jigsaw.protection.keyring import Erased
from jigsaw.protection.models import DataKey
from jigsaw.records import service as records
from jigsaw.retention import service as retention
from jigsaw.retention.models import Erasure
from jigsaw.retention.schedule import shipped_schedule
from jigsaw.sharing import decisions
from tests.conftest import World
from tests.scene import Scene, _item, school_child

SIGNER = Signer.from_seed("jigsaw.invalid/audit", bytes(range(32)))
SCHEDULE = shipped_schedule()
SYSTEM = Actor.system()
BORN = date(2000, 1, 1)
DUE = date(2025, 1, 1)
"""The school child's 25th birthday: the day the school's schedule makes the record due."""


@dataclass
class Erasable:
    db: Database
    world: World
    scene: Scene
    dsl: PractitionerOut
    decision_id: int


@pytest.fixture
def erasable(private_database: Database) -> Erasable:
    world = World(private_database)
    school = world.agency(AgencyKind.SCHOOL)
    mash = world.agency(AgencyKind.SOCIAL_CARE)
    dsl = world.practitioner(school, Role.DSL)
    social_worker = world.actor(world.practitioner(mash, Role.MASH))
    colleague = world.actor(world.practitioner(mash, Role.PRACTITIONER))
    child = school_child(private_database, world.actor(dsl), school.id, BORN)
    items = [_item(private_database, world.actor(dsl), child.id)]
    scene = Scene(school, mash, world.actor(dsl), social_worker, colleague, child.id, items)
    decided = scene.share(private_database)
    return Erasable(private_database, world, scene, dsl, decided.id)


def _counts(db: Database) -> dict[str, int]:
    with db.engine.connect() as conn:
        return {
            table: conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in ("audit_entries", "erasures", "data_keys")
        } | {
            "keys_held": conn.execute(
                select(func.count()).select_from(DataKey).where(DataKey.wrapped.is_not(None))
            ).scalar_one()
        }


def test_a_dry_run_lists_what_is_due_and_writes_nothing(erasable: Erasable) -> None:
    db = erasable.db
    before = _counts(db)
    assert retention.run(db, SYSTEM, SCHEDULE, date(2024, 12, 31), dry_run=True) == []
    due = retention.run(db, SYSTEM, SCHEDULE, DUE, dry_run=True)
    assert [(d.agency_record_id, d.rule, d.due_on) for d in due] == [
        (erasable.scene.child_record_id, "school-child", DUE)
    ]
    assert _counts(db) == before
    item = erasable.scene.items[0]
    assert records.view_item(db, erasable.scene.dsl, item.id).detail.startswith("Seen by")


def test_erasure_shreds_the_key_and_every_read_says_so(erasable: Erasable) -> None:
    db, scene = erasable.db, erasable.scene
    checkpoint = audit.make_checkpoint(db, SIGNER)
    erased = retention.run(db, SYSTEM, SCHEDULE, DUE)
    assert [e.agency_record_id for e in erased] == [scene.child_record_id]
    marker = Erased(utcnow().date()).marker
    assert marker.startswith("[erased under the retention schedule on ")

    item = records.view_item(db, scene.dsl, scene.items[0].id)
    assert (item.summary, item.detail, item.source) == (marker, marker, marker)
    assert item.category == "child_welfare" and item.occurred_on == date(2025, 3, 3)
    assert decisions.view_decision(db, scene.dsl, erasable.decision_id).reasons == marker
    listed = records.list_items_for_record(db, scene.dsl, scene.child_record_id)
    assert [i.summary for i in listed] == [marker]

    with db.sessions() as session:
        key = session.scalars(
            select(DataKey).where(DataKey.subject_id == scene.child_record_id)
        ).one()
        assert key.wrapped is None and key.master_key_id is None and key.erased_at is not None
        erasure = session.scalars(select(Erasure)).one()
        assert (erasure.rule, erasure.schedule_version) == ("school-child", SCHEDULE.version)
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == AuditAction.RECORD_ERASED)
        ).one()
    assert entry.object_id == str(scene.child_record_id)
    assert not {"Lily", "Barnes", "Bruise"} & set(str(entry.refs).split())

    with db.sessions() as session:
        forgotten = session.get(AgencyRecord, scene.child_record_id)
        assert forgotten is not None
        assert (forgotten.given_name, forgotten.family_name) == ("[erased]", "[erased]")
        assert forgotten.date_of_birth is None and forgotten.nhs_number is None
        assert forgotten.postcode == "" and forgotten.person_id is None
        assert not session.scalars(
            select(MatchKey).where(MatchKey.agency_record_id == scene.child_record_id)
        ).all()

    report = audit.verify(db, SIGNER.verifier, [("kept", checkpoint.note)])
    assert report.ok, report.problems

    with pytest.raises(Conflict, match="erased under the retention schedule"):
        _item(db, scene.dsl, scene.child_record_id)
    with pytest.raises(Conflict, match="already been erased"):
        retention.erase(db, SYSTEM, SCHEDULE, erased[0])
    assert retention.run(db, SYSTEM, SCHEDULE, date(2100, 1, 1), dry_run=True) == []


def test_erased_items_show_the_marker_over_the_api_not_an_error(
    erasable: Erasable, settings: Settings
) -> None:
    retention.run(erasable.db, SYSTEM, SCHEDULE, DUE)
    with TestClient(create_app(settings, erasable.db)) as client:
        erasable.world.sign_in(client, erasable.dsl)
        shown = client.get(f"/api/items/{erasable.scene.items[0].id}")
        assert shown.status_code == 200
        assert shown.json()["detail"].startswith("[erased under the retention schedule on ")
        page = client.get(f"/api/agency-records/{erasable.scene.child_record_id}/items")
        assert page.status_code == 200


def test_the_command_shows_a_dry_run_then_erases(erasable: Erasable) -> None:
    runner = CliRunner()
    url = erasable.db.engine.url.render_as_string(hide_password=False)
    args = ["retention", "run", "--as-of", DUE.isoformat(), "--database", url]
    before = _counts(erasable.db)
    dry = runner.invoke(cli, [*args, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "Would erase 1 agency records" in dry.output and "school-child" in dry.output
    assert _counts(erasable.db) == before
    done = runner.invoke(cli, args)
    assert done.exit_code == 0, done.output
    assert "Erased 1 agency records" in done.output
    assert _counts(erasable.db)["erasures"] == 1
