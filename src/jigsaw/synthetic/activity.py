"""A day's work between the demo accounts, so the pages that show what needs someone have
something real to show.

The generated population holds what agencies know, but nobody has yet asked anyone
anything. This adds, through the real services and as the demo accounts themselves:
the health visitor's involvement with a child the school, the health service and the
MASH all know; a Red request from the MASH to the health visitor's agency made
yesterday (so it is overdue, and the worker's reminder says so); an Amber request to
the school made today; the school's share with the MASH, ending in five days (so the
worker says it is about to expire); and a domestic abuse incident the police record
about a child at the school (Operation Encompass). Each makes the notices the service
would.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jigsaw.consent.models import SharingPurpose
from jigsaw.db import Database
from jigsaw.deadlines.timescales import load_profile
from jigsaw.deadlines.values import Rag
from jigsaw.people import service as people
from jigsaw.people.models import AgencyRecord, PersonRole
from jigsaw.people.schemas import InvolvementIn
from jigsaw.policy.actor import Actor
from jigsaw.records import service as records
from jigsaw.records.models import Category, InformationItem, Nature
from jigsaw.records.schemas import ItemIn
from jigsaw.sharing import decisions, disclosures, requests
from jigsaw.sharing.models import ConsentPosition, DecisionOutcome, NotToldReason
from jigsaw.sharing.schemas import DecisionIn, DisclosedItemIn, DisclosureIn, RequestIn

SHARED_FIELDS = ["occurred_on", "summary"]

SHARE_ANSWERS = {
    "legitimate_purpose": "yes",
    "identifies_living_person": "yes",
    "confidential": "yes",
    "significant_harm": "yes",
    "child_in_need": "yes",
    "statutory_duty_or_court_order": "no",
    "consent": "not_sought_would_increase_risk",
    "other_lawful_basis": "yes",
    "recipient_role": "yes",
    "secure_and_timely": "yes",
    "relevance": "all",
    "special_category_data": "no",
    "art9_condition": "no",
    "criminal_offence_data": "no",
    "art10_condition": "no",
    "accurate": "yes",
    "protected_identities": "no",
    "informing_family_increases_risk": "yes",
}
"""A child at risk of significant harm, shared without telling the family, who would be
put at more risk by knowing: the guidance recommends sharing."""


@dataclass(frozen=True)
class Cast:
    """The demo accounts who act, each as the actor they are once signed in."""

    school_lead: Actor
    health_visitor: Actor
    mash_worker: Actor
    police_officer: Actor


@dataclass(frozen=True)
class SharedChild:
    """One child as each of the three agencies records them."""

    school_record_id: int
    health_record_id: int
    mash_record_id: int


def _agency(actor: Actor) -> int:
    assert actor.agency_id is not None
    return actor.agency_id


def _known_to_all(session: Session, agencies: list[int], today: date) -> list[int]:
    """Children under 16 whom every one of ``agencies`` knows, by person, a few hundred."""
    return list(
        session.scalars(
            select(AgencyRecord.person_id)
            .where(
                AgencyRecord.role == PersonRole.CHILD,
                AgencyRecord.agency_id.in_(agencies),
                AgencyRecord.person_id.is_not(None),
                AgencyRecord.date_of_birth > today.replace(year=today.year - 16),
            )
            .group_by(AgencyRecord.person_id)
            .having(func.count(func.distinct(AgencyRecord.agency_id)) == len(set(agencies)))
            .order_by(AgencyRecord.person_id)
            .limit(200)
        )
    )


def _records(session: Session, person_id: int, agencies: list[int]) -> list[int]:
    """The person's record at each of ``agencies``, in that order (the first, if several)."""
    held = dict(
        session.execute(
            select(AgencyRecord.agency_id, func.min(AgencyRecord.id))
            .where(AgencyRecord.person_id == person_id, AgencyRecord.agency_id.in_(agencies))
            .group_by(AgencyRecord.agency_id)
        ).all()
    )
    return [held[agency] for agency in agencies]


def shared_child(db: Database, cast: Cast, today: date) -> SharedChild | None:
    """A child under 16, linked by the person index, known to the school, health and the
    MASH; one the school holds items about if there is one, so it has something to share."""
    agencies = [_agency(a) for a in (cast.school_lead, cast.health_visitor, cast.mash_worker)]
    with db.reading() as session:
        found: list[SharedChild] = []
        for person_id in _known_to_all(session, agencies, today):
            child = SharedChild(*_records(session, person_id, agencies))
            if _items(session, child.school_record_id):
                return child
            found.append(child)
    return found[0] if found else None


