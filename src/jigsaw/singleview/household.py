"""Who is in a child's household, as far as the viewer may know it.

Relationships are assertions an agency makes about its own records. Using another
agency's assertion would tell the viewer something that agency has not shared (that
it knows this adult is the child's mother), so the household is built only from the
relationships the viewer's own agency has recorded, and then widened through the
person index: the mother's records at other agencies are the mother, whichever
agency holds them, and items disclosed about her can count.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from jigsaw.people.models import AgencyRecord, Relationship, RelationshipKind
from jigsaw.singleview.rules import HouseholdRule, ScopeName

CHILD = "child"


@dataclass
class Household:
    """People around one child, each with how they are linked ("parent", "partner", ...).

    Members are keyed by person where a record is linked to one, and by the viewer's
    own record otherwise (an adult the agency has not linked yet still counts).
    """

    child_id: int
    persons: dict[int, tuple[ScopeName, str]] = field(default_factory=dict)
    records: dict[int, tuple[ScopeName, str]] = field(default_factory=dict)

    def person_ids(self, scope: ScopeName) -> frozenset[int]:
        return frozenset({self.child_id}) | {
            p for p, (s, _) in self.persons.items() if _within(s, scope)
        }

    def record_ids(self, scope: ScopeName) -> frozenset[int]:
        return frozenset(r for r, (s, _) in self.records.items() if _within(s, scope))

    def place(self, person_id: int | None, record_id: int | None) -> tuple[ScopeName, str] | None:
        """Where an item's subject sits: the child, a member, a connection, or outside."""
        if person_id == self.child_id:
            return ScopeName.CHILD, CHILD
        if person_id is not None and person_id in self.persons:
            return self.persons[person_id]
        if record_id is not None and record_id in self.records:
            return self.records[record_id]
        return None


_ORDER = (ScopeName.CHILD, ScopeName.HOUSEHOLD, ScopeName.CONNECTED)


def _within(member: ScopeName, scope: ScopeName) -> bool:
    return _ORDER.index(member) <= _ORDER.index(scope)


def household_of(
    session: Session,
    agency_id: int,
    child_id: int,
    child_records: tuple[int, ...],
    rule: HouseholdRule,
) -> Household:
    found = Household(child_id)
    if not child_records:
        return found
    direct = _links(session, agency_id, child_records)
    carers: set[int] = set()
    placed: dict[int, tuple[ScopeName, str]] = {}
    for other, kind in direct:
        if kind in rule.members:
            placed.setdefault(other, (ScopeName.HOUSEHOLD, kind.value))
        elif kind in rule.connected:
            placed.setdefault(other, (ScopeName.CONNECTED, kind.value))
        if kind in rule.carers:
            carers.add(other)
    for other, kind in _links(session, agency_id, tuple(sorted(carers))):
        if other in child_records or other in placed:
            continue
        if kind in rule.through_carers:
            placed[other] = (ScopeName.HOUSEHOLD, f"carer_{kind.value}")
        elif kind in rule.connected:
            placed[other] = (ScopeName.CONNECTED, f"carer_{kind.value}")
    persons: dict[int, int | None] = {
        record_id: person_id
        for record_id, person_id in session.execute(
            select(AgencyRecord.id, AgencyRecord.person_id).where(
                AgencyRecord.id.in_(sorted(placed)),
                AgencyRecord.person_id.is_not(None),
            )
        )
    }
    for record_id, where in placed.items():
        person_id = persons.get(record_id)
        if person_id is None:
            found.records[record_id] = where
        elif person_id != child_id:
            current = found.persons.get(person_id)
            if current is None or _ORDER.index(where[0]) < _ORDER.index(current[0]):
                found.persons[person_id] = where
    return found


def _links(
    session: Session, agency_id: int, records: tuple[int, ...]
) -> list[tuple[int, RelationshipKind]]:
    """The other end and kind of each of the agency's relationships touching ``records``."""
    if not records:
        return []
    rows = session.execute(
        select(Relationship.from_record_id, Relationship.to_record_id, Relationship.kind).where(
            Relationship.agency_id == agency_id,
            or_(
                Relationship.from_record_id.in_(records),
                Relationship.to_record_id.in_(records),
            ),
        )
    )
    ends: list[tuple[int, RelationshipKind]] = []
    for source, target, kind in rows:
        other = target if source in records else source
        if other not in records:
            ends.append((other, kind))
    return ends
