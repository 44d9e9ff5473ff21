"""What the police told each school under Operation Encompass, kept as a disclosure.

An Operation Encompass notice is police information given to a school: the date of a
domestic abuse incident around a child and whom in the police to contact. It is made
under a standing protocol, not by a practitioner weighing the guidance, so it is not a
``SharingDecision`` (which must carry the answers a practitioner gave); but it is a
disclosure all the same, and a family asking who was told what about them is owed it.
So each school told gets one write-once row here, written in the transaction that sends
the notices, naming the version of the item that went, the fields that went, the lawful
basis, the version of the types list that matched, and what the data sharing
agreements said of it then. The disclosure register reads these rows beside the
practitioners' decisions.

A school with no designated safeguarding lead is not told the incident at all, so it
has no row. One row per item (its chain) and school, as there is one notice per item
and lead: running the same event again adds nothing, and a later correction of the
item leaves the version recorded here as it was.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from jigsaw.consent.models import SharingPurpose
from jigsaw.db import Base, UTCDateTime, enum_column


class EncompassDisclosure(Base):
    """One school told of one police domestic abuse incident (write-once)."""

    __tablename__ = "encompass_disclosures"
    __table_args__ = (UniqueConstraint("item_chain_id", "school_agency_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("information_items.id"))
    """The version of the item the school was told of when the notice was sent."""
    item_chain_id: Mapped[int] = mapped_column(ForeignKey("information_items.id"), index=True)
    subject_record_id: Mapped[int] = mapped_column(ForeignKey("agency_records.id"), index=True)
    """The police's record of the child: the register finds the row through it."""
    police_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    school_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    school_record_id: Mapped[int] = mapped_column(ForeignKey("agency_records.id"))
    """The school's own record of the child, which the notice is shown beside."""
    police_contact_id: Mapped[int | None] = mapped_column(ForeignKey("practitioners.id"))
    """The officer named to the school as the contact; NULL where only the force was
    named (the officer who recorded it no longer active, or the item came from a system)."""
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("practitioners.id"))
    """Whose recording of the incident sent the notice; NULL for the system."""
    purpose: Mapped[SharingPurpose] = mapped_column(enum_column(SharingPurpose))
    fields: Mapped[list[str]] = mapped_column(JSON)
    """The fields the school was told: the incident's date and the police contact."""
    lawful_basis: Mapped[str] = mapped_column(String(40))
    art9_condition: Mapped[str | None] = mapped_column(String(40))
    art10_condition: Mapped[str | None] = mapped_column(String(40))
    types_version: Mapped[str] = mapped_column(String(64))
    """The version of the Operation Encompass types list that matched the item."""
    notified_at: Mapped[datetime] = mapped_column(UTCDateTime)
    agreement_verdict: Mapped[str] = mapped_column(String(16))
    """What the data sharing agreements said of this notice when it was sent. A DENY or
    REVIEW does not hold back a notice due before the next school day; a DENY alerts the
    police agency's DPO."""
    agreement_reasons: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    agreement_id: Mapped[int | None] = mapped_column(Integer)
    agreement_version: Mapped[int | None] = mapped_column(Integer)
