"""What practitioners are told. One event gives one notification per person, never more."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from jigsaw.db import Base, UTCDateTime, enum_column


class NotificationKind(StrEnum):
    DISCLOSURE_RECEIVED = "disclosure_received"
    DISCLOSED_ITEM_CORRECTED = "disclosed_item_corrected"
    DISCLOSED_ITEM_RETRACTED = "disclosed_item_retracted"
    DISCLOSURE_REVOKED = "disclosure_revoked"
    REQUEST_RECEIVED = "request_received"
    REQUEST_ANSWERED = "request_answered"
    REQUEST_RERATED = "request_rerated"
    REQUEST_OVERDUE = "request_overdue"
    ADVICE_REQUESTED = "advice_requested"
    ADVICE_ANSWERED = "advice_answered"
    DISCLOSURE_EXPIRING = "disclosure_expiring"
    OPERATION_ENCOMPASS = "operation_encompass"
    ENCOMPASS_SCHOOL_HAS_NO_DSL = "encompass_school_has_no_dsl"
    ENCOMPASS_NOT_DELIVERED = "encompass_not_delivered"
    BREAK_GLASS_STARTED = "break_glass_started"
    BREAK_GLASS_REPEATED = "break_glass_repeated"
    ACCOUNT_CHANGED = "account_changed"
    API_TOKEN_ISSUED = "api_token_issued"  # noqa: S105 (a kind of notice, not a secret)
    RECORDS_UNLINKED = "records_unlinked"
    SHARED_AGAINST_AGREEMENTS = "shared_against_agreements"


class Notification(Base):
    """Addressed to a practitioner, or to an agency's inbox when no one is named.

    ``dedupe_key`` names the event and the addressee, and is unique: telling the same
    person about the same event twice is refused by the database itself. ``due_at`` is
    set when the notice must be acted on by a time (Operation Encompass: before the
    next school day), fixed when the notice is made so a later change of calendar
    cannot move it.
    """

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    practitioner_id: Mapped[int | None] = mapped_column(ForeignKey("practitioners.id"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    kind: Mapped[NotificationKind] = mapped_column(enum_column(NotificationKind))
    object_type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[int] = mapped_column(Integer)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
