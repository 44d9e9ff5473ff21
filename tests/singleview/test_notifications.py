"""Notifications about a child: involved practitioners hear of what reaches their agency,
once each; Operation Encompass reaches the school DSL before the next school day."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from jigsaw.audit.actions import AuditAction
from jigsaw.audit.models import AuditEntry
from jigsaw.db import Database
from jigsaw.deadlines.timescales import load_profile
from jigsaw.encompass import service as encompass
from jigsaw.notifications import service as notifications
from jigsaw.notifications.models import Notification, NotificationKind
from jigsaw.people.models import PersonRole
from jigsaw.policy.roles import AgencyKind, Role
from jigsaw.records.models import InformationItem
from jigsaw.sharing.disclosures import notify_item_changed
from tests.conftest import World, unique
from tests.singleview.helpers import (
    Family,
    build_family,
    confirm,
    confirmer,
    correct,
    involve,
    item,
    link,
    record,
    school_from_its_pupil_database,
    share,
)


@pytest.fixture
def family(db: Database, world: World) -> Family:
    return build_family(db, world)


def _kinds(db: Database, practitioner_id: int | None) -> list[NotificationKind]:
    with db.sessions() as session:
        return list(
            session.scalars(
                select(Notification.kind)
                .where(Notification.practitioner_id == practitioner_id)
                .order_by(Notification.id)
            )
        )


def test_involved_practitioners_hear_of_a_disclosure_to_their_agency_once_each(
    db: Database, family: Family
) -> None:
    worker = family.mash_colleague.practitioner_id
    involve(db, family.social_worker, family.records["mash"], worker, "Allocated social worker")
    involve(db, family.social_worker, family.records["mash"], worker, "Also the key worker")
    shared = item(db, family.dsl, family.records["school"], "Bruise on arm")

    share(db, family.dsl, family.records["school"], [shared], to_agency=family.mash.id)
    assert _kinds(db, worker) == [NotificationKind.DISCLOSURE_RECEIVED]
    assert _kinds(db, family.social_worker.practitioner_id) == []  # not involved with the child

    correct(db, family.dsl, shared, "Bruise on the right arm", "Wrong arm")
    assert _kinds(db, worker) == [
        NotificationKind.DISCLOSURE_RECEIVED,
        NotificationKind.DISCLOSED_ITEM_CORRECTED,
    ]
    inbox = notifications.inbox(db, family.mash_colleague)
    assert {n.kind for n in inbox} >= {
        NotificationKind.DISCLOSURE_RECEIVED,
        NotificationKind.DISCLOSED_ITEM_CORRECTED,
    }


def test_one_event_gives_one_notification_per_practitioner(db: Database, family: Family) -> None:
    """The same item disclosed twice to the agency, then corrected: one notice each."""
    worker = family.mash_colleague.practitioner_id
    involve(db, family.social_worker, family.records["mash"], worker, "Allocated social worker")
    shared = item(db, family.dsl, family.records["school"], "Bruise on arm")
    share(db, family.dsl, family.records["school"], [shared], to_agency=family.mash.id)
    share(db, family.dsl, family.records["school"], [shared], to_agency=family.mash.id)
    with db.transaction() as session:
        changed = session.get_one(InformationItem, shared.id)
        notify_item_changed(session, changed, retracted=True)
        notify_item_changed(session, changed, retracted=True)
    kinds = _kinds(db, worker)
    assert kinds.count(NotificationKind.DISCLOSED_ITEM_RETRACTED) == 1
    assert kinds.count(NotificationKind.DISCLOSURE_RECEIVED) == 2  # two disclosures, two events


def test_a_disclosure_to_a_named_practitioner_is_not_announced_to_colleagues(
    db: Database, family: Family
) -> None:
    worker = family.mash_colleague.practitioner_id
    involve(db, family.social_worker, family.records["mash"], worker, "Allocated social worker")
    shared = item(db, family.dsl, family.records["school"], "For one person only")
    share(
        db, family.dsl, family.records["school"], [shared], to_agency=family.mash.id,
        to_practitioner=family.social_worker.practitioner_id,
    )  # fmt: skip
    assert _kinds(db, worker) == []
    assert _kinds(db, family.social_worker.practitioner_id) == [
        NotificationKind.DISCLOSURE_RECEIVED
    ]


def test_operation_encompass_reaches_the_school_dsls_at_once(
    db: Database, world: World, family: Family
) -> None:
    deputy = world.practitioner(family.school, Role.DSL)
    other_school = world.agency(AgencyKind.SCHOOL)
    other_dsl = world.practitioner(other_school, Role.DSL)
    incident = item(
        db, family.officer, family.records["police"], "Domestic abuse incident, child present",
        subtype="domestic_abuse_incident",
    )  # fmt: skip

    # The DSL who confirmed the school's record is one of its DSLs too.
    confirming = confirmer(db, family.school.id).practitioner_id
    assert confirming is not None
    for dsl in (family.dsl.practitioner_id, deputy.id, confirming):
        notices = [n for n in _rows(db, dsl) if n.kind is NotificationKind.OPERATION_ENCOMPASS]
        assert len(notices) == 1
        notice = notices[0]
        assert notice.object_type == "information_item"
        assert notice.object_id == incident.id
        assert notice.due_at is not None and notice.due_at > notice.created_at
        assert notice.due_at == encompass.next_school_day_starts(
            notice.created_at, encompass.school_calendar()
        )
    assert _kinds(db, family.teacher.practitioner_id) == []
    assert _kinds(db, other_dsl.id) == []
    inbox = notifications.inbox(db, family.dsl)
    assert any(n.due_at and "Operation Encompass" in n.message for n in inbox)
    with db.sessions() as session:
        logged = session.scalars(
            select(AuditEntry).where(
                AuditEntry.action == AuditAction.ENCOMPASS_NOTIFIED.value,
                AuditEntry.object_id == str(incident.id),
            )
        ).one()
    assert logged.refs["schools"] == [family.school.id]
    assert sorted(logged.refs["practitioners"]) == sorted(
        [family.dsl.practitioner_id, deputy.id, confirming]
    )

    # The same event again adds nothing.
    with db.transaction() as session:
        again = encompass.on_item_recorded(
            session, family.officer, session.get_one(InformationItem, incident.id)
        )
    assert again == 0


def _rows(db: Database, practitioner_id: int | None) -> list[Notification]:
    with db.sessions() as session:
        return list(
            session.scalars(
                select(Notification).where(Notification.practitioner_id == practitioner_id)
            )
        )


def test_encompass_needs_police_domestic_abuse_about_a_child(
    db: Database, world: World, family: Family
) -> None:
    item(
        db, family.officer, family.records["police"], "Missing from home", subtype="missing_episode"
    )
    item(
        db, family.dsl, family.records["school"], "Told staff about shouting at home",
        subtype="domestic_abuse_incident",
    )  # fmt: skip
    mum = record(db, family.officer, "Kerry", "Ashworth", PersonRole.PARENT_CARER)
    link(db, family.mother, mum)
    item(db, family.officer, mum, "Assault on Kerry", subtype="domestic_abuse_incident")
    assert _kinds(db, family.dsl.practitioner_id) == []


def test_a_school_without_a_dsl_is_never_sent_the_incident_and_someone_is_told(
    db: Database, world: World, family: Family
) -> None:
    """Police information goes only to a DSL. A school with none is not sent it, not even
    to its inbox (where a teacher could read it): its administrator is told the school has
    no DSL, without a word about the child, and the police are told to reach it another way."""
    academy = school_from_its_pupil_database(db, world, family)
    administrator = world.practitioner(academy, Role.ADMIN)
    teacher = world.practitioner(academy, Role.PRACTITIONER)
    incident = item(
        db, family.officer, family.records["police"], "Incident", subtype="domestic_abuse_incident"
    )
    with db.sessions() as session:
        to_academy = session.scalars(
            select(Notification).where(Notification.agency_id == academy.id)
        ).all()
        to_police = session.scalars(
            select(Notification).where(Notification.agency_id == family.police.id)
        ).all()
        logged = session.scalars(
            select(AuditEntry).where(
                AuditEntry.action == AuditAction.ENCOMPASS_NOTIFIED.value,
                AuditEntry.object_id == str(incident.id),
            )
        ).one()
    assert [(n.kind, n.practitioner_id, n.object_type, n.object_id) for n in to_academy] == [
        (NotificationKind.ENCOMPASS_SCHOOL_HAS_NO_DSL, administrator.id, "agency", academy.id)
    ]
    assert _rows(db, teacher.id) == []
    # The officer who recorded it and the force's DSL (who confirmed its record).
    force_dsl = confirmer(db, family.police.id).practitioner_id
    assert sorted((n.kind, n.practitioner_id, n.object_type, n.object_id) for n in to_police) == [
        (NotificationKind.ENCOMPASS_NOT_DELIVERED, p, "agency_record", family.records["police"])
        for p in sorted([family.officer.practitioner_id, force_dsl])
    ]
    assert all(n.due_at is not None for n in (*to_academy, *to_police))
    assert "Maisie" not in notifications.MESSAGES[NotificationKind.ENCOMPASS_SCHOOL_HAS_NO_DSL]
    # The school that has a DSL is told as before.
    assert _kinds(db, family.dsl.practitioner_id) == [NotificationKind.OPERATION_ENCOMPASS]
    assert logged.refs["schools_without_dsl"] == [academy.id]
    assert family.dsl.practitioner_id in logged.refs["practitioners"]


def test_a_school_with_no_one_accountable_hears_of_its_missing_dsl_in_its_inbox(
    db: Database, world: World, family: Family
) -> None:
    """With no DSL, DPO or administrator, the inbox hears only that a DSL is missing."""
    academy = school_from_its_pupil_database(db, world, family)
    item(
        db, family.officer, family.records["police"], "Incident", subtype="domestic_abuse_incident"
    )
    with db.sessions() as session:
        kinds = session.scalars(
            select(Notification.kind).where(
                Notification.agency_id == academy.id, Notification.practitioner_id.is_(None)
            )
        ).all()
    assert kinds == [NotificationKind.ENCOMPASS_SCHOOL_HAS_NO_DSL]


def test_encompass_passes_over_a_school_whose_record_is_unconfirmed(
    client: TestClient, db: Database, world: World, family: Family
) -> None:
    """Anyone at a school can type a child's details into a new record: until a second
    person of the school confirms it, no police incident at the child's home is told."""
    academy = world.agency(AgencyKind.SCHOOL)
    lead = world.practitioner(academy, Role.DSL)
    world.sign_in(client, lead)
    made = client.post(
        "/api/agency-records",
        json={
            "agency_id": academy.id,
            "local_id": unique("MADEUP").replace(" ", "-"),
            "role": "child",
            "given_name": "Maisie",
            "family_name": "Ashworth",
            "date_of_birth": "2016-05-01",
        },
    )
    assert made.status_code == 201, made.text
    link(db, family.child, made.json()["id"], confirmed=False)
    item(
        db, family.officer, family.records["police"], "Incident", subtype="domestic_abuse_incident"
    )
    told = [
        n for n in client.get("/api/notifications").json() if n["kind"] == "operation_encompass"
    ]
    assert told == []
    with db.sessions() as session:
        to_academy = session.scalars(
            select(Notification).where(Notification.agency_id == academy.id)
        ).all()
    assert to_academy == []

    # Once a colleague confirms the record, the next incident reaches the school.
    confirm(db, made.json()["id"])
    item(
        db, family.officer, family.records["police"], "Another incident",
        subtype="domestic_abuse_incident",
    )  # fmt: skip
    told = [
        n for n in client.get("/api/notifications").json() if n["kind"] == "operation_encompass"
    ]
    assert len(told) == 1


