"""Reminders made on a schedule, and what needs a practitioner today.

Nothing happens when a request passes its due time or a disclosure nears its expiry,
so no service call can tell anyone of it: the scheduled work asks here instead
(``notify_overdue_requests``, ``notify_expiring_disclosures``). Each is idempotent:
a notice's dedupe key names the event (the rating that fell due, the expiry that is
near) and the person, so running the job twice, or from two processes at once, tells
nobody twice; a later event (a re-rating that falls due in its turn, an expiry moved
by a new disclosure) is a new event and is told.

``needs_you`` is the home page's list: what the practitioner should act on, soonest
deadline first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session, aliased

from jigsaw.audit import service as audit
from jigsaw.audit.actions import AuditAction
from jigsaw.audit.reads import not_a_person_read
from jigsaw.clock import UK_TIME
from jigsaw.db import Database
from jigsaw.deadlines.values import Rag
from jigsaw.notifications.models import Notification, NotificationKind
from jigsaw.notifications.service import MESSAGES, notify
from jigsaw.policy import authorize as policy
from jigsaw.policy import scopes
from jigsaw.policy.actor import Actor
from jigsaw.policy.authorize import Permission
from jigsaw.sharing import notices
from jigsaw.sharing.advice import in_scope as advice_in_scope
from jigsaw.sharing.involved import told_of
from jigsaw.sharing.models import (
    AdviceAnswer,
    AdviceRequest,
    Disclosure,
    DisclosureRevocation,
    InformationRequest,
    RagRating,
    SharingDecision,
)
from jigsaw.sharing.notices import request_grant

EXPIRY_NOTICE = timedelta(days=7)
"""How long before a disclosure expires its recipients are told, so they can ask for it
to be renewed if they still need it."""


def _open_requests_with_rating() -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """SQL: the request has no decision answering it; the rating is the request's newest."""
    answered = select(SharingDecision.id).where(SharingDecision.request_id == InformationRequest.id)
    later = aliased(RagRating)
    newest = (
        select(func.max(later.id))
        .where(later.request_id == InformationRequest.id)
        .scalar_subquery()
    )
    return ~answered.exists(), RagRating.id == newest


def notify_overdue_requests(db: Database, now: datetime | None = None) -> int:
    """Tell who should act on each open request past its due time, and who made it;
    returns the notices added. Once per rating: a re-rating that falls due is told again.
    """
    now = now or db.clock.now()
    unanswered, newest = _open_requests_with_rating()
    with db.transaction() as session:
        rows = session.execute(
            select(InformationRequest, RagRating)
            .join(RagRating, RagRating.request_id == InformationRequest.id)
            .where(unanswered, newest, RagRating.due_at < now)
            .order_by(RagRating.due_at, InformationRequest.id)
        ).all()
        added = 0
        told: list[int] = []
        for request, rating in rows:
            made = notify(
                session,
                NotificationKind.REQUEST_OVERDUE,
                f"request-{request.id}-rating-{rating.id}",
                "information_request",
                request.id,
                notices.request_handlers(session, request) + notices.requester(session, request),
                due_at=rating.due_at,
            )
            if made:
                told.append(request.id)
            added += made
        _sent(session, "information_request", "overdue_requests", told)
        return added


def notify_expiring_disclosures(db: Database, now: datetime | None = None) -> int:
    """Tell the recipients of each active disclosure that expires within
    ``EXPIRY_NOTICE``; returns the notices added. Once per disclosure."""
    now = now or db.clock.now()
    revoked = select(DisclosureRevocation.id).where(
        DisclosureRevocation.disclosure_id == Disclosure.id
    )
    with db.transaction() as session:
        rows = session.scalars(
            select(Disclosure)
            .where(
                Disclosure.expires_at > now,
                Disclosure.expires_at <= now + EXPIRY_NOTICE,
                ~revoked.exists(),
            )
            .order_by(Disclosure.expires_at, Disclosure.id)
        ).all()
        added = 0
        told: list[int] = []
        for disclosure in rows:
            made = notify(
                session,
                NotificationKind.DISCLOSURE_EXPIRING,
                f"disclosure-{disclosure.id}-expires-{disclosure.expires_at.date().isoformat()}",
                "disclosure",
                disclosure.id,
                told_of(session, disclosure),
                due_at=disclosure.expires_at,
            )
            if made:
                told.append(disclosure.id)
            added += made
        _sent(session, "disclosure", "expiring_disclosures", told)
        return added


def _sent(session: Session, object_type: str, about: str, told: list[int]) -> None:
    """One audit entry for a run's reminders, naming what they were about (never who)."""
    if told:
        audit.append(
            session,
            Actor.system(),
            AuditAction.REMINDERS_SENT,
            object_type,
            None,
            refs={about: told},
        )


