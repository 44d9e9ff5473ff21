"""The SQL filters mean exactly what the policy means.

Lists (the received-disclosures inbox, break-glass sessions, the chronology) are found
with SQL filters, while single grants are put to the Cedar policy. Here random
disclosures (to a practitioner or an agency, expired or not, revoked or not, with
random fields) and break-glass sessions (expired, ended or not) are written to a real
database, and for every practitioner of every role, with and without a second factor,
the grants the SQL finds must be exactly those the policy allows when asked one by one,
and the chronology must show exactly the items and fields those grants allow.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from jigsaw.breakglass import grants as break_glass_grants
from jigsaw.breakglass import service as breakglass
from jigsaw.breakglass.models import BreakGlassEnd, BreakGlassSession
from jigsaw.clock import utcnow
from jigsaw.db import Database
from jigsaw.policy import authorize as policy
from jigsaw.policy.actor import Actor
from jigsaw.policy.authorize import Permission
from jigsaw.policy.roles import AgencyKind, Role
from jigsaw.records.schemas import ItemOut
from jigsaw.sharing import decisions
from jigsaw.sharing import grants as disclosure_grants
from jigsaw.sharing.disclosures import active_to
from jigsaw.sharing.models import (
    DisclosedItem,
    Disclosure,
    DisclosureRevocation,
    SharingDecision,
)
from jigsaw.sharing.schemas import DISCLOSABLE_FIELDS, DecisionIn, carried_fields
from jigsaw.singleview import chronology as chron
from tests.conftest import World
from tests.scene import HARM_ANSWERS
from tests.singleview.helpers import item, link, new_person, record

ROLES = [Role.PRACTITIONER, Role.DSL, Role.MASH, Role.CALDICOTT, Role.DPO, Role.AUDITOR, Role.ADMIN]
AGENCIES = 3


@dataclass
class Cast:
    """Agencies, one practitioner of each role in each, two children, items and decisions."""

    agencies: list[int]
    practitioners: dict[int, tuple[int, Role]]
    """Practitioner id to (agency id, role)."""
    people: list[int]
    items: dict[int, list[ItemOut]]
    """Each agency's items (first versions), about either child."""
    decisions: dict[tuple[int, int], int]
    """A share decision from one agency to another, to hang disclosures on."""


@pytest.fixture(scope="module")
def cast(db: Database, world: World) -> Cast:
    kinds = [AgencyKind.SCHOOL, AgencyKind.POLICE, AgencyKind.SOCIAL_CARE]
    agencies = [world.agency(kinds[n]) for n in range(AGENCIES)]
    practitioners: dict[int, tuple[int, Role]] = {}
    writers: dict[int, Actor] = {}
    for agency in agencies:
        for role in ROLES:
            account = world.practitioner(agency, role, second_factor=False)
            practitioners[account.id] = (agency.id, role)
            if role is Role.DSL:
                writers[agency.id] = world.actor(account)
    people = [new_person(db), new_person(db)]
    items: dict[int, list[ItemOut]] = {}
    subjects: dict[int, int] = {}
    for agency in agencies:
        writer = writers[agency.id]
        records = [record(db, writer, "Rowan", f"Child{n}") for n in range(len(people))]
        for person, record_id in zip(people, records, strict=True):
            link(db, person, record_id)
        subjects[agency.id] = records[0]
        items[agency.id] = [
            item(db, writer, r, f"Item {n}", protected_identity=n == 0)
            for n, r in enumerate(records)
        ]
    made: dict[tuple[int, int], int] = {}
    for source in agencies:
        for target in agencies:
            if source.id == target.id:
                continue
            made[(source.id, target.id)] = decisions.decide(
                db,
                writers[source.id],
                DecisionIn.model_validate(
                    {
                        "subject_record_id": subjects[source.id],
                        "recipient_agency_id": target.id,
                        "purpose": "child_protection_enquiry",
                        "answers": dict(HARM_ANSWERS),
                        "outcome": "share",
                        "reasons": "Screening a referral about this child.",
                        "lawful_basis": "6(1)(e)",
                        "consent_position": "not_sought_would_increase_risk",
                        "family_informed": False,
                        "not_told_reason": "risk_to_child",
                        "not_told_review_on": "2099-01-01",
                    }
                ),
            ).id
    return Cast([a.id for a in agencies], practitioners, people, items, made)


disclosure_plans = st.lists(
    st.fixed_dictionaries(
        {
            "pair": st.integers(0, AGENCIES * (AGENCIES - 1) - 1),
            "named": st.booleans(),
            "who": st.integers(0, len(ROLES) - 1),
            "hours": st.sampled_from([-48, -1, 1, 48]),
            "revoked": st.booleans(),
            "items": st.lists(st.booleans(), min_size=2, max_size=2),
            "fields": st.sets(st.sampled_from(DISCLOSABLE_FIELDS), min_size=1),
            "reveal": st.booleans(),
        }
    ),
    max_size=5,
)
glass_plans = st.lists(
    st.fixed_dictionaries(
        {
            "who": st.integers(0, AGENCIES * len(ROLES) - 1),
            "person": st.integers(0, 1),
            "minutes": st.sampled_from([-30, 30]),
            "ended": st.booleans(),
        }
    ),
    max_size=3,
)


