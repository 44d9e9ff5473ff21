"""Break-glass: an audited emergency look at one child's information.

When a child may come to harm before a request for information or a disclosure can
work, a practitioner whose role the policy trusts with the judgement (the MASH or a
Caldicott Guardian: ``policy.cedar`` rule B1) may open a session on that one child,
giving a reason in their own words. For as long as it lasts, the single view shows
that child's items from every agency, each marked as seen under break-glass, and each
read is audited with the session's id.

Starting asks for an emergency ground (``EmergencyGround``) and a reason that says
what has happened to the child; a practitioner has one session at a time, and each
start beyond ``break_glass_alert_after`` within ``break_glass_alert_hours`` raises a
second alert on their agency's list, so habitual use stands out from the single
emergencies it is for.

Starting is one transaction: the session, its audit entry (on the DPO's alert list)
and a notice to someone accountable in every agency concerned, or none of them. The
agencies told are the practitioner's own, which answers for how its staff use the
service, and every agency holding a record of the child, because each is the
controller of what it recorded and must be able to review who saw it and why. Each is
told through its DPO, else its Caldicott Guardian, else its safeguarding lead
(``notifications.contacts``): many small agencies have no DPO.

Sessions are write-once and time-limited; ending one early adds a row rather than
changing the session, so the record shows both when it was meant to end and when it
did.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, false, func, select
from sqlalchemy.orm import Session

from jigsaw.audit import service as audit
from jigsaw.audit.actions import AuditAction
from jigsaw.audit.reads import not_a_person_read
from jigsaw.breakglass import grants
from jigsaw.breakglass.models import BreakGlassEnd, BreakGlassSession, EmergencyGround
from jigsaw.breakglass.schemas import BreakGlassIn, BreakGlassOut
from jigsaw.db import Database
from jigsaw.errors import Conflict, FieldProblem, InvalidInput, NotFound, NotPermitted
from jigsaw.identity.models import Practitioner
from jigsaw.notifications.contacts import oversight_contacts
from jigsaw.notifications.models import NotificationKind
from jigsaw.notifications.service import notify
from jigsaw.people.links import linked_to
from jigsaw.people.models import AgencyRecord, Person
from jigsaw.policy import authorize as policy
from jigsaw.policy import scopes
from jigsaw.policy.actor import Actor
from jigsaw.policy.authorize import Permission

DEFAULT_MINUTES = 60
MIN_REASON_LENGTH = 40
MIN_REASON_WORDS = 8
MIN_OTHER_GROUND_WORDS = 15
"""A ground of "another emergency" must be explained more fully."""
ALERT_AFTER = 2
ALERT_HOURS = 24
"""The defaults of ``break_glass_alert_after`` and ``break_glass_alert_hours``."""
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]+")
NOT_A_REASON = frozenset(
    {
        "lol", "lmao", "haha", "curious", "curiosity", "nosy", "nosey", "bored", "asdf",
        "qwerty", "idk", "dunno", "whatever",
    }
)  # fmt: skip
"""Words that say the look is not an emergency (or not a reason at all). Kept short on
purpose: a word that can belong in a real emergency ("test", as in a blood test) must
never block one."""
ABOUT_A_CHILD = frozenset(
    {
        "child", "children", "kid", "baby", "infant", "toddler", "newborn", "unborn", "boy",
        "girl", "pupil", "student", "son", "daughter", "sibling", "brother", "sister",
        "teenager", "young", "he", "she", "him", "her", "his", "they", "them", "their",
    }
)  # fmt: skip
"""A reason must be about the child: at least one of these words."""


class OneSessionAtATime(Conflict):
    """A practitioner already has emergency access to another child."""


class EmergencyAccessOffered(NotPermitted):
    """A refusal of the single view to someone who could use break-glass on this child.

    Pages offer the emergency access form instead of a dead end; the API answers as for
    any refusal.
    """

    def __init__(self, reason: str, person_id: int) -> None:
        super().__init__(reason)
        self.person_id = person_id


def reason_problem(reason: str, ground: EmergencyGround | None = None) -> str | None:
    """Why a reason is not enough, or None.

    Plain rules a practitioner can meet and a DPO can check, not a judgement of the
    emergency (that is the DPO's review): enough different words to say something, none
    that says it is not an emergency, and something about the child.
    """
    text = " ".join(reason.split())
    words = {w.lower() for w in _WORD.findall(text)}
    if len(text) < MIN_REASON_LENGTH or len(words) < MIN_REASON_WORDS:
        return (
            "Say what has happened to the child and why it cannot wait, in at least "
            f"{MIN_REASON_LENGTH} characters and {MIN_REASON_WORDS} different words: the "
            "Data Protection Officers will read it"
        )
    filler = sorted(words & NOT_A_REASON)
    if filler:
        return (
            f"\u201c{filler[0]}\u201d is not a reason to use emergency access: say what has "
            "happened to the child and why it cannot wait for a request for information"
        )
    if not words & ABOUT_A_CHILD:
        return (
            "Say what is happening to the child, for example \u201cthe child was found alone "
            "at night\u201d: emergency access is only for a child's immediate safety"
        )
    if ground is EmergencyGround.OTHER and len(words) < MIN_OTHER_GROUND_WORDS:
        return (
            f"For another emergency, explain in at least {MIN_OTHER_GROUND_WORDS} different "
            "words what has happened and why it cannot wait for a request for information"
        )
    return None


def may_start(actor: Actor, person_id: int) -> bool:
    return policy.is_permitted(actor, Permission.START_BREAK_GLASS, person_id=person_id)


def may_use_break_glass(actor: Actor) -> bool:
    """Whether break-glass sessions can be active for this actor at all (rules B2, F1, F3)."""
    return scopes.uses_break_glass(actor)


def active_for(actor: Actor, now: datetime) -> ColumnElement[bool]:
    """SQL: the break-glass session is the actor's own, not ended and not expired.

    The same meaning as ``policy.cedar`` rule B2, for list queries; the property test
    in ``tests/policy/test_policy_agreement.py`` holds the two together.
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
    db: Database,
    actor: Actor,
    person_id: int,
    data: BreakGlassIn,
    max_minutes: int,
    *,
    alert_after: int = ALERT_AFTER,
    alert_hours: int = ALERT_HOURS,
) -> BreakGlassOut:
    policy.require(actor, Permission.START_BREAK_GLASS, person_id=person_id)
    problems: list[FieldProblem] = []
    problem = reason_problem(data.reason, data.category)
    if problem:
        problems.append(FieldProblem("reason", problem))
    minutes = data.minutes or min(DEFAULT_MINUTES, max_minutes)
    if minutes > max_minutes:
        problems.append(
            FieldProblem("minutes", f"Emergency access can last at most {max_minutes} minutes")
        )
    if problems:
        raise InvalidInput(*problems)
    now = db.clock.now()
    with db.transaction() as session:
        if session.get(Person, person_id) is None:
            raise NotFound("person", person_id)
        assert actor.practitioner_id is not None and actor.agency_id is not None
        _one_at_a_time(session, actor.practitioner_id, person_id, now)
        row = BreakGlassSession(
            practitioner_id=actor.practitioner_id,
            agency_id=actor.agency_id,
            person_id=person_id,
            category=data.category,
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
                "category": data.category.value,
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
            oversight_contacts(
                session, [actor.agency_id, *agencies], excluding=actor.practitioner_id
            ),
        )
        _alert_if_repeated(session, actor, row, timedelta(hours=alert_hours), alert_after)
        return _out(row, None, now)


