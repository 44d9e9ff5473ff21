"""The exact bytes of an audit entry that its leaf hash covers.

JSON with sorted keys, no spaces, ASCII only, times as UTC with microseconds and a
``Z``. Anyone holding a copy of the entries can rebuild these bytes with a few lines
in any language and check them against a checkpoint.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, Protocol

from jigsaw.audit.merkle import leaf_hash

FIELDS = (
    "seq",
    "occurred_at",
    "actor_id",
    "actor_agency_id",
    "action",
    "object_type",
    "object_id",
    "purpose",
    "refs",
)


class EntryFields(Protocol):
    """An ``AuditEntry`` or a database row with the same columns."""

    @property
    def seq(self) -> int: ...
    @property
    def occurred_at(self) -> datetime: ...
    @property
    def actor_id(self) -> int | None: ...
    @property
    def actor_agency_id(self) -> int | None: ...
    @property
    def action(self) -> str: ...
    @property
    def object_type(self) -> str: ...
    @property
    def object_id(self) -> str | None: ...
    @property
    def purpose(self) -> str | None: ...
    @property
    def refs(self) -> dict[str, Any]: ...


def format_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_document(entry: EntryFields) -> dict[str, Any]:
    return {
        "seq": entry.seq,
        "occurred_at": format_time(entry.occurred_at),
        "actor_id": entry.actor_id,
        "actor_agency_id": entry.actor_agency_id,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "purpose": entry.purpose,
        "refs": entry.refs or {},
    }


def canonical_bytes(document: dict[str, Any]) -> bytes:
    return json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
    ).encode("ascii")


def entry_leaf_hash(entry: EntryFields) -> bytes:
    return leaf_hash(canonical_bytes(entry_document(entry)))
