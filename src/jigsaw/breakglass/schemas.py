"""What starting emergency (break-glass) access asks for, and what it answers."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from jigsaw.breakglass.models import EmergencyGround
from jigsaw.schemas import Input, Output


class BreakGlassIn(Input):
    free_text = frozenset({"reason"})

    category: EmergencyGround
    """The emergency ground: why this cannot wait for a request for information."""
    reason: str = Field(max_length=2000)
    """Why the child's information is needed now, outside the usual routes: what has
    happened to the child, in words the Data Protection Officers can review."""
    minutes: int | None = Field(default=None, ge=1)
    """How long access is needed for; the default and the longest allowed are set by the
    authority (``JIGSAW_BREAK_GLASS_MAX_MINUTES``)."""


class BreakGlassOut(Output):
    id: int
    practitioner_id: int
    person_id: int
    category: EmergencyGround | None
    reason: str
    started_at: datetime
    expires_at: datetime
    ended_at: datetime | None = None
    active: bool
