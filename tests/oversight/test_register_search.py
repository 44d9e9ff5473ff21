"""Finding a child for the disclosure register by name, date of birth or local ID: only
children the reader's agency holds, only for those the policy lets search, and never
with the terms written to the log."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from jigsaw.audit.actions import AuditAction
from jigsaw.audit.models import AuditEntry
from jigsaw.db import Database
from jigsaw.errors import NotPermitted
from jigsaw.oversight import register
from jigsaw.people import service as people
from jigsaw.policy.roles import Role
from tests.conftest import World
from tests.scene import Scene, school_child


def test_each_term_finds_the_child_and_all_given_must_match(
    db: Database, scene: Scene, world: World
) -> None:
    dpo = world.actor(world.practitioner(scene.school, Role.DPO))
    record = people.view_agency_record(db, scene.dsl, scene.child_record_id)

    def ids(**terms: object) -> list[int]:
        return [c.record_id for c in register.find_children(db, dpo, **terms)]  # type: ignore[arg-type]

    assert scene.child_record_id in ids(name="lily")
    assert scene.child_record_id in ids(name="Barnes Lily")
    assert scene.child_record_id in ids(name="bar"), "the start of a name is enough"
    assert ids(name="arnes") == [], "a name is matched from its start"
    assert ids(name="Lily Smith") == [], "every word must match"
    assert ids(local_id=record.local_id) == [scene.child_record_id]
    assert scene.child_record_id in ids(date_of_birth=date(2017, 6, 1))
    assert ids(name="Lily", date_of_birth=date(2017, 6, 2)) == []
    assert ids(name="L_ly") == [] and ids(name="L%y") == [], "wildcards are not wildcards"


def test_another_agencys_children_are_never_found(db: Database, scene: Scene, world: World) -> None:
    other = world.agency(scene.school.kind)
    other_dsl = world.actor(world.practitioner(other, Role.DSL))
    theirs = school_child(db, other_dsl, other.id, date(2017, 6, 1))
    dpo = world.actor(world.practitioner(scene.school, Role.DPO))
    found = [c.record_id for c in register.find_children(db, dpo, name="Lily Barnes")]
    assert scene.child_record_id in found
    assert theirs.id not in found


@pytest.mark.parametrize("role", [Role.DSL, Role.AUDITOR, Role.PRACTITIONER])
def test_only_those_who_may_see_the_register_and_the_records_may_search(
    db: Database, scene: Scene, world: World, role: Role
) -> None:
    actor = world.actor(world.practitioner(scene.school, role))
    assert not register.may_find_children(actor)
    with pytest.raises(NotPermitted):
        register.find_children(db, actor, name="Lily")


def test_the_log_holds_the_records_shown_never_the_name_typed(
    db: Database, scene: Scene, world: World
) -> None:
    dpo = world.actor(world.practitioner(scene.school, Role.DPO))
    register.find_children(db, dpo, name="Lily Barnes")
    with db.sessions() as session:
        entry = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == AuditAction.AGENCY_RECORDS_LISTED.value)
            .order_by(AuditEntry.seq.desc())
        ).first()
    assert entry is not None and entry.actor_id == dpo.practitioner_id
    assert scene.child_record_id in entry.refs["records"]
    assert "Lily" not in str(entry.refs) and "Barnes" not in str(entry.refs)
