"""Jigsaw's records as FHIR R4 resources (the ``fhir.resources`` R4B models).

Each builder takes what the services already read, withheld where they withhold it,
and constructs the resource with the library's own models, so a resource that would
not validate fails here rather than in the system that receives it. Identifiers follow
UK Core where there is one (the NHS number); everything Jigsaw names itself sits under
``urn:jigsaw:`` systems, so a receiver can tell our codes from the standard ones.

References inside a bundle are ``urn:uuid:`` full URLs made from the resource's own
id, so the same record exported twice gets the same reference. A person outside the
bundle is referred to by identifier (their NHS number where known), as CP-IS does.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from fhir.resources.R4B.auditevent import AuditEvent
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.consent import Consent
from fhir.resources.R4B.flag import Flag
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.provenance import Provenance
from fhir.resources.R4B.relatedperson import RelatedPerson
from fhir.resources.R4B.resource import Resource

from jigsaw.consent.models import (
    PURPOSE_DPV_TERMS,
    ConsentRecord,
    ConsentStatus,
    TransparencyRecord,
)
from jigsaw.oversight.register import ENCOMPASS, RegisterEntry, SharedItem, described
from jigsaw.people.models import AgencyRecord, RelationshipKind, Sex
from jigsaw.records.received import FlagKind

NHS_NUMBER_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"
PERSON_SYSTEM = "urn:jigsaw:person"
AGENCY_SYSTEM = "urn:jigsaw:agency"
"""An agency's id in Jigsaw: how a Flag's author names the agency that sent it."""
ITEM_SYSTEM = "urn:jigsaw:information-item"
DECISION_SYSTEM = "urn:jigsaw:sharing-decision"
DISCLOSURE_SYSTEM = "urn:jigsaw:disclosure"
ENCOMPASS_SYSTEM = "urn:jigsaw:encompass-notice"
"""An Operation Encompass notice to a school, recorded as a disclosure: made under the
standing protocol, so it names no sharing decision."""
CONSENT_SYSTEM = "urn:jigsaw:consent-record"
TRANSPARENCY_SYSTEM = "urn:jigsaw:transparency-record"
FLAG_ID_SYSTEM = "urn:jigsaw:flag"
FLAG_CODE_SYSTEM = "urn:jigsaw:cp-flag"
"""The CP-IS kinds of flag, as codes: child_protection_plan, looked_after_child,
unborn_child_protection_plan."""
PURPOSE_SYSTEM = "urn:jigsaw:sharing-purpose"
LAWFUL_BASIS_SYSTEM = "urn:jigsaw:lawful-basis"
REGISTER_EVENT_SYSTEM = "urn:jigsaw:register-event"
RELATIONSHIP_SYSTEM = "urn:jigsaw:relationship"
CONSENT_CATEGORY_SYSTEM = "urn:jigsaw:consent-category"

_NAMESPACE = uuid.UUID("6f1d7a52-58c2-4f8e-9a37-3c0b1f4e2d10")
_FLAG_CATEGORY = "http://terminology.hl7.org/CodeSystem/flag-category"
_CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
_ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
_ROLE_CODE = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
_DCM = "http://dicom.nema.org/resources/ontology/DCM"
_OBJECT_ROLE = "http://terminology.hl7.org/CodeSystem/object-role"
_PARTICIPANT = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"

SEX_TO_GENDER = {Sex.FEMALE: "female", Sex.MALE: "male", Sex.UNKNOWN: "unknown"}
CONSENT_STATE = {
    ConsentStatus.GIVEN: ("active", "permit", "OPTIN"),
    ConsentStatus.REFUSED: ("rejected", "deny", "OPTOUT"),
    ConsentStatus.WITHDRAWN: ("inactive", "deny", "OPTOUT"),
}
"""Consent status -> (Consent.status, provision type, v3 ActCode policy rule)."""

RELATIONSHIP_CODES: dict[RelationshipKind, tuple[str | None, str | None]] = {
    RelationshipKind.PARENT: ("PRN", "CHILD"),
    RelationshipKind.CARER: (None, None),
    RelationshipKind.SIBLING: ("SIB", "SIB"),
    RelationshipKind.HOUSEHOLD_MEMBER: (None, None),
    RelationshipKind.PARTNER: ("SIGOTHR", "SIGOTHR"),
    RelationshipKind.ASSOCIATE: ("FRND", "FRND"),
}
"""Each kind as a v3 RoleCode where one says the same: (the related person is this to
the patient, the inverse when the patient is the one named first)."""


def full_url(resource_type: str, ident: str) -> str:
    return f"urn:uuid:{uuid.uuid5(_NAMESPACE, f'{resource_type}/{ident}')}"


def instant(moment: datetime) -> str:
    """A FHIR instant: stored times are UTC, some backends hand them back naive."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()


