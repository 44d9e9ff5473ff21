"""Who knows this child: agencies and named practitioners, never what they hold, only for
someone with a legitimate purpose, and every look-up (or refusal) audited."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select, update

from jigsaw.audit.actions import READS, AuditAction
from jigsaw.audit.models import AuditEntry
from jigsaw.consent.models import SharingPurpose
from jigsaw.db import Database
from jigsaw.deadlines.timescales import load_profile
from jigsaw.deadlines.values import Rag
from jigsaw.errors import NotFound, NotPermitted
from jigsaw.identity.models import Practitioner
from jigsaw.people.models import LinkStatus
from jigsaw.policy.roles import AgencyKind, Role
from jigsaw.records.models import Category
from jigsaw.sharing import decisions, requests
from jigsaw.sharing.models import ConsentPosition, DecisionOutcome, NotToldReason
from jigsaw.sharing.schemas import DecisionIn, RequestIn
from jigsaw.singleview import service
from tests.agreed import agree
from tests.conftest import World
from tests.scene import HARM_ANSWERS
from tests.singleview.helpers import (
    Family,
    build_family,
    involve,
    item,
    link,
    new_person,
    record,
)


@pytest.fixture
def family(db: Database, world: World) -> Family:
    return build_family(db, world)


def _audited(db: Database, action: AuditAction, person_id: int) -> list[AuditEntry]:
    with db.sessions() as session:
        return list(
            session.scalars(
                select(AuditEntry).where(
                    AuditEntry.action == action.value,
                    AuditEntry.object_type == "person",
                    AuditEntry.object_id == str(person_id),
                )
            )
        )


def test_who_knows_lists_agencies_and_contacts_but_no_content(db: Database, family: Family) -> None:
    officer_id = family.officer.practitioner_id
    involve(db, family.officer, family.records["police"], officer_id, "Officer in case")
    involve(db, family.gp, family.records["health"], None, "Practice safeguarding lead line")
    item(db, family.officer, family.records["police"], "Attended a disturbance at the home")

    found = service.who_knows(db, family.dsl, family.child)

    by_kind = {a.agency_kind: a for a in found.agencies}
    assert set(by_kind) == {
        AgencyKind.SCHOOL,
        AgencyKind.POLICE,
        AgencyKind.HEALTH,
        AgencyKind.SOCIAL_CARE,
    }
    assert found.agencies[0].own_agency and found.agencies[0].agency_id == family.school.id
    assert found.known_as == "Maisie Ashworth"
    police = by_kind[AgencyKind.POLICE]
    assert [c.practitioner_id for c in police.contacts] == [officer_id]
    assert police.contacts[0].description == "Officer in case"
    assert police.contacts[0].phone == "01632 960001"
    assert police.contacts[0].since == date(2025, 9, 1)
    assert police.contacts[0].email.endswith("@example.org")  # the practitioner's own
    health = by_kind[AgencyKind.HEALTH]
    assert health.contacts[0].name is None
    assert health.contacts[0].description == "Practice safeguarding lead line"
    body = found.model_dump_json()
    assert "disturbance" not in body
    assert "Maisy" not in body  # another agency's spelling of the name is its content
    assert _audited(db, AuditAction.WHO_KNOWS_VIEWED, family.child)


def test_who_knows_is_refused_without_a_legitimate_purpose_and_the_refusal_is_audited(
    db: Database, world: World, family: Family
) -> None:
    stranger = world.actor(world.practitioner(world.agency(AgencyKind.HOUSING), Role.DSL))
    before = len(_audited(db, AuditAction.SINGLE_VIEW_REFUSED, family.child))
    with pytest.raises(NotPermitted, match="holds a record"):
        service.who_knows(db, stranger, family.child)
    refused = _audited(db, AuditAction.SINGLE_VIEW_REFUSED, family.child)
    assert len(refused) == before + 1
    assert refused[-1].actor_id == stranger.practitioner_id
    assert refused[-1].refs == {"permission": "view_who_knows_kinds"}
    assert not _audited(db, AuditAction.WHO_KNOWS_VIEWED, family.child)


def test_a_person_who_does_not_exist_is_refused_the_same_way(db: Database, family: Family) -> None:
    with pytest.raises(NotPermitted):
        service.who_knows(db, family.dsl, 10**9)


def test_an_auditor_is_refused_even_in_an_agency_that_holds_a_record(
    db: Database, world: World, family: Family
) -> None:
    auditor = world.actor(world.practitioner(family.school, Role.AUDITOR))
    with pytest.raises(NotPermitted):
        service.who_knows(db, auditor, family.child)


def test_mash_with_an_open_request_may_look_until_it_is_answered(
    db: Database, world: World, family: Family
) -> None:
    """The MASH here holds no record of its own: a school asked it about the child."""
    hub = world.agency(AgencyKind.SOCIAL_CARE)
    screener = world.actor(world.practitioner(hub, Role.MASH))
    officer_of_hub = world.actor(world.practitioner(hub, Role.PRACTITIONER))
    with pytest.raises(NotPermitted):
        service.who_knows(db, screener, family.child)
    agree(db, hub.id, family.school.id)
    asked = requests.make_request(
        db,
        family.dsl,
        RequestIn(
            subject_record_id=family.records["school"],
            recipient_agency_id=hub.id,
            purpose=SharingPurpose.MASH_SCREENING,
            categories=[Category.CHILD_WELFARE],
            question="Is this family known to you?",
            rag=Rag.AMBER,
        ),
        load_profile(),
    )
    assert service.who_knows(db, screener, family.child).agencies
    with pytest.raises(NotPermitted):  # not the MASH role
        service.who_knows(db, officer_of_hub, family.child)

    # The hub answers from a record of its own that linkage has not joined to anyone yet,
    # so only the open request could have given it a reason to look.
    own_unlinked = record(db, screener, "Maisie", "Ashworth")
    decisions.decide(
        db,
        screener,
        DecisionIn(
            subject_record_id=own_unlinked,
            request_id=asked.id,
            recipient_agency_id=family.school.id,
            purpose=SharingPurpose.MASH_SCREENING,
            answers=dict(HARM_ANSWERS),
            outcome=DecisionOutcome.SHARE,
            reasons="Known to the hub; sharing what is relevant.",
            lawful_basis="6(1)(e)",
            consent_position=ConsentPosition.NOT_SOUGHT_WOULD_INCREASE_RISK,
            family_informed=False,
            not_told_reason=NotToldReason.RISK_TO_CHILD,
            not_told_review_on=date(2099, 1, 1),
        ),
    )
    with pytest.raises(NotPermitted):
        service.who_knows(db, screener, family.child)


def _agencies(db: Database, family: Family) -> set[int]:
    return {a.agency_id for a in service.who_knows(db, family.dsl, family.child).agencies}


def test_only_records_linked_to_the_child_count(db: Database, world: World, family: Family) -> None:
    """An uncertain match is another person until a reviewer confirms it; a record in
    review or whose other match was rejected still belongs to its own person."""
    clinic = world.agency(AgencyKind.HEALTH)
    nurse = world.actor(world.practitioner(clinic, Role.PRACTITIONER))
    maybe = record(db, nurse, "Maisie", "Ashworth")
    link(db, new_person(db), maybe, status=LinkStatus.IN_REVIEW)
    assert clinic.id not in _agencies(db, family)
    with pytest.raises(NotPermitted):
        service.who_knows(db, nurse, family.child)
    link(db, family.child, maybe, status=LinkStatus.REJECTED)
    assert clinic.id in _agencies(db, family)
    assert service.who_knows(db, nurse, family.child).agencies


def test_ended_involvements_and_leavers_are_not_offered_as_contacts(
    db: Database, world: World, family: Family
) -> None:
    leaver = world.practitioner(family.police, Role.PRACTITIONER)
    moved_on = world.practitioner(family.police, Role.PRACTITIONER)
    current = family.officer.practitioner_id
    police_record = family.records["police"]
    involve(db, family.officer, police_record, leaver.id, "Officer in case")
    involve(
        db, family.officer, police_record, moved_on.id, "Previous officer",
        ended_on=date.today() - timedelta(days=1),
    )  # fmt: skip
    involve(db, family.officer, police_record, current, "Officer in case")
    with db.transaction() as session:
        session.execute(
            update(Practitioner).where(Practitioner.id == leaver.id).values(active=False)
        )
    police = next(
        a
        for a in service.who_knows(db, family.dsl, family.child).agencies
        if a.agency_id == family.police.id
    )
    assert [c.practitioner_id for c in police.contacts] == [current]


def test_the_way_in_is_the_practitioners_own_linked_record(
    db: Database, world: World, family: Family
) -> None:
    assert service.person_for_record(db, family.dsl, family.records["school"]) == family.child
    with pytest.raises(NotFound):
        service.person_for_record(db, family.dsl, family.records["police"])
    unlinked = record(db, family.dsl, "Noah", "Ashworth")
    with pytest.raises(NotFound):
        service.person_for_record(db, family.dsl, unlinked)


def test_single_view_reads_are_in_the_access_log_set() -> None:
    for action in (
        AuditAction.WHO_KNOWS_VIEWED,
        AuditAction.CHRONOLOGY_VIEWED,
        AuditAction.CHRONOLOGY_EXPORTED,
        AuditAction.PATTERN_FLAGS_VIEWED,
    ):
        assert action in READS