@dataclass(frozen=True)
class NeedsYou:
    """One thing on a practitioner's list for today, without naming the child: the list
    is a prompt, and opening the thing itself is the audited read."""

    kind: str
    """``encompass``, ``request``, ``advice`` or ``notice``."""
    text: str
    href: str
    due_at: datetime | None
    overdue: bool
    rag: Rag | None = None
    posted: bool = False
    """Opened by a form, not a link: opening a notice marks it read, which only the
    practitioner's own click (never a link from elsewhere) may do."""


def _end_of_today(now: datetime) -> datetime:
    local = now.astimezone(UK_TIME)
    midnight = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=UK_TIME)
    return midnight.astimezone(UTC)


def _requests_due(session: Session, actor: Actor, now: datetime) -> list[NeedsYou]:
    unanswered, newest = _open_requests_with_rating()
    rows = session.execute(
        select(InformationRequest, RagRating)
        .join(RagRating, RagRating.request_id == InformationRequest.id)
        .where(
            unanswered,
            newest,
            scopes.requests(
                actor,
                InformationRequest.requester_agency_id,
                InformationRequest.recipient_agency_id,
            ),
            scopes.own_agency(actor, InformationRequest.recipient_agency_id),
            RagRating.due_at < _end_of_today(now),
        )
        .order_by(RagRating.due_at)
    ).all()
    return [
        NeedsYou(
            kind="request",
            text=f"{rating.rag.value.capitalize()} request for information to answer",
            href=f"/requests/{request.id}",
            due_at=rating.due_at,
            overdue=rating.due_at < now,
            rag=rating.rag,
        )
        for request, rating in rows
        if policy.allowed(actor, Permission.ANSWER_REQUEST, request_grant(request))
    ]


def _advice_asked(session: Session, actor: Actor) -> list[NeedsYou]:
    answered = select(AdviceAnswer.id).where(AdviceAnswer.advice_request_id == AdviceRequest.id)
    rows = session.scalars(
        select(AdviceRequest)
        .where(
            advice_in_scope(actor),
            ~answered.exists(),
            AdviceRequest.asked_by_id != actor.practitioner_id,
        )
        .order_by(AdviceRequest.asked_at)
    ).all()
    return [
        NeedsYou(
            kind="advice",
            text="You have been asked for advice",
            href=f"/advice/{row.id}",
            due_at=None,
            overdue=False,
        )
        for row in rows
    ]


def _notices_due(session: Session, actor: Actor, now: datetime) -> list[NeedsYou]:
    """Unread notices that must be acted on by a time (Operation Encompass, an expiry)."""
    rows = session.scalars(
        select(Notification)
        .where(
            scopes.notifications(actor, Notification.agency_id, Notification.practitioner_id),
            Notification.read_at.is_(None),
            Notification.due_at.is_not(None),
            Notification.kind.in_(
                [
                    NotificationKind.OPERATION_ENCOMPASS,
                    NotificationKind.ENCOMPASS_SCHOOL_HAS_NO_DSL,
                    NotificationKind.ENCOMPASS_NOT_DELIVERED,
                    NotificationKind.DISCLOSURE_EXPIRING,
                ]
            ),
        )
        .order_by(Notification.due_at)
    ).all()
    return [
        NeedsYou(
            kind="encompass" if n.kind is NotificationKind.OPERATION_ENCOMPASS else "notice",
            text=MESSAGES[n.kind],
            href=f"/notifications/{n.id}/open",
            due_at=n.due_at,
            overdue=n.due_at is not None and n.due_at < now,
            posted=True,
        )
        for n in rows
    ]


@not_a_person_read(
    "Lists what needs the practitioner by kind, urgency and deadline with a link, never a "
    "child's name or anything recorded about them; opening each is the audited read"
)
def needs_you(db: Database, actor: Actor, now: datetime | None = None) -> list[NeedsYou]:
    """What needs the practitioner today, soonest deadline first (overdue at the top);
    advice asked of them, which has no deadline, after."""
    now = now or db.clock.now()
    with db.reading() as session:
        found = (
            _notices_due(session, actor, now)
            + _requests_due(session, actor, now)
            + _advice_asked(session, actor)
        )
    far = datetime.max.replace(tzinfo=UTC)
    return sorted(found, key=lambda n: n.due_at or far)


__all__ = [
    "EXPIRY_NOTICE",
    "NeedsYou",
    "needs_you",
    "notify_expiring_disclosures",
    "notify_overdue_requests",
]
