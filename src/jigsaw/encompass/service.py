"""Operation Encompass: the school hears of domestic abuse around a child before the
next school day.

Today a police officer has to find the child's school by hand. Here, when a police
agency records a domestic abuse item about a child, the schools holding a record
linked to the same person are found through the person index, and each school's
designated safeguarding leads are told at once, in the same transaction as the
item. Opening the notice (``notice``) shows what Operation Encompass lets the police
tell a school, and no more: that an incident was recorded, its date, and whom in the
police to contact, beside the school's own record of the child, so the key adult can
be ready when the child arrives. That disclosure is recorded when it is made, in the
same transaction: one write-once ``EncompassDisclosure`` per school told (the version
of the item, the fields disclosed, purpose ``domestic_abuse_notification``, the lawful
basis, the version of the type list that matched, and what the data sharing
agreements said), which the disclosure register lists, and the audit entry that
sends the notices, naming those rows.

The notice rests on the police's public task (UK GDPR Art 6(1)(e)); where the item is
marked as special category or criminal offence data, on DPA 2018 Schedule 1 paragraph
18 too (safeguarding of children and of individuals at risk). The protocol does not
ask for consent, and does not wait for the agreements: a DENY or REVIEW is kept on the
row and a DENY alerts the police agency's DPO, but the school is told before the child
arrives.

Only a school's designated safeguarding leads are ever told, each by name: the notice
is police information, never for the school's inbox, where any member of staff could
open it. A school with no active DSL is not sent the incident at all. Its accountable
people (or, with none, its inbox) are told that the school has no DSL to receive
Operation Encompass notices, without a word about the child; and the officer who
recorded the incident, with the force's own DSLs, are told the school could not be
reached, so someone tells it another way before the child arrives.

Which item types are incidents is data an authority can change (``types.py``).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from jigsaw.agreements.validity import Evaluation, evaluate
from jigsaw.audit import service as audit
from jigsaw.audit.actions import AuditAction
from jigsaw.audit.reads import audited_read
from jigsaw.clock import utcnow
from jigsaw.consent.models import SharingPurpose
from jigsaw.db import Database
from jigsaw.deadlines.calendar import is_working_day, next_working_time
from jigsaw.deadlines.timescales import load_profile
from jigsaw.deadlines.values import WorkingCalendar
from jigsaw.encompass.models import EncompassDisclosure
from jigsaw.encompass.types import current_types
from jigsaw.errors import NotFound
from jigsaw.identity.models import Agency, Practitioner
from jigsaw.notifications.contacts import oversight_contacts
from jigsaw.notifications.models import Notification, NotificationKind
from jigsaw.notifications.service import Addressee, notify
from jigsaw.people.links import linked_to, person_of
from jigsaw.people.models import RECORD_CONFIRMED, AgencyRecord, PersonRole
from jigsaw.people.own import own_record
from jigsaw.policy import authorize as policy
from jigsaw.policy import scopes
from jigsaw.policy.actor import Actor
from jigsaw.policy.authorize import Permission
from jigsaw.policy.roles import AgencyKind, Role
from jigsaw.records.events import ItemRecorded
from jigsaw.records.models import InformationItem, ItemRetraction
from jigsaw.schemas import Output
from jigsaw.sharing import agreement_checks
from jigsaw.sharing.lawful_basis import Art6Basis, Art9Condition, Art10Condition

DISCLOSED = ("occurred_on", "police_contact")
"""What a school is told of an incident: its date and whom in the police to contact."""
PURPOSE = SharingPurpose.DOMESTIC_ABUSE_NOTIFICATION
LAWFUL_BASIS = Art6Basis.PUBLIC_TASK
"""The police's basis for telling a school: their public task of protecting children."""
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
    """A police item, about a child, of a type the authority's list says is an incident.

    An item recorded as "other" is matched on the words given for its type too, so a
    force that types "Domestic incident" is not missed."""
    types = current_types()
    said = (item.subtype, getattr(item, "subtype_other", None) or "")
    if not any(types.includes(kind) for kind in said if kind):
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
    commit together. A school with no active DSL is never sent the incident: see
    ``_no_lead_to_tell``.
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
    unreached: list[int] = []
    disclosures: list[tuple[EncompassDisclosure, Evaluation]] = []
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
        if not leads:
            unreached.append(agency_id)
            continue
        added += notify(
            session,
            NotificationKind.OPERATION_ENCOMPASS,
            f"encompass-item-{item.chain_id}",
            "information_item",
            item.id,
            [Addressee(agency_id, p) for p in leads],
            due_at=due,
        )
        told.extend(leads)
        recorded = _record_disclosure(session, actor, item, agency_id, record_id, now)
        if recorded is not None:
            disclosures.append(recorded)
    if unreached:
        added += _no_lead_to_tell(session, item, unreached, due)
    if not added and not disclosures:
        # The same event again: every school was told, and the disclosures recorded,
        # the first time. Nothing new went to anyone, so there is nothing to log.
        return 0
    audit.append(
        session,
        actor,
        AuditAction.ENCOMPASS_NOTIFIED,
        "information_item",
        item.id,
        purpose=PURPOSE.value,
        refs={
            "agency_records": sorted(first_record.values()),
            "schools": sorted(first_record),
            "practitioners": sorted(told),
            **({"schools_without_dsl": sorted(unreached)} if unreached else {}),
            "disclosed": ",".join(DISCLOSED),
            "types_version": current_types().version,
            "encompass_disclosures": sorted(d.id for d, _ in disclosures),
        },
    )
    for disclosure, evaluation in disclosures:
        _alert_if_denied(session, actor, disclosure, evaluation)
    return added


