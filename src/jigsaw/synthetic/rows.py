"""Turning households into plain row dictionaries ready for bulk INSERT.

Ids are handed out here from counters the service seeds from the database, so
rows can reference each other (items -> records) without a round trip, and the
same household always receives the same ids in a fresh database.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from jigsaw.people.identifiers import IdentifierScheme
from jigsaw.people.models import LinkStatus, RelationshipKind
from jigsaw.policy.roles import Role
from jigsaw.synthetic.catalogue import (
    EARLY_HELP_WORKER,
    PAEDIATRIC_LIAISON,
    SOCIAL_WORKER,
    AgencySpec,
    Need,
    Service,
)
from jigsaw.synthetic.households import (
    FIRST_CHILD_SLOT,
    SLOT_PARENT,
    SLOT_RISK,
    SLOT_SECOND_PARENT,
    Household,
    RecordDraft,
    between,
)
from jigsaw.synthetic.items import ItemContext, item_writer
from jigsaw.synthetic.pupils import recorded_upn

Row = dict[str, Any]

CHILD_INVOLVEMENT: dict[Service, float] = {
    Service.PRIMARY_SCHOOL: 1.0,
    Service.SECONDARY_SCHOOL: 1.0,
    Service.GP: 0.7,
    Service.HEALTH_VISITING: 1.0,
    Service.EMERGENCY_DEPARTMENT: 0.3,
    Service.CAMHS: 1.0,
    Service.POLICE: 0.6,
    Service.SOCIAL_CARE: 1.0,
    Service.HOUSING: 0.5,
    Service.FAMILY_SUPPORT: 1.0,
    Service.DOMESTIC_ABUSE_SERVICE: 1.0,
    Service.PROBATION: 0.0,
}
ADULT_INVOLVEMENT: dict[Service, float] = {
    Service.PROBATION: 1.0,
    Service.HOUSING: 0.8,
    Service.DOMESTIC_ABUSE_SERVICE: 1.0,
    Service.FAMILY_SUPPORT: 0.5,
}
SCHOOL_DSL_FROM_NEED = Need.CHILD_IN_NEED
MAIN_WORKER: dict[Service, str] = {
    Service.GP: "GP",
    Service.HEALTH_VISITING: "Health visitor",
    Service.EMERGENCY_DEPARTMENT: PAEDIATRIC_LIAISON,
    Service.POLICE: "Officer in case",
    Service.FAMILY_SUPPORT: "Family support worker",
    Service.PROBATION: "Probation officer",
}


@dataclass(frozen=True)
class StaffMember:
    id: int
    name: str
    role: Role
    phone: str
    email: str
    involvement: str


@dataclass(frozen=True)
class AgencyEntry:
    """An agency as it exists in this database: its id and its practitioners' ids."""

    id: int
    spec: AgencySpec
    staff: tuple[StaffMember, ...]

    def workers(self, description: str | None = None) -> tuple[StaffMember, ...]:
        casework = tuple(s for s in self.staff if s.involvement)
        if description is not None:
            matching = tuple(s for s in casework if s.involvement == description)
            if matching:
                return matching
        return casework or self.staff


Directory = Mapping[str, AgencyEntry]


@dataclass
class NextIds:
    record: int
    relationship: int
    involvement: int
    item: int


@dataclass
class Rows:
    """One batch's rows; cleared after each commit so memory stays flat."""

    records: list[Row] = field(default_factory=list)
    truth: list[Row] = field(default_factory=list)
    relationships: list[Row] = field(default_factory=list)
    involvements: list[Row] = field(default_factory=list)
    items: list[Row] = field(default_factory=list)
    identifiers: list[Row] = field(default_factory=list)
    children: int = 0
    adults: int = 0

    def clear(self) -> None:
        for rows in (self.records, self.truth, self.relationships, self.involvements, self.items,
                     self.identifiers):  # fmt: skip
            rows.clear()
        self.children = 0
        self.adults = 0


def at_work(rng: random.Random, day: date) -> datetime:
    return datetime(
        day.year, day.month, day.day, rng.randint(8, 17), rng.randint(0, 59), tzinfo=UTC
    )


def add_household(household: Household, directory: Directory, ids: NextIds, rows: Rows) -> None:
    rng = random.Random(f"{household.seed}:{household.index}:links")  # noqa: S311
    record_ids: dict[tuple[str, int], int] = {}
    created: dict[int, datetime] = {}
    with_records: set[int] = set()
    for draft in household.records:
        record_id = ids.record
        ids.record += 1
        record_ids[(draft.agency.code, draft.person.slot)] = record_id
        created[record_id] = at_work(rng, draft.known_since)
        with_records.add(draft.person.slot)
        rows.records.append(_record_row(record_id, directory, draft, created[record_id]))
        upn = recorded_upn(household.seed, household.as_of, draft)
        if upn is not None:
            rows.identifiers.append(
                {"agency_record_id": record_id, "scheme": IdentifierScheme.UPN, "value": upn}
            )
        rows.truth.append(
            {
                "agency_record_id": record_id,
                "true_person_key": draft.person.key,
                "household_key": household.key,
            }
        )
    rows.children += len(household.children)
    rows.adults += sum(1 for p in household.people if not p.is_child and p.slot in with_records)

    _add_relationships(household, directory, record_ids, created, ids, rows)
    writer = item_writer(household.seed, household.index)
    for draft in household.records:
        entry = directory[draft.agency.code]
        record_id = record_ids[(draft.agency.code, draft.person.slot)]
        worker = _add_involvements(rng, household, entry, draft, record_id, ids, rows)
        ids.item = writer.write(
            ItemContext(
                household=household,
                draft=draft,
                record_ids=record_ids,
                agency_id=entry.id,
                author_ids=tuple(s.id for s in entry.workers()),
                preferred_author=worker,
            ),
            ids.item,
            rows.items,
        )


