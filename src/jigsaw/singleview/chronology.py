"""The items a viewer may see about a set of people, merged across agencies.

Every query starts from the people and walks indexes outwards, so the cost follows
what is known about this child, never the size of the index or how many disclosures
the viewer's agency has received about other children:

1. every version of every item about the people, ids only (``holdings``): whose
   each chain is and which version is newest;
2. which of other agencies' chains an active disclosure to the viewer carries, with
   the disclosures' facts for the policy (``grants_for``, checking each disclosure
   by its key, not listing the viewer's disclosures);
3. the newest version of the viewer's own chains and of the shared ones, in one
   query, opening only the fields the viewer may read.

An item disclosed more than once shows the union of what the active disclosures
carry; a protected identity stays withheld unless a disclosure carrying that field
reveals it. While the viewer has an active break-glass session on a child, every
other agency's item about that child is shown in full, marked as seen under
break-glass, except protected identities, which stay withheld.

Each grant (a disclosure, a break-glass session, the viewer's own agency) is put to
the policy once, however many items it carries; the SQL filters that find candidate
grants have the same meaning, so the policy's answer only ever confirms them.

Filters are applied in SQL on the stored values and then kept only where
the filtered field is itself visible, so narrowing the list cannot reveal what a
withheld field holds.
"""

from __future__ import annotations

import json
from collections import namedtuple
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Select, Text, and_, cast, func, or_, select
from sqlalchemy.orm import Session

from jigsaw.breakglass import service as breakglass
from jigsaw.identity.models import Agency
from jigsaw.people.links import linked_to
from jigsaw.people.models import AgencyRecord
from jigsaw.policy import authorize as policy
from jigsaw.policy.actor import Actor
from jigsaw.policy.authorize import Permission, is_permitted
from jigsaw.protection.keyring import AGENCY_RECORD, Place, Subject, keyring, reveal_with
from jigsaw.protection.sealed import open_rows
from jigsaw.records.models import InformationItem, ItemRetraction
from jigsaw.sharing.disclosures import (
    ACTIVE_TO_VIEWER,
    WITHHELD,
    active_to_values,
    receives_disclosures,
)
from jigsaw.sharing.grants import permitted_disclosures
from jigsaw.sharing.models import DisclosedItem, Disclosure
from jigsaw.sharing.schemas import DISCLOSABLE_FIELDS, PROTECTED_FIELDS, carried_fields
from jigsaw.singleview.schemas import AgencyOption, ChronologyEntry, ChronologyFilters, Order
from jigsaw.sql import among

ALL_FIELDS = list(DISCLOSABLE_FIELDS)
# Lists of ids go in as one expanding parameter: building "IN (...)" element by element
# costs more than running the query when a child has hundreds of items.
_CHAIN = func.coalesce(InformationItem.root_id, InformationItem.id)
_COLUMNS = (
    InformationItem.id,
    _CHAIN.label("chain_id"),
    InformationItem.agency_id,
    InformationItem.subject_record_id,
    Agency.name.label("agency_name"),
    Agency.kind.label("agency_kind"),
    InformationItem.occurred_on,
    InformationItem.category,
    InformationItem.subtype,
    InformationItem.summary,
    InformationItem.detail,
    InformationItem.nature,
    InformationItem.source,
    InformationItem.verification,
    InformationItem.protected_identity,
    InformationItem.version,
    ItemRetraction.id.label("retraction_id"),
    ItemRetraction.reason.label("retraction_reason"),
    InformationItem.seal_id,
    ItemRetraction.seal_id.label("retraction_seal_id"),
)


@dataclass(frozen=True)
class Scope:
    """Whose items: people in the person index, and (for a household) any of the viewer's
    own agency's records that are not linked to anyone yet."""

    person_ids: frozenset[int]
    own_record_ids: frozenset[int] = frozenset()


class Chain(NamedTuple):
    """An item held by another agency, by its first version: whom it is about, whose it is."""

    person_id: int | None
    agency_id: int


@dataclass(frozen=True)
class Holdings:
    """Every item chain about some people, ids only, from one query over every version."""

    about: dict[int, Chain]
    """Other agencies' chains about the people: whether the viewer may see any of them
    is for the disclosures (or break-glass) to say."""
    own: frozenset[int]
    """Chains the viewer's agency holds on its own records of the people."""
    newest: dict[int, int]
    """The newest version of every chain, by its first version."""
    person_of: dict[int, int | None]
    """The person each agency record holding these items is linked to."""


