"""Establishing, from the database, the facts that can give a practitioner a legitimate
purpose to look at a person across agencies.

The policy (``jigsaw.access.policy``) decides which facts are enough for which role;
this module only finds out which facts hold, each with one indexed query, so the
decision itself stays in one place (``policy.cedar``, rules V1, V2 and B3).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from jigsaw.access import breakglass
from jigsaw.access.actor import Actor
from jigsaw.access.models import BreakGlassSession
from jigsaw.access.policy import Purpose
from jigsaw.people.models import AgencyRecord
from jigsaw.sharing.models import InformationRequest, SharingDecision
from jigsaw.singleview.chronology import Shared
from jigsaw.singleview.links import linked_to
from jigsaw.singleview.schemas import EmergencyAccess


@dataclass(frozen=True)
class Standing:
    """What holds between one actor and one person at one moment."""

    person_id: int
    purposes: frozenset[Purpose]
    own_record_ids: tuple[int, ...]
    """The actor's agency's records of the person: what the audit entry points at."""
    shared: Shared
    """Other agencies' items about the person, and which are disclosed to the actor."""
    break_glass: EmergencyAccess | None = None
    """The actor's active break-glass session on the person, if any."""

    @property
    def audit_refs(self) -> dict[str, int | list[int]]:
        refs: dict[str, int | list[int]] = {"person": self.person_id}
        if self.own_record_ids:
            # The access log finds reads of a record through this key.
            refs["agency_record"] = self.own_record_ids[0]
            refs["agency_records"] = list(self.own_record_ids)
        if self.break_glass is not None:
            refs["break_glass"] = self.break_glass.session_id
        return refs


def establish(session: Session, actor: Actor, person_id: int, now: datetime) -> Standing:
    own = _own_records(session, actor, person_id)
    purposes: set[Purpose] = set()
    if own:
        purposes.add(Purpose.HOLDS_RECORD)
    if actor.agency_id is not None and _open_request(session, actor.agency_id, person_id):
        purposes.add(Purpose.OPEN_REQUEST)
    glass = breakglass.active_sessions(session, actor, [person_id], now)
    emergency = None
    if person_id in glass:
        purposes.add(Purpose.BREAK_GLASS)
        # Only the expiry: the session's sealed reason is not shown here, so not opened.
        expires_at = session.scalars(
            select(BreakGlassSession.expires_at).where(BreakGlassSession.id == glass[person_id])
        ).one()
        emergency = EmergencyAccess(session_id=glass[person_id], expires_at=expires_at)
    shared = Shared.find(session, actor, [person_id], now, glass)
    if actor.practitioner_id is not None and shared.disclosed_chains:
        purposes.add(Purpose.RECEIVED_DISCLOSURE)
    return Standing(person_id, frozenset(purposes), own, shared, emergency)


def _own_records(session: Session, actor: Actor, person_id: int) -> tuple[int, ...]:
    if actor.agency_id is None:
        return ()
    return tuple(
        session.scalars(
            select(AgencyRecord.id)
            .where(linked_to([person_id]), AgencyRecord.agency_id == actor.agency_id)
            .order_by(AgencyRecord.id)
        )
    )


def _open_request(session: Session, agency_id: int, person_id: int) -> bool:
    """A request made or received by the agency about the person, not yet decided."""
    decided = select(SharingDecision.id).where(SharingDecision.request_id == InformationRequest.id)
    found = session.scalar(
        select(InformationRequest.id)
        .join(AgencyRecord, AgencyRecord.id == InformationRequest.subject_record_id)
        .where(
            linked_to([person_id]),
            or_(
                InformationRequest.requester_agency_id == agency_id,
                InformationRequest.recipient_agency_id == agency_id,
            ),
            ~decided.exists(),
        )
        .limit(1)
    )
    return found is not None