def _record_row(record_id: int, directory: Directory, draft: RecordDraft, created: datetime) -> Row:
    return {
        "id": record_id,
        "agency_id": directory[draft.agency.code].id,
        "local_id": draft.local_id,
        "role": draft.person.role,
        "given_name": draft.given_name,
        "family_name": draft.family_name,
        "date_of_birth": draft.date_of_birth,
        "sex": draft.sex,
        "address": draft.address,
        "postcode": draft.postcode,
        "nhs_number": draft.nhs_number,
        "person_id": None,
        "link_status": LinkStatus.UNLINKED,
        "match_probability": None,
        "created_at": created,
    }


def _add_relationships(
    household: Household,
    directory: Directory,
    record_ids: Mapping[tuple[str, int], int],
    created: Mapping[int, datetime],
    ids: NextIds,
    rows: Rows,
) -> None:
    """Each agency records the links between the people it holds, and only those."""
    by_agency: dict[str, list[int]] = {}
    for code, slot in record_ids:
        by_agency.setdefault(code, []).append(slot)
    second = household.person(SLOT_SECOND_PARENT)
    second_kind = (
        RelationshipKind.CARER
        if second is not None and second.relation.startswith("step")
        else RelationshipKind.PARENT
    )
    for code, slots in by_agency.items():
        agency_id = directory[code].id
        held = set(slots)
        children = sorted(s for s in held if FIRST_CHILD_SLOT <= s < SLOT_RISK)
        links: list[tuple[int, int, RelationshipKind]] = []
        for parent, kind in (
            (SLOT_PARENT, RelationshipKind.PARENT),
            (SLOT_SECOND_PARENT, second_kind),
        ):
            if parent in held:
                links.extend((parent, child, kind) for child in children)
        links.extend(
            (elder, younger, RelationshipKind.SIBLING)
            for i, elder in enumerate(children)
            for younger in children[i + 1 :]
        )
        if SLOT_PARENT in held and SLOT_SECOND_PARENT in held:
            links.append((SLOT_PARENT, SLOT_SECOND_PARENT, RelationshipKind.PARTNER))
        if SLOT_RISK in held and household.risk_link is not None:
            if SLOT_PARENT in held:
                links.append((SLOT_PARENT, SLOT_RISK, household.risk_link))
            if household.risk_lives_in:
                links.extend(
                    (SLOT_RISK, child, RelationshipKind.HOUSEHOLD_MEMBER) for child in children
                )
        for from_slot, to_slot, kind in links:
            from_id, to_id = record_ids[(code, from_slot)], record_ids[(code, to_slot)]
            rows.relationships.append(
                {
                    "id": ids.relationship,
                    "agency_id": agency_id,
                    "from_record_id": from_id,
                    "to_record_id": to_id,
                    "kind": kind,
                    "created_at": max(created[from_id], created[to_id]),
                }
            )
            ids.relationship += 1


def _add_involvements(
    rng: random.Random,
    household: Household,
    entry: AgencyEntry,
    draft: RecordDraft,
    record_id: int,
    ids: NextIds,
    rows: Rows,
) -> int | None:
    """Name who works with the person; returns the main worker, who writes most items."""
    service = entry.spec.service
    person = draft.person
    if person.is_child:
        chance = CHILD_INVOLVEMENT.get(service, 0.0)
        if service is Service.EMERGENCY_DEPARTMENT and household.need is Need.UNIVERSAL:
            chance = 0.0
    else:
        chance = ADULT_INVOLVEMENT.get(service, 0.0)
        if service is Service.HOUSING and person.slot != SLOT_PARENT:
            chance = 0.0
    if chance <= 0.0 or rng.random() >= chance:
        return None
    workers = entry.workers(_preferred_description(service, household, person.is_child))
    if service in (Service.PRIMARY_SCHOOL, Service.SECONDARY_SCHOOL):
        workers = tuple(w for w in workers if w.role is not Role.DSL) or workers
    main = rng.choice(workers)
    chosen = [main]
    if (
        service in (Service.PRIMARY_SCHOOL, Service.SECONDARY_SCHOOL)
        and household.need >= SCHOOL_DSL_FROM_NEED
    ):
        chosen.extend(w for w in entry.staff if w.role is Role.DSL)
    for worker in chosen:
        started = between(
            rng, draft.known_since, min(household.as_of, draft.known_since + timedelta(days=365))
        )
        if service is Service.SOCIAL_CARE or worker.role is Role.DSL:
            started = max(started, household.as_of - timedelta(days=rng.randint(30, 700)))
        rows.involvements.append(
            {
                "id": ids.involvement,
                "agency_record_id": record_id,
                "practitioner_id": worker.id,
                "description": worker.involvement or worker.name,
                "contact_phone": worker.phone,
                "contact_email": worker.email,
                "started_on": started,
                "ended_on": None,
                "created_at": at_work(rng, started),
            }
        )
        ids.involvement += 1
    return main.id


def _preferred_description(service: Service, household: Household, is_child: bool) -> str | None:
    if service is Service.SOCIAL_CARE:
        if household.need is Need.EARLY_HELP:
            return EARLY_HELP_WORKER
        if household.need >= Need.CHILD_IN_NEED:
            return SOCIAL_WORKER
        return "MASH social worker"
    if service is Service.DOMESTIC_ABUSE_SERVICE:
        return "Children's worker" if is_child else "IDVA"
    return MAIN_WORKER.get(service)
