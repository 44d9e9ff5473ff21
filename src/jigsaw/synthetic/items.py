"""Drawing the information items an agency has recorded about a household.

How much an agency writes depends on the family's level of need and on the
service (a GP notes little about a child at universal level; a social worker on a
child protection plan writes a lot). Averages are kept modest so a run of a
million children stays within reach of one machine.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from jigsaw.policy.roles import AgencyKind
from jigsaw.records.models import Verification
from jigsaw.synthetic.catalogue import Service
from jigsaw.synthetic.households import (
    HISTORY_YEARS,
    Household,
    RecordDraft,
    age_on,
    between,
)
from jigsaw.synthetic.templates import CHOICES, NUMBERS, TEMPLATES_BY_SERVICE, ItemTemplate, Subject

ITEMS_PER_CHILD_RECORD: tuple[float, float, float, float] = (0.9, 2.5, 5.0, 8.0)
"""Mean items per child-agency pair, by level of need (universal .. protection)."""
SERVICE_ITEM_FACTOR: dict[Service, float] = {
    Service.PRIMARY_SCHOOL: 1.0,
    Service.SECONDARY_SCHOOL: 1.0,
    Service.GP: 0.8,
    Service.HEALTH_VISITING: 1.2,
    Service.EMERGENCY_DEPARTMENT: 0.7,
    Service.CAMHS: 0.8,
    Service.POLICE: 1.0,
    Service.SOCIAL_CARE: 1.3,
    Service.HOUSING: 0.7,
    Service.FAMILY_SUPPORT: 0.8,
    Service.DOMESTIC_ABUSE_SERVICE: 0.8,
    Service.PROBATION: 0.0,
}
MAX_ITEMS_PER_RECORD = 20
ITEMS_PER_SUPERVISED_ADULT = (1, 4)
SAME_DAY_RECORDING = 0.5
MAX_RECORDING_DELAY_DAYS = 14
SPECIAL_CATEGORY_KINDS = frozenset({AgencyKind.HEALTH})
CRIMINAL_OFFENCE_KINDS = frozenset({AgencyKind.POLICE, AgencyKind.PROBATION})


def recorded_at(rng: random.Random, occurred_on: date, as_of: date) -> datetime:
    """A working-hours timestamp on or soon after the event, never after ``as_of``."""
    day = occurred_on
    if rng.random() >= SAME_DAY_RECORDING:
        day = min(occurred_on + timedelta(days=rng.randint(1, MAX_RECORDING_DELAY_DAYS)), as_of)
    return datetime(
        day.year, day.month, day.day, rng.randint(8, 18), rng.randint(0, 59), tzinfo=UTC
    )


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


@dataclass
class ItemContext:
    """What an agency's items about one record need to know about the agency and family."""

    household: Household
    draft: RecordDraft
    record_ids: Mapping[tuple[str, int], int]
    agency_id: int
    author_ids: tuple[int, ...]
    preferred_author: int | None


