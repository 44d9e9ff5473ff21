"""Who is told when a request for information or a request for advice needs someone.

A request to an agency is for the people there who should act on it: those who work
with the child now (a health visitor allocated to the family), and the agency's
safeguarding leads, who triage what arrives. An agency with neither gets the notice in
its inbox, which the whole agency sees. Advice is for the colleague named, or for the
holders of the role asked.

Everyone found is put to the policy as themselves before being told: a notice only
goes to someone who could open what it points at, so a notice never reaches another
agency, or a colleague whose role may not answer, whatever the query found.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from jigsaw.clock import utcnow
from jigsaw.identity.models import Practitioner
from jigsaw.notifications.service import Addressee
from jigsaw.people.links import person_of
from jigsaw.policy import authorize as policy
from jigsaw.policy.actor import Actor
from jigsaw.policy.authorize import Permission
from jigsaw.policy.roles import Role
from jigsaw.sharing.involved import involved_practitioners
from jigsaw.sharing.models import AdviceRequest, InformationRequest


def request_grant(request: InformationRequest) -> policy.Entity:
    return policy.information_request(
        request.id, request.requester_agency_id, request.recipient_agency_id
    )


REQUEST_LEADS: tuple[Role, ...] = (Role.DSL, Role.MASH)
"""The roles that triage what arrives at an agency, in the order looked for: its
designated safeguarding leads, else (at a council's front door) the MASH."""


def _as_themselves(session: Session, practitioner_ids: Iterable[int]) -> list[Actor]:
    """Each active practitioner as the actor they would be once signed in."""
    wanted = sorted(set(practitioner_ids))
    if not wanted:
        return []
    rows = session.execute(
        select(Practitioner.id, Practitioner.agency_id, Practitioner.role)
        .where(
            Practitioner.id.in_(wanted),
            Practitioner.active.is_(True),
            Practitioner.service_account.is_(False),
        )
        .order_by(Practitioner.id)
    )
    return [Actor(practitioner_id=p, agency_id=a, role=r, mfa_verified=True) for p, a, r in rows]


def _leads(session: Session, agency_id: int) -> list[int]:
    rows = session.execute(
        select(Practitioner.role, Practitioner.id).where(
            Practitioner.agency_id == agency_id,
            Practitioner.role.in_(REQUEST_LEADS),
            Practitioner.active.is_(True),
        )
    )
    by_role: dict[Role, list[int]] = {}
    for role, practitioner_id in rows:
        by_role.setdefault(role, []).append(practitioner_id)
    return next((sorted(by_role[r]) for r in REQUEST_LEADS if r in by_role), [])


def request_handlers(session: Session, request: InformationRequest) -> list[Addressee]:
    """Who at the agency asked should act on ``request``: those involved with the child
    and the agency's leads, if the policy lets them answer it; else the agency's inbox."""
    agency_id = request.recipient_agency_id
    person_id = person_of(session, request.subject_record_id)
    involved = (
        involved_practitioners(session, agency_id, person_id, utcnow().date())
        if person_id is not None
        else []
    )
    grant = request_grant(request)
    found = [
        Addressee(agency_id, actor.practitioner_id)
        for actor in _as_themselves(session, [*involved, *_leads(session, agency_id)])
        if actor.practitioner_id is not None
        and policy.allowed(actor, Permission.ANSWER_REQUEST, grant)
    ]
    return found or [Addressee(agency_id, None)]


def requester(session: Session, request: InformationRequest) -> list[Addressee]:
    """The practitioner who made ``request``, while they may still see it."""
    return [
        Addressee(actor.agency_id, actor.practitioner_id)
        for actor in _as_themselves(session, [request.requester_id])
        if actor.agency_id is not None
        and actor.practitioner_id is not None
        and policy.allowed(actor, Permission.VIEW_REQUEST, request_grant(request))
    ]


def advisers(session: Session, row: AdviceRequest, grant: policy.Entity) -> list[Addressee]:
    """Who was asked for advice: the colleague named, or each holder of the role asked in
    the asker's agency whom the policy lets answer it. Never the asker."""
    if row.to_practitioner_id is not None:
        candidates = [row.to_practitioner_id]
    else:
        candidates = list(
            session.scalars(
                select(Practitioner.id).where(
                    Practitioner.agency_id == row.agency_id,
                    Practitioner.active.is_(True),
                    Practitioner.id != row.asked_by_id,
                )
            )
        )
    return [
        Addressee(actor.agency_id, actor.practitioner_id)
        for actor in _as_themselves(session, candidates)
        if actor.agency_id is not None
        and actor.practitioner_id is not None
        and actor.practitioner_id != row.asked_by_id
        and policy.allowed(actor, Permission.ANSWER_ADVICE, grant)
    ]


def asker(session: Session, row: AdviceRequest, grant: policy.Entity) -> list[Addressee]:
    """Whoever asked for the advice, while they may still see it."""
    return [
        Addressee(actor.agency_id, actor.practitioner_id)
        for actor in _as_themselves(session, [row.asked_by_id])
        if actor.agency_id is not None
        and actor.practitioner_id is not None
        and policy.allowed(actor, Permission.VIEW_ADVICE, grant)
    ]
