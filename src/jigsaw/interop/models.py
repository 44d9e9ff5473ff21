"""Where a request for information came from, when it was made in another system.

A request imported as a MAIS request object keeps the names the requesting system gave
it, so importing the same object again finds the same request, and exporting it gives
back what came in. Nothing here is about the child: the subject is named by its kind
of identifier only (the value is read from the agency record, and goes with it).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from jigsaw.db import Base, UTCDateTime


class RequestOrigin(Base):
    __tablename__ = "request_origins"
    __table_args__ = (UniqueConstraint("requester_agency_id", "requesting_system", "external_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("information_requests.id"), unique=True)
    requester_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    """The agency asking. Ids are unique per agency, not per system name: two agencies
    whose case systems share a name (and number their requests alike) never clash, and
    one agency cannot claim, or learn of, an id another agency's system has used."""
    requesting_system: Mapped[str] = mapped_column(String(200))
    external_id: Mapped[str] = mapped_column(String(128))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    """When the requesting system says the request was made (Jigsaw's own time of
    receipt is the request's ``created_at``)."""
    requester_identifier: Mapped[str] = mapped_column(String(200))
    """Who asked, as the requesting system names them: a member of staff, not the child."""
    subject_identifier_type: Mapped[str] = mapped_column(String(16))
    agreement_reference: Mapped[str | None] = mapped_column(String(200))
    """The data sharing agreement the request says it relies on, kept as given."""
    content_digest: Mapped[str] = mapped_column(String(64))
    """SHA-256 of the object as imported (canonical JSON), to tell a repeat from a change."""
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime)