def bundle(resources: Iterable[Resource], *, now: datetime) -> Bundle:
    """A collection: the resources travel together, none is a request to the receiver."""
    return Bundle(
        type="collection",
        timestamp=instant(now),
        entry=[
            {"fullUrl": full_url(r.get_resource_type(), str(r.id)), "resource": r}
            for r in resources
        ],
    )


def subject_reference(person_id: int, nhs_number: str | None) -> dict[str, Any]:
    """The person by identifier: their NHS number where known, else their Jigsaw id."""
    if nhs_number:
        return {"identifier": {"system": NHS_NUMBER_SYSTEM, "value": nhs_number}}
    return {"identifier": {"system": PERSON_SYSTEM, "value": str(person_id)}}


def agency_reference(agency_id: int | None, name: str) -> dict[str, Any]:
    found: dict[str, Any] = {"display": name} if name else {}
    if agency_id is not None:
        found["identifier"] = {"system": AGENCY_SYSTEM, "value": str(agency_id)}
    return found or {"display": "Unknown agency"}


def _coding(system: str, code: str, display: str | None = None) -> dict[str, str]:
    found = {"system": system, "code": code}
    if display:
        found["display"] = display
    return found


def _words(value: str) -> str:
    text = value.replace("_", " ")
    return text[:1].upper() + text[1:]


# The disclosure register


def register_resources(
    entries: Sequence[RegisterEntry],
    subject: dict[str, Any],
    agency_ids: dict[str, int],
) -> list[Resource]:
    """Each decision (and each disclosure) as an AuditEvent; each disclosure also as a
    Provenance of what went, who shared it and on what basis, targeting the event and
    the items. ``agency_ids`` finds an agency's id from the name the register gives."""
    found: list[Resource] = []
    for entry in entries:
        event = _register_event(entry, subject, agency_ids)
        found.append(event)
        if entry.disclosure_id is not None or entry.kind == ENCOMPASS:
            found.append(_provenance(entry, event, subject, agency_ids))
        if entry.acknowledged_at is not None and entry.disclosure_id is not None:
            found.append(_receipt_event(entry, subject, agency_ids))
    return found


def _entity_of(item: SharedItem) -> dict[str, Any]:
    return {
        "what": {
            "identifier": {
                "system": ITEM_SYSTEM,
                "value": f"{item.item_chain_id}/{item.version}",
            },
            "display": f"Item {item.item_chain_id} version {item.version}",
        },
        "role": _coding(_OBJECT_ROLE, "4", "Domain Resource"),
        "description": described(item),
    }


def _basis(entry: RegisterEntry) -> list[dict[str, Any]]:
    bases = [
        (label, value)
        for label, value in (
            ("UK GDPR Article 6", entry.lawful_basis),
            ("UK GDPR Article 9 condition", entry.art9_condition),
            ("UK GDPR Article 10 condition", entry.art10_condition),
        )
        if value
    ]
    return [
        {"coding": [_coding(LAWFUL_BASIS_SYSTEM, value, f"{label} {value}")]}
        for label, value in bases
    ]


def _purpose(entry: RegisterEntry) -> dict[str, Any]:
    return {
        "coding": [_coding(PURPOSE_SYSTEM, entry.purpose, _words(entry.purpose))],
        "text": _words(entry.purpose),
    }


