"""Requests for information between agencies (the MASH workflow), with RAG due times.

A request's urgency is a history of ratings: the first is set with the request and
each change must give a rationale. Due times come from the authority's timescale
profile on a working-hours calendar (``jigsaw.deadlines``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from jigsaw.agreements.validity import Evaluation, evaluate
from jigsaw.audit import service as audit
from jigsaw.audit.actions import AuditAction
from jigsaw.audit.reads import audited_read, not_a_person_read
from jigsaw.clock import utcnow
from jigsaw.db import Database
from jigsaw.deadlines.calendar import due_at
from jigsaw.deadlines.values import Profile
from jigsaw.errors import InvalidInput, NotFound
from jigsaw.identity.models import Agency
from jigsaw.notifications.models import NotificationKind
from jigsaw.notifications.service import notify
from jigsaw.people.links import linked_to
from jigsaw.people.models import AgencyRecord
from jigsaw.people.own import own_record, own_subject
from jigsaw.policy import authorize as policy
from jigsaw.policy import scopes
from jigsaw.policy.actor import Actor
from jigsaw.policy.authorize import Permission
from jigsaw.policy.scopes import IdColumn
from jigsaw.sharing import agreement_checks, notices
from jigsaw.sharing.agreement_checks import AGREEMENTS_ONLY
from jigsaw.sharing.models import InformationRequest, RagRating, SharingDecision
from jigsaw.sharing.notices import request_grant
from jigsaw.sharing.schemas import RagOut, RequestIn, RequestOut, RerateIn, SubjectDetails


def make_request(
    db: Database, actor: Actor, data: RequestIn, profile: Profile, *, due: datetime | None = None
) -> RequestOut:
    """Make a request, due when ``profile`` says for its rating, or at ``due`` where the
    request was made in another system that already set its due time (``interop.mais``)."""
    with db.transaction() as session:
        subject = own_subject(session, actor, data.subject_record_id)
        if session.get(Agency, data.recipient_agency_id) is None:
            raise InvalidInput.one(
                "recipient_agency_id", f"There is no agency with id {data.recipient_agency_id}"
            )
        if data.recipient_agency_id == subject.agency_id:
            raise InvalidInput.one(
                "recipient_agency_id", "A request goes to another agency, not your own"
            )
        assert actor.practitioner_id is not None
        now = utcnow()
        evaluation = _evaluate(session, subject.agency_id, data, now)
        stopped = agreement_checks.problems(
            evaluation,
            data.agreement_override_reason,
            data.agreement_review_confirmed,
            confirming=False,
        )
        if stopped:
            raise InvalidInput(*stopped)
        request = InformationRequest(
            requester_id=actor.practitioner_id,
            requester_agency_id=subject.agency_id,
            subject_record_id=subject.id,
            recipient_agency_id=data.recipient_agency_id,
            purpose=data.purpose,
            categories=[c.value for c in data.categories],
            question=data.question,
            created_at=now,
        )
        agreement_checks.keep(
            request, evaluation, data.agreement_override_reason, data.agreement_review_confirmed
        )
        session.add(request)
        session.flush()
        session.add(
            RagRating(
                request_id=request.id,
                rag=data.rag,
                due_at=due or due_at(now, data.rag, profile),
                rationale="",
                rated_by_id=actor.practitioner_id,
                rated_at=now,
            )
        )
        audit.append(
            session,
            actor,
            AuditAction.REQUEST_MADE,
            "information_request",
            request.id,
            purpose=data.purpose.value,
            refs={
                "agency_record": subject.id,
                "recipient_agency": data.recipient_agency_id,
                **agreement_checks.audit_refs(evaluation),
            },
        )
        agreement_checks.alert_if_overridden(
            session,
            actor,
            evaluation,
            "information_request",
            request.id,
            {"agency_record": subject.id, "recipient_agency": data.recipient_agency_id},
        )
        session.flush()
        # Those who should act hear at once, with the due time: a Red request cannot wait
        # for someone to look at the agency's list.
        notify(
            session,
            NotificationKind.REQUEST_RECEIVED,
            f"request-{request.id}",
            "information_request",
            request.id,
            notices.request_handlers(session, request),
            due_at=_ratings(session, request.id)[-1].due_at,
        )
        return _out(session, request, now)


def _evaluate(
    session: Session, requester_agency_id: int, data: RequestIn, at: datetime
) -> Evaluation:
    """The agency asked would provide the information, to the agency asking."""
    return evaluate(
        session,
        provider_agency_id=data.recipient_agency_id,
        recipient_agency_id=requester_agency_id,
        purpose=data.purpose,
        categories=[c.value for c in data.categories],
        at=at,
    )


@not_a_person_read(AGREEMENTS_ONLY)
def check_request(db: Database, actor: Actor, data: RequestIn) -> Evaluation:
    """What the agreements would say of this request now, before it is made, so the
    page can show it (and ask what it needs) at the step where the practitioner asks.
    Nothing is written: the check is made again, and kept, when the request is made."""
    with db.transaction() as session:
        subject = own_subject(session, actor, data.subject_record_id)
        if session.get(Agency, data.recipient_agency_id) is None:
            raise InvalidInput.one(
                "recipient_agency_id", f"There is no agency with id {data.recipient_agency_id}"
            )
        return _evaluate(session, subject.agency_id, data, utcnow())


def rerate(
    db: Database, actor: Actor, request_id: int, data: RerateIn, profile: Profile
) -> RequestOut:
    """Change the urgency; the due time runs from the request, not from the change."""
    with db.transaction() as session:
        request = visible_to(session, actor, request_id)
        if actor.practitioner_id is None:
            raise NotFound("information request", request_id)
        current = _ratings(session, request.id)[-1]
        if current.rag is data.rag:
            raise InvalidInput.one("rag", f"The request is already rated {data.rag.value}")
        assert actor.practitioner_id is not None
        session.add(
            RagRating(
                request_id=request.id,
                rag=data.rag,
                due_at=due_at(request.created_at, data.rag, profile),
                rationale=data.rationale,
                rated_by_id=actor.practitioner_id,
                rated_at=utcnow(),
            )
        )
        audit.append(
            session,
            actor,
            AuditAction.REQUEST_RERATED,
            "information_request",
            request.id,
            refs={"from": current.rag.value, "to": data.rag.value},
        )
        session.flush()
        rating = _ratings(session, request.id)[-1]
        # Both sides care about a new urgency; the one who changed it knows already.
        told = notices.request_handlers(session, request) + notices.requester(session, request)
        notify(
            session,
            NotificationKind.REQUEST_RERATED,
            f"request-{request.id}-rating-{rating.id}",
            "information_request",
            request.id,
            [a for a in told if a.practitioner_id != actor.practitioner_id],
            due_at=rating.due_at,
        )
        return _out(session, request, utcnow())


@audited_read(AuditAction.REQUEST_VIEWED)
def view_request(db: Database, actor: Actor, request_id: int) -> RequestOut:
    with db.transaction() as session:
        request = visible_to(session, actor, request_id)
        audit.append(session, actor, AuditAction.REQUEST_VIEWED, "information_request", request.id)
        return _out(session, request, utcnow())


@audited_read(AuditAction.REQUEST_VIEWED)
def incoming_requests(
    db: Database, actor: Actor, *, overdue_only: bool = False
) -> list[RequestOut]:
    """Requests to the actor's agency, soonest due first; optionally only the overdue ones."""

    def soonest_due(found: list[RequestOut]) -> list[RequestOut]:
        if overdue_only:
            found = [r for r in found if r.overdue]
        return sorted(found, key=lambda r: r.rating.due_at)

    return _listed(
        db,
        actor,
        InformationRequest.recipient_agency_id,
        InformationRequest.created_at,
        "incoming",
        soonest_due,
    )