def holdings(
    session: Session,
    person_ids: Collection[int],
    own_agency: int | None,
    own_record_ids: Collection[int] = (),
) -> Holdings:
    """Who holds which item chains about these people, and each chain's newest version.

    Versions form one line (a correction must be of the newest version, about the same
    record), so the newest is the highest id in the chain. First versions and the
    newest are picked here rather than with ``root_id IS NULL`` or ``NOT EXISTS`` in
    SQL, which tempt a planner onto the ``root_id`` index, where almost every item is
    NULL; every version of the people's items is a few hundred ids, found from the
    people through two indexes.
    """
    where = linked_to(person_ids)
    if own_record_ids and own_agency is not None:
        where = or_(
            where,
            and_(
                AgencyRecord.id.in_(sorted(own_record_ids)),
                AgencyRecord.agency_id == own_agency,
            ),
        )
    rows = session.connection().execute(
        select(
            InformationItem.id,
            InformationItem.root_id,
            InformationItem.agency_id,
            AgencyRecord.id,
            AgencyRecord.agency_id,
            AgencyRecord.person_id,
        )
        .join(AgencyRecord, AgencyRecord.id == InformationItem.subject_record_id)
        .where(where)
    )
    people = set(person_ids)
    about: dict[int, Chain] = {}
    own: set[int] = set()
    newest: dict[int, int] = {}
    person_of: dict[int, int | None] = {}
    for item, root, agency, record, record_agency, person in rows:
        person_of[record] = person
        chain = item if root is None else root
        if newest.get(chain, 0) < item:
            newest[chain] = item
        if root is not None:
            continue
        if agency != own_agency:
            if person in people:
                about[item] = Chain(person, agency)
        elif record_agency == own_agency:
            own.add(item)
    return Holdings(about, frozenset(own), newest, person_of)


class Layout(NamedTuple):
    """The fields a shared item shows, in order; those read from the row, with their
    place in it; and those shown as withheld to protect someone's identity."""

    fields: tuple[str, ...]
    read: tuple[tuple[str, int], ...]
    withheld: tuple[str, ...]


@dataclass
class Grant:
    """What the active disclosures of an item chain (or break-glass) let the viewer see.

    Hundreds of a child's items are carried by a handful of disclosures, so chains
    about the same person, held by the same agency and carried by the same
    disclosures share one grant, and the policy is asked once for each.
    """

    fields: set[str] = field(default_factory=set)
    revealed: set[str] = field(default_factory=set)
    """Fields a disclosure carried with the redaction of protected identities lifted."""
    disclosures: set[int] = field(default_factory=set)
    break_glass: int | None = None
    """The viewer's break-glass session that shows this item, if one does."""
    protected_shown: set[str] = field(default_factory=set)
    """Protected-identity fields the policy lets the viewer see, for a protected item."""
    _layouts: dict[bool, Layout] = field(default_factory=dict, repr=False, compare=False)

    def readable(self, protected: bool) -> set[str]:
        """The fields whose values the viewer reads: granted, less those withheld."""
        if not protected:
            return self.fields
        return {f for f in self.fields if f not in PROTECTED_FIELDS or f in self.protected_shown}

    def layout(self, protected: bool) -> Layout:
        """Which fields an item of this grant shows, and how: the same for every item
        of the grant, so worked out once per redaction state once the grant is made."""
        found = self._layouts.get(protected)
        if found is None:
            names: list[str] = []
            shown: list[tuple[str, int]] = []
            withheld: list[str] = []
            for name, at, sensitive in _SHOWN_AT:
                if name in self.fields:
                    names.append(name)
                    if sensitive and protected and name not in self.protected_shown:
                        withheld.append(name)
                    else:
                        shown.append((name, at))
            found = self._layouts[protected] = Layout(tuple(names), tuple(shown), tuple(withheld))
        return found


