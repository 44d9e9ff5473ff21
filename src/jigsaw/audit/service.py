"""Appending to the audit log. Called by every service inside its own transaction."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.orm import Session

from jigsaw.access.actor import Actor
from jigsaw.audit.actions import AuditAction
from jigsaw.audit.models import AuditEntry
from jigsaw.clock import utcnow

RefValue = int | str | list[int]


def append(
    session: Session,
    actor: Actor,
    action: AuditAction,
    object_type: str,
    object_id: int | str | None,
    *,
    purpose: str | None = None,
    refs: Mapping[str, RefValue] | None = None,
) -> AuditEntry:
    """Add one entry to the session's transaction.

    ``refs`` carries other ids the event touched (never names or free text), so
    the log can answer "what happened to item 7" without holding personal data.
    """
    entry = AuditEntry(
        occurred_at=utcnow(),
        actor_id=actor.practitioner_id,
        actor_agency_id=actor.agency_id,
        action=action.value,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        purpose=purpose,
        refs=dict(refs or {}),
    )
    session.add(entry)
    return entry