def _write(
    db: Database, cast: Cast, plans: list[dict[str, Any]], glasses: list[dict[str, Any]]
) -> tuple[set[int], set[int]]:
    now = utcnow()
    pairs = sorted(cast.decisions)
    by_agency = {
        agency: [p for p, (a, _) in sorted(cast.practitioners.items()) if a == agency]
        for agency in cast.agencies
    }
    everyone = sorted(cast.practitioners)
    made: set[int] = set()
    sessions: set[int] = set()
    with db.transaction() as session:
        for plan in plans:
            source, target = pairs[plan["pair"]]
            someone = by_agency[source][0]
            disclosure = Disclosure(
                decision_id=cast.decisions[(source, target)],
                disclosing_agency_id=source,
                disclosed_by_id=someone,
                recipient_agency_id=target,
                recipient_practitioner_id=by_agency[target][plan["who"]] if plan["named"] else None,
                purpose=session.get_one(SharingDecision, cast.decisions[(source, target)]).purpose,
                expires_at=now + timedelta(hours=plan["hours"]),
                created_at=now - timedelta(days=3),
            )
            session.add(disclosure)
            session.flush()
            made.add(disclosure.id)
            for wanted, shared in zip(plan["items"], cast.items[source], strict=True):
                if wanted:
                    session.add(
                        DisclosedItem(
                            disclosure_id=disclosure.id,
                            item_chain_id=shared.id,
                            fields=[f for f in DISCLOSABLE_FIELDS if f in plan["fields"]],
                            reveal_protected=plan["reveal"],
                        )
                    )
            if plan["revoked"]:
                session.add(
                    DisclosureRevocation(
                        disclosure_id=disclosure.id,
                        revoked_by_id=someone,
                        reason="Shared in error",
                        revoked_at=now - timedelta(hours=2),
                    )
                )
        for plan in glasses:
            practitioner = everyone[plan["who"]]
            agency_id, _ = cast.practitioners[practitioner]
            row = BreakGlassSession(
                practitioner_id=practitioner,
                agency_id=agency_id,
                person_id=cast.people[plan["person"]],
                reason="A child is missing and the police need to know who knows her.",
                started_at=now - timedelta(hours=1),
                expires_at=now + timedelta(minutes=plan["minutes"]),
            )
            session.add(row)
            session.flush()
            sessions.add(row.id)
            if plan["ended"]:
                session.add(
                    BreakGlassEnd(session_id=row.id, ended_by_id=practitioner, ended_at=now)
                )
    return made, sessions


def _viewers(cast: Cast) -> list[Actor]:
    return [
        Actor(ident, agency, role, mfa_verified=mfa, token_id=token)
        for ident, (agency, role) in sorted(cast.practitioners.items())
        for mfa, token in ((True, None), (False, None), (True, 1))
    ]


def _expected_view(db: Database, cast: Cast, viewer: Actor, now: Any) -> dict[int, set[str]]:
    """Each visible item chain and its fields, from grants the policy allowed one by one."""
    allowed, glass = _every_grant(db, cast, viewer, now)
    seen: dict[int, set[str]] = {}
    with db.sessions() as session:
        glass_people = set(
            session.scalars(
                select(BreakGlassSession.person_id).where(BreakGlassSession.id.in_(glass))
            )
        )
        carried = session.execute(
            select(DisclosedItem.item_chain_id, DisclosedItem.fields).where(
                DisclosedItem.disclosure_id.in_(sorted(allowed))
            )
        ).all()
    for chain, fields in carried:
        seen.setdefault(chain, set()).update(carried_fields(fields))
    for agency, made in cast.items.items():
        for n, shown in enumerate(made):
            own = agency == viewer.agency_id and policy.is_permitted(
                viewer, Permission.READ_OWN_AGENCY_RECORDS, agency
            )
            if own or (agency != viewer.agency_id and cast.people[n] in glass_people):
                seen[shown.id] = set(DISCLOSABLE_FIELDS)
    return seen


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plans=disclosure_plans, glasses=glass_plans)
def test_sql_filters_find_exactly_the_grants_the_policy_allows(
    db: Database, cast: Cast, plans: list[dict[str, Any]], glasses: list[dict[str, Any]]
) -> None:
    made, sessions = _write(db, cast, plans, glasses)
    now = utcnow()
    for viewer in _viewers(cast):
        with db.sessions() as session:
            by_sql = set(
                session.scalars(
                    select(Disclosure.id).where(
                        Disclosure.id.in_(sorted(made)), active_to(viewer, now)
                    )
                )
            )
            by_policy = disclosure_grants.permitted_disclosures(session, viewer, made, now)
            glass_sql = set(
                session.scalars(
                    select(BreakGlassSession.id).where(
                        BreakGlassSession.id.in_(sorted(sessions)),
                        breakglass.active_for(viewer, now),
                    )
                )
            )
            glass_policy = break_glass_grants.permitted_break_glass(session, viewer, sessions, now)
            visible = chron.Visible(
                session, viewer, chron.Scope(frozenset(cast.people)), now
            ).items()
        assert by_sql == by_policy, viewer
        assert glass_sql == glass_policy, viewer
        shown = {e.item_chain_id: set(e.fields) for e in visible}
        assert shown == _expected_view(db, cast, viewer, now), viewer


def _every_grant(db: Database, cast: Cast, viewer: Actor, now: Any) -> tuple[set[int], set[int]]:
    """Every disclosure and break-glass session about the cast so far (earlier examples'
    too, since write-once rows stay), asked of the policy one by one."""
    chains = [i.id for made in cast.items.values() for i in made]
    with db.sessions() as session:
        disclosures = set(
            session.scalars(
                select(DisclosedItem.disclosure_id).where(DisclosedItem.item_chain_id.in_(chains))
            )
        )
        sessions = set(
            session.scalars(
                select(BreakGlassSession.id).where(BreakGlassSession.person_id.in_(cast.people))
            )
        )
        return (
            disclosure_grants.permitted_disclosures(session, viewer, disclosures, now),
            break_glass_grants.permitted_break_glass(session, viewer, sessions, now),
        )