@dataclass(frozen=True)
class Shared:
    """The items about some people, and which of other agencies' are shared with the viewer."""

    held: Holdings
    grants: dict[int, Grant]
    """What the viewer's active disclosures (or break-glass) carry, by chain."""

    @property
    def about(self) -> dict[int, Chain]:
        return self.held.about

    @property
    def chains(self) -> frozenset[int]:
        return frozenset(self.grants)

    @property
    def disclosed_chains(self) -> frozenset[int]:
        """Chains an active disclosure carries (not only break-glass)."""
        return frozenset(chain for chain, grant in self.grants.items() if grant.disclosures)

    @classmethod
    def find(
        cls,
        session: Session,
        actor: Actor,
        person_ids: Collection[int],
        now: datetime,
        break_glass: Mapping[int, int] | None = None,
        own_record_ids: Collection[int] = (),
    ) -> Shared:
        """``break_glass`` (session by person) may be passed in when already found."""
        held = holdings(session, person_ids, actor.agency_id, own_record_ids)
        found = grants_for(session, actor, held.about, now)
        if break_glass is None:
            break_glass = breakglass.active_sessions(session, actor, person_ids, now)
        if break_glass:
            emergency: dict[Chain, Grant] = {}
            for chain, holder in held.about.items():
                session_id = break_glass.get(holder.person_id) if holder.person_id else None
                if session_id is None:
                    continue
                grant = found.get(chain)
                if grant is None:
                    grant = emergency.get(holder)
                    if grant is None:
                        grant = emergency[holder] = Grant()
                    found[chain] = grant
                grant.fields.update(DISCLOSABLE_FIELDS)
                grant.break_glass = session_id
        _protected_identities(actor, held.about, found)
        return cls(held, found)


class Visible:
    """What one viewer may see about one scope at one moment, found once per request."""

    def __init__(
        self,
        session: Session,
        actor: Actor,
        scope: Scope,
        now: datetime,
        shared: Shared | None = None,
    ) -> None:
        """``shared`` may be passed in when already found for the same actor and scope."""
        self.session, self.actor, self.scope, self.now = session, actor, scope, now
        if shared is None:
            shared = Shared.find(
                session, actor, scope.person_ids, now, own_record_ids=scope.own_record_ids
            )
        self.held, self.grants = shared.held, shared.grants
        self.about = shared.about
        self.reads_own = may_read_own(actor)
        self._names: dict[int, str] = {}

    def items(self, filters: ChronologyFilters = ChronologyFilters()) -> list[ChronologyEntry]:
        """Every item the viewer may see about the scope, date-ordered, filters applied.

        The viewer's own agency's items and the shared ones come back in one query, by
        the ids of their newest versions, and are opened with one look-up of keys.
        """
        newest = self.held.newest
        own = self.held.own if self.reads_own else frozenset()
        # A filter on a field the disclosures do not carry cannot match: leave those out
        # before asking the database, so a withheld value never decides what is shown.
        shared = [
            chain
            for chain, grant in self.grants.items()
            if all(f in grant.fields for f in filters.fields_filtered)
        ]
        ids = sorted([newest[chain] for chain in own] + [newest[chain] for chain in shared])
        if not ids:
            return []
        conditions = _value_filters(filters)
        if filters.agency_ids:
            conditions.append(InformationItem.agency_id.in_(sorted(filters.agency_ids)))
        rows = self.session.connection().execute(
            _ITEMS.where(among(InformationItem.id, "ids"), *conditions), {"ids": ids}
        )
        grants = self.grants
        # Positions, not names: these run for every row, hundreds of times a request.
        chain_at, record_at, protected_at = _AT["chain_id"], _AT["subject_record_id"], _PROTECTED
        opened: list[Any] = open_rows(
            self.session,
            InformationItem,
            rows.all(),
            lambda row: Subject(AGENCY_RECORD, row[record_at]),
            lambda row: (
                _EVERY_FIELD
                if row[chain_at] in own
                else grants[row[chain_at]].readable(row[protected_at])
            ),
            _Row._make,
        )
        person_of = self.held.person_of
        entries = [
            _own_entry(self.session, row, person_of[row.subject_record_id])
            if row.chain_id in own
            else _disclosed_entry(row, grants[row.chain_id], person_of[row.subject_record_id])
            for row in opened
        ]
        for entry in entries:
            self._names[entry.agency_id] = entry.agency_name
        return ordered(entries, filters.order)

    def agencies(self) -> list[AgencyOption]:
        """Agencies the viewer can see information from about the scope (for filter lists).

        Names already read with the items are not asked for again."""
        ids = {self.about[chain].agency_id for chain in self.grants}
        if self.reads_own and self.actor.agency_id is not None:
            ids.add(self.actor.agency_id)
        names = {i: self._names[i] for i in ids if i in self._names}
        missing = sorted(ids - names.keys())
        if missing:
            rows = self.session.execute(
                select(Agency.id, Agency.name).where(Agency.id.in_(missing))
            )
            names.update((agency_id, name) for agency_id, name in rows)
        return sorted(
            (AgencyOption(agency_id=i, agency_name=n) for i, n in names.items()),
            key=lambda a: (a.agency_name, a.agency_id),
        )