def _source(entry: RegisterEntry) -> dict[str, Any]:
    """What an entry rests on: the sharing decision, or for an Operation Encompass
    notice the notice itself, which no one decided."""
    if entry.kind == ENCOMPASS:
        return {"identifier": {"system": ENCOMPASS_SYSTEM, "value": str(entry.encompass_notice_id)}}
    return {"identifier": {"system": DECISION_SYSTEM, "value": str(entry.decision_id)}}


def _ident(entry: RegisterEntry) -> str:
    if entry.kind == ENCOMPASS:
        return f"encompass-{entry.encompass_notice_id}"
    if entry.disclosure_id is not None:
        return f"disclosure-{entry.disclosure_id}"
    return f"decision-{entry.decision_id}"


def _register_event(
    entry: RegisterEntry, subject: dict[str, Any], agency_ids: dict[str, int]
) -> AuditEvent:
    encompass = entry.kind == ENCOMPASS
    disclosed = entry.disclosure_id is not None or encompass
    recorded = entry.disclosed_at if disclosed and entry.disclosed_at else entry.decided_at
    entities: list[dict[str, Any]] = [
        {"what": subject, "role": _coding(_OBJECT_ROLE, "1", "Patient")},
        {
            "what": _source(entry),
            "role": _coding(_OBJECT_ROLE, "20", "Job"),
            # The reasons are free text that may name other people: as in a subject
            # access export, they stay in the register for the DPO to review.
            "description": (
                "Operation Encompass notice to the school, under the standing protocol. "
                f"Consent: {_words(entry.consent_position)}."
                if encompass
                else f"Decision: {_words(entry.outcome)}. Consent: "
                f"{_words(entry.consent_position)}."
            ),
        },
    ]
    entities.extend(_entity_of(item) for item in entry.items)
    entities.extend(
        {
            "what": {"identifier": {"system": ITEM_SYSTEM, "value": str(chain)}},
            "role": _coding(_OBJECT_ROLE, "4", "Domain Resource"),
            "description": "Held back: not shared",
        }
        for chain in entry.withheld_item_ids
    )
    if encompass:
        subtype = _coding(REGISTER_EVENT_SYSTEM, ENCOMPASS, "Operation Encompass notice")
    elif disclosed:
        subtype = _coding(REGISTER_EVENT_SYSTEM, "disclosure", "Disclosure")
    else:
        subtype = _coding(
            REGISTER_EVENT_SYSTEM, f"decision-{entry.outcome}", f"Decision: {_words(entry.outcome)}"
        )
    return AuditEvent(
        id=_ident(entry),
        type=_coding(_DCM, "110106", "Export")
        if disclosed
        else _coding(REGISTER_EVENT_SYSTEM, "decision", "Sharing decision"),
        subtype=[subtype],
        action="C" if disclosed else "E",
        recorded=instant(recorded),
        outcome="0",
        purposeOfEvent=[_purpose(entry)],
        agent=[
            {
                "who": {"display": entry.decided_by or "Unknown practitioner"},
                "requestor": True,
                "name": entry.decided_by or None,
            },
            {
                "who": agency_reference(agency_ids.get(entry.sharing_agency), entry.sharing_agency),
                "requestor": False,
            },
            {
                "who": agency_reference(
                    agency_ids.get(entry.recipient_agency), entry.recipient_agency
                ),
                "requestor": False,
                "role": [{"text": "Recipient"}],
            },
        ],
        source={"observer": {"display": "Jigsaw"}},
        entity=entities,
    )


