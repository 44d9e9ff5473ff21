"""Data keys, stored only wrapped by the master key.

This table is deliberately not append-only: erasing a data key (crypto-shredding)
overwrites its wrapped bytes, which is what makes everything encrypted under it
unreadable for good. The erasure itself is recorded in the append-only
``erasures`` table (``retention``), and the audit log holds the event.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from jigsaw.db import Base, UTCDateTime


class DataKey(Base):
    """One subject's data key: an agency record, or an agency (advice that names no child)."""

    __tablename__ = "data_keys"
    __table_args__ = (UniqueConstraint("subject_kind", "subject_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_kind: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[int] = mapped_column(Integer)
    master_key_id: Mapped[str | None] = mapped_column(String(64), index=True)
    wrapped: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
