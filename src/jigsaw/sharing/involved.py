"""Who works with a child at an agency: the people to tell when something about the
child reaches that agency.

An agency inbox is read by whoever is on duty; the practitioners who know the child
should hear directly. They are found through the agency's own records of the child
(any record linked to the same person by a trusted link) and the involvements on
them that are current, of practitioners who still work there.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from jigsaw.clock import utcnow
from jigsaw.identity.models import Practitioner
from jigsaw.notifications.service import Addressee
from jigsaw.people.links import linked_to, person_of
from jigsaw.people.models import AgencyRecord, Involvement
from jigsaw.sharing.models import Disclosure, SharingDecision


def involved_practitioners(
    session: Session, agency_id: int, person_id: int, today: date
) -> list[int]:
    """Practitioners of ``agency_id`` currently involved with the person, by id."""
    return list(
        session.scalars(
            select(Practitioner.id)
            .join(Involvement, Involvement.practitioner_id == Practitioner.id)
            .join(AgencyRecord, AgencyRecord.id == Involvement.agency_record_id)
            .where(
                linked_to([person_id]),
                AgencyRecord.agency_id == agency_id,
                Practitioner.agency_id == agency_id,
                Practitioner.active.is_(True),
                Involvement.started_on <= today,
                or_(Involvement.ended_on.is_(None), Involvement.ended_on >= today),
            )
            .distinct()
            .order_by(Practitioner.id)
        )
    )


def disclosure_person(session: Session, disclosure_id: int) -> int | None:
    """The person a disclosure is about, through the decision's record, if linked."""
    record_id = session.scalar(
        select(SharingDecision.subject_record_id)
        .join(Disclosure, Disclosure.decision_id == SharingDecision.id)
        .where(Disclosure.id == disclosure_id)
    )
    return None if record_id is None else person_of(session, record_id)


def told_of(session: Session, disclosure: Disclosure) -> list[Addressee]:
    """Who hears of a disclosure: its recipient and, for an agency inbox, who works there
    with the child.

    A disclosure to a named practitioner is theirs alone: colleagues could not open
    it, so they are not told of it.
    """
    recipient = Addressee(disclosure.recipient_agency_id, disclosure.recipient_practitioner_id)
    if disclosure.recipient_practitioner_id is not None:
        return [recipient]
    person_id = disclosure_person(session, disclosure.id)
    if person_id is None:
        return [recipient]
    today = utcnow().date()
    agency_id = disclosure.recipient_agency_id
    return [recipient] + [
        Addressee(agency_id, practitioner_id)
        for practitioner_id in involved_practitioners(session, agency_id, person_id, today)
    ]
