"""Information items: what an agency knows, never edited in place.

A correction is a new row whose ``supersedes_id`` points at the version it replaces;
a retraction is a row of its own. So the item rows themselves are write-once, and
the database refuses UPDATE and DELETE on them.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, Session, mapped_column

from jigsaw.agencies.models import enum_column
from jigsaw.db import Base, UTCDateTime
from jigsaw.protection.keyring import AGENCY_RECORD, Subject
from jigsaw.protection.sealed import record_of, sealed


class Category(StrEnum):
    """The three kinds of information the guidance says to share."""

    CHILD_WELFARE = "child_welfare"
    PARENT_CAPACITY = "parent_capacity"
    RISK_PERSON = "risk_person"


class Nature(StrEnum):
    FACT = "fact"
    OPINION = "opinion"


class Verification(StrEnum):
    VERIFIED = "verified"
    UNVERIFIED = "unverified"


class InformationItem(Base):
    __tablename__ = "information_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_record_id: Mapped[int] = mapped_column(ForeignKey("agency_records.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("practitioners.id"))
    category: Mapped[Category] = mapped_column(enum_column(Category))
    subtype: Mapped[str] = mapped_column(String(64))
    occurred_on: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Sealed under the agency record's data key (see protection/): Text, because the
    # ciphertext of a 500-character summary is longer than 500 characters.
    summary: Mapped[str] = mapped_column(Text)
    detail: Mapped[str] = mapped_column(Text, default="")
    nature: Mapped[Nature] = mapped_column(enum_column(Nature))
    source: Mapped[str] = mapped_column(Text)
    verification: Mapped[Verification] = mapped_column(enum_column(Verification))
    special_category: Mapped[bool] = mapped_column(Boolean, default=False)
    criminal_offence: Mapped[bool] = mapped_column(Boolean, default=False)
    protected_identity: Mapped[bool] = mapped_column(Boolean, default=False)
    supersedes_id: Mapped[int | None] = mapped_column(
        ForeignKey("information_items.id"), unique=True
    )
    root_id: Mapped[int | None] = mapped_column(ForeignKey("information_items.id"), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    seal_id: Mapped[str | None] = mapped_column(String(32))

    @property
    def chain_id(self) -> int:
        """The id every version of this item shares: the first version's id."""
        return self.root_id if self.root_id is not None else self.id


sealed(
    InformationItem,
    "summary",
    "detail",
    "source",
    subject=lambda _session, item: Subject(AGENCY_RECORD, item.subject_record_id),
)


class ItemRetraction(Base):
    """Marks an item (every version of it) as withdrawn by its agency, with a reason."""

    __tablename__ = "item_retractions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("information_items.id"), unique=True)
    retracted_by: Mapped[int | None] = mapped_column(ForeignKey("practitioners.id"))
    # Sealed under the item's agency record key, so Text: the input schema keeps the
    # reason to 500 characters, and its ciphertext is longer than that.
    reason: Mapped[str] = mapped_column(Text)
    retracted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    seal_id: Mapped[str | None] = mapped_column(String(32))


def _retraction_subject(session: Session, retraction: ItemRetraction) -> Subject:
    """The retracted item's agency record: why an item was withdrawn says something about
    the child, and goes when the record's key is erased, with the item itself."""
    return record_of(session, InformationItem, retraction.item_id)


sealed(ItemRetraction, "reason", subject=_retraction_subject)
