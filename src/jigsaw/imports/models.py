"""One row per run of ``jigsaw import`` over one file: what it did, never what it read.

The counts let an operator see what an import did without reading the audit log; the
file is named by its SHA-256 only, since a file name can carry a child's name. A run
that was killed stays ``running`` until the next import of the same file by the same
agency marks it ``interrupted`` (and completes it: each batch it committed is found
unchanged).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from jigsaw.db import Base, UTCDateTime, enum_column


class ImportState(StrEnum):
    RUNNING = "running"
    FINISHED = "finished"
    INTERRUPTED = "interrupted"


class RecordImport(Base):
    __tablename__ = "record_imports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="records", server_default="records")
    """What the file or feed held: records, relationships, involvements or items."""
    file_format: Mapped[str] = mapped_column(String(8))
    state: Mapped[ImportState] = mapped_column(enum_column(ImportState))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rows: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    last_line: Mapped[int] = mapped_column(Integer, default=0)
    """The last line of the file a committed batch covered: how far a killed run got."""


class ImportedRow(Base):
    """What an agency's relationship, involvement or item row last said, by the agency's
    own id for it, and what Jigsaw made of it.

    Only a digest of the row is kept (the row itself holds a child's story): enough to
    tell the same row imported again (nothing to do) from a changed one (a new version
    of an item; refused for a relationship or an involvement, which are not versioned).
    """

    __tablename__ = "imported_rows"
    __table_args__ = (UniqueConstraint("agency_id", "kind", "local_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    kind: Mapped[str] = mapped_column(String(16))
    local_id: Mapped[str] = mapped_column(String(64))
    content_sha256: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[int] = mapped_column(Integer)
    """The relationship, involvement or latest item version the row made."""
    import_id: Mapped[int] = mapped_column(ForeignKey("record_imports.id"), index=True)
