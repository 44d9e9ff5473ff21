"""The single view: who knows a child, their merged chronology, and pattern flags.

Each function takes the actor and a person in the person index, establishes the
facts that could give the actor a legitimate purpose (``purposes.establish``), asks
the policy, and either answers or refuses. Both are audited, ids only, in the same
transaction as the read; a refusal's entry is committed before the refusal is
raised, so an attempt without a legitimate purpose is on the record too. A refusal
to someone the policy would let use break-glass on the child says so, so the page
can offer emergency access.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from jigsaw.audit import service as audit
from jigsaw.audit.actions import AuditAction
from jigsaw.audit.reads import audited_read, not_a_person_read
from jigsaw.breakglass.service import EmergencyAccessOffered, may_start
from jigsaw.clock import utcnow
from jigsaw.db import Database
from jigsaw.errors import NotFound, NotPermitted
from jigsaw.identity.models import Agency, Practitioner
from jigsaw.people.links import linked_to, person_of
from jigsaw.people.models import AgencyRecord, Involvement
from jigsaw.people.own import own_record
from jigsaw.policy import scopes
from jigsaw.policy.actor import Actor
from jigsaw.policy.authorize import Permission, is_permitted, refusal
from jigsaw.policy.roles import Role
from jigsaw.records.models import Category, Nature, Verification
from jigsaw.records.received import ReceivedFlag, received_about
from jigsaw.singleview import chronology as chron
from jigsaw.singleview import export
from jigsaw.singleview.flags import evaluate, rule_list
from jigsaw.singleview.household import household_of
from jigsaw.singleview.purposes import Standing, establish
from jigsaw.singleview.rules import RuleSet, ScopeName, shipped_rules
from jigsaw.singleview.schemas import (
    AgencyOption,
    ChronologyEntry,
    ChronologyFilters,
    ChronologyOut,
    Contact,
    FlagsOut,
    KnownBy,
    WhoKnowsOut,
)

T = TypeVar("T")


def _looked_up(
    db: Database,
    actor: Actor,
    permission: Permission,
    person_id: int,
    read: Callable[[Session, Standing, datetime], T],
) -> T:
    now = db.clock.now()
    with db.transaction() as session:
        standing = establish(session, actor, person_id, now)
        if is_permitted(actor, permission, purposes=standing.purposes, person_id=person_id):
            return read(session, standing, now)
    db.keep(
        lambda session: audit.append(
            session,
            actor,
            AuditAction.SINGLE_VIEW_REFUSED,
            "person",
            person_id,
            refs={"permission": permission.value},
        )
    )
    if may_start(actor, person_id):
        raise EmergencyAccessOffered(refusal(permission), person_id)
    raise NotPermitted(refusal(permission))


@not_a_person_read(
    "Only the id of the person the actor's own record is linked to: the way in to the "
    "single view, whose every view is audited"
)
def person_for_record(db: Database, actor: Actor, record_id: int) -> int:
    """The person the actor's own agency record is linked to: the way into the single view.

    A record of another agency, or one not (yet) linked to anyone, is not found.
    """
    with db.reading() as session:
        own_record(session, actor, record_id)
        person_id = person_of(session, record_id)
        if person_id is None:
            raise NotFound("linked person for agency record", record_id)
        return person_id


@not_a_person_read(
    "Only the id of the actor's own agency's record of the person: the way from the "
    "single view to pages drawn from that record, whose every read is audited"
)
def record_for_person(db: Database, actor: Actor, person_id: int) -> int:
    """The actor's own agency's record linked to the person (the earliest, if several).

    A person the agency holds no linked record of is not found, as for any other agency's.
    """
    with db.reading() as session:
        found = session.scalar(
            select(AgencyRecord.id)
            .where(
                linked_to([person_id]),
                scopes.of_agency(actor, Permission.READ_OWN_AGENCY_RECORDS, AgencyRecord.agency_id),
            )
            .order_by(AgencyRecord.id)
            .limit(1)
        )
    if found is None:
        raise NotFound("agency record for person", person_id)
    return found


# Who knows this child


@audited_read(AuditAction.WHO_KNOWS_VIEWED)
def who_knows(db: Database, actor: Actor, person_id: int) -> WhoKnowsOut:
    """Agencies that know the person and who to contact there; never what they hold."""

    def read(session: Session, standing: Standing, now: datetime) -> WhoKnowsOut:
        known = _known_by(session, actor, person_id, now)
        named = is_permitted(
            actor, Permission.VIEW_WHO_KNOWS, purposes=standing.purposes, person_id=person_id
        )
        out = WhoKnowsOut(
            person_id=person_id,
            known_as=standing.known_as,
            agencies=known if named else [a for a in known if a.own_agency],
            names_withheld=not named,
            other_agency_kinds=[]
            if named
            else sorted(a.agency_kind for a in known if not a.own_agency),
        )
        audit.append(
            session,
            actor,
            AuditAction.WHO_KNOWS_VIEWED,
            "person",
            person_id,
            refs={
                **standing.audit_refs,
                "agencies": [a.agency_id for a in out.agencies],
                "names_withheld": not named,
            },
        )
        return out

    # Named agencies and contacts need a confirmed record (V1); kinds alone are enough
    # while the viewer's agency's record waits for a second person (V1a).
    return _looked_up(db, actor, Permission.VIEW_WHO_KNOWS_KINDS, person_id, read)


def _known_by(session: Session, actor: Actor, person_id: int, now: datetime) -> list[KnownBy]:
    records = session.execute(
        select(AgencyRecord.id, AgencyRecord.created_at, Agency.id, Agency.name, Agency.kind)
        .join(Agency, Agency.id == AgencyRecord.agency_id)
        .where(linked_to([person_id]))
    ).all()
    agencies: dict[int, KnownBy] = {}
    record_agency: dict[int, int] = {}
    for record_id, created_at, agency_id, name, kind in records:
        record_agency[record_id] = agency_id
        known = agencies.get(agency_id)
        since = created_at.date()
        if known is None:
            agencies[agency_id] = KnownBy(
                agency_id=agency_id,
                agency_name=name,
                agency_kind=kind,
                own_agency=agency_id == actor.agency_id,
                known_since=since,
                contacts=[],
            )
        elif since < known.known_since:
            known.known_since = since
    today = now.date()
    involvements = session.execute(
        select(Involvement, Practitioner)
        .outerjoin(Practitioner, Practitioner.id == Involvement.practitioner_id)
        .where(
            Involvement.agency_record_id.in_(sorted(record_agency)),
            or_(Involvement.ended_on.is_(None), Involvement.ended_on >= today),
        )
        .order_by(Involvement.started_on, Involvement.id)
    ).all()
    seen: set[tuple[int, int]] = set()
    for involvement, practitioner in involvements:
        if involvement.started_on > today:
            continue
        agency_id = record_agency[involvement.agency_record_id]
        if practitioner is not None:
            if not practitioner.active or (agency_id, practitioner.id) in seen:
                continue
            seen.add((agency_id, practitioner.id))
        agencies[agency_id].contacts.append(_contact(involvement, practitioner))
    _add_senders(session, actor, person_id, agencies)
    _add_leads(session, agencies)
    return sorted(agencies.values(), key=lambda a: (not a.own_agency, a.agency_name))


def _add_senders(
    session: Session, actor: Actor, person_id: int, agencies: dict[int, KnownBy]
) -> None:
    """Agencies that sent the viewer's agency a child protection flag about the person
    know the child, even with no record here. Shown only to the agency it was sent to,
    as a disclosure would be: the flag is that agency's word of who sent it. Known since
    the flag was received; when the plan began is on that agency's chronology."""
    if actor.agency_id is None:
        return
    for flag in received_about(session, [person_id], actor.agency_id):
        since = flag.received_at.date()
        known = agencies.get(flag.sending_agency_id)
        if known is None:
            sender = session.get(Agency, flag.sending_agency_id)
            if sender is None:
                continue
            known = agencies[sender.id] = KnownBy(
                agency_id=sender.id,
                agency_name=sender.name,
                agency_kind=sender.kind,
                own_agency=sender.id == actor.agency_id,
                known_since=since,
                contacts=[],
            )
        elif since < known.known_since:
            known.known_since = since
        known.flags_sent_to_you += 1