def ordered(entries: list[ChronologyEntry], order: Order) -> list[ChronologyEntry]:
    """By date; items whose date was not shared come last, in a stable order."""
    dated = sorted(
        (e for e in entries if e.occurred_on is not None),
        key=lambda e: (e.occurred_on, e.agency_name, e.item_chain_id),
        reverse=order is Order.NEWEST_FIRST,
    )
    undated = sorted(
        (e for e in entries if e.occurred_on is None),
        key=lambda e: (e.agency_name, e.item_chain_id),
    )
    return dated + undated


def may_read_own(actor: Actor) -> bool:
    return actor.agency_id is not None and is_permitted(
        actor, Permission.READ_OWN_AGENCY_RECORDS, actor.agency_id
    )


# Built once, the viewer bound at execution: a chronology runs it on every call, and
# building it afresh (the disclosure condition above all) was a measurable part of one.
# The disclosure is checked by a correlated ``EXISTS`` on its key rather than a join:
# joined, planners on both backends scan every disclosure to the viewer's agency, which
# grows with a busy hub's inbox.
_DISCLOSED_TO_VIEWER = select(
    DisclosedItem.item_chain_id,
    cast(DisclosedItem.fields, Text),
    DisclosedItem.reveal_protected,
    DisclosedItem.disclosure_id,
).where(
    among(DisclosedItem.item_chain_id, "ids"),
    select(Disclosure.id)
    .where(Disclosure.id == DisclosedItem.disclosure_id, ACTIVE_TO_VIEWER)
    .exists(),
)


def grants_for(
    session: Session, actor: Actor, about: Mapping[int, Chain], now: datetime
) -> dict[int, Grant]:
    """For each of these chains an active disclosure to the viewer carries, what it shows.

    Each disclosure found is put to the policy once, in one batch, however many of
    the chains it carries.
    """
    if not about or not receives_disclosures(actor):
        return {}
    rows = (
        session.connection()
        .execute(_DISCLOSED_TO_VIEWER, {"ids": sorted(about), **active_to_values(actor, now)})
        .all()
    )
    permitted = permitted_disclosures(session, actor, {row[3] for row in rows}, now)
    carried: dict[int, list[tuple[int, str, bool]]] = {}
    for chain, stored_fields, reveal, disclosure_id in rows:
        if disclosure_id in permitted:
            carrier = (disclosure_id, stored_fields, bool(reveal))
            listed = carried.get(chain)
            if listed is None:
                carried[chain] = [carrier]
            else:
                listed.append(carrier)
    found: dict[int, Grant] = {}
    made: dict[tuple[Any, ...], Grant] = {}
    for chain, carriers in carried.items():
        if len(carriers) > 1:
            carriers.sort()
        key = (about[chain], *carriers)
        grant = made.get(key)
        if grant is None:
            grant = made[key] = Grant()
            for disclosure_id, stored_fields, reveal in carriers:
                fields = _field_list(stored_fields)
                grant.fields.update(fields)
                if reveal:
                    grant.revealed.update(fields)
                grant.disclosures.add(disclosure_id)
        found[chain] = grant
    return found


@lru_cache(maxsize=256)
def _field_list(stored: str) -> tuple[str, ...]:
    """A disclosed item's fields, read from their JSON once per distinct list: a
    chronology reads hundreds of disclosed items and only a handful of field lists.
    Whether it is fact or opinion is always among them, even where an older disclosure
    did not store it (``carried_fields``)."""
    return tuple(carried_fields(json.loads(stored)))


def _protected_identities(
    actor: Actor, about: Mapping[int, Chain], found: Mapping[int, Grant]
) -> None:
    """Ask the policy which protected-identity fields each grant may show (rules F2, D2):
    once per holding agency and redaction state, all in one batch for each state."""
    asked: dict[tuple[int, bool], list[tuple[Grant, str]]] = {}
    seen: set[int] = set()
    for chain, grant in found.items():
        if id(grant) in seen:
            continue
        seen.add(id(grant))
        owner = about[chain].agency_id
        for name in PROTECTED_FIELDS:
            if name in grant.fields:
                asked.setdefault((owner, name in grant.revealed), []).append((grant, name))
    for lifted in (False, True):
        owners = sorted(owner for owner, state in asked if state is lifted)
        if not owners:
            continue
        answers = policy.allowed_each(
            actor,
            Permission.VIEW_PROTECTED_IDENTITY,
            [policy.agency(owner) for owner in owners],
            {"redaction_lifted": lifted},
        )
        for owner, allowed in zip(owners, answers, strict=True):
            if allowed:
                for grant, name in asked[(owner, lifted)]:
                    grant.protected_shown.add(name)


