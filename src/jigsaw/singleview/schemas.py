"""What the single view returns: contacts, chronology entries and pattern flags.

A chronology entry carries only the fields the viewer may see: all of them for the
viewer's own agency's items, exactly the disclosed ones otherwise (the rest are None
and absent from ``fields``), so a page or the API cannot show more by mistake.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from jigsaw.policy.roles import AgencyKind, Role
from jigsaw.records.models import Category, Nature, Verification
from jigsaw.schemas import Output


class Contact(Output):
    """A named practitioner (or a service without a name) working with the person."""

    practitioner_id: int | None
    name: str | None
    role: Role | None
    job_title: str
    description: str
    phone: str
    email: str
    since: date


class KnownBy(Output):
    """One agency that knows the person: who to ask there, never what they hold."""

    agency_id: int
    agency_name: str
    agency_kind: AgencyKind
    own_agency: bool
    known_since: date
    contacts: list[Contact]
    leads: list[Contact] = []
    """Who answers for safeguarding there (``service.LEAD_ROLES``): asked when no one named
    works with the child, or when the named worker cannot be reached."""
    flags_sent_to_you: int = 0
    """Child protection flags this agency sent about the person that the viewer's agency
    received (they are on the chronology). An agency that sent one is listed to the
    agency it was sent to even where it holds no record here."""


class WhoKnowsOut(Output):
    person_id: int
    known_as: str | None
    """The name the viewer's own agency holds for the person, if it holds a record."""
    agencies: list[KnownBy]
    """Agencies by name, with contacts. While the viewer's record waits for a second
    person to confirm it, only their own agency is listed here."""
    names_withheld: bool = False
    """True while the viewer's agency's record is unconfirmed: other agencies are
    counted below by kind only."""
    other_agency_kinds: list[AgencyKind] = []
    """When names are withheld: the kind of each other agency that knows the person,
    one entry per agency, sorted, with no name, id or contact."""


class Order(StrEnum):
    OLDEST_FIRST = "oldest"
    NEWEST_FIRST = "newest"


@dataclass(frozen=True)
class ChronologyFilters:
    """Narrowing a chronology. A filter on a field matches only where that field is
    visible to the viewer, so filtering can never reveal a withheld value."""

    categories: frozenset[Category] = frozenset()
    agency_ids: frozenset[int] = frozenset()
    since: date | None = None
    until: date | None = None
    nature: Nature | None = None
    order: Order = Order.OLDEST_FIRST
    fields_filtered: tuple[str, ...] = field(init=False, default=())

    def __post_init__(self) -> None:
        used = []
        if self.categories:
            used.append("category")
        if self.since is not None or self.until is not None:
            used.append("occurred_on")
        if self.nature is not None:
            used.append("nature")
        object.__setattr__(self, "fields_filtered", tuple(used))

    @property
    def active(self) -> bool:
        return bool(self.fields_filtered or self.agency_ids)


@dataclass(slots=True)
class ChronologyEntry:
    """One item as the viewer may see it.

    A plain dataclass rather than a validated model: a chronology holds hundreds of
    them, every value comes from a typed column, and validating each one would cost
    more than the queries that find them. The API validates them once, on the way out.
    """

    item_chain_id: int
    item_id: int
    agency_id: int
    agency_name: str
    agency_kind: AgencyKind
    own_agency: bool
    disclosure_ids: list[int]
    about_person_id: int | None
    about_record_id: int | None
    """Set only for the viewer's own records."""
    fields: list[str]
    version: int
    corrected: bool
    retracted: bool
    occurred_on: date | None = None
    category: Category | None = None
    subtype: str | None = None
    summary: str | None = None
    detail: str | None = None
    nature: Nature | None = None
    source: str | None = None
    verification: Verification | None = None
    retraction_reason: str | None = None
    """The viewer's own agency's reason; another agency's reason is not part of what it shared."""
    about: str | None = None
    """In a flag's evidence: whose item it is, seen from the child ("child", "parent", ...)."""
    break_glass_session_id: int | None = None
    """Set when the item is seen only through the viewer's emergency (break-glass) access."""
    received_flag_id: int | None = None
    """Set when the entry is a child protection flag another system sent to the viewer's
    agency (``records.received``) rather than an item: its item ids are then 0, and
    ``agency_name`` is the agency that sent it."""


class AgencyOption(Output):
    agency_id: int
    agency_name: str


class EmergencyAccess(Output):
    """The viewer's active break-glass session on the child, shown on every page it opens."""

    session_id: int
    expires_at: datetime


class ChronologyOut(Output):
    person_id: int
    known_as: str | None
    """The name the viewer's own agency holds for the person, if it holds a record."""
    entries: list[ChronologyEntry]
    agencies: list[AgencyOption]
    """Agencies whose information the viewer can see about the person, for filtering."""
    break_glass: EmergencyAccess | None = None


class FlagEvidence(Output):
    """One group of items behind a flag: an indicator, or all of them for simple rules."""

    label: str
    entries: list[ChronologyEntry]


class FlagOut(Output):
    id: str
    title: str
    why_it_matters: str
    rule: str
    """The rule in plain English, as the data states it."""
    window_start: date | None
    window_end: date | None
    evidence: list[FlagEvidence]


class RuleOut(Output):
    id: str
    title: str
    rule: str


class FlagsOut(Output):
    person_id: int
    known_as: str | None
    """The name the viewer's own agency holds for the person, if it holds a record."""
    rules_version: str
    flags: list[FlagOut]
    rules: list[RuleOut]
    """Every rule checked, raised or not, so the absence of a flag is explained too."""
