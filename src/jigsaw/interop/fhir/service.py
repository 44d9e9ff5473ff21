"""FHIR out and in: a person's records as a Bundle, and child protection flags received.

Exports read through the same rules as the pages they mirror, so a bundle can never
carry more than its reader could see: the disclosure register as the register shows
it (``oversight.register``: protected identities withheld, the DPO's own agency's
decisions), and a person, their consents and their flags from the reader's own
agency's records. A reader whose agency holds no record of the person gets nothing,
told exactly as if the person did not exist. Every export is audited, ids only.

A Flag bundle from another system (NHS CP-IS, a local authority's case system) is
checked whole before anything is written: every flag must name its kind, a child
known here by NHS number, and an agency known here as its author. One problem in any
flag and nothing is kept; otherwise each new flag is written with its audit entry in
one transaction, and a flag already held is not written again.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.flag import Flag
from fhir.resources.R4B.resource import Resource
from pydantic import ValidationError
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from jigsaw.audit import service as audit
from jigsaw.audit.actions import AuditAction
from jigsaw.audit.reads import audited_read
from jigsaw.clock import utcnow
from jigsaw.consent.models import ConsentRecord, TransparencyRecord
from jigsaw.db import Database
from jigsaw.errors import FieldProblem, InvalidInput, NotFound
from jigsaw.identity.models import Agency
from jigsaw.interop.fhir import resources as fhir
from jigsaw.oversight.register import register_in
from jigsaw.people import nhs_number
from jigsaw.people.links import linked_to
from jigsaw.people.models import AgencyRecord, Person, Relationship
from jigsaw.policy import scopes
from jigsaw.policy.actor import Actor
from jigsaw.policy.authorize import Permission, is_permitted, require
from jigsaw.records.models import InformationItem, ItemRetraction
from jigsaw.records.received import FlagKind, ReceivedFlag, received_about
from jigsaw.schemas import Output

CHILD_PROTECTION_TYPE = "child_protection_plan"
"""The item type an agency records a child protection plan under (``item_types.yaml``)."""


class What(StrEnum):
    REGISTER = "register"
    CONSENT = "consent"
    PERSON = "person"
    FLAGS = "flags"


Built = tuple[list[Resource], dict[str, int | str | list[int]]]


@audited_read(AuditAction.FHIR_EXPORTED)
def export_bundle(db: Database, actor: Actor, person_id: int, what: What) -> Bundle:
    """One kind of record about a person as a FHIR Bundle, audited as an export."""
    if what is What.REGISTER:
        # Asked before the person is looked up, so a refusal says nothing of whether
        # they exist: 403 for every id, never 404 for some.
        require(actor, Permission.VIEW_REGISTER, actor.agency_id)
    with db.transaction() as session:
        person = session.get(Person, person_id)
        if person is None:
            raise NotFound("person", person_id)
        found, refs = _BUILDERS[what](session, actor, person)
        audit.append(
            session,
            actor,
            AuditAction.FHIR_EXPORTED,
            "person",
            person_id,
            refs={"what": what.value, "resources": len(found), **refs},
        )
        return fhir.bundle(found, now=utcnow())


def _own_records(session: Session, actor: Actor, person: Person) -> list[AgencyRecord]:
    """The reader's own agency's records of the person (every agency's, for the system);
    none, and the person is not found, as for any id the reader may not know."""
    records = list(
        session.scalars(
            select(AgencyRecord)
            .where(
                linked_to([person.id]),
                scopes.of_agency(actor, Permission.READ_OWN_AGENCY_RECORDS, AgencyRecord.agency_id),
            )
            .order_by(AgencyRecord.id)
        )
    )
    if not records:
        raise NotFound("person", person.id)
    return records


def _nhs_number(person: Person, records: list[AgencyRecord]) -> str | None:
    return person.nhs_number or next((r.nhs_number for r in records if r.nhs_number), None)


def _subject(session: Session, person: Person) -> dict[str, Any]:
    """The person by NHS number: the person index's, else any linked record's."""
    number = person.nhs_number or session.scalar(
        select(AgencyRecord.nhs_number)
        .where(linked_to([person.id]), AgencyRecord.nhs_number.is_not(None))
        .order_by(AgencyRecord.id)
        .limit(1)
    )
    return fhir.subject_reference(person.id, number)


def _agencies(session: Session, ids: set[int]) -> dict[int, Agency]:
    if not ids:
        return {}
    return {a.id: a for a in session.scalars(select(Agency).where(Agency.id.in_(sorted(ids))))}


def _register(session: Session, actor: Actor, person: Person) -> Built:
    register = register_in(session, actor, person_id=person.id)
    names = {e.sharing_agency for e in register.entries} | {
        e.recipient_agency for e in register.entries
    }
    agency_ids = {
        name: ident
        for ident, name in session.execute(
            select(Agency.id, Agency.name).where(Agency.name.in_(sorted(names)))
        )
    }
    found = fhir.register_resources(register.entries, _subject(session, person), agency_ids)
    return found, {
        "records": register.agency_record_ids,
        "decisions": sorted({e.decision_id for e in register.entries if e.decision_id}),
        "encompass_notices": sorted(
            {e.encompass_notice_id for e in register.entries if e.encompass_notice_id}
        ),
        "disclosures": sorted({e.disclosure_id for e in register.entries if e.disclosure_id}),
    }


def _consent(session: Session, actor: Actor, person: Person) -> Built:
    records = _own_records(session, actor, person)
    ids = [r.id for r in records]
    subject = fhir.subject_reference(person.id, _nhs_number(person, records))
    consents = list(
        session.scalars(
            select(ConsentRecord)
            .where(ConsentRecord.subject_record_id.in_(ids))
            .order_by(ConsentRecord.recorded_at, ConsentRecord.id)
        )
    )
    told = list(
        session.scalars(
            select(TransparencyRecord)
            .where(TransparencyRecord.subject_record_id.in_(ids))
            .order_by(TransparencyRecord.recorded_at, TransparencyRecord.id)
        )
    )
    agencies = _agencies(session, {r.agency_id for r in consents} | {r.agency_id for r in told})

    def agency(ident: int) -> dict[str, Any]:
        return fhir.agency_reference(ident, agencies[ident].name)

    found: list[Resource] = [
        fhir.transparency_resource(row, subject, agency(row.agency_id)) for row in told
    ]
    found.extend(fhir.consent_resource(row, subject, agency(row.agency_id)) for row in consents)
    return found, {
        "records": ids,
        "consents": [r.id for r in consents],
        "transparency": [r.id for r in told],
    }


def _person(session: Session, actor: Actor, person: Person) -> Built:
    records = _own_records(session, actor, person)
    ids = {r.id for r in records}
    found: list[Resource] = [
        fhir.patient_resource(person.id, _nhs_number(person, records), records)
    ]
    relationships = session.scalars(
        select(Relationship)
        .where(
            or_(
                Relationship.from_record_id.in_(sorted(ids)),
                Relationship.to_record_id.in_(sorted(ids)),
            )
        )
        .order_by(Relationship.id)
    )
    shown: list[int] = []
    for rel in relationships:
        first = rel.from_record_id in ids
        other_id = rel.to_record_id if first else rel.from_record_id
        if other_id in ids:
            continue  # two of the agency's records of the same person
        other = session.get(AgencyRecord, other_id)
        if other is None or not is_permitted(
            actor, Permission.READ_OWN_AGENCY_RECORDS, other.agency_id
        ):
            continue
        found.append(fhir.related_person_resource(rel.id, rel.kind, first, other, person.id))
        shown.append(rel.id)
    return found, {"records": sorted(ids), "relationships": shown}


def _flags(session: Session, actor: Actor, person: Person) -> Built:
    """The agency's own child protection plans (items of that type, newest version, not
    retracted), and the flags other systems sent to it."""
    records = list(
        session.scalars(
            select(AgencyRecord).where(
                linked_to([person.id]),
                scopes.of_agency(actor, Permission.READ_OWN_AGENCY_RECORDS, AgencyRecord.agency_id),
            )
        )
    )
    received: list[ReceivedFlag] = []
    if actor.is_system:
        received = received_about(session, [person.id])
    elif actor.agency_id is not None and is_permitted(
        actor, Permission.READ_OWN_AGENCY_RECORDS, actor.agency_id
    ):
        received = received_about(session, [person.id], actor.agency_id)
    if not records and not received:
        raise NotFound("person", person.id)
    subject = _subject(session, person)
    plans = _plans(session, [r.id for r in records])
    agencies = _agencies(
        session, {i.agency_id for i in plans} | {f.sending_agency_id for f in received}
    )
    found: list[Resource] = [
        fhir.flag_resource(
            f"plan-{item.chain_id}",
            FlagKind.CHILD_PROTECTION_PLAN,
            True,
            item.occurred_on,
            None,
            subject,
            fhir.agency_reference(item.agency_id, agencies[item.agency_id].name),
        )
        for item in plans
    ]
    found.extend(
        fhir.flag_resource(
            f"received-{flag.id}",
            flag.kind,
            flag.active,
            flag.starts_on,
            flag.ends_on,
            subject,
            fhir.agency_reference(flag.sending_agency_id, agencies[flag.sending_agency_id].name),
        )
        for flag in received
    )
    return found, {
        "records": sorted(r.id for r in records),
        "items": sorted(i.id for i in plans),
        "received_flags": [f.id for f in received],
    }


def _plans(session: Session, record_ids: list[int]) -> list[InformationItem]:
    if not record_ids:
        return []
    items = list(
        session.scalars(
            select(InformationItem).where(InformationItem.subject_record_id.in_(record_ids))
        )
    )
    newest: dict[int, InformationItem] = {}
    for item in items:
        held = newest.get(item.chain_id)
        if held is None or held.version < item.version:
            newest[item.chain_id] = item
    retracted = set(
        session.scalars(
            select(ItemRetraction.item_id).where(ItemRetraction.item_id.in_(sorted(newest)))
        )
    )
    return sorted(
        (
            item
            for chain, item in newest.items()
            if chain not in retracted and item.subtype == CHILD_PROTECTION_TYPE
        ),
        key=lambda i: (i.occurred_on, i.chain_id),
    )


_BUILDERS: dict[What, Callable[[Session, Actor, Person], Built]] = {
    What.REGISTER: _register,
    What.CONSENT: _consent,
    What.PERSON: _person,
    What.FLAGS: _flags,
}


# Flags received


class FlagsReceived(Output):
    """What one bundle did: the flags written, and how many were already held."""

    received_flag_ids: list[int]
    already_held: int


@dataclass(frozen=True)
class _Incoming:
    person_id: int
    sending_agency_id: int
    kind: FlagKind
    active: bool
    starts_on: date | None
    ends_on: date | None
    external_id: str

    def fingerprint(self, receiving_agency_id: int) -> str:
        content = json.dumps(
            [
                self.person_id,
                self.sending_agency_id,
                receiving_agency_id,
                self.kind.value,
                self.active,
                self.starts_on.isoformat() if self.starts_on else None,
                self.ends_on.isoformat() if self.ends_on else None,
                self.external_id,
            ]
        )
        return hashlib.sha256(content.encode("utf-8")).hexdigest()


def receive_flags(
    db: Database, actor: Actor, content: str | bytes, receiving_agency_id: int
) -> FlagsReceived:
    """Record the flags of a FHIR Bundle as received by ``receiving_agency_id``.

    Checked whole first; any problem names its field (``entry[0].resource.author``) and
    nothing is written. Each new flag is written with its audit entry, all in one
    transaction; a flag with the same content already received is not written again.
    """
    require(actor, Permission.RECORD_ABOUT_PEOPLE, receiving_agency_id)
    parsed = parse_bundle(content)
    with db.transaction() as session:
        if session.get(Agency, receiving_agency_id) is None:
            raise InvalidInput.one("agency", f"There is no agency with id {receiving_agency_id}")
        incoming = _checked(session, parsed, receiving_agency_id)
        written: list[int] = []
        held = 0
        seen: set[str] = set()
        for flag in incoming:
            fingerprint = flag.fingerprint(receiving_agency_id)
            if fingerprint in seen or session.scalar(
                select(ReceivedFlag.id).where(
                    ReceivedFlag.sending_agency_id == flag.sending_agency_id,
                    ReceivedFlag.receiving_agency_id == receiving_agency_id,
                    ReceivedFlag.fingerprint == fingerprint,
                )
            ):
                held += 1
                continue
            seen.add(fingerprint)
            row = ReceivedFlag(
                person_id=flag.person_id,
                sending_agency_id=flag.sending_agency_id,
                receiving_agency_id=receiving_agency_id,
                kind=flag.kind,
                active=flag.active,
                starts_on=flag.starts_on,
                ends_on=flag.ends_on,
                external_id=flag.external_id,
                fingerprint=fingerprint,
                received_at=utcnow(),
                received_by_id=actor.practitioner_id,
            )
            audit.append_new(
                session,
                actor,
                row,
                AuditAction.FLAG_RECEIVED,
                "received_flag",
                refs={
                    "person": flag.person_id,
                    "agency": flag.sending_agency_id,
                    "receiving_agency": receiving_agency_id,
                },
            )
            written.append(row.id)
        return FlagsReceived(received_flag_ids=written, already_held=held)


def parse_bundle(content: str | bytes) -> Bundle:
    """The Bundle, validated by the R4B model, or every problem with its field."""
    try:
        data = json.loads(content)
    except (ValueError, UnicodeDecodeError) as error:
        raise InvalidInput.one("bundle", f"This is not JSON: {error}") from None
    except RecursionError:
        raise InvalidInput.one("bundle", TOO_DEEP) from None
    if not isinstance(data, dict) or data.get("resourceType") != "Bundle":
        raise InvalidInput.one("resourceType", "Send a FHIR Bundle (resourceType Bundle)")
    try:
        return Bundle.model_validate(data)
    except RecursionError:
        raise InvalidInput.one("bundle", TOO_DEEP) from None
    except ValidationError as error:
        problems = [
            FieldProblem(_field(e["loc"]), e["msg"]) for e in error.errors(include_url=False)
        ]
        raise InvalidInput(*problems) from None


TOO_DEEP = "The bundle is nested too deeply to read"


def _field(loc: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for part in loc:
        if isinstance(part, int):
            parts[-1:] = [f"{parts[-1]}[{part}]"] if parts else [f"[{part}]"]
        else:
            parts.append(part)
    return ".".join(parts) or "bundle"


def _checked(session: Session, parsed: Bundle, receiving_agency_id: int) -> list[_Incoming]:
    entries = parsed.entry or []
    by_url: dict[str, Resource] = {}
    for entry in entries:
        resource = entry.resource
        if resource is None:
            continue
        if entry.fullUrl:
            by_url[str(entry.fullUrl)] = resource
        if resource.id:
            by_url[f"{resource.get_resource_type()}/{resource.id}"] = resource
    problems: list[FieldProblem] = []
    found: list[_Incoming] = []
    flags = [(i, e.resource) for i, e in enumerate(entries) if isinstance(e.resource, Flag)]
    if not flags:
        raise InvalidInput.one("entry", "The bundle holds no Flag")
    for index, flag in flags:
        where = f"entry[{index}].resource"
        before = len(problems)
        kind = _kind(flag, where, problems)
        active = _active(flag, where, problems)
        person_id = _person_id(session, flag, by_url, receiving_agency_id, where, problems)
        agency_id = _author(session, flag, by_url, where, problems)
        external = _external_id(flag, where, problems)
        starts, ends = _period(flag, where, problems)
        if len(problems) == before:
            assert kind is not None and person_id is not None and agency_id is not None
            found.append(
                _Incoming(person_id, agency_id, kind, bool(active), starts, ends, external)
            )
    if problems:
        raise InvalidInput(*problems)
    return found


def _kind(flag: Flag, where: str, problems: list[FieldProblem]) -> FlagKind | None:
    known = ", ".join(k.value for k in FlagKind)
    codes = {k.value for k in FlagKind}
    for coding in flag.code.coding or [] if flag.code else []:
        if coding.system == fhir.FLAG_CODE_SYSTEM and coding.code in codes:
            return FlagKind(str(coding.code))
    problems.append(
        FieldProblem(
            f"{where}.code",
            f"Give the kind of flag as a code of {fhir.FLAG_CODE_SYSTEM}: one of {known}",
        )
    )
    return None


def _active(flag: Flag, where: str, problems: list[FieldProblem]) -> bool | None:
    if flag.status in ("active", "inactive"):
        return flag.status == "active"
    problems.append(
        FieldProblem(
            f"{where}.status",
            f"A flag received must be active or inactive, not {flag.status}",
        )
    )
    return None


def _identifiers_of(reference: Any, by_url: dict[str, Resource]) -> list[Any]:
    """The identifiers a reference carries itself, or those of the resource it points at
    in the bundle."""
    if reference is None:
        return []
    found = [reference.identifier] if reference.identifier is not None else []
    target = by_url.get(str(reference.reference)) if reference.reference else None
    found.extend(getattr(target, "identifier", None) or [])
    return found


def _person_id(
    session: Session,
    flag: Flag,
    by_url: dict[str, Resource],
    receiving_agency_id: int,
    where: str,
    problems: list[FieldProblem],
) -> int | None:
    """The person the receiving agency's own records with this NHS number are linked to.

    Only its own: a flag is for a child the agency works with, and an answer drawn from
    every agency's records would tell whoever sends a bundle which NHS numbers other
    agencies hold."""
    field = f"{where}.subject"
    numbers = [
        i.value
        for i in _identifiers_of(flag.subject, by_url)
        if i.system == fhir.NHS_NUMBER_SYSTEM and i.value
    ]
    if not numbers:
        problems.append(
            FieldProblem(field, f"Name the child by NHS number ({fhir.NHS_NUMBER_SYSTEM})")
        )
        return None
    try:
        number = nhs_number.normalise(numbers[0])
    except nhs_number.InvalidNHSNumber as invalid:
        problems.append(FieldProblem(field, str(invalid)))
        return None
    people = set(
        session.scalars(
            select(AgencyRecord.person_id).where(
                AgencyRecord.agency_id == receiving_agency_id,
                AgencyRecord.nhs_number == number,
                AgencyRecord.person_id.is_not(None),
            )
        )
    )
    if not people:
        problems.append(
            FieldProblem(
                field,
                "No child with this NHS number is known to the receiving agency: "
                "record the child (with their NHS number) first",
            )
        )
        return None
    if len(people) > 1:
        problems.append(
            FieldProblem(
                field,
                "This NHS number is held for more than one person here: their records "
                "must be linked (or told apart) before a flag can be matched",
            )
        )
        return None
    return people.pop()


def _author(
    session: Session,
    flag: Flag,
    by_url: dict[str, Resource],
    where: str,
    problems: list[FieldProblem],
) -> int | None:
    field = f"{where}.author"
    for identifier in _identifiers_of(flag.author, by_url):
        if identifier.system == fhir.AGENCY_SYSTEM and str(identifier.value or "").isdigit():
            ident = int(identifier.value)
            if session.get(Agency, ident) is not None:
                return ident
    display = flag.author.display if flag.author is not None else None
    if display:
        # Names are unique as written, not ignoring case: two that differ only in case
        # would leave the sender to chance, so neither is taken.
        named = list(
            session.scalars(
                select(Agency.id).where(func.lower(Agency.name) == display.strip().lower())
            )
        )
        if len(named) == 1:
            return int(named[0])
    problems.append(
        FieldProblem(
            field,
            "No agency here matches the flag's author: name the sending agency by its "
            f"Jigsaw id (identifier system {fhir.AGENCY_SYSTEM}) or its exact name",
        )
    )
    return None


def _external_id(flag: Flag, where: str, problems: list[FieldProblem]) -> str:
    """The sender's id for the flag. It is shown on the chronology, so a control
    character (a NUL no PostgreSQL text holds, a right-to-left override that makes it
    read as another id) is refused rather than kept."""
    found = ""
    for identifier in flag.identifier or []:
        if identifier.value:
            system = f"{identifier.system}|" if identifier.system else ""
            found = f"{system}{identifier.value}"[:200]
            break
    else:
        found = str(flag.id or "")
    if not found:
        problems.append(FieldProblem(f"{where}.identifier", "Give the flag an identifier or an id"))
    elif any(unicodedata.category(c) in ("Cc", "Cf") for c in found):
        problems.append(
            FieldProblem(f"{where}.identifier", "The flag's identifier has control characters")
        )
    return found


def _period(
    flag: Flag, where: str, problems: list[FieldProblem]
) -> tuple[date | None, date | None]:
    """The days the flag runs: a partial date ("2026-03") is refused, not guessed, and a
    flag cannot end before it starts."""
    if flag.period is None:
        return None, None
    starts = _day(flag.period.start, f"{where}.period.start", problems)
    ends = _day(flag.period.end, f"{where}.period.end", problems)
    if starts is not None and ends is not None and ends < starts:
        problems.append(FieldProblem(f"{where}.period", "The flag ends before it starts"))
    return starts, ends


def _day(value: object, field: str, problems: list[FieldProblem]) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        problems.append(FieldProblem(field, f"Give the full date (YYYY-MM-DD), not {value}"))
        return None
