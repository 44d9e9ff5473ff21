"""The person index and the ways agencies know people.

An ``AgencyRecord`` is one agency's view of a person, with the details that agency
holds (which may be wrong, old or partial). A ``Person`` is the index entry that
linkage joins those views to. Relationships and involvements are asserted by an
agency about its own records, so they survive a linkage unmerge unchanged.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    ColumnElement,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    or_,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column

from jigsaw.db import Base, UTCDateTime, enum_column
from jigsaw.people.identifiers import IdentifierScheme
from jigsaw.protection.keyring import AGENCY_RECORD, Subject
from jigsaw.protection.sealed import sealed


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
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("practitioners.id"))
    """The practitioner who made the record; None when the service made it (an import,
    the synthetic population) or it was made before who made it was kept."""


class AgencyRecordIdentifier(Base):
    """One identifier an agency holds for its record, under its scheme
    (``people.identifiers``), normalised so equal numbers are equal strings.

    Every scheme but the NHS number: the record's ``nhs_number`` column is its NHS-number
    identifier (read and written as one by the services, ``identifiers.reconcile``), so
    the two can never disagree and everything that already reads the column still
    does. Like the record's names, identifiers stay in clear while the record is kept,
    because search matches on them; erasure deletes them.
    """

    __tablename__ = "agency_record_identifiers"
    __table_args__ = (
        UniqueConstraint("agency_record_id", "scheme", "value"),
        Index("ix_agency_record_identifiers_scheme_value", "scheme", "value"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_record_id: Mapped[int] = mapped_column(ForeignKey("agency_records.id"))
    scheme: Mapped[IdentifierScheme] = mapped_column(enum_column(IdentifierScheme))
    value: Mapped[str] = mapped_column(String(64))


class AgencyRecordConfirmation(Base):
    """A second person of the agency vouching that it really works with the child.

    A record a practitioner makes joins the person other agencies know the moment the
    match links it, so by itself it proves only that someone typed the child's details.
    Until a colleague who answers for the agency's safeguarding confirms it, the record
    gives no standing across agencies (``singleview.purposes``). Write-once: a
    confirmation is never withdrawn, only the record erased.
    """

    __tablename__ = "agency_record_confirmations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_record_id: Mapped[int] = mapped_column(ForeignKey("agency_records.id"), unique=True)
    confirmed_by_id: Mapped[int] = mapped_column(ForeignKey("practitioners.id"))
    confirmed_at: Mapped[datetime] = mapped_column(UTCDateTime)


RECORD_CONFIRMED: ColumnElement[bool] = or_(
    AgencyRecord.recorded_by_id.is_(None),
    select(AgencyRecordConfirmation.id)
    .where(AgencyRecordConfirmation.agency_record_id == AgencyRecord.id)
    .exists(),
)
"""Whether an ``AgencyRecord`` gives its agency standing across agencies: the service
made it (an import), or a second person of the agency vouched for it. The one
definition, used wherever that standing is decided (``singleview.purposes``, Operation
Encompass), so a way round the confirmation cannot open in one place and not another."""


class RecordingReason(Base):
    """Why a practitioner recorded a child they found by searching: read by the DSL who
    confirms the record and by the DPO reviewing the alert. Write-once, sealed under the
    record's key, so it goes when the record is erased."""

    __tablename__ = "recording_reasons"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_record_id: Mapped[int] = mapped_column(ForeignKey("agency_records.id"), unique=True)
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("practitioners.id"))
    reason: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    seal_id: Mapped[str | None] = mapped_column(String(32))


sealed(
    RecordingReason,
    "reason",
    subject=lambda _session, row: Subject(AGENCY_RECORD, row.agency_record_id),
)


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