@audited_read(AuditAction.REQUEST_VIEWED)
def outgoing_requests(db: Database, actor: Actor) -> list[RequestOut]:
    """Requests the actor's agency has made, newest first.

    Each names its child (``SubjectDetails``) and asks a question about them, so the
    list is a read of every child on it, audited like the incoming one.
    """
    return _listed(
        db,
        actor,
        InformationRequest.requester_agency_id,
        InformationRequest.created_at.desc(),
        "outgoing",
    )


@audited_read(AuditAction.REQUEST_VIEWED)
def open_requests_about(db: Database, actor: Actor, record_id: int) -> list[RequestOut]:
    """Requests still waiting for an answer about the child one of the agency's records is of:
    those the agency made about this record, and those made to it about the same child
    (another agency's record linked to the same person), soonest due first.
    """
    now = db.clock.now()
    with db.transaction() as session:
        record = own_record(session, actor, record_id)
        about = InformationRequest.subject_record_id == record.id
        if record.person_id is not None:
            linked = select(AgencyRecord.id).where(linked_to([record.person_id]))
            about = about | InformationRequest.subject_record_id.in_(linked)
        answered = select(SharingDecision.id).where(
            SharingDecision.request_id == InformationRequest.id
        )
        rows = session.scalars(
            select(InformationRequest)
            .where(about, in_scope(actor), ~answered.exists())
            .order_by(InformationRequest.created_at)
        )
        found = sorted((_out(session, r, now) for r in rows), key=lambda r: r.rating.due_at)
        audit.append(
            session,
            actor,
            AuditAction.REQUEST_VIEWED,
            "information_request",
            None,
            refs={"requests": [r.id for r in found], "agency_record": record.id},
        )
        return found


