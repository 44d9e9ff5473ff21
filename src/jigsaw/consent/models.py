"""What the child and family were told, what they agreed to, and consent per purpose.

Three things the guidance keeps apart, so the tables do too: being told openly at
the outset what may be shared (transparency), agreeing to receive a service, and
consent as the lawful basis for a particular sharing purpose — which is often not
the right basis in safeguarding, and which can be refused or withdrawn.
All rows are write-once: a withdrawal is a new consent row, not an edit.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from jigsaw.db import Base, UTCDateTime, enum_column


class Party(StrEnum):
    """Who was told, or who was asked."""

    CHILD = "child"
    PARENT_CARER = "parent_carer"
    CHILD_AND_PARENT_CARER = "child_and_parent_carer"
    OTHER = "other"


class TellingMethod(StrEnum):
    IN_PERSON = "in_person"
    PHONE = "phone"
    LETTER = "letter"
    LEAFLET = "leaflet"
    OTHER = "other"


class ConsentStatus(StrEnum):
    GIVEN = "given"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"


class SharingPurpose(StrEnum):
    """Purposes for sharing, each mapped to a W3C DPV term in ``PURPOSE_DPV_TERMS``."""

    CHILD_PROTECTION_ENQUIRY = "child_protection_enquiry"
    CHILD_IN_NEED_ASSESSMENT = "child_in_need_assessment"
    MASH_SCREENING = "mash_screening"
    EARLY_HELP = "early_help"
    DOMESTIC_ABUSE_NOTIFICATION = "domestic_abuse_notification"
    HEALTH_CARE = "health_care"
    COURT_PROCEEDINGS = "court_proceedings"


# Statutory safeguarding work maps to DPV's LegalCompliance purpose (a duty under the
# Children Acts); support offered to the family maps to ServiceProvision.
PURPOSE_DPV_TERMS: dict[SharingPurpose, str] = {
    SharingPurpose.CHILD_PROTECTION_ENQUIRY: "dpv:LegalCompliance",
    SharingPurpose.CHILD_IN_NEED_ASSESSMENT: "dpv:ServiceProvision",
    SharingPurpose.MASH_SCREENING: "dpv:LegalCompliance",
    SharingPurpose.EARLY_HELP: "dpv:ServiceProvision",
    SharingPurpose.DOMESTIC_ABUSE_NOTIFICATION: "dpv:ServiceProvision",
    SharingPurpose.HEALTH_CARE: "dpv:ServiceProvision",
    SharingPurpose.COURT_PROCEEDINGS: "dpv:LegalCompliance",
}


class TransparencyRecord(Base):
    """The family was told, at the outset, what could be shared, with whom and why."""

    __tablename__ = "transparency_records"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_record_id: Mapped[int] = mapped_column(ForeignKey("agency_records.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    told_on: Mapped[date] = mapped_column(Date)
    method: Mapped[TellingMethod] = mapped_column(enum_column(TellingMethod))
    told_by_id: Mapped[int | None] = mapped_column(ForeignKey("practitioners.id"))
    told_to: Mapped[Party] = mapped_column(enum_column(Party))
    explained: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ServiceAgreement(Base):
    """Agreement to receive a service: not consent to share, and never used as such."""

    __tablename__ = "service_agreements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_record_id: Mapped[int] = mapped_column(ForeignKey("agency_records.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    service: Mapped[str] = mapped_column(String(200))
    agreed: Mapped[bool] = mapped_column(Boolean)
    agreed_by: Mapped[Party] = mapped_column(enum_column(Party))
    agreed_on: Mapped[date] = mapped_column(Date)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("practitioners.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ConsentRecord(Base):
    """Consent to share for one purpose; the latest row for a purpose is the position."""

    __tablename__ = "consent_records"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_record_id: Mapped[int] = mapped_column(ForeignKey("agency_records.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    purpose: Mapped[SharingPurpose] = mapped_column(enum_column(SharingPurpose))
    status: Mapped[ConsentStatus] = mapped_column(enum_column(ConsentStatus))
    asked: Mapped[Party] = mapped_column(enum_column(Party))
    child_competent: Mapped[bool | None] = mapped_column(Boolean)
    competence_reason: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("practitioners.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    notes: Mapped[str] = mapped_column(Text, default="")