def conditions(item: InformationItem) -> tuple[str | None, str | None]:
    """The Art 9 and Art 10 conditions the notice rests on, by the item's own marks:
    DPA 2018 Schedule 1 paragraph 18, safeguarding of children and of individuals at
    risk, for whichever the item is marked as; none where it is marked as neither."""
    return (
        Art9Condition.SAFEGUARDING_SCH1_PARA18.value if item.special_category else None,
        Art10Condition.SAFEGUARDING_SCH1_PARA18.value if item.criminal_offence else None,
    )


def _record_disclosure(
    session: Session,
    actor: Actor,
    item: InformationItem,
    school_id: int,
    school_record_id: int,
    now: datetime,
) -> tuple[EncompassDisclosure, Evaluation] | None:
    """The disclosure of ``item`` to one school whose leads were just told, written once:
    None if the school's notice for the item was recorded already (the notice itself
    is sent once per item and lead), so a later version never replaces the one told."""
    if session.scalar(
        select(EncompassDisclosure.id).where(
            EncompassDisclosure.item_chain_id == item.chain_id,
            EncompassDisclosure.school_agency_id == school_id,
        )
    ):
        return None
    evaluation = evaluate(
        session,
        provider_agency_id=item.agency_id,
        recipient_agency_id=school_id,
        purpose=PURPOSE,
        categories=agreement_checks.item_categories(session, [item.id]),
        at=now,
    )
    contact = _contact_officer(session, item)
    art9, art10 = conditions(item)
    disclosure = EncompassDisclosure(
        item_id=item.id,
        item_chain_id=item.chain_id,
        subject_record_id=item.subject_record_id,
        police_agency_id=item.agency_id,
        school_agency_id=school_id,
        school_record_id=school_record_id,
        police_contact_id=contact.id if contact is not None else None,
        recorded_by_id=actor.practitioner_id,
        purpose=PURPOSE,
        fields=list(DISCLOSED),
        lawful_basis=LAWFUL_BASIS.value,
        art9_condition=art9,
        art10_condition=art10,
        types_version=current_types().version,
        notified_at=now,
        agreement_verdict=evaluation.verdict.value,
        agreement_reasons=[{"code": r.code, "text": r.text} for r in evaluation.reasons],
        agreement_id=evaluation.agreement_id,
        agreement_version=evaluation.agreement_version,
    )
    session.add(disclosure)
    session.flush()
    return disclosure, evaluation


def _alert_if_denied(
    session: Session, actor: Actor, disclosure: EncompassDisclosure, evaluation: Evaluation
) -> None:
    """No agreement allows the notice, yet it went: the police agency's DPO is alerted,
    as for any share against the agreements (``agreement_checks``), to review the
    agreements with the school before the next incident."""
    agreement_checks.alert_if_overridden(
        session,
        actor,
        evaluation,
        "encompass_disclosure",
        disclosure.id,
        {
            "information_item": disclosure.item_id,
            "agency_record": disclosure.subject_record_id,
            "recipient_agency": disclosure.school_agency_id,
        },
        agency_id=disclosure.police_agency_id,
    )


def _no_lead_to_tell(
    session: Session, item: InformationItem, schools: list[int], due: datetime
) -> int:
    """The schools in ``schools`` have no active DSL, so nobody there may be told of the
    incident. Each school's accountable people (its inbox, if it has none) are told it
    has no DSL to receive Operation Encompass notices, a notice that names no child and
    points only at the school; the officer who recorded the incident and the force's
    DSLs are told the notice could not be delivered, pointing at their own record of
    the child, so the police tell the school another way."""
    added = 0
    for school in schools:
        added += notify(
            session,
            NotificationKind.ENCOMPASS_SCHOOL_HAS_NO_DSL,
            f"encompass-item-{item.chain_id}-school-{school}",
            "agency",
            school,
            oversight_contacts(session, [school]),
            due_at=due,
        )
    police = [
        Addressee(item.agency_id, p)
        for p in session.scalars(
            select(Practitioner.id)
            .where(
                Practitioner.agency_id == item.agency_id,
                Practitioner.active.is_(True),
                Practitioner.service_account.is_(False),
                (Practitioner.role == Role.DSL) | (Practitioner.id == (item.author_id or 0)),
            )
            .order_by(Practitioner.id)
        )
    ] or [Addressee(item.agency_id, None)]
    added += notify(
        session,
        NotificationKind.ENCOMPASS_NOT_DELIVERED,
        f"encompass-item-{item.chain_id}-undelivered",
        "agency_record",
        item.subject_record_id,
        police,
        due_at=due,
    )
    return added


