"""Break-glass: an audited emergency look at one child's information.

When a child may come to harm before a request for information or a disclosure can
work, a practitioner whose role the policy trusts with the judgement (the MASH or a
Caldicott Guardian: ``policy.cedar`` rule B1) may open a session on that one child,
giving a reason in their own words. For as long as it lasts, the single view shows
that child's items from every agency, each marked as seen under break-glass, and each
read is audited with the session's id.

Starting is one transaction: the session, its audit entry (on the DPO's alert list)
and a notice to every Data Protection Officer concerned, or none of them. The DPOs
told are those of the practitioner's own agency, who answer for how their colleagues
use the service, and those of every agency holding a record of the child, because
each agency is the controller of what it recorded and must be able to review who saw
it and why.

Sessions are write-once and time-limited; ending one early adds a row rather than
changing the session, so the record shows both when it was meant to end and when it
did.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, false, select
from sqlalchemy.orm import Session

from jigsaw.access import grants, policy
from jigsaw.access.actor import Actor
from jigsaw.access.breakglass_schemas import BreakGlassIn, BreakGlassOut
from jigsaw.access.models import BreakGlassEnd, BreakGlassSession
from jigsaw.access.policy import BREAK_GLASS_ROLES, Permission
from jigsaw.agencies.models import Practitioner
from jigsaw.agencies.roles import Role
from jigsaw.audit import service as audit
from jigsaw.audit.actions import AuditAction
from jigsaw.clock import utcnow
from jigsaw.db import Database
from jigsaw.errors import Conflict, FieldProblem, InvalidInput, NotFound, NotPermitted
from jigsaw.notifications.models import NotificationKind
from jigsaw.notifications.service import Addressee, notify
from jigsaw.people.models import AgencyRecord, Person
from jigsaw.singleview.links import linked_to

DEFAULT_MINUTES = 60
MIN_REASON_LENGTH = 20
MIN_REASON_WORDS = 4
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]+")


class EmergencyAccessOffered(NotPermitted):
    """A refusal of the single view to someone who could use break-glass on this child.

    Pages offer the emergency access form instead of a dead end; the API answers as for
    any refusal.
    """

    def __init__(self, reason: str, person_id: int) -> None:
        super().__init__(reason)
        self.person_id = person_id


def reason_problem(reason: str) -> str | None:
    """Why a reason is not enough, or None. A reason must be words someone could review."""
    text = " ".join(reason.split())
    words = {w.lower() for w in _WORD.findall(text)}
    if len(text) < MIN_REASON_LENGTH or len(words) < MIN_REASON_WORDS:
        return (
            f"Say why you need this child's information now, in at least {MIN_REASON_LENGTH} "
            "characters: the Data Protection Officer will read it"
        )
    return None


def may_start(actor: Actor, person_id: int) -> bool:
    return policy.is_permitted(actor, Permission.START_BREAK_GLASS, person_id=person_id)


def may_use_break_glass(actor: Actor) -> bool:
    """Whether break-glass sessions can be active for this actor at all (rules B2, F1, F3)."""
    return (
        actor.practitioner_id is not None
        and actor.role in BREAK_GLASS_ROLES
        and actor.mfa_verified
        and not actor.is_token
    )


def active_for(actor: Actor, now: datetime) -> ColumnElement[bool]:
    """SQL: the break-glass session is the actor's own, not ended and not expired.

    The same meaning as ``policy.cedar`` rule B2, for list queries; the property test
    in ``tests/access/test_policy_agreement.py`` holds the two together.
    """
    if not may_use_break_glass(actor):
        return false()
    return _active_for(actor.practitioner_id, now)


def _active_for(practitioner: Any, now: Any) -> ColumnElement[bool]:
    ended = select(BreakGlassEnd.id).where(BreakGlassEnd.session_id == BreakGlassSession.id)
    return and_(
        BreakGlassSession.practitioner_id == practitioner,
        BreakGlassSession.expires_at > now,
        ~ended.exists(),
    )


ACTIVE_FOR_VIEWER = _active_for(bindparam("glass_practitioner"), bindparam("glass_now"))
"""``active_for`` with the actor as bound parameters (``active_for_values``), for
statements built once. Only for an actor who ``may_use_break_glass``."""


def active_for_values(actor: Actor, now: datetime) -> dict[str, Any]:
    return {"glass_practitioner": actor.practitioner_id, "glass_now": now}


def active_sessions(
    session: Session, actor: Actor, person_ids: Collection[int], now: datetime
) -> dict[int, int]:
    """The actor's usable break-glass session on each of these people, by person."""
    if not person_ids:
        return {}
    found = dict(
        session.execute(
            select(BreakGlassSession.id, BreakGlassSession.person_id).where(
                BreakGlassSession.person_id.in_(sorted(person_ids)), active_for(actor, now)
            )
        ).all()
    )
    usable = grants.permitted_break_glass(session, actor, found, now)
    by_person: dict[int, int] = {}
    for session_id in sorted(usable):
        by_person[found[session_id]] = session_id
    return by_person


