"""Agencies, the practitioners who work in them, and what their accounts hold.

An account is a practitioner row (its second-factor columns live on it, one each); the
tables beside it count failed sign-ins, hold API tokens for service accounts, and
the one-time codes for enrolment and password resets.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from jigsaw.db import Base, UTCDateTime, enum_column
from jigsaw.policy.roles import AgencyKind, Role


class Agency(Base):
    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[AgencyKind] = mapped_column(enum_column(AgencyKind))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    practitioners: Mapped[list[Practitioner]] = relationship(back_populates="agency")


class Practitioner(Base):
    __tablename__ = "practitioners"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320), unique=True)
    role: Mapped[Role] = mapped_column(enum_column(Role))
    job_title: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    password_hash: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # A service account is another system's identity in an agency, never a person's: it
    # has no password and no second factor, cannot sign in to pages or start a session,
    # and is the only kind of account an API token is issued for.
    service_account: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The second factor. The secret is encrypted (see jigsaw.identity.account_keys); it is
    # pending until a first code confirms it (totp_enrolled_at), and the last time
    # step a code was accepted for is kept so no code can be used twice.
    totp_secret: Mapped[bytes | None] = mapped_column(LargeBinary(128), default=None)
    totp_enrolled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger, default=None)
    # Signing out ends every session started before this moment, on any device:
    # session cookies are self-contained, so the database is what can revoke them.
    sessions_valid_after: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    agency: Mapped[Agency] = relationship(back_populates="practitioners")


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
