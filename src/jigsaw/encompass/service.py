"""Operation Encompass: the school hears of domestic abuse around a child before the
next school day.

Today a police officer has to find the child's school by hand. Here, when a police
agency records a domestic abuse item about a child, the schools holding a record
linked to the same person are found through the person index, and each school's
designated safeguarding leads are told at once, in the same transaction as the
item. The notice carries no detail: it points the DSL at their own school's record
of the child and says the police have recorded an incident, so the key adult can be
ready when the child arrives, and contact the police for what they need.

Which subtypes are domestic abuse is the ``domestic_abuse`` indicator of the pattern
flag rules, so the service has one definition of it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from jigsaw.audit import service as audit
from jigsaw.audit.actions import AuditAction
from jigsaw.clock import utcnow
from jigsaw.deadlines.calendar import is_working_day, next_working_time
from jigsaw.deadlines.timescales import load_profile
from jigsaw.deadlines.values import WorkingCalendar
from jigsaw.identity.models import Agency, Practitioner
from jigsaw.notifications.models import NotificationKind
from jigsaw.notifications.service import Addressee, notify
from jigsaw.people.links import linked_to, person_of
from jigsaw.people.models import RECORD_CONFIRMED, AgencyRecord, PersonRole
from jigsaw.policy.actor import Actor
from jigsaw.policy.roles import AgencyKind, Role
from jigsaw.records.events import ItemRecorded
from jigsaw.records.models import InformationItem
from jigsaw.singleview.rules import shipped_rules

INDICATOR = "domestic_abuse"
SCHOOL_DAY = (time(8, 30), time(15, 30))
"""A typical school day; only its start matters here. Term dates are not modelled, so
in the holidays the notice asks for action earlier than needed, never later."""


def school_calendar() -> WorkingCalendar:
    """The authority's working calendar (weekdays, bank holidays) with school hours."""
    opens, closes = SCHOOL_DAY
    return replace(load_profile().calendar, opens=opens, closes=closes)


def next_school_day_starts(moment: datetime, calendar: WorkingCalendar) -> datetime:
    """When the next school day starts after ``moment``: today's start if it is a school
    day not yet begun, otherwise the start of the next school day."""
    zone = ZoneInfo(calendar.timezone)
    local = moment.astimezone(zone)
    today_starts = datetime.combine(local.date(), calendar.opens, tzinfo=zone)
    if is_working_day(local.date(), calendar) and local < today_starts:
        return today_starts.astimezone(UTC)
    tomorrow = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=zone)
    return next_working_time(tomorrow, calendar)


def is_encompass_item(session: Session, item: InformationItem) -> bool:
    """A police item, about a child, whose type is domestic abuse."""
    subtypes = shipped_rules().indicators[INDICATOR].subtypes or frozenset()
    if item.subtype not in subtypes:
        return False
    row = session.execute(
        select(Agency.kind, AgencyRecord.role)
        .join(AgencyRecord, AgencyRecord.agency_id == Agency.id)
        .where(AgencyRecord.id == item.subject_record_id, Agency.id == item.agency_id)
    ).first()
    return row is not None and row[0] is AgencyKind.POLICE and row[1] is PersonRole.CHILD


def on_item_recorded(session: Session, actor: Actor, item: InformationItem) -> int:
    """Tell the DSLs of the schools holding a confirmed record of the child of a police
    domestic abuse item; returns notices added.

    Called inside the transaction that records the item, so the item and the notices
    commit together. A school with no DSL account gets the notice in its agency inbox.
    """
    if not is_encompass_item(session, item):
        return 0
    person_id = person_of(session, item.subject_record_id)
    if person_id is None:
        return 0
    schools = session.execute(
        select(AgencyRecord.id, AgencyRecord.agency_id)
        .join(Agency, Agency.id == AgencyRecord.agency_id)
        # Only a school whose record of the child is confirmed: anyone at a school can
        # type a child's details into a new record, and the notice names a police
        # incident at the child's home.
        .where(linked_to([person_id]), Agency.kind == AgencyKind.SCHOOL, RECORD_CONFIRMED)
        .order_by(AgencyRecord.agency_id, AgencyRecord.id)
    ).all()
    if not schools:
        return 0
    now = utcnow()
    due = next_school_day_starts(now, school_calendar())
    added = 0
    told: list[int] = []
    first_record: dict[int, int] = {}
    for record_id, agency_id in schools:
        first_record.setdefault(agency_id, record_id)
    for agency_id, record_id in first_record.items():
        leads = list(
            session.scalars(
                select(Practitioner.id).where(
                    Practitioner.agency_id == agency_id,
                    Practitioner.role == Role.DSL,
                    Practitioner.active.is_(True),
                )
            )
        )
        addressees = [Addressee(agency_id, p) for p in leads] or [Addressee(agency_id, None)]
        added += notify(
            session,
            NotificationKind.OPERATION_ENCOMPASS,
            f"encompass-item-{item.chain_id}",
            "agency_record",
            record_id,
            addressees,
            due_at=due,
        )
        told.extend(leads)
    audit.append(
        session,
        actor,
        AuditAction.ENCOMPASS_NOTIFIED,
        "information_item",
        item.id,
        refs={
            "agency_records": sorted(first_record.values()),
            "schools": sorted(first_record),
            "practitioners": sorted(told),
        },
    )
    return added


def on_item_recorded_event(session: Session, event: ItemRecorded) -> None:
    """Each item ``records`` records is looked at here, in its transaction."""
    item = session.get(InformationItem, event.item_id)
    if item is not None:
        on_item_recorded(session, event.actor, item)
