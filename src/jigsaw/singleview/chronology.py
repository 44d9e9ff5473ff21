"""The items a viewer may see about a set of people, merged across agencies.

Every query starts from the people and walks indexes outwards, so the cost follows
what is known about this child, never the size of the index or how many disclosures
the viewer's agency has received about other children:

1. the viewer's own agency's items on its records of the people (newest versions);
2. the ids of other agencies' items about the people (``chains_about``);
3. which of those an active disclosure to the viewer carries (``shared_chains``,
   checking each disclosure by its key, not listing the viewer's disclosures);
4. the newest version of each, with only the disclosed fields.

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
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Select, Text, and_, cast, func, or_, select
from sqlalchemy.engine import Result
from sqlalchemy.orm import Session, aliased

from jigsaw.access import breakglass, policy
from jigsaw.access.actor import Actor
from jigsaw.access.grants import permitted_disclosures
from jigsaw.access.policy import Permission, is_permitted
from jigsaw.agencies.models import Agency
from jigsaw.people.models import AgencyRecord
from jigsaw.protection.keyring import AGENCY_RECORD, Place, Subject, keyring, reveal_with
from jigsaw.protection.sealed import open_rows
from jigsaw.records.models import InformationItem, ItemRetraction
from jigsaw.sharing.disclosures import WITHHELD, active_to
from jigsaw.sharing.models import DisclosedItem, Disclosure
from jigsaw.sharing.schemas import DISCLOSABLE_FIELDS, PROTECTED_FIELDS
from jigsaw.singleview.links import linked_to
from jigsaw.singleview.schemas import AgencyOption, ChronologyEntry, ChronologyFilters, Order
from jigsaw.sql import among

ALL_FIELDS = list(DISCLOSABLE_FIELDS)
# Lists of ids go in as one expanding parameter: building "IN (...)" element by element
# costs more than running the query when a child has hundreds of items.
_CHAIN = func.coalesce(InformationItem.root_id, InformationItem.id)
# Built once: SQLAlchemy caches compiled statements by structure, and reusing the same
# aliases keeps each query's structure (and so its cache key) the same on every call.
_LATER = aliased(InformationItem, name="later")
_COLUMNS = (
    InformationItem.id,
    _CHAIN.label("chain_id"),
    InformationItem.agency_id,
    InformationItem.subject_record_id,
    AgencyRecord.person_id,
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


@dataclass
class Grant:
    """What the active disclosures of one item chain (or break-glass) let the viewer see."""

    fields: set[str] = field(default_factory=set)
    revealed: set[str] = field(default_factory=set)
    """Fields a disclosure carried with the redaction of protected identities lifted."""
    disclosures: set[int] = field(default_factory=set)
    break_glass: int | None = None
    """The viewer's break-glass session that shows this item, if one does."""
    protected_shown: set[str] = field(default_factory=set)
    """Protected-identity fields the policy lets the viewer see, for a protected item."""

    def readable(self, protected: bool) -> set[str]:
        """The fields whose values the viewer reads: granted, less those withheld."""
        if not protected:
            return self.fields
        return {f for f in self.fields if f not in PROTECTED_FIELDS or f in self.protected_shown}


@dataclass(frozen=True)
class Shared:
    """Other agencies' items about some people, and which of them are shared with the viewer."""

    about: dict[int, Chain]
    grants: dict[int, Grant]
    """What the viewer's active disclosures carry, by chain."""

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
    ) -> Shared:
        """``break_glass`` (session by person) may be passed in when already found."""
        about = chains_about(session, person_ids, actor.agency_id)
        found = grants_for(session, actor, about, now)
        if break_glass is None:
            break_glass = breakglass.active_sessions(session, actor, person_ids, now)
        for chain, held in about.items():
            session_id = break_glass.get(held.person_id) if held.person_id is not None else None
            if session_id is not None:
                grant = found.setdefault(chain, Grant())
                grant.fields.update(DISCLOSABLE_FIELDS)
                grant.break_glass = session_id
        _protected_identities(actor, about, found)
        return cls(about, found)


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
            shared = Shared.find(session, actor, scope.person_ids, now)
        self.about, self.grants = shared.about, shared.grants

    def items(self, filters: ChronologyFilters = ChronologyFilters()) -> list[ChronologyEntry]:
        """Every item the viewer may see about the scope, date-ordered, filters applied."""
        entries = _own(self.session, self.actor, self.scope, filters)
        entries.extend(_disclosed(self.session, self.grants, filters))
        return ordered(entries, filters.order)

    def agencies(self) -> list[AgencyOption]:
        """Agencies the viewer can see information from about the scope (for filter lists)."""
        ids = {self.about[chain].agency_id for chain in self.grants}
        if may_read_own(self.actor) and self.actor.agency_id is not None:
            ids.add(self.actor.agency_id)
        rows = self.session.execute(
            select(Agency.id, Agency.name).where(Agency.id.in_(sorted(ids))).order_by(Agency.name)
        )
        return [AgencyOption(agency_id=i, agency_name=n) for i, n in rows]


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