def _provenance(
    entry: RegisterEntry,
    event: AuditEvent,
    subject: dict[str, Any],
    agency_ids: dict[str, int],
) -> Provenance:
    targets: list[dict[str, Any]] = [{"reference": full_url("AuditEvent", str(event.id))}]
    targets.extend(
        {
            "identifier": {
                "system": ITEM_SYSTEM,
                "value": f"{item.item_chain_id}/{item.version}",
            },
            "display": described(item),
        }
        for item in entry.items
    )
    period = {"start": instant(entry.disclosed_at or entry.decided_at)}
    if entry.expires_at is not None:
        period["end"] = instant(entry.expires_at)
    return Provenance(
        id=f"provenance-{_ident(entry)}",
        target=targets,
        occurredPeriod=period,
        recorded=instant(entry.disclosed_at or entry.decided_at),
        reason=[_purpose(entry), *_basis(entry)],
        activity={"coding": [_coding(REGISTER_EVENT_SYSTEM, "disclosure", "Disclosure")]},
        agent=[
            {
                "type": {"coding": [_coding(_PARTICIPANT, "author", "Author")]},
                "who": {"display": entry.decided_by or "Unknown practitioner"},
                "onBehalfOf": agency_reference(
                    agency_ids.get(entry.sharing_agency), entry.sharing_agency
                ),
            }
        ],
        entity=[
            {"role": "source", "what": _source(entry)},
            {"role": "source", "what": subject},
        ],
    )


def _receipt_event(
    entry: RegisterEntry, subject: dict[str, Any], agency_ids: dict[str, int]
) -> AuditEvent:
    """The recipient opening the disclosure: access to what was shared."""
    assert entry.acknowledged_at is not None
    return AuditEvent(
        id=f"receipt-{entry.disclosure_id}",
        type=_coding(_DCM, "110100", "Application Activity"),
        subtype=[_coding(REGISTER_EVENT_SYSTEM, "acknowledged", "Disclosure received")],
        action="R",
        recorded=instant(entry.acknowledged_at),
        outcome="0",
        agent=[
            {
                "who": agency_reference(
                    agency_ids.get(entry.recipient_agency), entry.recipient_agency
                ),
                "requestor": True,
            }
        ],
        source={"observer": {"display": "Jigsaw"}},
        entity=[
            {"what": subject, "role": _coding(_OBJECT_ROLE, "1", "Patient")},
            {
                "what": {
                    "identifier": {"system": DISCLOSURE_SYSTEM, "value": str(entry.disclosure_id)}
                },
                "role": _coding(_OBJECT_ROLE, "4", "Domain Resource"),
            },
        ],
    )


# Consent and transparency


def consent_resource(
    row: ConsentRecord, subject: dict[str, Any], agency: dict[str, Any]
) -> Consent:
    status, provision, rule = CONSENT_STATE[row.status]
    recorded = instant(row.recorded_at)
    return Consent(
        id=f"consent-{row.id}",
        identifier=[{"system": CONSENT_SYSTEM, "value": str(row.id)}],
        status=status,
        scope={"coding": [_coding(_CONSENT_SCOPE, "patient-privacy", "Privacy Consent")]},
        category=[
            {
                "coding": [
                    _coding("http://loinc.org", "59284-0", "Patient Consent"),
                    _coding(CONSENT_CATEGORY_SYSTEM, "consent", "Consent as a lawful basis"),
                ]
            }
        ],
        patient=subject,
        dateTime=recorded,
        organization=[agency],
        policyRule={"coding": [_coding(_ACT_CODE, rule)], "text": f"Consent {row.status.value}"},
        provision={
            "type": provision,
            "period": {"start": recorded},
            "purpose": [
                _coding(PURPOSE_SYSTEM, row.purpose.value, _words(row.purpose.value)),
                _coding("https://w3id.org/dpv", PURPOSE_DPV_TERMS[row.purpose]),
            ],
        },
    )


def transparency_resource(
    row: TransparencyRecord, subject: dict[str, Any], agency: dict[str, Any]
) -> Consent:
    """Being told what may be shared is not consent: no permit or deny, only the telling.
    What was explained is free text, which may name others, so it stays here."""
    return Consent(
        id=f"transparency-{row.id}",
        identifier=[{"system": TRANSPARENCY_SYSTEM, "value": str(row.id)}],
        status="active",
        scope={"coding": [_coding(_CONSENT_SCOPE, "patient-privacy", "Privacy Consent")]},
        category=[
            {
                "coding": [
                    _coding(CONSENT_CATEGORY_SYSTEM, "transparency", "Told what may be shared")
                ]
            }
        ],
        patient=subject,
        dateTime=instant(row.recorded_at),
        organization=[agency],
        policyRule={
            "text": f"Told on {row.told_on.isoformat()} ({_words(row.method.value)}) to "
            f"{_words(row.told_to.value).lower()}: the right to be informed, UK GDPR "
            "Articles 13 and 14"
        },
        provision={"period": {"start": row.told_on.isoformat()}},
    )


