"""An Operation Encompass notice is recorded as a disclosure when it is sent: one
write-once row per school told (none for a school with no DSL, which is not told),
in the notices' own transaction, naming the version told and what the agreements said."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from jigsaw.audit.actions import AuditAction
from jigsaw.audit.models import AuditEntry
from jigsaw.db import Database
from jigsaw.encompass import service as encompass
from jigsaw.encompass.models import EncompassDisclosure
from jigsaw.encompass.types import shipped_types
from jigsaw.notifications import service as notifications
from jigsaw.notifications.models import Notification, NotificationKind
from jigsaw.oversight import access_log
from jigsaw.oversight.register import build_register
from jigsaw.policy.actor import Actor
from jigsaw.policy.roles import Role
from jigsaw.records import service as records
from jigsaw.records.models import InformationItem
from jigsaw.records.schemas import CorrectionIn, ItemOut
from jigsaw.web.notification_pages import notification_link
from tests.conftest import World
from tests.singleview.helpers import (
    Family,
    build_family,
    item,
    school_from_its_pupil_database,
)
from tests.web.helpers import entries_about


@pytest.fixture
def family(db: Database, world: World) -> Family:
    return build_family(db, world)


def _incident(db: Database, family: Family, **more: object) -> ItemOut:
    return _incident_by(db, family.officer, family, **more)


def _incident_by(db: Database, actor: Actor, family: Family, **more: object) -> ItemOut:
    return item(
        db, actor, family.records["police"], "Officers attended the home",
        subtype="domestic_abuse_incident", occurred_on=date(2026, 3, 14), **more,
    )  # fmt: skip


def _rows(db: Database, chain_id: int) -> list[EncompassDisclosure]:
    with db.sessions() as session:
        return list(
            session.scalars(
                select(EncompassDisclosure)
                .where(EncompassDisclosure.item_chain_id == chain_id)
                .order_by(EncompassDisclosure.id)
            )
        )


def _notified(db: Database, item_id: int) -> list[AuditEntry]:
    return entries_about(db, AuditAction.ENCOMPASS_NOTIFIED, item_id)


def test_each_school_told_has_one_disclosure_written_with_its_notice(
    db: Database, world: World, family: Family
) -> None:
    incident = _incident(db, family)
    (row,) = _rows(db, incident.id)
    assert (row.item_id, row.item_chain_id) == (incident.id, incident.id)
    assert (row.police_agency_id, row.school_agency_id) == (family.police.id, family.school.id)
    assert row.subject_record_id == family.records["police"]
    assert row.school_record_id == family.records["school"]
    assert row.police_contact_id == family.officer.practitioner_id
    assert row.recorded_by_id == family.officer.practitioner_id
    assert row.purpose.value == "domestic_abuse_notification"
    assert row.fields == ["occurred_on", "police_contact"]
    assert row.lawful_basis == "6(1)(e)"
    assert (row.art9_condition, row.art10_condition) == (None, None), "marked as neither"
    assert row.types_version == shipped_types().version
    # The family's four agencies share under one agreement: the notice is permitted.
    assert row.agreement_verdict == "permit" and row.agreement_id is not None
    (logged,) = _notified(db, incident.id)
    assert logged.refs["encompass_disclosures"] == [row.id]
    with db.sessions() as session:
        sent = session.scalars(
            select(Notification.created_at).where(
                Notification.kind == NotificationKind.OPERATION_ENCOMPASS,
                Notification.object_id == incident.id,
            )
        ).all()
    assert sent and all(row.notified_at <= moment for moment in sent)


def test_the_conditions_follow_the_items_marks(db: Database, family: Family) -> None:
    marked = _incident(db, family, special_category=True, criminal_offence=True)
    (row,) = _rows(db, marked.id)
    assert row.art9_condition == "9(2)(g)+DPA2018 Sch1 para18"
    assert row.art10_condition == "Art10+DPA2018 Sch1 para18"


def test_no_disclosure_for_a_school_that_was_not_told(
    db: Database, world: World, family: Family
) -> None:
    """A school with no DSL is never sent the incident, so nothing was disclosed to it."""
    without_lead = school_from_its_pupil_database(db, world, family).id
    incident = _incident(db, family)
    assert [r.school_agency_id for r in _rows(db, incident.id)] == [family.school.id]
    (logged,) = _notified(db, incident.id)
    assert logged.refs["schools_without_dsl"] == [without_lead]


def test_a_school_no_agreement_covers_is_told_and_the_police_dpo_alerted(
    db: Database, world: World, family: Family
) -> None:
    """The notice is due before the next school day: the agreements' DENY is kept on the
    row and sent to the police agency's DPO, never a reason to hold the notice back."""
    police_dpo = world.practitioner(family.police, Role.DPO)
    school_dpo = world.practitioner(family.school, Role.DPO)
    academy = school_from_its_pupil_database(db, world, family)
    lead = world.practitioner(academy, Role.DSL)
    uncovered = academy.id
    incident = _incident(db, family)
    by_school = {r.school_agency_id: r for r in _rows(db, incident.id)}
    assert by_school[family.school.id].agreement_verdict == "permit"
    denied = by_school[uncovered]
    assert denied.agreement_verdict == "deny"
    assert [r["code"] for r in denied.agreement_reasons] == ["no_agreement"]
    with db.sessions() as session:
        told = session.scalars(
            select(Notification.practitioner_id).where(
                Notification.kind == NotificationKind.OPERATION_ENCOMPASS,
                Notification.object_id == incident.id,
            )
        ).all()
        alerts = session.scalars(
            select(Notification).where(
                Notification.kind == NotificationKind.SHARED_AGAINST_AGREEMENTS
            )
        ).all()
        overridden = session.scalars(
            select(AuditEntry).where(
                AuditEntry.action == AuditAction.SHARED_AGAINST_AGREEMENTS.value,
                AuditEntry.object_type == "encompass_disclosure",
            )
        ).all()
    assert lead.id in told
    to_police_dpo = [a for a in alerts if a.practitioner_id == police_dpo.id]
    assert [(a.object_type, a.object_id) for a in to_police_dpo] == [
        ("encompass_agreement_override", denied.id)
    ]
    assert not any(a.practitioner_id == school_dpo.id for a in alerts)
    # Other tests' notices share the database: only this incident's alerts are counted.
    ours = [e for e in overridden if e.refs.get("information_item") == incident.id]
    assert [e.object_id for e in ours] == [str(denied.id)]
    assert ours[0].refs["recipient_agency"] == uncovered