def chains_about(
    session: Session, person_ids: Collection[int], except_agency: int | None
) -> dict[int, Chain]:
    """Every item chain about these people held by other agencies: ids only.

    Whether the viewer may see any of them is for the disclosures to say.
    """
    query = (
        select(
            InformationItem.id,
            InformationItem.root_id,
            InformationItem.agency_id,
            AgencyRecord.person_id,
        )
        .join(AgencyRecord, AgencyRecord.id == InformationItem.subject_record_id)
        .where(linked_to(person_ids))
    )
    if except_agency is not None:
        query = query.where(InformationItem.agency_id != except_agency)
    # First versions are picked here rather than with "root_id IS NULL" in SQL, which
    # tempts a planner onto the root_id index (where almost every item is NULL).
    return {
        item: Chain(person, agency)
        for item, root, agency, person in session.connection().execute(query)
        if root is None
    }


def _active_disclosure(actor: Actor, now: datetime) -> ColumnElement[bool]:
    """SQL: the disclosed item's disclosure is to the viewer and active, checked by its key."""
    return (
        select(Disclosure.id)
        .where(Disclosure.id == DisclosedItem.disclosure_id, active_to(actor, now))
        .exists()
    )


def grants_for(
    session: Session, actor: Actor, about: Collection[int], now: datetime
) -> dict[int, Grant]:
    """For each of these chains an active disclosure to the viewer carries, what it shows."""
    found: dict[int, Grant] = {}
    if not about:
        return found
    rows = (
        session.connection()
        .execute(
            select(
                DisclosedItem.item_chain_id,
                cast(DisclosedItem.fields, Text),
                DisclosedItem.reveal_protected,
                DisclosedItem.disclosure_id,
            ).where(among(DisclosedItem.item_chain_id, "ids"), _active_disclosure(actor, now)),
            {"ids": sorted(about)},
        )
        .all()
    )
    permitted = permitted_disclosures(session, actor, {row[3] for row in rows}, now)
    for chain, stored_fields, reveal, disclosure_id in rows:
        if disclosure_id not in permitted:
            continue
        fields = _field_list(stored_fields)
        grant = found.get(chain)
        if grant is None:
            grant = found[chain] = Grant()
        grant.fields.update(fields)
        if reveal:
            grant.revealed.update(fields)
        grant.disclosures.add(disclosure_id)
    return found


@lru_cache(maxsize=256)
def _field_list(stored: str) -> tuple[str, ...]:
    """A disclosed item's fields, read from their JSON once per distinct list: a
    chronology reads hundreds of disclosed items and only a handful of field lists."""
    return tuple(json.loads(stored))


def _protected_identities(
    actor: Actor, about: Mapping[int, Chain], found: Mapping[int, Grant]
) -> None:
    """Ask the policy which protected-identity fields each grant may show (rules F2, D2):
    once per holding agency and redaction state, not once per item."""
    answers: dict[tuple[int, bool], bool] = {}
    for chain, grant in found.items():
        owner = about[chain].agency_id
        for name in PROTECTED_FIELDS:
            if name not in grant.fields:
                continue
            lifted = name in grant.revealed
            key = (owner, lifted)
            if key not in answers:
                answers[key] = policy.allowed(
                    actor,
                    Permission.VIEW_PROTECTED_IDENTITY,
                    policy.agency(owner),
                    {"redaction_lifted": lifted},
                )
            if answers[key]:
                grant.protected_shown.add(name)


def _own_scope(actor: Actor, scope: Scope) -> ColumnElement[bool] | None:
    if actor.agency_id is None:
        return None
    linked = and_(linked_to(scope.person_ids), AgencyRecord.agency_id == actor.agency_id)
    if scope.own_record_ids:
        extra = and_(
            AgencyRecord.id.in_(sorted(scope.own_record_ids)),
            AgencyRecord.agency_id == actor.agency_id,
        )
        return or_(linked, extra)
    return linked


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
    query: Select[*tuple[Any, ...]] = select(*_COLUMNS).join(
        AgencyRecord, AgencyRecord.id == InformationItem.subject_record_id
    )
    return query.join(Agency, Agency.id == InformationItem.agency_id).outerjoin(
        ItemRetraction, ItemRetraction.item_id == _CHAIN
    )


