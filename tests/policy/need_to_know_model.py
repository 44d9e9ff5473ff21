"""Who may see what, as plain sets and dicts: the model the need-to-know machine checks
the API against.

It is written from the rules as the issue and the security document state them, not
from the policy code, so a slip in either shows up as a disagreement:

- a practitioner sees nothing of any child until a second factor is proved (an API
  token counts as one: an administrator who proved theirs issued it);
- a front-line practitioner (practitioner, DSL, MASH, Caldicott, DPO) sees their own
  agency's records and items in full, the newest version of each, retracted ones
  shown as retracted;
- a front-line practitioner sees exactly the disclosed fields of disclosures addressed
  to them by name, or to their agency's inbox when no one is named, while the
  disclosure is neither expired nor revoked, always as the newest version of each item;
- an item flagged as protecting someone's identity has its ``detail`` and ``source``
  withheld outside its own agency unless a disclosure carrying that field reveals it;
- a MASH practitioner or Caldicott Guardian may open break-glass on one child, signed in
  as a person; while it lasts (not ended, not past its time) their chronology, flags and
  "who knows" show every other agency's items about that child in full, marked with
  the session, protected identities still withheld;
- the chronology of a child (front-line roles) merges them: their agency's items on
  records linked to the child, and other agencies' items about the child that an
  active disclosure to them carries (the union of what those disclosures carry) or
  their break-glass shows;
- "who knows this child" is open to front-line roles whose agency holds a record of
  the child (or with break-glass on the child), and shows every agency that does,
  never what they hold; but a record a practitioner made counts for naming other
  agencies only once a DSL, MASH practitioner or Caldicott Guardian of the agency
  (not the one who made it) has confirmed it: until then "who knows" lists the
  viewer's own agency and only the kinds of the others, and the chronology shows
  the agency's own items (and what was disclosed to them) as before;
- an agency's sharing decisions are read by its front-line practitioners and its
  auditors; the disclosures it made, items included, by its front-line practitioners.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from jigsaw.sharing.disclosures import WITHHELD

FIELDS = (
    "occurred_on",
    "category",
    "subtype",
    "summary",
    "detail",
    "nature",
    "source",
    "verification",
)
PROTECTED = frozenset({"detail", "source"})
FRONTLINE = frozenset({"practitioner", "dsl", "mash", "caldicott", "dpo"})
BREAK_GLASS_ROLES = frozenset({"mash", "caldicott"})
CONFIRMING_ROLES = frozenset({"dsl", "mash", "caldicott"})
DECISION_READERS = FRONTLINE | {"auditor"}
SAFEGUARDING_KINDS = frozenset(
    {"school", "health", "police", "social_care", "housing", "probation", "voluntary"}
)
MAX_DISCLOSURE = timedelta(days=366)

Json = dict[str, Any]


@dataclass
class Agency:
    id: int
    name: str
    kind: str


@dataclass
class Practitioner:
    id: int
    agency_id: int
    role: str
    email: str
    second_factor: bool
    token: str | None = None
    token_scopes: frozenset[str] = frozenset()

    @property
    def frontline(self) -> bool:
        return self.role in FRONTLINE


@dataclass
class Record:
    id: int
    agency_id: int
    person_id: int | None
    given_name: str
    family_name: str
    recorded_by: int | None = None
    confirmed: bool = True


@dataclass
class Version:
    id: int
    number: int
    values: Json
    """The eight disclosable fields as the API writes them (dates as ISO text)."""
    special_category: bool
    criminal_offence: bool
    protected_identity: bool
    reason: str | None = None
    """Why this version corrects the one before, as the API kept it."""
    recorded_at: str | None = None
    """When it was recorded, as the API writes it."""


@dataclass
class Chain:
    """An information item through all its versions, named by its first version's id."""

    id: int
    agency_id: int
    record_id: int
    versions: list[Version]
    retraction_reason: str | None = None

    @property
    def latest(self) -> Version:
        return self.versions[-1]

    @property
    def retracted(self) -> bool:
        return self.retraction_reason is not None


@dataclass
class Decision:
    id: int
    agency_id: int
    record_id: int
    to_agency: int
    to_practitioner: int | None
    art9: bool
    art10: bool
    reveal_reason: bool