def _listed(
    db: Database,
    actor: Actor,
    agency: IdColumn,
    order: ColumnElement[Any] | InstrumentedAttribute[Any],
    direction: str,
    arrange: Callable[[list[RequestOut]], list[RequestOut]] = list,
) -> list[RequestOut]:
    """The requests the actor may see that ``agency`` says are their agency's, in ``order``
    then as ``arrange`` leaves them; the entry names every one shown, since each names
    its child."""
    now = db.clock.now()
    with db.transaction() as session:
        rows = session.scalars(
            select(InformationRequest)
            .where(in_scope(actor), scopes.own_agency(actor, agency))
            .order_by(order)
        )
        found = arrange([_out(session, r, now) for r in rows])
        audit.append(
            session,
            actor,
            AuditAction.REQUEST_VIEWED,
            "information_request",
            None,
            refs={"requests": [r.id for r in found], "direction": direction},
        )
        return found


def visible_to(session: Session, actor: Actor, request_id: int) -> InformationRequest:
    request = session.get(InformationRequest, request_id)
    if request is None or not policy.allowed(
        actor, Permission.VIEW_REQUEST, request_grant(request)
    ):
        raise NotFound("information request", request_id)
    return request


def _ratings(session: Session, request_id: int) -> list[RagRating]:
    return list(
        session.scalars(
            select(RagRating)
            .where(RagRating.request_id == request_id)
            .order_by(RagRating.rated_at, RagRating.id)
        )
    )


def _out(session: Session, request: InformationRequest, now: datetime) -> RequestOut:
    ratings = _ratings(session, request.id)
    decisions = list(
        session.scalars(
            select(SharingDecision.id)
            .where(SharingDecision.request_id == request.id)
            .order_by(SharingDecision.id)
        )
    )
    subject = session.get_one(AgencyRecord, request.subject_record_id)
    current = ratings[-1]
    status = "answered" if decisions else "open"
    return RequestOut(
        id=request.id,
        requester_id=request.requester_id,
        requester_agency_id=request.requester_agency_id,
        recipient_agency_id=request.recipient_agency_id,
        subject_record_id=request.subject_record_id,
        subject=SubjectDetails.model_validate(subject),
        purpose=request.purpose,
        categories=request.categories,  # type: ignore[arg-type]
        question=request.question,
        created_at=request.created_at,
        rating=RagOut.model_validate(current),
        rating_history=[RagOut.model_validate(r) for r in ratings],
        status=status,
        overdue=not decisions and current.due_at < now,
        decision_ids=decisions,
        agreement=agreement_checks.checked_out(request),
    )


def in_scope(actor: Actor) -> ColumnElement[bool]:
    """The requests the policy lets the actor see (rule Q1), as SQL."""
    return scopes.requests(
        actor, InformationRequest.requester_agency_id, InformationRequest.recipient_agency_id
    )