def _own(
    session: Session, actor: Actor, scope: Scope, filters: ChronologyFilters
) -> list[ChronologyEntry]:
    where = _own_scope(actor, scope)
    if where is None or not may_read_own(actor):
        return []
    if filters.agency_ids and actor.agency_id not in filters.agency_ids:
        return []
    newest = ~select(_LATER.id).where(_LATER.supersedes_id == InformationItem.id).exists()
    query = _items().where(
        where,
        InformationItem.agency_id == actor.agency_id,
        newest,
        *_value_filters(filters),
    )
    return [
        ChronologyEntry(
            item_chain_id=row.chain_id,
            item_id=row.id,
            agency_id=row.agency_id,
            agency_name=row.agency_name,
            agency_kind=row.agency_kind,
            own_agency=True,
            disclosure_ids=[],
            about_person_id=row.person_id,
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
        for row in _opened(session, session.connection().execute(query))
    ]


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


def _newest_versions(session: Session, chains: list[int]) -> list[int]:
    """The newest version of each chain, by id.

    Versions form one line (a correction must be of the newest version), so the
    newest is the highest id among a chain's later versions, or the first version
    when it has none.
    """
    later = dict(
        session.connection()
        .execute(
            select(InformationItem.root_id, func.max(InformationItem.id))
            .where(among(InformationItem.root_id, "ids"))
            .group_by(InformationItem.root_id),
            {"ids": chains},
        )
        .all()
    )
    return sorted(later.get(chain, chain) for chain in chains)


def _disclosed(
    session: Session, grants: Mapping[int, Grant], filters: ChronologyFilters
) -> list[ChronologyEntry]:
    # A filter on a field the disclosures do not carry cannot match: leave those out
    # before asking the database, so a withheld value never decides what is shown.
    wanted = sorted(
        chain
        for chain, grant in grants.items()
        if all(f in grant.fields for f in filters.fields_filtered)
    )
    if not wanted:
        return []
    rows = session.connection().execute(
        _items().where(
            among(InformationItem.id, "ids"),
            *(
                [InformationItem.agency_id.in_(sorted(filters.agency_ids))]
                if filters.agency_ids
                else []
            ),
            *_value_filters(filters),
        ),
        {"ids": _newest_versions(session, wanted)},
    )
    opened = _opened(
        session, rows, lambda row: grants[row.chain_id].readable(row.protected_identity)
    )
    return [_disclosed_entry(row, grants[row.chain_id]) for row in opened]


_AT = {name: n for n, name in enumerate(select(*_COLUMNS).selected_columns.keys())}
_SHOWN_AT = tuple((name, _AT[name], name in PROTECTED_FIELDS) for name in DISCLOSABLE_FIELDS)
_Row = namedtuple("_Row", list(_AT))  # type: ignore[misc]


def _opened(
    session: Session,
    rows: Iterable[Any],
    readable: Callable[[Any], Collection[str]] | None = None,
) -> list[Any]:
    """The rows with summary, detail and source decrypted under each record's key.

    ``readable`` limits a shared row to the fields its disclosures carry (less any
    protected identity withheld): the rest are never decrypted.
    """
    fetched = rows.all() if isinstance(rows, Result) else rows  # one fetch, not one a row
    return open_rows(
        session,
        InformationItem,
        [_Row._make(row) for row in fetched],
        lambda row: Subject(AGENCY_RECORD, row.subject_record_id),
        readable,
    )


def _disclosed_entry(row: Any, grant: Grant) -> ChronologyEntry:
    """Positional access: this runs once per shared item, hundreds of times a request."""
    data = tuple(row)
    protected = data[_AT["protected_identity"]]
    shown: list[str] = []
    values: dict[str, Any] = {}
    for name, at, sensitive in _SHOWN_AT:
        if name in grant.fields:
            shown.append(name)
            hide = sensitive and protected and name not in grant.protected_shown
            values[name] = WITHHELD if hide else data[at]
    version = data[_AT["version"]]
    return ChronologyEntry(
        item_chain_id=data[_AT["chain_id"]],
        item_id=data[_AT["id"]],
        agency_id=data[_AT["agency_id"]],
        agency_name=data[_AT["agency_name"]],
        agency_kind=data[_AT["agency_kind"]],
        own_agency=False,
        disclosure_ids=sorted(grant.disclosures),
        about_person_id=data[_AT["person_id"]],
        about_record_id=None,
        fields=shown,
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
