"""Account tables: failed sign-in counters, API tokens for systems, password resets.

The second-factor columns live on ``Practitioner`` itself (``agencies.models``):
they belong to the account, one each.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, Session, mapped_column

from jigsaw.agencies.models import enum_column
from jigsaw.db import Base, UTCDateTime
from jigsaw.protection.keyring import AGENCY, Subject
from jigsaw.protection.sealed import sealed

RESET_PURPOSE = "reset"
ENROLMENT_PURPOSE = "enrolment"


class SignInThrottle(Base):
    """Failed attempts against one email address, kept in the database.

    Keyed by a keyed hash of the address rather than the practitioner, so an
    address that has no account is counted and locked exactly like one that has:
    the answers never tell an attacker which addresses exist. Several app workers
    share the row, so they all agree on when an account is locked.
    """

    __tablename__ = "sign_in_throttles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    lockouts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class ApiToken(Base):
    """A credential for another system, acting as one (service) practitioner.

    Only a SHA-256 hash of the token is stored; the random ``prefix`` finds the
    row without scanning, and is safe to show in lists so people can tell tokens
    apart.
    """

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("practitioners.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    scopes: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("practitioners.id"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


class PasswordReset(Base):
    """A one-time code an administrator gave a practitioner to set a new password, or a
    new account's enrolment code to set its first one.

    Only a SHA-256 hash of the code is kept. A code works once (``used_at``), until
    ``expires_at``, and only while it is the practitioner's newest: issuing another
    cancels it. The administrator never learns the new password, and the second
    factor stays as it was, so the next sign-in still needs the authenticator.
    """

    __tablename__ = "password_resets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("practitioners.id"), index=True)
    code_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("practitioners.id"))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # "reset" for a forgotten password, "enrolment" for a new account's first one: the
    # same one-time code either way, only its lifetime and what it is audited as differ.
    purpose: Mapped[str] = mapped_column(
        String(16), default=RESET_PURPOSE, server_default=RESET_PURPOSE
    )


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
