"""Break-glass sessions and their ends: write-once rows, the ground and reason sealed."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, Session, mapped_column

from jigsaw.db import Base, UTCDateTime, enum_column
from jigsaw.protection.keyring import AGENCY, Subject
from jigsaw.protection.sealed import sealed


class EmergencyGround(StrEnum):
    """Why information cannot wait for a request: the grounds break-glass is for.

    Each is a case the guidance puts first ("protecting a child from harm takes priority
    over protecting privacy"; "if there is concern that a child is ... at risk of
    significant harm, follow safeguarding procedures without delay"); anything else must
    be explained in the reason.
    """

    SIGNIFICANT_HARM = "significant_harm"
    MISSING_CHILD = "missing_child"
    URGENT_MEDICAL_CARE = "urgent_medical_care"
    POLICE_PROTECTION = "police_protection"
    OTHER = "other"


EMERGENCY_GROUNDS: dict[EmergencyGround, str] = {
    EmergencyGround.SIGNIFICANT_HARM: (
        "The child may be at immediate risk of significant harm (Children Act 1989 section 47)"
    ),
    EmergencyGround.MISSING_CHILD: "The child is missing, or has just been found",
    EmergencyGround.URGENT_MEDICAL_CARE: (
        "The child is in hospital or needs urgent medical care, out of hours"
    ),
    EmergencyGround.POLICE_PROTECTION: (
        "The child is being taken into police protection (Children Act 1989 section 46)"
    ),
    EmergencyGround.OTHER: "Another emergency: explain it fully in the reason",
}
"""What practitioners and DPOs read for each ground."""


class BreakGlassSession(Base):
    """An emergency look at one child's information by one practitioner, for a while.

    Write-once: the reason, the child and the time limit are fixed when it starts. Ending
    it early is a row of its own (``BreakGlassEnd``), so the record shows both when it was
    meant to end and when it did.
    """

    __tablename__ = "break_glass_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("practitioners.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    seal_id: Mapped[str | None] = mapped_column(String(32))
    # NULL only on sessions started before a ground was asked for.
    category: Mapped[EmergencyGround | None] = mapped_column(enum_column(EmergencyGround))


def _break_glass_subject(_session: Session, glass: BreakGlassSession) -> Subject:
    """The agency of the practitioner who broke the glass, not an agency record.

    A session is about a person in the person index, across every agency's records of
    them, and linkage may later merge or split that person: no one agency record is its
    subject. The reason is the practitioner's own account of why they looked, which
    their agency answers for and its DPO reviews. Retention erases agency records'
    keys, never an agency's, so the reason stays readable for that review after the
    records it opened have been erased.
    """
    return Subject(AGENCY, glass.agency_id)


sealed(BreakGlassSession, "reason", subject=_break_glass_subject)


class BreakGlassEnd(Base):
    """A break-glass session ended before its time ran out."""

    __tablename__ = "break_glass_ends"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("break_glass_sessions.id"), unique=True)
    ended_by_id: Mapped[int] = mapped_column(ForeignKey("practitioners.id"))
    ended_at: Mapped[datetime] = mapped_column(UTCDateTime)
