"""Agencies and the practitioners who work in them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Enum,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from jigsaw.agencies.roles import AgencyKind, Role
from jigsaw.db import Base, UTCDateTime


def enum_column(enum: type) -> Enum:
    """Store enums by value as plain strings, portable across SQLite and PostgreSQL."""
    return Enum(
        enum,
        native_enum=False,
        length=32,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


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
    # The second factor. The secret is encrypted (see jigsaw.access.keys); it is
    # pending until a first code confirms it (totp_enrolled_at), and the last time
    # step a code was accepted for is kept so no code can be used twice.
    totp_secret: Mapped[bytes | None] = mapped_column(LargeBinary(128), default=None)
    totp_enrolled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger, default=None)
    # Signing out ends every session started before this moment, on any device:
    # session cookies are self-contained, so the database is what can revoke them.
    sessions_valid_after: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    agency: Mapped[Agency] = relationship(back_populates="practitioners")
