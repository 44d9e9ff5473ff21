"""Who looked at which child, when: the access log for the DPO and auditors.

Read straight from the audit log (every read of a person is appended there in the
same transaction as the read), filtered in SQL. Refused attempts are shown beside
the reads, and the alerts list break-glass use and repeated refusals (see
``oversight.refusals``). Looking at the access log is itself an access, and is logged.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from jigsaw.audit import service as audit
from jigsaw.audit.actions import ACCOUNT_CHANGES, ALERTS, READS, REFUSALS, AuditAction
from jigsaw.audit.models import AuditEntry
from jigsaw.audit.reads import audited_read
from jigsaw.breakglass.models import BreakGlassEnd, BreakGlassSession
from jigsaw.breakglass.schemas import BreakGlassOut
from jigsaw.db import Database
from jigsaw.people.models import AgencyRecord, RecordingReason
from jigsaw.policy import scopes
from jigsaw.policy.actor import Actor
from jigsaw.policy.authorize import Permission, is_permitted, require
from jigsaw.schemas import Output


class ReadUnderBreakGlass(Output):
    """One audited read made under a break-glass session: ids only, as the log keeps it."""

    seq: int
    occurred_at: datetime
    action: str
    items: list[int] = []
    """The information items the read showed (item ids)."""
    disclosures: list[int] = []
    """The disclosures those items were shown through (disclosure ids)."""


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
    child: str | None = None
    """For break-glass alerts: the child, as the reader's own agency's record names them,
    else by their person index number."""
    category: str | None = None
    """For break-glass alerts: the emergency ground the practitioner chose."""
    reason: str | None = None
    """For break-glass alerts: the reason the practitioner gave, in their words."""
    child_record_id: int | None = None
    """For break-glass alerts: the reader's own agency's record of the child, when the
    policy lets the reader open their agency's records (the link to the child's page)."""
    break_glass_id: int | None = None
    """For break-glass alerts: the session."""
    reads: list[ReadUnderBreakGlass] = []
    """For break-glass alerts: everything the practitioner looked at under the session."""


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
    query = select(AuditEntry).where(
        AuditEntry.action.in_([a.value for a in actions]),
        scopes.access_log(actor, AuditEntry.actor_agency_id),
    )
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


@audited_read(AuditAction.ACCESS_LOG_VIEWED)
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


@audited_read(AuditAction.ACCESS_LOG_VIEWED)
def alerts(db: Database, actor: Actor, *, limit: int = 200) -> list[AccessEntry]:
    """Break-glass use, repeated refusals and changes to who can act in the agency,
    newest first, for the DPO to review: their own agency's, break-glass by anyone on a
    child their agency holds, and account changes made in their agency from outside it
    (by the service administrator)."""
    _require_oversight(actor)
    with db.transaction() as session:
        own = _page(session, _query(actor, ALERTS, None, None, None, None), limit, 0)
        ours = (
            []
            if actor.is_system
            else [
                *_break_glass_on_our_children(session, actor.agency_id, limit),
                *_account_changes_in_our_agency(session, actor.agency_id, limit),
            ]
        )
        merged = {e.seq: e for e in [*own, *ours]}
        rows = sorted(merged.values(), key=lambda e: e.seq, reverse=True)[:limit]
        rows, children = _with_break_glass(session, actor, rows)
        rows = _with_recording_reasons(session, rows)
        audit.append(
            session,
            actor,
            AuditAction.ACCESS_LOG_VIEWED,
            "audit_alerts",
            None,
            refs={"persons": children} if children else None,
        )
        return rows


class BreakGlassReview(BreakGlassOut):
    """A break-glass session as its reviewing DPO sees it: the child, the ground and
    reason, and everything read under it. ``reads`` is None for a session listed only
    because it is the reader's own (they review it with their DPO, not here)."""

    agency_id: int
    child: str | None = None
    child_record_id: int | None = None
    reads: list[ReadUnderBreakGlass] | None = None


def may_review_break_glass(actor: Actor) -> bool:
    """Whether the actor reviews break-glass use (rule O1: the access log's readers)."""
    return is_permitted(actor, Permission.VIEW_ACCESS_LOG, actor.agency_id)


