"""The grants the policy is asked about, read from the database as Cedar entities.

A grant is what could make a look at a child legitimate: a disclosure to the viewer,
or a break-glass session of theirs. List queries find candidate grants with SQL
filters of the same meaning as the policy (``sharing.disclosures.active_to``,
``access.breakglass.active_for``); each grant found is then put to the policy once,
here, however many items it carries.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from jigsaw.access import policy
from jigsaw.access.actor import Actor
from jigsaw.access.models import BreakGlassEnd, BreakGlassSession
from jigsaw.access.policy import Permission
from jigsaw.sharing.models import Disclosure, DisclosureRevocation


def disclosure_grants(session: Session, ids: Collection[int]) -> list[policy.Entity]:
    if not ids:
        return []
    revoked = (
        select(DisclosureRevocation.id)
        .where(DisclosureRevocation.disclosure_id == Disclosure.id)
        .exists()
    )
    rows = session.connection().execute(
        select(
            Disclosure.id,
            Disclosure.disclosing_agency_id,
            Disclosure.recipient_agency_id,
            Disclosure.recipient_practitioner_id,
            Disclosure.expires_at,
            revoked,
        ).where(Disclosure.id.in_(sorted(ids)))
    )
    return [
        policy.disclosure(
            ident,
            disclosing_agency_id=disclosing,
            recipient_agency_id=agency,
            recipient_practitioner_id=practitioner,
            expires_at=expires_at,
            revoked=bool(is_revoked),
        )
        for ident, disclosing, agency, practitioner, expires_at, is_revoked in rows
    ]


def disclosure_grant(session: Session, disclosure: Disclosure) -> policy.Entity:
    return disclosure_grants(session, [disclosure.id])[0]


def break_glass_grants(session: Session, ids: Collection[int]) -> list[policy.Entity]:
    if not ids:
        return []
    ended = (
        select(BreakGlassEnd.id).where(BreakGlassEnd.session_id == BreakGlassSession.id).exists()
    )
    # Columns, not rows: the policy never needs the (sealed) reason, so it is not opened.
    rows = session.connection().execute(
        select(
            BreakGlassSession.id,
            BreakGlassSession.practitioner_id,
            BreakGlassSession.person_id,
            BreakGlassSession.expires_at,
            ended,
        ).where(BreakGlassSession.id.in_(sorted(ids)))
    )
    return [
        policy.break_glass_session(
            ident,
            practitioner_id=practitioner,
            person_id=person,
            expires_at=expires_at,
            ended=bool(is_ended),
        )
        for ident, practitioner, person, expires_at, is_ended in rows
    ]


def permitted_disclosures(
    session: Session, actor: Actor, ids: Collection[int], now: datetime
) -> set[int]:
    """Of these disclosures, the ones the policy lets the actor see now."""
    allowed = policy.permitted_grants(
        actor, Permission.VIEW_DISCLOSURE, disclosure_grants(session, ids), {"now": now}
    )
    return {int(i) for i in allowed}


def permitted_break_glass(
    session: Session, actor: Actor, ids: Collection[int], now: datetime
) -> set[int]:
    """Of these break-glass sessions, the ones the policy lets the actor use now."""
    allowed = policy.permitted_grants(
        actor, Permission.USE_BREAK_GLASS, break_glass_grants(session, ids), {"now": now}
    )
    return {int(i) for i in allowed}
