"""The record of each erasure, kept (append-only) after the data itself is gone.

It names the agency record by id and the rule and schedule version that made it
due, never anything about the person, so it can be kept for as long as the audit
log: it is how the agency shows what it erased, when and why.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from jigsaw.db import Base, UTCDateTime


class Erasure(Base):
    __tablename__ = "erasures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_record_id: Mapped[int] = mapped_column(ForeignKey("agency_records.id"), unique=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    rule: Mapped[str] = mapped_column(String(64))
    schedule_version: Mapped[str] = mapped_column(String(32))
    due_on: Mapped[date] = mapped_column(Date)
    erased_at: Mapped[datetime] = mapped_column(UTCDateTime)