@audited_read(AuditAction.ACCESS_LOG_VIEWED)
def break_glass_reviews(db: Database, actor: Actor, *, limit: int = 200) -> list[BreakGlassReview]:
    """Break-glass sessions the actor reviews, newest first: those started by their own
    agency's staff and those on a child their agency holds (the same ones their alert
    list shows), each with the child, the reason and what was read under it."""
    _require_oversight(actor)
    started = frozenset({AuditAction.BREAK_GLASS_STARTED})
    with db.transaction() as session:
        own = _page(session, _query(actor, started, None, None, None, None), limit, 0)
        ours = (
            [] if actor.is_system else _break_glass_on_our_children(session, actor.agency_id, limit)
        )
        merged = {e.seq: e for e in [*own, *ours]}
        rows = sorted(merged.values(), key=lambda e: e.seq, reverse=True)[:limit]
        rows, children = _with_break_glass(session, actor, rows)
        ids = [e.break_glass_id for e in rows if e.break_glass_id is not None]
        ended = dict(
            session.execute(
                select(BreakGlassEnd.session_id, BreakGlassEnd.ended_at).where(
                    BreakGlassEnd.session_id.in_(ids)
                )
            ).all()
        )
        glass = {
            g.id: g
            for g in session.scalars(select(BreakGlassSession).where(BreakGlassSession.id.in_(ids)))
        }
        now = db.clock.now()
        reviews = []
        for entry in rows:
            row = glass.get(entry.break_glass_id) if entry.break_glass_id is not None else None
            if row is None:
                continue
            ended_at = ended.get(row.id)
            reviews.append(
                BreakGlassReview(
                    id=row.id,
                    practitioner_id=row.practitioner_id,
                    agency_id=row.agency_id,
                    person_id=row.person_id,
                    category=row.category,
                    reason=row.reason,
                    started_at=row.started_at,
                    expires_at=row.expires_at,
                    ended_at=ended_at,
                    active=ended_at is None and row.expires_at > now,
                    child=entry.child,
                    child_record_id=entry.child_record_id,
                    reads=entry.reads,
                )
            )
        audit.append(
            session,
            actor,
            AuditAction.ACCESS_LOG_VIEWED,
            "break_glass_reviews",
            None,
            refs={"persons": children, "break_glass_sessions": ids} if children else None,
        )
        return reviews


BREAK_GLASS_ALERTS = frozenset(
    {AuditAction.BREAK_GLASS_STARTED.value, AuditAction.BREAK_GLASS_REPEATED.value}
)


def _with_break_glass(
    session: Session, actor: Actor, rows: list[AccessEntry]
) -> tuple[list[AccessEntry], list[int]]:
    """Break-glass alerts with the child, the ground, the reason and everything read
    under the session, so each can be reviewed from the list; and the children named,
    for the audit entry of this read.

    Every DPO who lists the alert sees the reason: the practitioner's own, who answers
    for their use of it, and those of the agencies holding the child, whose records it
    opened; the form told the practitioner so before they started ("the Data Protection
    Officers will see your reason and everything you look at"). The child is named, and
    linked to, as the reader's own agency's record of them, when the policy lets the
    reader open their agency's records; otherwise only by number: the list must not tell
    an agency a name it never held.
    """
    wanted = {
        e.refs.get("break_glass")
        for e in rows
        if e.action in BREAK_GLASS_ALERTS and isinstance(e.refs.get("break_glass"), int)
    }
    if not wanted:
        return rows, []
    found = {
        g.id: g
        for g in session.scalars(
            select(BreakGlassSession).where(BreakGlassSession.id.in_(sorted(wanted)))
        )
    }
    people = sorted({g.person_id for g in found.values()})
    names = _names_held(session, actor, people)
    reads = reads_under(session, found.values())
    shown = []
    for entry in rows:
        ident = entry.refs.get("break_glass")
        glass = (
            found.get(ident)
            if entry.action in BREAK_GLASS_ALERTS and isinstance(ident, int)
            else None
        )
        if glass is None:
            shown.append(entry)
            continue
        record_id, child = names.get(
            glass.person_id, (None, f"Person {glass.person_id} in the person index")
        )
        ground = glass.category.value if glass.category is not None else None
        shown.append(
            entry.model_copy(
                update={
                    "child": child,
                    "child_record_id": record_id,
                    "category": ground,
                    "reason": glass.reason,
                    "break_glass_id": glass.id,
                    "reads": reads.get(glass.id, []),
                }
            )
        )
    return shown, people