@dataclass(frozen=True)
class Carried:
    """One item in a disclosure: which fields go, and whether protected ones are revealed."""

    chain_id: int
    fields: tuple[str, ...]
    reveal: bool
    shared: int = 1
    """The version number that went out; later ones reach the recipient as corrections."""


@dataclass
class Disclosure:
    id: int
    decision: Decision
    carried: list[Carried]
    expires_at: datetime
    revoked: bool = False

    def active(self, now: datetime) -> bool:
        return not self.revoked and self.expires_at > now

    def addressed_to(self, who: Practitioner) -> bool:
        if self.decision.to_practitioner is not None:
            return self.decision.to_practitioner == who.id
        return self.decision.to_agency == who.agency_id


@dataclass
class BreakGlass:
    id: int
    practitioner_id: int
    person_id: int
    expires_at: datetime
    ended: bool = False

    def active(self, now: datetime) -> bool:
        return not self.ended and now < self.expires_at


@dataclass
class Model:
    now: datetime
    agencies: dict[int, Agency] = field(default_factory=dict)
    practitioners: dict[int, Practitioner] = field(default_factory=dict)
    people: list[int] = field(default_factory=list)
    records: dict[int, Record] = field(default_factory=dict)
    chains: dict[int, Chain] = field(default_factory=dict)
    decisions: dict[int, Decision] = field(default_factory=dict)
    disclosures: dict[int, Disclosure] = field(default_factory=dict)
    break_glass: dict[int, BreakGlass] = field(default_factory=dict)

    # Lookups

    def version(self, version_id: int) -> tuple[Chain, Version]:
        for chain in self.chains.values():
            for version in chain.versions:
                if version.id == version_id:
                    return chain, version
        raise KeyError(version_id)

    def chains_on(self, record_id: int) -> list[Chain]:
        return [c for c in self.chains.values() if c.record_id == record_id]

    def person_of(self, chain: Chain) -> int | None:
        return self.records[chain.record_id].person_id

    # Writes the rules allow or refuse

    def disclosure_problems(
        self,
        decision: Decision,
        wanted: list[tuple[int, tuple[str, ...], bool]],
        expires_on: date,
    ) -> list[str]:
        """Why a disclosure of these (version id, fields, reveal) must be refused, if it must.

        An item is judged as it stands now, whichever version the request names: a
        stale version id must not let special category data out without its condition.
        """
        problems: list[str] = []
        seen: set[int] = set()
        for version_id, _fields, reveal in wanted:
            chain, _named = self.version(version_id)
            judged = chain.latest
            if chain.agency_id != decision.agency_id:
                problems.append("not the agency's item")
            if chain.record_id != decision.record_id:
                problems.append("not about the decision's child")
            if chain.id in seen:
                problems.append("listed twice")
            seen.add(chain.id)
            if judged.special_category and not decision.art9:
                problems.append("special category without an Article 9 condition")
            if judged.criminal_offence and not decision.art10:
                problems.append("criminal offence data without an Article 10 condition")
            if reveal and not decision.reveal_reason:
                problems.append("reveals protected identities without a reason")
        expires_at = end_of(expires_on)
        if expires_at <= self.now:
            problems.append("expires in the past")
        elif expires_at - self.now > MAX_DISCLOSURE:
            problems.append("lasts longer than a year")
        return problems

    # Reads

    def inbox(self, who: Practitioner) -> list[Disclosure]:
        if not who.frontline:
            return []
        return [d for d in self.disclosures.values() if d.active(self.now) and d.addressed_to(who)]

    def emergency(self, who: Practitioner, person_id: int, *, as_person: bool) -> int | None:
        """Their active break-glass session on the child, if any; a token is not a person."""
        if not as_person or who.role not in BREAK_GLASS_ROLES:
            return None
        for session in self.break_glass.values():
            if (
                session.practitioner_id == who.id
                and session.person_id == person_id
                and session.active(self.now)
            ):
                return session.id
        return None

    def received_item(self, carried: Carried) -> Json:
        """One disclosed item as its recipient must see it now."""
        chain = self.chains[carried.chain_id]
        latest = chain.latest
        shown: Json = dict.fromkeys(FIELDS)
        for name in carried.fields:
            hidden = name in PROTECTED and latest.protected_identity and not carried.reveal
            shown[name] = WITHHELD if hidden else latest.values[name]
        return {
            "item_chain_id": chain.id,
            "version": latest.number,
            "corrected": latest.number > 1,
            "retracted": chain.retracted,
            "fields": [f for f in FIELDS if f in carried.fields],
            **shown,
            "corrections": self._corrections(chain, carried),
        }

    @staticmethod
    def _corrections(chain: Chain, carried: Carried) -> list[Json]:
        """Each correction since the version shared: the carried fields that changed as
        the recipient may see them, and the reason only where something they hold
        changed and no protected identity (before or after) is kept from them."""

        def seen(version: Version, name: str) -> Any:
            hidden = name in PROTECTED and version.protected_identity and not carried.reveal
            return WITHHELD if hidden else version.values[name]

        found: list[Json] = []
        for before, version in zip(chain.versions, chain.versions[1:], strict=False):
            if version.number <= carried.shared:
                continue
            changes = [
                {"field": name, "before": seen(before, name), "after": seen(version, name)}
                for name in FIELDS
                if name in carried.fields and seen(before, name) != seen(version, name)
            ]
            protected = (before.protected_identity or version.protected_identity) and not (
                carried.reveal
            )
            found.append(
                {
                    "version": version.number,
                    "corrected_at": version.recorded_at,
                    "reason": version.reason if changes and not protected else None,
                    "reason_withheld": bool(changes) and protected,
                    "changes": changes,
                }
            )
        return found

    def reads_own_records(self, who: Practitioner) -> bool:
        return who.frontline

    def own_chains_about(self, who: Practitioner, person_id: int) -> list[Chain]:
        if not self.reads_own_records(who):
            return []
        return [
            c
            for c in self.chains.values()
            if c.agency_id == who.agency_id and self.person_of(c) == person_id
        ]

    def shared_chains_about(
        self, who: Practitioner, person_id: int
    ) -> dict[int, list[tuple[Disclosure, Carried]]]:
        """Other agencies' items about the child carried by active disclosures to ``who``."""
        found: dict[int, list[tuple[Disclosure, Carried]]] = {}
        for disclosure in self.inbox(who):
            for carried in disclosure.carried:
                chain = self.chains[carried.chain_id]
                if chain.agency_id == who.agency_id or self.person_of(chain) != person_id:
                    continue
                found.setdefault(chain.id, []).append((disclosure, carried))
        return found

    def holds_record_of(self, who: Practitioner, person_id: int) -> bool:
        return any(
            r.agency_id == who.agency_id and r.person_id == person_id for r in self.records.values()
        )

    def may_view_chronology(self, who: Practitioner, person_id: int, *, as_person: bool) -> bool:
        if not who.frontline:
            return False
        return (
            self.holds_record_of(who, person_id)
            or bool(self.shared_chains_about(who, person_id))
            or self.emergency(who, person_id, as_person=as_person) is not None
        )

    def holds_confirmed_record_of(self, who: Practitioner, person_id: int) -> bool:
        return any(
            r.agency_id == who.agency_id and r.person_id == person_id and r.confirmed
            for r in self.records.values()
        )

    def may_view_who_knows(self, who: Practitioner, person_id: int, *, as_person: bool) -> bool:
        return who.frontline and (
            self.holds_record_of(who, person_id)
            or self.emergency(who, person_id, as_person=as_person) is not None
        )

    def names_who_knows(self, who: Practitioner, person_id: int, *, as_person: bool) -> bool:
        """Whether "who knows" names the other agencies, or gives their kinds only."""
        return (
            self.holds_confirmed_record_of(who, person_id)
            or self.emergency(who, person_id, as_person=as_person) is not None
        )

    def may_confirm(self, who: Practitioner, record: Record) -> bool:
        return (
            who.role in CONFIRMING_ROLES
            and who.agency_id == record.agency_id
            and who.id != record.recorded_by
        )

    def who_knows(self, person_id: int) -> set[int]:
        return {r.agency_id for r in self.records.values() if r.person_id == person_id}

    def other_kinds(self, who: Practitioner, person_id: int) -> list[str]:
        """The kind of each other agency that knows the person, one per agency."""
        return sorted(
            self.agencies[a].kind for a in self.who_knows(person_id) if a != who.agency_id
        )

    def chronology(self, who: Practitioner, person_id: int, *, as_person: bool) -> list[Json]:
        """The entries, in order: dated ones by date, then those whose date was not shared."""
        entries = [self._own_entry(c) for c in self.own_chains_about(who, person_id)]
        shared = self.shared_chains_about(who, person_id)
        emergency = self.emergency(who, person_id, as_person=as_person)
        others = set(shared)
        if emergency is not None:
            others |= {
                c.id
                for c in self.chains.values()
                if c.agency_id != who.agency_id and self.person_of(c) == person_id
            }
        for chain_id in others:
            entries.append(
                self._shared_entry(self.chains[chain_id], shared.get(chain_id, []), emergency)
            )

        def agency_name(entry: Json) -> str:
            return self.agencies[entry["agency_id"]].name

        dated = sorted(
            (e for e in entries if e["occurred_on"] is not None),
            key=lambda e: (e["occurred_on"], agency_name(e), e["item_chain_id"]),
        )
        undated = sorted(
            (e for e in entries if e["occurred_on"] is None),
            key=lambda e: (agency_name(e), e["item_chain_id"]),
        )
        return dated + undated

    def _entry(self, chain: Chain) -> Json:
        agency = self.agencies[chain.agency_id]
        return {
            "item_chain_id": chain.id,
            "item_id": chain.latest.id,
            "agency_id": agency.id,
            "agency_name": agency.name,
            "agency_kind": agency.kind,
            "about_person_id": self.person_of(chain),
            "version": chain.latest.number,
            "corrected": chain.latest.number > 1,
            "retracted": chain.retracted,
        }

    def _own_entry(self, chain: Chain) -> Json:
        return {
            **self._entry(chain),
            "own_agency": True,
            "disclosure_ids": [],
            "about_record_id": chain.record_id,
            "fields": list(FIELDS),
            **chain.latest.values,
            "retraction_reason": chain.retraction_reason,
            "break_glass_session_id": None,
        }

    def _shared_entry(
        self, chain: Chain, carriers: list[tuple[Disclosure, Carried]], emergency: int | None
    ) -> Json:
        carried_fields = {f for _, c in carriers for f in c.fields}
        if emergency is not None:
            carried_fields = set(FIELDS)
        revealed = {f for _, c in carriers if c.reveal for f in c.fields}
        latest = chain.latest
        shown: Json = dict.fromkeys(FIELDS)
        for name in carried_fields:
            hidden = name in PROTECTED and latest.protected_identity and name not in revealed
            shown[name] = WITHHELD if hidden else latest.values[name]
        return {
            **self._entry(chain),
            "own_agency": False,
            "disclosure_ids": sorted({d.id for d, _ in carriers}),
            "about_record_id": None,
            "fields": [f for f in FIELDS if f in carried_fields],
            **shown,
            "retraction_reason": None,
            "break_glass_session_id": emergency,
        }

    def own_item(self, who: Practitioner, version_id: int) -> Json | None:
        """An item version as its own agency sees it, or None where it must look absent."""
        chain, version = self.version(version_id)
        if not self.reads_own_records(who) or chain.agency_id != who.agency_id:
            return None
        at = chain.versions.index(version)
        return {
            "id": version.id,
            "subject_record_id": chain.record_id,
            "agency_id": chain.agency_id,
            "version": version.number,
            "supersedes_id": chain.versions[at - 1].id if at else None,
            "retracted": chain.retracted,
            "superseded": version is not chain.latest,
            "special_category": version.special_category,
            "criminal_offence": version.criminal_offence,
            "protected_identity": version.protected_identity,
            **version.values,
        }

    def record_items(self, who: Practitioner, record_id: int) -> list[int] | None:
        """Ids of the newest versions on one of the agency's records, newest event first."""
        record = self.records[record_id]
        if not self.reads_own_records(who) or record.agency_id != who.agency_id:
            return None
        latest = [c.latest for c in self.chains_on(record_id)]
        latest.sort(key=lambda v: v.id)
        latest.sort(key=lambda v: v.values["occurred_on"], reverse=True)
        return [v.id for v in latest]


def end_of(day: date) -> datetime:
    """A disclosure lasts to the last second of its expiry date, UTC."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=UTC)
