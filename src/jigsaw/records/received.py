"""Child protection flags received from another system, such as NHS CP-IS.

A flag is what another agency knows about a child, sent to one agency here: that the
child is on a child protection plan, or looked after. It is information from the
sending agency, received much as a disclosure is, so it lives beside the items
agencies record, and the single view reads it from here: the agency it was sent to
sees it on the child's chronology, and everyone who may see who knows the child sees
that the sending agency does.

Rows are write-once. A flag that changes (a plan ends) arrives as a new row with its
new content; the same content received again is recognised by its fingerprint and
not written twice.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from jigsaw.db import Base, UTCDateTime, enum_column


class FlagKind(StrEnum):
    """The kinds of flag CP-IS carries."""

    CHILD_PROTECTION_PLAN = "child_protection_plan"
    LOOKED_AFTER_CHILD = "looked_after_child"
    UNBORN_CHILD_PROTECTION_PLAN = "unborn_child_protection_plan"

    @property
    def label(self) -> str:
        return FLAG_LABELS[self]


FLAG_LABELS: dict[FlagKind, str] = {
    FlagKind.CHILD_PROTECTION_PLAN: "Child protection plan",
    FlagKind.LOOKED_AFTER_CHILD: "Looked after child",
    FlagKind.UNBORN_CHILD_PROTECTION_PLAN: "Unborn child protection plan",
}


class ReceivedFlag(Base):
    __tablename__ = "received_flags"
    __table_args__ = (UniqueConstraint("sending_agency_id", "receiving_agency_id", "fingerprint"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    sending_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    receiving_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    kind: Mapped[FlagKind] = mapped_column(enum_column(FlagKind))
    active: Mapped[bool] = mapped_column(Boolean)
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    external_id: Mapped[str] = mapped_column(String(200))
    """The sending system's own id for the flag: how it is told apart from another."""
    fingerprint: Mapped[str] = mapped_column(String(64))
    """SHA-256 of what the flag says, so the same flag received twice is written once."""
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_by_id: Mapped[int | None] = mapped_column(ForeignKey("practitioners.id"))
    """Who sent it in: None when the service imported it (the command line)."""


def received_about(
    session: Session, person_ids: Collection[int], receiving_agency_id: int | None = None
) -> list[ReceivedFlag]:
    """Flags about these people, oldest first; only those sent to one agency if given."""
    if not person_ids:
        return []
    query = select(ReceivedFlag).where(ReceivedFlag.person_id.in_(sorted(person_ids)))
    if receiving_agency_id is not None:
        query = query.where(ReceivedFlag.receiving_agency_id == receiving_agency_id)
    return list(session.scalars(query.order_by(ReceivedFlag.received_at, ReceivedFlag.id)))