# The person and who they are related to


def patient_resource(
    person_id: int, nhs_number: str | None, records: Sequence[AgencyRecord]
) -> Patient:
    """One Patient from the agency's own records of the person: every name, date of
    birth and address they hold, with each record's local id as an identifier."""
    identifiers: list[dict[str, Any]] = []
    numbers = sorted({n for n in [nhs_number, *(r.nhs_number for r in records)] if n})
    identifiers.extend({"system": NHS_NUMBER_SYSTEM, "value": n} for n in numbers)
    identifiers.append({"system": PERSON_SYSTEM, "value": str(person_id)})
    identifiers.extend(
        {"system": f"{AGENCY_SYSTEM}:{r.agency_id}:record", "value": r.local_id} for r in records
    )
    names = sorted({(r.family_name, r.given_name) for r in records})
    births = sorted({r.date_of_birth for r in records if r.date_of_birth is not None})
    genders = {SEX_TO_GENDER[r.sex] for r in records} - {"unknown"}
    addresses = sorted({(r.address, r.postcode) for r in records if r.address or r.postcode})
    return Patient(
        id=f"person-{person_id}",
        identifier=identifiers,
        name=[{"use": "official", "family": family, "given": [given]} for family, given in names],
        gender=genders.pop() if len(genders) == 1 else "unknown",
        birthDate=births[0].isoformat() if len(births) == 1 else None,
        address=[
            {"text": text or None, "postalCode": postcode or None} for text, postcode in addresses
        ],
    )


def related_person_resource(
    relationship_id: int,
    kind: RelationshipKind,
    patient_named_first: bool,
    other: AgencyRecord,
    patient_id: int,
) -> RelatedPerson:
    """Who the related person is to the patient, and their name. Never their address:
    nothing here says whether a related adult's whereabouts are safe to pass on (a
    parent who fled an abuser), so it is withheld as a protected identity would be."""
    forward, inverse = RELATIONSHIP_CODES[kind]
    code = inverse if patient_named_first else forward
    text = (
        f"The patient is {_words(kind.value).lower()} of this person"
        if patient_named_first
        else f"{_words(kind.value)} of the patient"
    )
    coding = [_coding(RELATIONSHIP_SYSTEM, kind.value, _words(kind.value))]
    if code:
        coding.append(_coding(_ROLE_CODE, code))
    return RelatedPerson(
        id=f"related-{relationship_id}",
        identifier=[
            {"system": f"{AGENCY_SYSTEM}:{other.agency_id}:record", "value": other.local_id}
        ],
        patient={"reference": full_url("Patient", f"person-{patient_id}")},
        relationship=[{"coding": coding, "text": text}],
        name=[{"family": other.family_name, "given": [other.given_name]}],
        gender=SEX_TO_GENDER[other.sex],
        birthDate=other.date_of_birth.isoformat() if other.date_of_birth else None,
    )


# Child protection flags


def flag_resource(
    ident: str,
    kind: FlagKind,
    active: bool,
    starts_on: date | None,
    ends_on: date | None,
    subject: dict[str, Any],
    author: dict[str, Any],
) -> Flag:
    period: dict[str, str] = {}
    if starts_on is not None:
        period["start"] = starts_on.isoformat()
    if ends_on is not None:
        period["end"] = ends_on.isoformat()
    return Flag(
        id=ident,
        identifier=[{"system": FLAG_ID_SYSTEM, "value": ident}],
        status="active" if active else "inactive",
        category=[{"coding": [_coding(_FLAG_CATEGORY, "safety", "Safety")]}],
        code={"coding": [_coding(FLAG_CODE_SYSTEM, kind.value, kind.label)], "text": kind.label},
        subject=subject,
        period=period or None,
        author=author,
    )