def _names_held(session: Session, actor: Actor, people: list[int]) -> dict[int, tuple[int, str]]:
    """The reader's own agency's record of each person (id and name), where the policy
    lets the reader open their agency's records (the policy's own filter, rule R1)."""
    if not people:
        return {}
    held = session.execute(
        select(
            AgencyRecord.person_id,
            AgencyRecord.id,
            AgencyRecord.given_name,
            AgencyRecord.family_name,
        )
        .where(
            scopes.of_agency(actor, Permission.READ_OWN_AGENCY_RECORDS, AgencyRecord.agency_id),
            AgencyRecord.person_id.in_(people),
        )
        .order_by(AgencyRecord.id)
    )
    names: dict[int, tuple[int, str]] = {}
    for person_id, record_id, given, family in held:
        if person_id is not None:
            names.setdefault(person_id, (record_id, f"{given} {family}"))
    return names


NOT_READS_UNDER = frozenset(
    {AuditAction.BREAK_GLASS_STARTED.value, AuditAction.BREAK_GLASS_REPEATED.value}
)


def reads_under(
    session: Session, sessions: Iterable[BreakGlassSession]
) -> dict[int, list[ReadUnderBreakGlass]]:
    """Every audited read made under these sessions, oldest first, by session.

    Each read of a child under break-glass names its session in its audit entry
    (``singleview.purposes.Standing.audit_refs``), with the ids of the items and
    disclosures it showed; ending the session early is listed too.
    """
    by_id = {g.id: g for g in sessions}
    if not by_id:
        return {}
    practitioners = sorted({g.practitioner_id for g in by_id.values()})
    earliest = min(g.started_at for g in by_id.values())
    entries = session.scalars(
        select(AuditEntry)
        .where(
            AuditEntry.actor_id.in_(practitioners),
            AuditEntry.occurred_at >= earliest,
            AuditEntry.refs["break_glass"].as_integer().in_(sorted(by_id)),
            AuditEntry.action.not_in(sorted(NOT_READS_UNDER)),
        )
        .order_by(AuditEntry.seq)
    )
    found: dict[int, list[ReadUnderBreakGlass]] = {}
    for entry in entries:
        refs = entry.refs or {}
        found.setdefault(int(refs["break_glass"]), []).append(
            ReadUnderBreakGlass(
                seq=entry.seq,
                occurred_at=entry.occurred_at,
                action=entry.action,
                items=[i for i in refs.get("items", []) if isinstance(i, int)],
                disclosures=[d for d in refs.get("disclosures", []) if isinstance(d, int)],
            )
        )
    return found


def _with_recording_reasons(session: Session, rows: list[AccessEntry]) -> list[AccessEntry]:
    """A child recorded from a search, with the reason given, so the DPO can judge whether
    the agency really works with them. Such alerts are only ever the reader's own
    agency's, so the child is named as that agency's record names them."""
    wanted = {
        int(e.object_id)
        for e in rows
        if e.action == AuditAction.CHILD_RECORDED_FROM_SEARCH.value
        and e.object_id is not None
        and e.object_id.isdigit()
    }
    if not wanted:
        return rows
    found = {
        record.id: (record, why)
        for record, why in session.execute(
            select(AgencyRecord, RecordingReason)
            .outerjoin(RecordingReason, RecordingReason.agency_record_id == AgencyRecord.id)
            .where(AgencyRecord.id.in_(sorted(wanted)))
        )
    }
    shown = []
    for entry in rows:
        held = (
            found.get(int(entry.object_id))
            if entry.action == AuditAction.CHILD_RECORDED_FROM_SEARCH.value
            and entry.object_id is not None
            and entry.object_id.isdigit()
            else None
        )
        if held is None:
            shown.append(entry)
            continue
        record, why = held
        child = f"{record.given_name} {record.family_name}"
        reason = why.reason if why is not None else None
        shown.append(entry.model_copy(update={"child": child, "reason": reason}))
    return shown


def _account_changes_in_our_agency(
    session: Session, agency_id: int | None, limit: int
) -> list[AccessEntry]:
    """Accounts added or changed, and tokens issued, in this agency by someone outside it.

    Every such entry names the agency concerned in its refs, so the agency whose accounts
    changed is alerted whoever made the change. Changes made from the command line (the
    data controller provisioning, the demo) are audited but raise no alert, as no person
    made them.
    """
    if agency_id is None:
        return []
    query = (
        select(AuditEntry)
        .where(
            AuditEntry.action.in_([a.value for a in ACCOUNT_CHANGES]),
            AuditEntry.refs["agency"].as_integer() == agency_id,
            AuditEntry.actor_id.is_not(None),
        )
        .order_by(AuditEntry.seq.desc())
    )
    return _page(session, query, limit, 0)


def _page(session: Session, query: Any, limit: int, offset: int) -> list[AccessEntry]:
    return [
        AccessEntry.model_validate(e) for e in session.scalars(query.limit(limit).offset(offset))
    ]