def _value_filters(filters: ChronologyFilters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.categories:
        conditions.append(InformationItem.category.in_(sorted(filters.categories)))
    if filters.nature is not None:
        conditions.append(InformationItem.nature == filters.nature)
    if filters.since is not None:
        conditions.append(InformationItem.occurred_on >= filters.since)
    if filters.until is not None:
        conditions.append(InformationItem.occurred_on <= filters.until)
    return conditions


def _items() -> Select[*tuple[Any, ...]]:
    """Items by id, with their holder's name and any retraction. Whom each is about is
    already known from ``holdings``, so agency records are not joined again."""
    query: Select[*tuple[Any, ...]] = select(*_COLUMNS)
    return query.join(Agency, Agency.id == InformationItem.agency_id).outerjoin(
        ItemRetraction, ItemRetraction.item_id == _CHAIN
    )


_ITEMS = _items()
_EVERY_FIELD = frozenset(DISCLOSABLE_FIELDS)


def _own_entry(session: Session, row: Any, person_id: int | None) -> ChronologyEntry:
    """An item of the viewer's own agency: every field, and the reason if it was retracted."""
    return ChronologyEntry(
        item_chain_id=row.chain_id,
        item_id=row.id,
        agency_id=row.agency_id,
        agency_name=row.agency_name,
        agency_kind=row.agency_kind,
        own_agency=True,
        disclosure_ids=[],
        about_person_id=person_id,
        about_record_id=row.subject_record_id,
        fields=ALL_FIELDS,
        occurred_on=row.occurred_on,
        category=row.category,
        subtype=row.subtype,
        summary=row.summary,
        detail=row.detail,
        nature=row.nature,
        source=row.source,
        verification=row.verification,
        version=row.version,
        corrected=row.version > 1,
        retracted=row.retraction_id is not None,
        retraction_reason=_retraction_reason(session, row),
    )


def _retraction_reason(session: Session, row: Any) -> str | None:
    """The retraction's reason, opened under the item's record key (already unwrapped for
    the item's own fields). Only retracted rows carry one; a reason stored before sealing
    has no seal and is read as it is."""
    stored: str | None = row.retraction_reason
    seal_id: str | None = row.retraction_seal_id
    if stored is None or seal_id is None:
        return stored
    subject = Subject(AGENCY_RECORD, row.subject_record_id)
    key = keyring(session).for_reading(subject)
    return reveal_with(key, subject, Place(ItemRetraction.__tablename__, "reason", seal_id), stored)


_AT = {name: n for n, name in enumerate(select(*_COLUMNS).selected_columns.keys())}
_SHOWN_AT = tuple((name, _AT[name], name in PROTECTED_FIELDS) for name in DISCLOSABLE_FIELDS)
_Row = namedtuple("_Row", list(_AT))  # type: ignore[misc]
_PROTECTED = _AT["protected_identity"]


def _disclosed_entry(row: Any, grant: Grant, person_id: int | None) -> ChronologyEntry:
    """Positional access: this runs once per shared item, hundreds of times a request."""
    data: tuple[Any, ...] = row
    layout = grant.layout(data[_PROTECTED])
    values = {name: data[at] for name, at in layout.read}
    for name in layout.withheld:
        values[name] = WITHHELD
    version = data[_AT["version"]]
    return ChronologyEntry(
        item_chain_id=data[_AT["chain_id"]],
        item_id=data[_AT["id"]],
        agency_id=data[_AT["agency_id"]],
        agency_name=data[_AT["agency_name"]],
        agency_kind=data[_AT["agency_kind"]],
        own_agency=False,
        disclosure_ids=sorted(grant.disclosures),
        about_person_id=person_id,
        about_record_id=None,
        fields=list(layout.fields),
        version=version,
        corrected=version > 1,
        retracted=data[_AT["retraction_id"]] is not None,
        break_glass_session_id=grant.break_glass,
        **values,
    )


def item_ids(entries: Iterable[ChronologyEntry]) -> list[int]:
    return sorted({e.item_id for e in entries})


def disclosure_ids(entries: Iterable[ChronologyEntry]) -> list[int]:
    return sorted({d for e in entries for d in e.disclosure_ids})