def on_item_recorded_event(session: Session, event: ItemRecorded) -> None:
    """Each item ``records`` records is looked at here, in its transaction."""
    item = session.get(InformationItem, event.item_id)
    if item is not None:
        on_item_recorded(session, event.actor, item)


class PoliceContact(Output):
    """Whom the school contacts in the police: the officer who recorded the incident."""

    agency_name: str
    name: str | None = None
    job_title: str = ""
    phone: str = ""
    email: str = ""


class EncompassNoticeOut(Output):
    """What a school is told: the incident's date and the police contact, beside its own
    record of the child. Never what happened, who else was there, or the police's notes."""

    notification_id: int
    due_at: datetime | None
    read: bool
    incident_on: date
    withdrawn: bool
    """The police have since withdrawn the item; the notice stands, as it was sent."""
    police: PoliceContact
    agency_record_id: int | None
    """The school's own record of the child, if it still holds one linked to the child."""
    given_name: str = ""
    family_name: str = ""
    date_of_birth: date | None = None


def _newest(session: Session, chain_id: int) -> InformationItem:
    """The newest version of the item: a corrected date reaches the school too."""
    versions = session.scalars(
        select(InformationItem)
        .where((InformationItem.id == chain_id) | (InformationItem.root_id == chain_id))
        .order_by(InformationItem.version.desc())
    )
    return next(iter(versions))


def _contact_officer(session: Session, item: InformationItem) -> Practitioner | None:
    """The officer the school is told to contact: whoever recorded the incident, while
    their account is active; otherwise the school is given only the force's name. An
    item a force's system sent in over the API has a service account as its author, and
    a school cannot ring a service account."""
    author = session.get(Practitioner, item.author_id) if item.author_id is not None else None
    if author is None or not author.active or author.service_account:
        return None
    return author


def _police_contact(session: Session, item: InformationItem) -> PoliceContact:
    agency = session.get_one(Agency, item.agency_id)
    author = _contact_officer(session, item)
    if author is None:
        return PoliceContact(agency_name=agency.name)
    return PoliceContact(
        agency_name=agency.name,
        name=author.name,
        job_title=author.job_title,
        phone=author.phone,
        email=author.email,
    )


@audited_read(AuditAction.ENCOMPASS_NOTICE_VIEWED)
def notice(db: Database, actor: Actor, notification_id: int) -> EncompassNoticeOut:
    """An Operation Encompass notice to the actor, with what the school may be told.

    A notice that is not the actor's, or not an Encompass notice, is not found; nor is
    one the policy does not let the actor open (rule N2: only the DSL it is addressed
    to). Opening it is what marks it read, so nobody else can clear it from the DSL's
    list, and only once everything below has been found. The school's record of the
    child is looked for among the records the actor's agency holds (``own_record`` asks
    the policy), so the page names the child only as the school itself knows them.
    """
    with db.transaction() as session:
        found = session.scalar(
            select(Notification).where(
                Notification.id == notification_id,
                Notification.kind == NotificationKind.OPERATION_ENCOMPASS,
                Notification.object_type == "information_item",
            )
        )
        if found is None or not policy.allowed(
            actor,
            Permission.VIEW_ENCOMPASS_NOTICE,
            policy.notification(found.id, found.agency_id, found.practitioner_id),
        ):
            raise NotFound("notification", notification_id)
        recorded = session.get_one(InformationItem, found.object_id)
        item = _newest(session, recorded.chain_id)
        withdrawn = (
            session.scalar(
                select(ItemRetraction.id).where(ItemRetraction.item_id == recorded.chain_id)
            )
            is not None
        )
        person_id = person_of(session, item.subject_record_id)
        record_id = (
            session.scalar(
                select(AgencyRecord.id)
                .where(
                    linked_to([person_id]),
                    scopes.own_agency(actor, AgencyRecord.agency_id),
                    RECORD_CONFIRMED,
                )
                .order_by(AgencyRecord.id)
            )
            if person_id is not None
            else None
        )
        record = own_record(session, actor, record_id) if record_id is not None else None
        audit.append(
            session,
            actor,
            AuditAction.ENCOMPASS_NOTICE_VIEWED,
            "information_item",
            item.id,
            purpose=PURPOSE.value,
            refs={
                "notification": found.id,
                **({"agency_record": record.id} if record is not None else {}),
            },
        )
        was_read = found.read_at is not None
        if not was_read:
            found.read_at = utcnow()
        return EncompassNoticeOut(
            notification_id=found.id,
            due_at=found.due_at,
            read=was_read,
            incident_on=item.occurred_on,
            withdrawn=withdrawn,
            police=_police_contact(session, item),
            agency_record_id=record.id if record is not None else None,
            given_name=record.given_name if record is not None else "",
            family_name=record.family_name if record is not None else "",
            date_of_birth=record.date_of_birth if record is not None else None,
        )