LEAD_ROLES: tuple[Role, ...] = (Role.DSL, Role.MASH, Role.CALDICOTT)
"""Who is an agency's safeguarding contact, in the order looked for: its designated
safeguarding leads; where it has none (the police, a health trust), its MASH practitioners;
else its Caldicott Guardians. The roles R3 says answer for an agency's safeguarding."""


def _add_leads(session: Session, agencies: dict[int, KnownBy]) -> None:
    """Each agency's safeguarding contacts: people (never service accounts) still active."""
    rows = session.scalars(
        select(Practitioner)
        .where(
            Practitioner.agency_id.in_(sorted(agencies)),
            Practitioner.role.in_(LEAD_ROLES),
            Practitioner.active.is_(True),
            Practitioner.service_account.is_(False),
        )
        .order_by(Practitioner.name, Practitioner.id)
    )
    by_role: dict[int, dict[Role, list[Practitioner]]] = {}
    for person in rows:
        by_role.setdefault(person.agency_id, {}).setdefault(person.role, []).append(person)
    for agency_id, known in agencies.items():
        held = by_role.get(agency_id, {})
        first = next((held[r] for r in LEAD_ROLES if r in held), [])
        known.leads = [
            Contact(
                practitioner_id=p.id,
                name=p.name,
                role=p.role,
                job_title=p.job_title,
                description="",
                phone=p.phone,
                email=p.email,
                since=p.created_at.date(),
            )
            for p in first
        ]


