"""Establishing, from the database, the facts that can give a practitioner a legitimate
purpose to look at a person across agencies.

The policy (``jigsaw.policy.authorize``) decides which facts are enough for which role;
this module only finds out which facts hold, with indexed queries sent as one, so
the decision itself stays in one place (``policy.cedar``, rules V1, V1a, V2 and B3).

Holding a record counts fully only when the record is confirmed: the service made it
(an import), or a second person of the agency vouched for one a practitioner made
(``people.service.confirm_agency_record``). Anyone can type a child's details into a
new record, so until then it is a lesser fact (``HOLDS_UNCONFIRMED_RECORD``) that
names no other agency. Which it is comes from the same one statement.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    BindParameter,
    CompoundSelect,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    case,
    cast,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from jigsaw.breakglass import grants
from jigsaw.breakglass import service as breakglass
from jigsaw.breakglass.models import BreakGlassSession
from jigsaw.db import UTCDateTime
from jigsaw.people.links import linked_to_bound
from jigsaw.people.models import RECORD_CONFIRMED, AgencyRecord
from jigsaw.policy.actor import Actor
from jigsaw.policy.authorize import Purpose
from jigsaw.sharing.models import InformationRequest, SharingDecision
from jigsaw.singleview.chronology import Shared
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
    known_as: str | None = None
    """The name the actor's agency holds for the person, if it holds a record."""

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
    facts = _facts(session, actor, person_id, now)
    own = tuple(sorted(facts.own_records))
    purposes: set[Purpose] = set()
    if facts.confirmed:
        purposes.add(Purpose.HOLDS_RECORD)
    elif own:
        purposes.add(Purpose.HOLDS_UNCONFIRMED_RECORD)
    if facts.open_request:
        purposes.add(Purpose.OPEN_REQUEST)
    emergency = None
    glass: dict[int, int] = {}
    usable = grants.permitted_break_glass(session, actor, facts.break_glass, now)
    if usable:
        # The newest if there were ever two; only the expiry is shown, so the session's
        # sealed reason is never opened here.
        session_id = max(usable)
        glass[person_id] = session_id
        purposes.add(Purpose.BREAK_GLASS)
        emergency = EmergencyAccess(session_id=session_id, expires_at=facts.break_glass[session_id])
    shared = Shared.find(session, actor, [person_id], now, glass)
    if actor.practitioner_id is not None and shared.disclosed_chains:
        purposes.add(Purpose.RECEIVED_DISCLOSURE)
    known_as = facts.own_records[own[0]] if own else None
    return Standing(person_id, frozenset(purposes), own, shared, emergency, known_as)


@dataclass(frozen=True)
class _Facts:
    own_records: dict[int, str]
    """The actor's agency's records of the person, with the name each holds."""
    confirmed: frozenset[int]
    """Those of them that give standing across agencies (``AgencyRecordConfirmation``)."""
    open_request: bool
    break_glass: dict[int, datetime]
    """The actor's active break-glass sessions on the person, with their expiry."""


def _facts(session: Session, actor: Actor, person_id: int, now: datetime) -> _Facts:
    """The facts behind each purpose, in one round trip: a look at a child is made on
    every page of the single view, so each query it saves is saved on every page."""
    glass = breakglass.may_use_break_glass(actor)
    values: dict[str, Any] = {
        "person": person_id,
        # An actor of no agency (the service itself) holds no record and makes no request.
        "agency": actor.agency_id if actor.agency_id is not None else -1,
    }
    if glass:
        values.update(breakglass.active_for_values(actor, now))
    own: dict[int, str] = {}
    confirmed: set[int] = set()
    open_request = False
    sessions: dict[int, datetime] = {}
    rows = session.connection().execute(_facts_statement(glass), values)
    for kind, ident, given_name, family_name, expires_at, vouched in rows:
        if kind == _OWN:
            own[ident] = f"{given_name} {family_name}"
            if vouched:
                confirmed.add(ident)
        elif kind == _REQUEST:
            open_request = True
        elif expires_at is not None:
            sessions[ident] = expires_at
    return _Facts(own, frozenset(confirmed), open_request, sessions)


@cache
def _facts_statement(break_glass: bool) -> CompoundSelect[*tuple[Any, ...]]:
    """Built once for each kind of actor, the actor and person bound at execution: only
    an actor who may use break-glass has their sessions looked for."""
    agency: BindParameter[int] = bindparam("agency")
    linked = linked_to_bound("person")
    decided = select(SharingDecision.id).where(SharingDecision.request_id == InformationRequest.id)
    # A request the agency received has the asking agency's record behind it; one it
    # made counts only when its own record of the child is confirmed, or typing a
    # child's details and asking about them would open what the confirmation guards.
    undecided_request = (
        select(InformationRequest.id)
        .join(AgencyRecord, AgencyRecord.id == InformationRequest.subject_record_id)
        .where(
            linked,
            or_(
                InformationRequest.recipient_agency_id == agency,
                and_(InformationRequest.requester_agency_id == agency, RECORD_CONFIRMED),
            ),
            ~decided.exists(),
        )
        .exists()
    )
    text, when = String(), UTCDateTime()
    # A record the service made needs no one to vouch for it; one a practitioner made
    # needs a confirmation by a second person (policy.cedar, R3).
    vouched_for = case((RECORD_CONFIRMED, 1), else_=0)
    parts: list[Select[*tuple[Any, ...]]] = [
        # The first part's types are the whole result's: the expiry is read as a datetime.
        select(
            literal(_OWN),
            AgencyRecord.id,
            AgencyRecord.given_name,
            AgencyRecord.family_name,
            cast(null(), when),
            vouched_for,
        ).where(linked, AgencyRecord.agency_id == agency),
        select(
            literal(_REQUEST),
            literal(0),
            cast(null(), text),
            cast(null(), text),
            cast(null(), when),
            cast(literal(0), Integer()),
        ).where(undecided_request),
    ]
    if break_glass:
        parts.append(
            select(
                literal(_BREAK_GLASS),
                BreakGlassSession.id,
                cast(null(), text),
                cast(null(), text),
                BreakGlassSession.expires_at,
                cast(literal(0), Integer()),
            ).where(
                BreakGlassSession.person_id == bindparam("person"), breakglass.ACTIVE_FOR_VIEWER
            )
        )
    return union_all(*parts)


_OWN, _REQUEST, _BREAK_GLASS = "own", "request", "break_glass"
