"""Notices that matter, once each, to the people who should act, and never to another agency:
a request received, answered, re-rated or overdue; advice asked and answered; a
disclosure about to expire."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from jigsaw.audit.actions import AuditAction
from jigsaw.audit.models import AuditEntry
from jigsaw.consent.models import SharingPurpose
from jigsaw.db import Database
from jigsaw.deadlines.timescales import load_profile
from jigsaw.deadlines.values import Rag
from jigsaw.notifications.models import Notification, NotificationKind
from jigsaw.policy.actor import Actor
from jigsaw.policy.roles import AgencyKind, Role
from jigsaw.records.models import Category
from jigsaw.sharing import advice, decisions, reminders, requests
from jigsaw.sharing.models import (
    AdviceRole,
    ConsentPosition,
    DecisionOutcome,
    NotToldReason,
)
from jigsaw.sharing.schemas import (
    AdviceAnswerIn,
    AdviceIn,
    DecisionIn,
    RequestIn,
    RequestOut,
    RerateIn,
)
from tests.agreed import agree
from tests.conftest import World
from tests.scene import HARM_ANSWERS
from tests.singleview.helpers import Family, build_family, confirmer, involve, item, share


@pytest.fixture
def family(db: Database, world: World) -> Family:
    return build_family(db, world)


def _told(db: Database, kind: NotificationKind, object_id: int) -> list[tuple[int, int | None]]:
    """(agency, practitioner) of every notice of ``kind`` about ``object_id``."""
    with db.sessions() as session:
        return sorted(
            (n.agency_id, n.practitioner_id)
            for n in session.scalars(
                select(Notification).where(
                    Notification.kind == kind, Notification.object_id == object_id
                )
            )
        )


def _ask(db: Database, family: Family, to: int, rag: Rag = Rag.RED) -> RequestOut:
    return requests.make_request(
        db,
        family.social_worker,
        RequestIn(
            subject_record_id=family.records["mash"],
            recipient_agency_id=to,
            purpose=SharingPurpose.MASH_SCREENING,
            categories=[Category.CHILD_WELFARE],
            question="What do you know about this child's health this year?",
            rag=rag,
        ),
        load_profile("default"),
    )


def _answer(db: Database, by: Actor, family: Family, subject: int, request_id: int) -> None:
    decisions.decide(
        db,
        by,
        DecisionIn(
            subject_record_id=subject,
            request_id=request_id,
            recipient_agency_id=family.mash.id,
            purpose=SharingPurpose.MASH_SCREENING,
            answers=dict(HARM_ANSWERS),
            outcome=DecisionOutcome.SHARE,
            reasons="The MASH is screening a referral about this child.",
            lawful_basis="6(1)(e)",
            consent_position=ConsentPosition.NOT_SOUGHT_WOULD_INCREASE_RISK,
            family_informed=False,
            not_told_reason=NotToldReason.RISK_TO_CHILD,
            not_told_review_on=date(2099, 1, 1),
        ),
    )


def _me(actor: Actor) -> tuple[int, int | None]:
    assert actor.agency_id is not None
    return (actor.agency_id, actor.practitioner_id)


def test_a_red_request_tells_the_health_visitor_and_the_lead_at_once_and_no_one_else(
    db: Database, world: World, family: Family
) -> None:
    visitor = world.actor(world.practitioner(family.health, Role.PRACTITIONER))
    involve(db, family.gp, family.records["health"], visitor.practitioner_id, "Health visitor")
    lead = confirmer(db, family.health.id)  # the health trust's safeguarding lead

    made = _ask(db, family, family.health.id)

    told = _told(db, NotificationKind.REQUEST_RECEIVED, made.id)
    assert told == sorted([_me(visitor), _me(lead)])
    # Not the GP (not involved, not a lead), nor anyone at another agency.
    assert _me(family.gp) not in told
    assert all(agency == family.health.id for agency, _ in told)
    with db.sessions() as session:
        dues = set(
            session.scalars(
                select(Notification.due_at).where(
                    Notification.kind == NotificationKind.REQUEST_RECEIVED,
                    Notification.object_id == made.id,
                )
            )
        )
    assert dues == {made.rating.due_at}


def test_a_request_to_an_agency_with_no_one_to_name_goes_to_its_inbox(
    db: Database, world: World, family: Family
) -> None:
    housing = world.agency(AgencyKind.HOUSING)
    world.practitioner(housing, Role.PRACTITIONER)
    agree(db, housing.id, family.mash.id)
    made = _ask(db, family, housing.id, Rag.AMBER)
    assert _told(db, NotificationKind.REQUEST_RECEIVED, made.id) == [(housing.id, None)]


def test_the_requester_hears_when_the_request_is_answered(db: Database, family: Family) -> None:
    made = _ask(db, family, family.school.id)
    assert _told(db, NotificationKind.REQUEST_ANSWERED, made.id) == []
    _answer(db, family.dsl, family, family.records["school"], made.id)
    assert _told(db, NotificationKind.REQUEST_ANSWERED, made.id) == [_me(family.social_worker)]


def test_a_re_rating_tells_the_other_side_not_the_one_who_changed_it(
    db: Database, family: Family
) -> None:
    made = _ask(db, family, family.school.id, Rag.GREEN)
    school_leads = {p for _, p in _told(db, NotificationKind.REQUEST_RECEIVED, made.id)}
    assert family.dsl.practitioner_id in school_leads

    requests.rerate(
        db,
        family.social_worker,
        made.id,
        RerateIn(rag=Rag.RED, rationale="New information: an injury was reported"),
        load_profile("default"),
    )
    told = _told(db, NotificationKind.REQUEST_RERATED, made.id)
    assert {p for _, p in told} == school_leads
    assert _me(family.social_worker) not in told

    requests.rerate(
        db,
        family.dsl,
        made.id,
        RerateIn(rag=Rag.AMBER, rationale="Agreed with the MASH by phone"),
        load_profile("default"),
    )
    told = _told(db, NotificationKind.REQUEST_RERATED, made.id)
    assert _me(family.social_worker) in told
    # The DSL was told of the first change, not of their own.
    assert told.count(_me(family.dsl)) == 1


def test_advice_asked_of_a_role_reaches_its_holders_and_the_answer_reaches_the_asker(
    db: Database, world: World, family: Family
) -> None:
    other_school = world.agency(AgencyKind.SCHOOL)
    elsewhere = world.actor(world.practitioner(other_school, Role.DSL))
    asked = advice.ask(
        db,
        family.teacher,
        AdviceIn(
            to_role=AdviceRole.DSL,
            case_summary="A pupil has bruises on both arms",
            question="Should I share this with the MASH today?",
        ),
    )
    told = _told(db, NotificationKind.ADVICE_REQUESTED, asked.id)
    school_dsls = {family.dsl.practitioner_id, confirmer(db, family.school.id).practitioner_id}
    assert {p for _, p in told} == school_dsls
    assert _me(family.teacher) not in told and _me(elsewhere) not in told

    advice.answer(db, family.dsl, asked.id, AdviceAnswerIn(answer="Yes: share it today"))
    assert _told(db, NotificationKind.ADVICE_ANSWERED, asked.id) == [_me(family.teacher)]


def test_advice_asked_of_a_named_colleague_reaches_only_them(db: Database, family: Family) -> None:
    asked = advice.ask(
        db,
        family.teacher,
        AdviceIn(
            to_practitioner_id=family.dsl.practitioner_id,
            case_summary="A pupil was upset at drop-off",
            question="Is this a concern to record?",
        ),
    )
    assert _told(db, NotificationKind.ADVICE_REQUESTED, asked.id) == [_me(family.dsl)]


def test_an_overdue_request_is_told_once_per_rating_and_an_answered_one_never(
    db: Database, family: Family
) -> None:
    late = _ask(db, family, family.school.id)
    answered = _ask(db, family, family.school.id)
    _answer(db, family.dsl, family, family.records["school"], answered.id)
    later = late.rating.due_at + timedelta(hours=1)

    assert reminders.notify_overdue_requests(db, late.rating.due_at - timedelta(minutes=1)) >= 0
    assert _told(db, NotificationKind.REQUEST_OVERDUE, late.id) == []

    reminders.notify_overdue_requests(db, later)
    told = _told(db, NotificationKind.REQUEST_OVERDUE, late.id)
    assert _me(family.social_worker) in told and _me(family.dsl) in told
    assert all(a in (family.school.id, family.mash.id) for a, _ in told)
    assert _told(db, NotificationKind.REQUEST_OVERDUE, answered.id) == []

    reminders.notify_overdue_requests(db, later)
    assert _told(db, NotificationKind.REQUEST_OVERDUE, late.id) == told  # once

    # A new rating falls due in its turn, and is told again.
    requests.rerate(
        db,
        family.social_worker,
        late.id,
        RerateIn(rag=Rag.AMBER, rationale="Less urgent after a call with the school"),
        load_profile("default"),
    )
    reminders.notify_overdue_requests(db, later + timedelta(days=30))
    assert len(_told(db, NotificationKind.REQUEST_OVERDUE, late.id)) == 2 * len(told)
    with db.sessions() as session:
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.action == AuditAction.REMINDERS_SENT.value)
        ).all()
    assert any(late.id in (e.refs or {}).get("overdue_requests", []) for e in entries)


def test_a_disclosure_about_to_expire_is_told_to_its_recipients_once(
    db: Database, family: Family
) -> None:
    shared = item(db, family.dsl, family.records["school"], "Bruise on arm")
    soon = share(
        db, family.dsl, family.records["school"], [shared], to_agency=family.mash.id,
        to_practitioner=family.social_worker.practitioner_id, expires_in=timedelta(days=3),
    )  # fmt: skip
    later = share(
        db, family.dsl, family.records["school"], [shared], to_agency=family.mash.id,
        to_practitioner=family.social_worker.practitioner_id, expires_in=timedelta(days=60),
    )  # fmt: skip

    reminders.notify_expiring_disclosures(db)
    assert _told(db, NotificationKind.DISCLOSURE_EXPIRING, soon.id) == [_me(family.social_worker)]
    assert _told(db, NotificationKind.DISCLOSURE_EXPIRING, later.id) == []
    reminders.notify_expiring_disclosures(db)
    assert len(_told(db, NotificationKind.DISCLOSURE_EXPIRING, soon.id)) == 1