def _contact(involvement: Involvement, practitioner: Practitioner | None) -> Contact:
    """The involvement's own contact details first; the practitioner's fill the gaps."""
    return Contact(
        practitioner_id=practitioner.id if practitioner else None,
        name=practitioner.name if practitioner else None,
        role=practitioner.role if practitioner else None,
        job_title=practitioner.job_title if practitioner else "",
        description=involvement.description,
        phone=involvement.contact_phone or (practitioner.phone if practitioner else ""),
        email=involvement.contact_email or (practitioner.email if practitioner else ""),
        since=involvement.started_on,
    )


# The merged chronology


@audited_read(AuditAction.CHRONOLOGY_VIEWED, AuditAction.CHRONOLOGY_EXPORTED)
def chronology(
    db: Database,
    actor: Actor,
    person_id: int,
    filters: ChronologyFilters = ChronologyFilters(),
    *,
    exported: bool = False,
) -> ChronologyOut:
    """Every item the actor may see about the person, date-ordered, with only visible fields.

    ``exported`` records the read as an export (print or PDF) rather than a view.
    """

    def read(session: Session, standing: Standing, now: datetime) -> ChronologyOut:
        scope = chron.Scope(frozenset({person_id}))
        visible = chron.Visible(session, actor, scope, now, standing.shared)
        entries = visible.items(filters)
        options = visible.agencies()
        received = _received_entries(session, actor, person_id)
        if received:
            entries = chron.ordered(entries + _filtered(received, filters), filters.order)
            named = {o.agency_id for o in options}
            options = sorted(
                options
                + [
                    AgencyOption(agency_id=e.agency_id, agency_name=e.agency_name)
                    for e in {e.agency_id: e for e in received}.values()
                    if e.agency_id not in named
                ],
                key=lambda a: (a.agency_name, a.agency_id),
            )
        out = ChronologyOut(
            person_id=person_id,
            known_as=standing.known_as,
            entries=entries,
            agencies=options,
            break_glass=standing.break_glass,
        )
        audit.append(
            session,
            actor,
            AuditAction.CHRONOLOGY_EXPORTED if exported else AuditAction.CHRONOLOGY_VIEWED,
            "person",
            person_id,
            refs={
                **standing.audit_refs,
                "items": chron.item_ids(e for e in entries if e.received_flag_id is None),
                "disclosures": chron.disclosure_ids(entries),
                "received_flags": sorted(
                    e.received_flag_id for e in entries if e.received_flag_id is not None
                ),
            },
        )
        return out

    return _looked_up(db, actor, Permission.VIEW_CHRONOLOGY, person_id, read)


RECEIVED_FLAG_FIELDS = ["occurred_on", "category", "subtype", "summary", "nature", "source"]


def _received_entries(session: Session, actor: Actor, person_id: int) -> list[ChronologyEntry]:
    """Child protection flags other systems sent the viewer's agency about the person,
    as entries from the agency that sent each: received like a disclosure, so seen by
    the agency it was sent to and no other. Who sent a bundle in is the agency's own
    word of who it came from (Jigsaw cannot prove the sender), so the entry names them."""
    if actor.agency_id is None:
        return []
    rows = session.execute(
        select(ReceivedFlag, Agency, Practitioner.name)
        .join(Agency, Agency.id == ReceivedFlag.sending_agency_id)
        .outerjoin(Practitioner, Practitioner.id == ReceivedFlag.received_by_id)
        .where(
            ReceivedFlag.person_id == person_id,
            ReceivedFlag.receiving_agency_id == actor.agency_id,
        )
        .order_by(ReceivedFlag.received_at, ReceivedFlag.id)
    ).all()
    return [_received_entry(flag, sender, by, person_id) for flag, sender, by in rows]


