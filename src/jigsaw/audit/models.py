"""The audit log's tables: entries, the Merkle tree over them, and signed checkpoints.

Entries hold ids, the action, purpose and time, never names or narrative, so the log
can be kept (and verified) for as long as it is needed, even after the personal
data it refers to has been erased.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Integer, LargeBinary, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from jigsaw.db import Base, UTCDateTime

BigId = BigInteger().with_variant(Integer, "sqlite")


class AuditEntry(Base):
    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor_id: Mapped[int | None] = mapped_column(Integer, index=True)
    actor_agency_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str | None] = mapped_column(String(64))
    purpose: Mapped[str | None] = mapped_column(String(64))
    refs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class AuditNode(Base):
    """Hash of the perfect subtree covering leaves [idx * 2**level, (idx + 1) * 2**level).

    Level 0 holds the leaf hashes. Keeping every completed node makes any inclusion
    or consistency proof a single indexed lookup of O(log n) rows.
    """

    __tablename__ = "audit_nodes"

    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class AuditHead(Base):
    """The one row writers lock, briefly, to take the next sequence numbers.

    ``frontier`` is the compact range of the tree (hex hash per level, or null): enough
    to append and to compute the root without reading any other node.
    """

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    frontier: Mapped[list[str | None]] = mapped_column(JSON)


class AuditCheckpoint(Base):
    """A signed tree head in the C2SP signed-note format, kept as it was signed."""

    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tree_size: Mapped[int] = mapped_column(BigInteger, index=True)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    note: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
