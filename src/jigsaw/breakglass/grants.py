"""Break-glass sessions as the grants the policy is asked about, read as Cedar entities.

Candidates are found in SQL (``breakglass.service.active_for``) and each is then put
to the policy once, here. The sealed reason is never opened for it.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from jigsaw.breakglass.models import BreakGlassEnd, BreakGlassSession
from jigsaw.policy import authorize as policy
from jigsaw.policy.actor import Actor
from jigsaw.policy.authorize import Permission


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


def permitted_break_glass(
    session: Session, actor: Actor, ids: Collection[int], now: datetime
) -> set[int]:
    """Of these break-glass sessions, the ones the policy lets the actor use now."""
    grants = break_glass_grants(session, ids)
    return policy.permitted_now(actor, Permission.USE_BREAK_GLASS, grants, now)