def police_record_of_a_pupil(db: Database, cast: Cast, today: date) -> int | None:
    """The police record of a child under 16 at the demo school, if the police know one."""
    agencies = [_agency(cast.police_officer), _agency(cast.school_lead)]
    with db.reading() as session:
        for person_id in _known_to_all(session, agencies, today):
            return _records(session, person_id, agencies)[0]
    return None


def _items(session: Session, record_id: int) -> list[int]:
    return list(
        session.scalars(
            select(InformationItem.id)
            .where(InformationItem.subject_record_id == record_id)
            .order_by(InformationItem.id)
            .limit(2)
        )
    )


def a_days_work(db: Database, cast: Cast, child: SharedChild, now: datetime) -> list[str]:
    """Do the day's work described above; returns a line for each thing done."""
    profile = load_profile("default")
    done: list[str] = []
    people.create_involvement(
        db,
        cast.health_visitor,
        InvolvementIn(
            agency_record_id=child.health_record_id,
            practitioner_id=cast.health_visitor.practitioner_id,
            description="Health visitor for the family",
            started_on=(now - timedelta(days=200)).date(),
        ),
    )
    done.append("the health visitor is recorded as working with a child three agencies know")
    yesterday = now - timedelta(days=1)
    db.clock.hold(yesterday)
    try:
        requests.make_request(
            db,
            cast.mash_worker,
            RequestIn(
                subject_record_id=child.mash_record_id,
                recipient_agency_id=_agency(cast.health_visitor),
                purpose=SharingPurpose.MASH_SCREENING,
                categories=[Category.CHILD_WELFARE, Category.PARENT_CAPACITY],
                question="Any concerns at recent home visits, and is the baby's weight on track?",
                rag=Rag.RED,
            ),
            profile,
        )
    finally:
        db.clock.hold(None)
    done.append("a Red request from the MASH to health, made yesterday: overdue")
    requests.make_request(
        db,
        cast.mash_worker,
        RequestIn(
            subject_record_id=child.mash_record_id,
            recipient_agency_id=_agency(cast.school_lead),
            purpose=SharingPurpose.MASH_SCREENING,
            categories=[Category.CHILD_WELFARE],
            question="How has attendance been this term, and has anything changed at home?",
            rag=Rag.AMBER,
        ),
        profile,
    )
    done.append("an Amber request from the MASH to the school, made today")
    with db.reading() as session:
        items = _items(session, child.school_record_id)
    if items:
        decision = decisions.decide(
            db,
            cast.school_lead,
            DecisionIn(
                subject_record_id=child.school_record_id,
                recipient_agency_id=_agency(cast.mash_worker),
                recipient_practitioner_id=cast.mash_worker.practitioner_id,
                purpose=SharingPurpose.CHILD_PROTECTION_ENQUIRY,
                answers=dict(SHARE_ANSWERS),
                outcome=DecisionOutcome.SHARE,
                reasons="Marks seen twice this half term; the MASH is screening a referral.",
                lawful_basis="6(1)(e)",
                consent_position=ConsentPosition.NOT_SOUGHT_WOULD_INCREASE_RISK,
                family_informed=False,
                not_told_reason=NotToldReason.RISK_TO_CHILD,
                not_told_review_on=(now + timedelta(days=28)).date(),
            ),
        )
        disclosures.disclose(
            db,
            cast.school_lead,
            DisclosureIn(
                decision_id=decision.id,
                items=[DisclosedItemIn(item_id=i, fields=SHARED_FIELDS) for i in items],
                expires_on=(now + timedelta(days=5)).date(),
            ),
        )
        done.append("the school shares with the MASH, ending in five days")
    pupil = police_record_of_a_pupil(db, cast, now.date())
    if pupil is not None:
        records.record_item(
            db,
            cast.police_officer,
            ItemIn(
                subject_record_id=pupil,
                category=Category.CHILD_WELFARE,
                subtype="domestic_abuse_incident",
                occurred_on=(now - timedelta(days=1)).date(),
                summary="Called to the home overnight; the child was present",
                nature=Nature.FACT,
                source="Attending officer",
            ),
        )
        done.append("the police record a domestic abuse incident: Operation Encompass")
    return done
