"""Data sharing agreements: one write-once row per version, and what happened to each.

An agreement's text is a legal instrument that parties signed, so a version is never
edited: a change is a new version that supersedes the old one from a date. What
happens to a version after it is written (approved into force, superseded, ended) is
a row of its own in ``AgreementEvent``, so the register shows who did it and when,
and a version's status on any day is worked out from those rows and its own dates.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import IntEnum, StrEnum
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from jigsaw.db import Base, UTCDateTime, enum_column


class Tier(IntEnum):
    """The three tiers of agreement most partnerships use (Surrey's protocol, for one)."""

    PROTOCOL = 1
    """The overarching protocol every organisation signs: governance and security
    commitments, not permission for any particular sharing."""
    SECTOR_TEMPLATE = 2
    """An approved template for regular sharing between kinds of agency."""
    BESPOKE = 3
    """An agreement between named agencies for a named purpose."""


TIER_LABELS: dict[Tier, str] = {
    Tier.PROTOCOL: "Tier 1: information sharing protocol",
    Tier.SECTOR_TEMPLATE: "Tier 2: sector agreement",
    Tier.BESPOKE: "Tier 3: bespoke agreement",
}


class AgreementStatus(StrEnum):
    DRAFT = "draft"
    IN_FORCE = "in_force"
    SUPERSEDED = "superseded"
    ENDED = "ended"


class EventKind(StrEnum):
    APPROVED = "approved"
    """Reviewed and approved: in force from the agreement's start date."""
    SUPERSEDED = "superseded"
    """A newer version applies from ``effective_on``; this one up to the day before."""
    ENDED = "ended"
    """Ended early from ``effective_on``, with nothing in its place."""


class SharingAgreement(Base):
    """One version of an agreement, exactly as it was accepted."""

    __tablename__ = "sharing_agreements"
    __table_args__ = (UniqueConstraint("reference", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(100), index=True)
    version: Mapped[int] = mapped_column(Integer)
    tier: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    """The whole document as validated against ``agreement.schema.json``."""
    keeper_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    """The agency whose Data Protection Officer or Caldicott Guardian registered it and
    looks after it: only they approve, supersede or end it."""
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("sharing_agreements.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("practitioners.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AgreementEvent(Base):
    """Something that happened to a version: never changed, never removed."""

    __tablename__ = "sharing_agreement_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("sharing_agreements.id"), index=True)
    kind: Mapped[EventKind] = mapped_column(enum_column(EventKind))
    effective_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("practitioners.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