def test_the_same_event_twice_records_nothing_more(db: Database, family: Family) -> None:
    incident = _incident(db, family)
    before = _rows(db, incident.id)
    with db.transaction() as session:
        again = encompass.on_item_recorded(
            session, family.officer, session.get_one(InformationItem, incident.id)
        )
    assert again == 0
    assert [r.id for r in _rows(db, incident.id)] == [r.id for r in before]
    assert len(_notified(db, incident.id)) == 1


def test_a_correction_leaves_the_version_told_as_it_was(db: Database, family: Family) -> None:
    incident = _incident(db, family)
    corrected = records.correct_item(
        db,
        family.officer,
        incident.id,
        CorrectionIn(
            subject_record_id=incident.subject_record_id,
            category=incident.category,
            subtype=incident.subtype,
            occurred_on=date(2026, 3, 13),
            summary=incident.summary,
            nature=incident.nature,
            source=incident.source,
            reason="The incident was just before midnight on the 13th",
        ),
    )
    assert corrected.version == 2
    with db.transaction() as session:
        newest = session.get_one(InformationItem, corrected.id)
        encompass.on_item_recorded(session, family.officer, newest)
    (row,) = _rows(db, incident.id)
    assert row.item_id == incident.id, "the version the school was told of when it was sent"


@pytest.mark.parametrize(
    "statement",
    ["UPDATE encompass_disclosures SET item_id = item_id", "DELETE FROM encompass_disclosures"],
)
def test_the_rows_are_write_once(db: Database, family: Family, statement: str) -> None:
    incident = _incident(db, family)
    with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as conn:
        conn.execute(text(statement))
    assert len(_rows(db, incident.id)) == 1


def test_the_police_dpo_is_not_asked_to_review_a_reason_no_one_gave(
    db: Database, world: World, family: Family
) -> None:
    """The DPO's notice says what happened, a notice sent under the protocol, and leads to
    the alert list, where the alert is; it never asks them to review "their reason"."""
    police_dpo = world.actor(world.practitioner(family.police, Role.DPO))
    world.practitioner(school_from_its_pupil_database(db, world, family), Role.DSL)
    _incident(db, family)
    (notice,) = [
        n
        for n in notifications.inbox(db, police_dpo)
        if n.kind is NotificationKind.SHARED_AGAINST_AGREEMENTS
    ]
    assert "Operation Encompass" in notice.message
    assert "reason" in notice.message and "their reason" not in notice.message
    assert notification_link(notice) == "/access-log/alerts"
    listed = access_log.alerts(db, police_dpo)
    assert [e.object_id for e in listed if e.object_type == "encompass_disclosure"] == [
        str(notice.object_id)
    ]


def test_an_incident_a_forces_system_sent_names_only_the_force(
    db: Database, world: World, family: Family
) -> None:
    """The force's system records the incident over the API: the school is told to contact
    the force, never the service account, and the register says the same."""
    system = world.actor(world.service_account(family.police))
    incident = _incident_by(db, system, family)
    (row,) = _rows(db, incident.id)
    assert row.police_contact_id is None
    assert row.recorded_by_id == system.practitioner_id
    police_dpo = world.actor(world.practitioner(family.police, Role.DPO))
    entries = build_register(db, police_dpo, record_id=family.records["police"]).entries
    (shared,) = [i for e in entries if e.encompass_notice_id == row.id for i in e.items]
    assert shared.police_contact == family.police.name