def _one_at_a_time(session: Session, practitioner_id: int, person_id: int, now: datetime) -> None:
    """Refuse a second session while one is active.

    An emergency is about one child; several children open at once is browsing. The
    practitioner's row is locked first (PostgreSQL; SQLite writers already queue), so
    two starts at the same moment cannot both find none active.
    """
    session.execute(
        select(Practitioner.id).where(Practitioner.id == practitioner_id).with_for_update()
    )
    active = session.scalar(
        select(BreakGlassSession.person_id).where(_active_for(practitioner_id, now)).limit(1)
    )
    if active == person_id:
        raise Conflict("You already have emergency access to this child")
    if active is not None:
        raise OneSessionAtATime(
            "You already have emergency access to another child. End it before you use "
            "emergency access again: it is for one child's emergency at a time"
        )


def _alert_if_repeated(
    session: Session, actor: Actor, row: BreakGlassSession, period: timedelta, allowed: int
) -> None:
    """A second alert, and a notice to the practitioner's own agency, when this start is
    more than ``allowed`` within ``period``: each start is already alerted, but a run of
    them is a pattern the DPO should see as one."""
    started = session.scalar(
        select(func.count())
        .select_from(BreakGlassSession)
        .where(
            BreakGlassSession.practitioner_id == row.practitioner_id,
            BreakGlassSession.started_at > row.started_at - period,
        )
    )
    if (started or 0) <= allowed:
        return
    audit.append(
        session,
        actor,
        AuditAction.BREAK_GLASS_REPEATED,
        "person",
        row.person_id,
        refs={
            "person": row.person_id,
            "break_glass": row.id,
            "started": started or 0,
            "hours": int(period.total_seconds() // 3600),
        },
    )
    notify(
        session,
        NotificationKind.BREAK_GLASS_REPEATED,
        f"break-glass-repeated-{row.id}",
        "break_glass_session",
        row.id,
        oversight_contacts(session, [row.agency_id], excluding=row.practitioner_id),
    )


def end(db: Database, actor: Actor, session_id: int) -> BreakGlassOut:
    """End emergency access before its time runs out."""
    now = db.clock.now()
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


@not_a_person_read(
    "The actor's own emergency sessions: ids and the reason they gave, each already "
    "in the log as it started"
)
def mine(db: Database, actor: Actor) -> list[BreakGlassOut]:
    """The actor's own sessions that are still active, soonest to end first."""
    now = db.clock.now()
    with db.reading() as session:
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


def _out(row: BreakGlassSession, ended_at: datetime | None, now: datetime) -> BreakGlassOut:
    return BreakGlassOut(
        id=row.id,
        practitioner_id=row.practitioner_id,
        person_id=row.person_id,
        category=row.category,
        reason=row.reason,
        started_at=row.started_at,
        expires_at=row.expires_at,
        ended_at=ended_at,
        active=ended_at is None and row.expires_at > now,
    )
