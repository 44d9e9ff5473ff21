"""Who looked at which child, when: the access log for the DPO and auditors.

Read straight from the audit log (every read of a person is appended there in the
same transaction as the read), filtered in SQL. Refused attempts are shown beside
the reads, and the alerts list break-glass use and repeated refusals (see
``audit.refusals``). Looking at the access log is itself an access, and is logged.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from jigsaw.access.actor import Actor
from jigsaw.access.policy import Permission, require
from jigsaw.agencies.roles import Role
from jigsaw.audit import service as audit
from jigsaw.audit.actions import ALERTS, READS, REFUSALS, AuditAction
from jigsaw.audit.models import AuditEntry
from jigsaw.db import Database
from jigsaw.schemas import Output

OVERSIGHT_ROLES = frozenset({Role.DPO, Role.CALDICOTT, Role.AUDITOR})
"""Who is offered the oversight pages; whether they may see them is ``policy.cedar`` rule O1."""


class AccessEntry(Output):
    seq: int
    occurred_at: datetime
    actor_id: int | None
    actor_agency_id: int | None
    action: str
    object_type: str
    object_id: str | None
    purpose: str | None
    refs: dict[str, Any]


def _require_oversight(actor: Actor) -> None:
    require(actor, Permission.VIEW_ACCESS_LOG, actor.agency_id)


def _query(
    actor: Actor,
    actions: frozenset[AuditAction],
    practitioner_id: int | None,
    record_id: int | None,
    since: datetime | None,
    until: datetime | None,
) -> Any:
    query = select(AuditEntry).where(AuditEntry.action.in_([a.value for a in actions]))
    if not actor.is_system:
        query = query.where(AuditEntry.actor_agency_id == actor.agency_id)
    if practitioner_id is not None:
        query = query.where(AuditEntry.actor_id == practitioner_id)
    if record_id is not None:
        query = query.where(
            or_(
                (AuditEntry.object_type == "agency_record")
                & (AuditEntry.object_id == str(record_id)),
                AuditEntry.refs["agency_record"].as_integer() == record_id,
            )
        )
    if since is not None:
        query = query.where(AuditEntry.occurred_at >= since)
    if until is not None:
        query = query.where(AuditEntry.occurred_at < until)
    return query.order_by(AuditEntry.seq.desc())


def access_log(
    db: Database,
    actor: Actor,
    *,
    practitioner_id: int | None = None,
    record_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[AccessEntry]:
    _require_oversight(actor)
    with db.transaction() as session:
        query = _query(actor, READS | REFUSALS, practitioner_id, record_id, since, until)
        rows = _page(session, query, limit, offset)
        audit.append(
            session,
            actor,
            AuditAction.ACCESS_LOG_VIEWED,
            "audit_log",
            None,
            refs={
                k: v
                for k, v in {"practitioner": practitioner_id, "agency_record": record_id}.items()
                if v is not None
            },
        )
        return rows


BREAK_GLASS_LOOKBACK = 1000
"""How many of the newest break-glass starts by other agencies' staff are checked for
children this agency holds; break-glass is rare, so this reaches back a long way."""


def _break_glass_on_our_children(
    session: Session, agency_id: int | None, limit: int
) -> list[AccessEntry]:
    """Break-glass started elsewhere on a child this agency holds a record of.

    The DPO of every agency holding the child is told when it starts, so each must be
    able to review it too, not only the DPO of the practitioner's own agency. The
    agencies are listed in the entry's refs (a JSON list), which SQLite and PostgreSQL
    search differently, so the few candidates are filtered here.
    """
    if agency_id is None:
        return []
    candidates = session.scalars(
        select(AuditEntry)
        .where(
            AuditEntry.action == AuditAction.BREAK_GLASS_STARTED.value,
            AuditEntry.actor_agency_id != agency_id,
        )
        .order_by(AuditEntry.seq.desc())
        .limit(BREAK_GLASS_LOOKBACK)
    )
    found = [e for e in candidates if agency_id in (e.refs or {}).get("agencies", [])]
    return [AccessEntry.model_validate(e) for e in found[:limit]]


def alerts(db: Database, actor: Actor, *, limit: int = 200) -> list[AccessEntry]:
    """Break-glass use and repeated refusals, newest first, for the DPO to review:
    their own agency's, and break-glass by anyone on a child their agency holds."""
    _require_oversight(actor)
    with db.transaction() as session:
        own = _page(session, _query(actor, ALERTS, None, None, None, None), limit, 0)
        ours = (
            [] if actor.is_system else _break_glass_on_our_children(session, actor.agency_id, limit)
        )
        merged = {e.seq: e for e in [*own, *ours]}
        rows = sorted(merged.values(), key=lambda e: e.seq, reverse=True)[:limit]
        audit.append(session, actor, AuditAction.ACCESS_LOG_VIEWED, "audit_alerts", None)
        return rows


def _page(session: Session, query: Any, limit: int, offset: int) -> list[AccessEntry]:
    return [
        AccessEntry.model_validate(e) for e in session.scalars(query.limit(limit).offset(offset))
    ]