def _received_entry(
    flag: ReceivedFlag, sender: Agency, received_by: str | None, person_id: int
) -> ChronologyEntry:
    period = " to ".join(
        f"{day:%d %B %Y}" for day in (flag.starts_on, flag.ends_on) if day is not None
    )
    state = "active" if flag.active else "no longer active"
    return ChronologyEntry(
        item_chain_id=0,
        item_id=0,
        agency_id=sender.id,
        agency_name=sender.name,
        agency_kind=sender.kind,
        own_agency=False,
        disclosure_ids=[],
        about_person_id=person_id,
        about_record_id=None,
        fields=list(RECEIVED_FLAG_FIELDS),
        version=1,
        corrected=False,
        retracted=False,
        occurred_on=flag.starts_on or flag.received_at.date(),
        category=Category.CHILD_WELFARE,
        subtype=flag.kind.value,
        summary=f"{flag.kind.label} flag ({state}{', ' + period if period else ''}), "
        f"received from {sender.name}",
        nature=Nature.FACT,
        source=f"Flag {flag.external_id} sent by {sender.name}, "
        f"received by {received_by or 'the service (command line)'}",
        verification=Verification.UNVERIFIED,
        received_flag_id=flag.id,
    )


def _filtered(entries: list[ChronologyEntry], filters: ChronologyFilters) -> list[ChronologyEntry]:
    """The received flags that pass the filters, tested on their shown values."""
    return [
        e
        for e in entries
        if (not filters.categories or e.category in filters.categories)
        and (not filters.agency_ids or e.agency_id in filters.agency_ids)
        and (filters.nature is None or e.nature == filters.nature)
        and (filters.since is None or (e.occurred_on and e.occurred_on >= filters.since))
        and (filters.until is None or (e.occurred_on and e.occurred_on <= filters.until))
    ]


@audited_read(AuditAction.CHRONOLOGY_EXPORTED)
def chronology_pdf(
    db: Database, actor: Actor, person_id: int, filters: ChronologyFilters = ChronologyFilters()
) -> bytes:
    """The chronology as a PDF; audited as an export, since it leaves the service."""
    found = chronology(db, actor, person_id, filters, exported=True)
    with db.reading() as session:
        who = session.get(Practitioner, actor.practitioner_id) if actor.practitioner_id else None
        agency = session.get(Agency, actor.agency_id) if actor.agency_id else None
    named = (who.name if who else "", agency.name if agency else "")
    prepared_by = ", ".join(part for part in named if part)
    names = {a.agency_id: a.agency_name for a in found.agencies}
    return export.chronology_pdf(
        f"Chronology: {found.known_as or 'child'}",
        prepared_by or "Jigsaw",
        utcnow(),
        export.describe_filters(filters, names),
        found.entries,
    )


# Pattern flags


@audited_read(AuditAction.PATTERN_FLAGS_VIEWED)
def pattern_flags(
    db: Database, actor: Actor, person_id: int, rules: RuleSet | None = None
) -> FlagsOut:
    """Flags raised by the rules on what the actor may see about the child and household.

    A flag is never raised from, and never hints at, items the actor may not see.
    """
    rule_set = rules or shipped_rules()

    def read(session: Session, standing: Standing, now: datetime) -> FlagsOut:
        household = household_of(
            session,
            actor.agency_id or 0,
            person_id,
            standing.own_record_ids if chron.may_read_own(actor) else (),
            rule_set.household,
        )
        scope = chron.Scope(
            household.person_ids(ScopeName.CONNECTED), household.record_ids(ScopeName.CONNECTED)
        )
        entries = chron.Visible(session, actor, scope, now).items()
        flags = evaluate(rule_set, household, entries)
        shown = [e for f in flags for group in f.evidence for e in group.entries]
        audit.append(
            session,
            actor,
            AuditAction.PATTERN_FLAGS_VIEWED,
            "person",
            person_id,
            refs={
                **standing.audit_refs,
                "flags": ",".join(f.id for f in flags),
                "items": chron.item_ids(shown),
                "disclosures": chron.disclosure_ids(shown),
            },
        )
        return FlagsOut(
            person_id=person_id,
            known_as=standing.known_as,
            rules_version=rule_set.version,
            flags=flags,
            rules=rule_list(rule_set),
        )

    return _looked_up(db, actor, Permission.VIEW_PATTERN_FLAGS, person_id, read)