def start(
    db: Database, actor: Actor, person_id: int, data: BreakGlassIn, max_minutes: int
) -> BreakGlassOut:
    policy.require(actor, Permission.START_BREAK_GLASS, person_id=person_id)
    problems: list[FieldProblem] = []
    problem = reason_problem(data.reason)
    if problem:
        problems.append(FieldProblem("reason", problem))
    minutes = data.minutes or min(DEFAULT_MINUTES, max_minutes)
    if minutes > max_minutes:
        problems.append(
            FieldProblem("minutes", f"Emergency access can last at most {max_minutes} minutes")
        )
    if problems:
        raise InvalidInput(*problems)
    now = utcnow()
    with db.transaction() as session:
        if session.get(Person, person_id) is None:
            raise NotFound("person", person_id)
        current = active_sessions(session, actor, [person_id], now)
        if current:
            raise Conflict("You already have emergency access to this child")
        assert actor.practitioner_id is not None and actor.agency_id is not None
        row = BreakGlassSession(
            practitioner_id=actor.practitioner_id,
            agency_id=actor.agency_id,
            person_id=person_id,
            reason=" ".join(data.reason.split()),
            started_at=now,
            expires_at=now + timedelta(minutes=minutes),
        )
        session.add(row)
        session.flush()
        agencies = _agencies_knowing(session, person_id)
        audit.append(
            session,
            actor,
            AuditAction.BREAK_GLASS_STARTED,
            "person",
            person_id,
            refs={
                "person": person_id,
                "break_glass": row.id,
                "minutes": minutes,
                "agencies": agencies,
            },
        )
        notify(
            session,
            NotificationKind.BREAK_GLASS_STARTED,
            f"break-glass-{row.id}",
            "break_glass_session",
            row.id,
            _dpos(session, sorted({actor.agency_id, *agencies})),
        )
        return _out(row, None, now)


def end(db: Database, actor: Actor, session_id: int) -> BreakGlassOut:
    """End emergency access before its time runs out."""
    now = utcnow()
    with db.transaction() as session:
        row = session.get(BreakGlassSession, session_id)
        if row is None or row.practitioner_id != actor.practitioner_id:
            raise NotFound("break-glass session", session_id)
        (grant,) = grants.break_glass_grants(session, [row.id])
        if not policy.allowed(actor, Permission.END_BREAK_GLASS, grant, {"now": now}):
            raise Conflict("This emergency access has already ended")
        assert actor.practitioner_id is not None
        ended = BreakGlassEnd(session_id=row.id, ended_by_id=actor.practitioner_id, ended_at=now)
        session.add(ended)
        audit.append(
            session,
            actor,
            AuditAction.BREAK_GLASS_ENDED,
            "person",
            row.person_id,
            refs={"person": row.person_id, "break_glass": row.id},
        )
        return _out(row, now, now)


def mine(db: Database, actor: Actor) -> list[BreakGlassOut]:
    """The actor's own sessions that are still active, soonest to end first."""
    now = utcnow()
    with db.sessions() as session:
        rows = session.scalars(
            select(BreakGlassSession)
            .where(active_for(actor, now))
            .order_by(BreakGlassSession.expires_at, BreakGlassSession.id)
        )
        return [_out(r, None, now) for r in rows]


def _agencies_knowing(session: Session, person_id: int) -> list[int]:
    return sorted(
        set(session.scalars(select(AgencyRecord.agency_id).where(linked_to([person_id]))))
    )


def _dpos(session: Session, agency_ids: list[int]) -> list[Addressee]:
    rows = session.execute(
        select(Practitioner.agency_id, Practitioner.id)
        .where(
            Practitioner.agency_id.in_(agency_ids),
            Practitioner.role == Role.DPO,
            Practitioner.active.is_(True),
        )
        .order_by(Practitioner.agency_id, Practitioner.id)
    )
    return [Addressee(agency_id, practitioner_id) for agency_id, practitioner_id in rows]


def _out(row: BreakGlassSession, ended_at: datetime | None, now: datetime) -> BreakGlassOut:
    return BreakGlassOut(
        id=row.id,
        practitioner_id=row.practitioner_id,
        person_id=row.person_id,
        reason=row.reason,
        started_at=row.started_at,
        expires_at=row.expires_at,
        ended_at=ended_at,
        active=ended_at is None and row.expires_at > now,
    )
