"""Refusals on the record: every request the policy turned down, and repeated ones.

A refused request rolls back whatever it started, its own audit entries included,
so the refusal is written afterwards in a short transaction of its own. The app's
one ``NotPermitted`` handler calls ``record_refusal``; no service has to remember.

Entries name the route's template (``/api/disclosures/{disclosure_id}``), never
the URL as typed, whose query string could hold a child's name, and the kind and
id of the thing asked for when the route names one. Someone refused again and
again in a short time may be probing for what they cannot see: the refusal that
reaches ``PROBING_THRESHOLD`` within ``PROBING_WINDOW`` also raises an alert.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from jigsaw.audit import service as audit
from jigsaw.audit.actions import AuditAction
from jigsaw.audit.models import AuditEntry
from jigsaw.clock import utcnow
from jigsaw.db import Database
from jigsaw.policy.actor import Actor

PROBING_THRESHOLD = 5
PROBING_WINDOW = timedelta(minutes=10)

# Path parameters whose name does not say the kind of thing plainly.
_KINDS = {"record_id": "agency_record"}


@dataclass(frozen=True)
class RefusedRequest:
    """What is kept about a refused request: no URL, no query string, no form."""

    method: str
    route: str
    kind: str
    ident: str | None

    @classmethod
    def from_route(
        cls, method: str, route: str | None, path_params: Mapping[str, object]
    ) -> RefusedRequest:
        """The last id in the path names what was asked for; ids are digits, nothing else."""
        kind, ident = "route", None
        for name, value in path_params.items():
            text = str(value)
            if name.endswith("_id") and text.isdigit() and len(text) < 19:
                kind, ident = _KINDS.get(name, name.removesuffix("_id")), text
        return cls(method.upper(), route or "unknown", kind, ident)


def record_refusal(
    db: Database, actor: Actor, refused: RefusedRequest, now: datetime | None = None
) -> bool:
    """Append the refusal, and an alert if it makes this actor's refusals too many.

    Returns whether an alert was raised.
    """
    now = now or utcnow()
    refs: dict[str, int | str] = {"route": refused.route, "method": refused.method}
    with db.transaction() as session:
        earlier = 0
        if actor.practitioner_id is not None:
            earlier = (
                session.scalar(
                    select(func.count())
                    .select_from(AuditEntry)
                    .where(
                        AuditEntry.actor_id == actor.practitioner_id,
                        AuditEntry.action == AuditAction.ACCESS_REFUSED.value,
                        AuditEntry.occurred_at >= now - PROBING_WINDOW,
                    )
                )
                or 0
            )
        audit.append(
            session, actor, AuditAction.ACCESS_REFUSED, refused.kind, refused.ident, refs=refs
        )
        alert = earlier + 1 == PROBING_THRESHOLD
        if alert:
            audit.append(
                session,
                actor,
                AuditAction.ACCESS_REFUSED_REPEATEDLY,
                "practitioner",
                actor.practitioner_id,
                refs={"refusals": PROBING_THRESHOLD, "minutes": PROBING_WINDOW.seconds // 60},
            )
    return alert
