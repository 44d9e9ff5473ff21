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


def alerts(db: Database, actor: Actor, *, limit: int = 200) -> list[AccessEntry]:
    """Break-glass use and repeated refusals, newest first, for the DPO to review."""
    _require_oversight(actor)
    with db.transaction() as session:
        rows = _page(session, _query(actor, ALERTS, None, None, None, None), limit, 0)
        audit.append(session, actor, AuditAction.ACCESS_LOG_VIEWED, "audit_alerts", None)
        return rows


def _page(session: Session, query: Any, limit: int, offset: int) -> list[AccessEntry]:
    return [
        AccessEntry.model_validate(e) for e in session.scalars(query.limit(limit).offset(offset))
    ]
