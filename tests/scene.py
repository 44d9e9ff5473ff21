"""A small multi-agency scene for sharing and consent tests: a school that holds items about
a child, and a MASH that asks for them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest

from jigsaw.consent.models import SharingPurpose
from jigsaw.db import Database
from jigsaw.identity.schemas import AgencyOut
from jigsaw.people import service as people
from jigsaw.people.models import PersonRole
from jigsaw.people.schemas import AgencyRecordIn, AgencyRecordOut
from jigsaw.policy.actor import Actor
from jigsaw.policy.roles import AgencyKind, Role
from jigsaw.records import service as records
from jigsaw.records.models import Category, Nature
from jigsaw.records.schemas import ItemIn, ItemOut
from jigsaw.sharing import decisions
from jigsaw.sharing.models import ConsentPosition, DecisionOutcome, NotToldReason
from jigsaw.sharing.schemas import DecisionIn, DecisionOut, DisclosedItemIn, DisclosureIn
from jigsaw.synthetic.activity import SHARE_ANSWERS
from tests.agreed import agree
from tests.conftest import World, unique

REVIEW_ON = date(2099, 1, 1)
"""When not telling the family will be reviewed, on every decision that does not tell them."""

HARM_ANSWERS = dict(SHARE_ANSWERS)
"""A child at risk of significant harm, shared without telling the family: the same
answers the demo's activity gives (one place for the case both tell)."""


@dataclass
class Scene:
    school: AgencyOut
    mash: AgencyOut
    dsl: Actor
    social_worker: Actor
    colleague: Actor
    child_record_id: int
    items: list[ItemOut]

    def decision(self, **overrides: object) -> DecisionIn:
        body: dict[str, object] = {
            "subject_record_id": self.child_record_id,
            "recipient_agency_id": self.mash.id,
            "recipient_practitioner_id": self.social_worker.practitioner_id,
            "purpose": SharingPurpose.CHILD_PROTECTION_ENQUIRY,
            "answers": dict(HARM_ANSWERS),
            "outcome": DecisionOutcome.SHARE,
            "reasons": "Bruising seen twice in a week; the MASH is screening a referral.",
            "lawful_basis": "6(1)(e)",
            "consent_position": ConsentPosition.NOT_SOUGHT_WOULD_INCREASE_RISK,
            "family_informed": False,
            "not_told_reason": NotToldReason.RISK_TO_CHILD,
            "not_told_review_on": REVIEW_ON,
        }
        body.update(overrides)
        return DecisionIn.model_validate(body)

    def mash_child(
        self, db: Database, born: date | None = date(2017, 6, 1), nhs_number: str | None = None
    ) -> AgencyRecordOut:
        """Lily Barnes as the MASH records her: the child a request from the MASH is about."""
        return people.create_agency_record(
            db,
            self.social_worker,
            AgencyRecordIn(
                agency_id=self.mash.id,
                local_id=unique("M"),
                role=PersonRole.CHILD,
                given_name="Lily",
                family_name="Barnes",
                date_of_birth=born,
                nhs_number=nhs_number,
            ),
        )

    def share(self, db: Database, **overrides: object) -> DecisionOut:
        return decisions.decide(db, self.dsl, self.decision(**overrides))

    def disclosure(
        self, decision_id: int, fields: list[str] | None = None, **overrides: object
    ) -> DisclosureIn:
        body: dict[str, object] = {
            "decision_id": decision_id,
            "items": [
                DisclosedItemIn(item_id=i.id, fields=fields or ["occurred_on", "summary"])
                for i in self.items
            ],
            "expires_on": date.today() + timedelta(days=30),
        }
        body.update(overrides)
        return DisclosureIn.model_validate(body)


def _item(db: Database, actor: Actor, record_id: int, **flags: object) -> ItemOut:
    body: dict[str, object] = {
        "subject_record_id": record_id,
        "category": Category.CHILD_WELFARE,
        "subtype": "injury",
        "occurred_on": date(2025, 3, 3),
        "summary": "Bruise on upper arm, explanation inconsistent",
        "detail": "Seen by class teacher at 9am; Mrs Neighbour reported shouting.",
        "nature": Nature.FACT,
        "source": "Observed by class teacher",
    }
    body.update(flags)
    return records.record_item(db, actor, ItemIn.model_validate(body))


def school_child(
    db: Database, actor: Actor, agency_id: int, born: date | None = None
) -> AgencyRecordOut:
    """Lily Barnes, the child of every scene, as her school records her."""
    return people.create_agency_record(
        db,
        actor,
        AgencyRecordIn(
            agency_id=agency_id,
            local_id=unique("S"),
            role=PersonRole.CHILD,
            given_name="Lily",
            family_name="Barnes",
            date_of_birth=born,
        ),
    )


def build_scene(
    db: Database, world: World, born: date = date(2017, 6, 1), *, agreed: bool = True
) -> Scene:
    """A school DSL's child with two items, and a MASH to share with under an agreement
    that covers everything the scene shares (``agreed``)."""
    school = world.agency(AgencyKind.SCHOOL)
    mash = world.agency(AgencyKind.SOCIAL_CARE)
    dsl = world.actor(world.practitioner(school, Role.DSL))
    social_worker = world.actor(world.practitioner(mash, Role.MASH))
    colleague = world.actor(world.practitioner(mash, Role.PRACTITIONER))
    if agreed:
        both = [school.id, mash.id]
        agree(db, both, both)
    child = school_child(db, dsl, school.id, born)
    items = [
        _item(db, dsl, child.id),
        _item(db, dsl, child.id, summary="Missed two days after half term", subtype="attendance"),
    ]
    return Scene(school, mash, dsl, social_worker, colleague, child.id, items)


@pytest.fixture
def scene(db: Database, world: World) -> Scene:
    return build_scene(db, world)


__all__ = ["HARM_ANSWERS", "Scene", "_item", "build_scene", "school_child"]
