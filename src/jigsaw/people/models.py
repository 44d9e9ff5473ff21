"""The person index and the ways agencies know people.

An ``AgencyRecord`` is one agency's view of a person, with the details that agency
holds (which may be wrong, old or partial). A ``Person`` is the index entry that
linkage joins those views to. Relationships and involvements are asserted by an
agency about its own records, so they survive a linkage unmerge unchanged.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from jigsaw.agencies.models import enum_column
from jigsaw.db import Base, UTCDateTime


class Sex(StrEnum):
    FEMALE = "female"
    MALE = "male"
    UNKNOWN = "unknown"


class PersonRole(StrEnum):
    """Why the agency holds the record, in the guidance's three kinds of information."""

    CHILD = "child"
    PARENT_CARER = "parent_carer"
    RISK_PERSON = "risk_person"
    OTHER_ADULT = "other_adult"


class LinkStatus(StrEnum):
    UNLINKED = "unlinked"
    AUTO = "auto"
    CONFIRMED = "confirmed"
    IN_REVIEW = "in_review"
    REJECTED = "rejected"


class RelationshipKind(StrEnum):
    PARENT = "parent"
    CARER = "carer"
    SIBLING = "sibling"
    HOUSEHOLD_MEMBER = "household_member"
    PARTNER = "partner"
    ASSOCIATE = "associate"


class Person(Base):
    __tablename__ = "persons"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    nhs_number: Mapped[str | None] = mapped_column(String(10), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AgencyRecord(Base):
    __tablename__ = "agency_records"
    __table_args__ = (UniqueConstraint("agency_id", "local_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    local_id: Mapped[str] = mapped_column(String(64))
    role: Mapped[PersonRole] = mapped_column(enum_column(PersonRole))
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100), index=True)
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    sex: Mapped[Sex] = mapped_column(enum_column(Sex))
    address: Mapped[str] = mapped_column(String(300), default="")
    postcode: Mapped[str] = mapped_column(String(10), default="", index=True)
    nhs_number: Mapped[str | None] = mapped_column(String(10), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"), index=True)
    link_status: Mapped[LinkStatus] = mapped_column(
        enum_column(LinkStatus), default=LinkStatus.UNLINKED
    )
    match_probability: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Relationship(Base):
    __tablename__ = "relationships"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    from_record_id: Mapped[int] = mapped_column(ForeignKey("agency_records.id"), index=True)
    to_record_id: Mapped[int] = mapped_column(ForeignKey("agency_records.id"), index=True)
    kind: Mapped[RelationshipKind] = mapped_column(enum_column(RelationshipKind))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Involvement(Base):
    """An agency or a named practitioner working with a person, and how to reach them."""

    __tablename__ = "involvements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_record_id: Mapped[int] = mapped_column(ForeignKey("agency_records.id"), index=True)
    practitioner_id: Mapped[int | None] = mapped_column(ForeignKey("practitioners.id"), index=True)
    description: Mapped[str] = mapped_column(String(200))
    contact_phone: Mapped[str] = mapped_column(String(40), default="")
    contact_email: Mapped[str] = mapped_column(String(320), default="")
    started_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