UK = "Europe/London"


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        # Friday evening (GMT): Monday 08:30.
        (datetime(2026, 1, 16, 19, 0, tzinfo=UTC), datetime(2026, 1, 19, 8, 30, tzinfo=UTC)),
        # Tuesday 06:00: the same day's start.
        (datetime(2026, 1, 20, 6, 0, tzinfo=UTC), datetime(2026, 1, 20, 8, 30, tzinfo=UTC)),
        # Tuesday 10:00, during school: Wednesday's start.
        (datetime(2026, 1, 20, 10, 0, tzinfo=UTC), datetime(2026, 1, 21, 8, 30, tzinfo=UTC)),
        # Thursday before Good Friday and Easter Monday (BST): Tuesday 08:30 local.
        (datetime(2026, 4, 2, 18, 0, tzinfo=UTC), datetime(2026, 4, 7, 7, 30, tzinfo=UTC)),
    ],
)
def test_next_school_day_start(moment: datetime, expected: datetime) -> None:
    calendar = encompass.school_calendar()
    assert calendar.timezone == load_profile().calendar.timezone == UK
    assert encompass.next_school_day_starts(moment, calendar) == expected


@pytest.mark.parametrize("kind", list(NotificationKind))
def test_every_kind_of_notice_says_something(kind: NotificationKind) -> None:
    """An inbox lists each notice with its message: a kind without one would fail the
    whole inbox of whoever received it."""
    assert notifications.message_for(kind, "any object").strip()