class ItemWriter:
    """Turns one agency record into item rows; ids come from the caller's counter."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def count_for(self, household: Household, draft: RecordDraft) -> int:
        rng = self.rng
        if not draft.person.is_child:
            if draft.agency.service is Service.PROBATION and household.risk_subject == (
                draft.person.slot
            ):
                return rng.randint(*ITEMS_PER_SUPERVISED_ADULT)
            return 0
        mean = ITEMS_PER_CHILD_RECORD[household.need] * SERVICE_ITEM_FACTOR[draft.agency.service]
        if mean <= 0:
            return 0
        return min(MAX_ITEMS_PER_RECORD, int(rng.expovariate(1.0 / mean)))

    def write(self, ctx: ItemContext, next_id: int, out: list[dict[str, Any]]) -> int:
        """Append this record's items to ``out``; return the next free item id."""
        household, draft = ctx.household, ctx.draft
        rng = self.rng
        count = self.count_for(household, draft)
        if count == 0:
            return next_id
        as_of = household.as_of
        history_start = as_of - timedelta(days=int(HISTORY_YEARS * 365.25))
        start = max(draft.known_since, history_start)
        templates = TEMPLATES_BY_SERVICE[draft.agency.service]
        kind = draft.agency.kind
        for _ in range(count):
            occurred_on = between(rng, start, as_of)
            template = self.choose(templates, household, draft, occurred_on)
            if template is None:
                continue
            subject = self.subject_record(template, ctx)
            author = ctx.preferred_author
            if author is None or rng.random() < 0.2:
                author = rng.choice(ctx.author_ids)
            out.append(
                {
                    "id": next_id,
                    "subject_record_id": subject,
                    "agency_id": ctx.agency_id,
                    "author_id": author,
                    "category": template.category,
                    "subtype": template.subtype,
                    "occurred_on": occurred_on,
                    "recorded_at": recorded_at(rng, occurred_on, as_of),
                    "summary": self.summary(template, ctx),
                    "detail": "",
                    "nature": template.nature,
                    "source": template.source,
                    "verification": (
                        Verification.VERIFIED
                        if rng.random() < template.verified
                        else Verification.UNVERIFIED
                    ),
                    "special_category": template.special_category or kind in SPECIAL_CATEGORY_KINDS,
                    "criminal_offence": template.criminal_offence or kind in CRIMINAL_OFFENCE_KINDS,
                    "protected_identity": template.protected_identity,
                    "supersedes_id": None,
                    "root_id": None,
                    "version": 1,
                }
            )
            next_id += 1
        return next_id

    def choose(
        self,
        templates: tuple[ItemTemplate, ...],
        household: Household,
        draft: RecordDraft,
        on: date,
    ) -> ItemTemplate | None:
        person = draft.person
        age = age_on(person.date_of_birth, on) if person.is_child else None
        eligible = [
            t
            for t in templates
            if t.min_need <= household.need
            and t.needs <= household.circumstances
            and (age is None or t.ages[0] <= age <= t.ages[1])
            and (person.is_child or t.subject is Subject.RISK)
        ]
        if not eligible:
            return None
        point = self.rng.random() * sum(t.weight for t in eligible)
        for template in eligible:
            point -= template.weight
            if point < 0:
                return template
        return eligible[-1]

    @staticmethod
    def subject_record(template: ItemTemplate, ctx: ItemContext) -> int:
        """File against the person the item is about when the agency holds them, else the child."""
        household, draft = ctx.household, ctx.draft
        own = ctx.record_ids[(draft.agency.code, draft.person.slot)]
        if not draft.person.is_child:
            return own
        slot = {
            Subject.CHILD: None,
            Subject.PARENT: household.concern_parent,
            Subject.VICTIM: household.victim,
            Subject.RISK: household.risk_subject,
        }[template.subject]
        if slot is None:
            return own
        return ctx.record_ids.get((draft.agency.code, slot), own)

    def summary(self, template: ItemTemplate, ctx: ItemContext) -> str:
        if not template.fields:
            return template.summary
        draft = ctx.draft
        rng = self.rng
        values: dict[str, str] = {}
        for name in template.fields:
            key = name.lower()
            if key == "child":
                values[name] = draft.given_name if draft.person.is_child else "the child"
            elif key in ("parent", "victim", "risk"):
                values[name] = self.relation(key, ctx)
                if name[0].isupper():
                    values[name] = _capitalised(values[name])
            elif key in CHOICES:
                values[name] = rng.choice(CHOICES[key])
            elif key in NUMBERS:
                low, high = NUMBERS[key]
                values[name] = f"{rng.randint(low, high):,}"
        return template.summary.format_map(values)[:500]

    @staticmethod
    def relation(key: str, ctx: ItemContext) -> str:
        household, draft = ctx.household, ctx.draft
        if key == "risk" and not draft.person.is_child:
            return draft.person.relation
        slot = {
            "parent": household.concern_parent,
            "victim": household.victim,
            "risk": household.risk_subject,
        }[key]
        person = household.person(slot) if slot is not None else None
        if person is None:
            return "an ex-partner" if key == "risk" else "the parent"
        return person.relation


def item_writer(seed: int, index: int) -> ItemWriter:
    """Casework has its own random stream, so changing items never reshuffles identities."""
    return ItemWriter(random.Random(f"{seed}:{index}:casework"))  # noqa: S311
