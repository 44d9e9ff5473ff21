"""FHIR R4 bundles: a person's records out, child protection flags in.

Every bundle is parsed back from its JSON with the R4B models, and each resource
checked as the class it should be, so what leaves is FHIR a receiver can read.
"""

from __future__ import annotations

import itertools
import json
import os
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from fhir.resources.R4B.auditevent import AuditEvent
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.consent import Consent
from fhir.resources.R4B.flag import Flag
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.provenance import Provenance
from fhir.resources.R4B.relatedperson import RelatedPerson
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from jigsaw.agencies import service as agencies
from jigsaw.agencies.schemas import AgencyIn
from jigsaw.audit.actions import AuditAction
from jigsaw.audit.models import AuditEntry
from jigsaw.cli import app as cli
from jigsaw.consent import service as consent
from jigsaw.consent.models import ConsentStatus, Party, SharingPurpose, TellingMethod
from jigsaw.consent.schemas import ConsentIn, TransparencyIn
from jigsaw.db import Database
from jigsaw.errors import InvalidInput, NotFound, NotPermitted
from jigsaw.interop.fhir import resources as fhir
from jigsaw.interop.fhir.service import What, export_bundle, receive_flags
from jigsaw.oversight.register import WITHHELD
from jigsaw.people import service as people
from jigsaw.people.models import PersonRole, RelationshipKind
from jigsaw.people.nhs_number import check_digit
from jigsaw.people.schemas import AgencyRecordIn
from jigsaw.policy.actor import Actor
from jigsaw.policy.roles import AgencyKind, Role
from jigsaw.records.received import ReceivedFlag
from jigsaw.sharing import decisions, disclosures
from jigsaw.sharing.models import ConsentPosition, DecisionOutcome, NotToldReason
from jigsaw.sharing.schemas import DecisionIn, DisclosedItemIn, DisclosureIn, DisclosureOut
from jigsaw.singleview import service as singleview
from tests.conftest import SYSTEM, World, unique
from tests.scene import HARM_ANSWERS
from tests.singleview.helpers import item, link, relate

SECRET = "Mrs Neighbour at number 12 reported the shouting"
"""The protected detail of an item: it must never leave in a bundle."""

_numbers = itertools.count(int(str(os.getpid())[-4:].rjust(4, "0")) * 10000)


def nhs_number() -> str:
    """A valid NHS number no other test has used: 4 first, as a process whose id ends in
    99 would otherwise make numbers starting 999, which are test numbers and refused."""
    while True:
        first = f"4{next(_numbers) % 10**8:08d}"
        digit = check_digit(first)
        if digit is not None:
            return f"{first}{digit}"


class Child:
    """A child known to a school and to children's social care by NHS number, with a
    mother the social worker records and relates to the child."""

    def __init__(self, db: Database, world: World) -> None:
        self.nhs = nhs_number()
        self.school = world.agency(AgencyKind.SCHOOL)
        self.council = world.agency(AgencyKind.SOCIAL_CARE)
        self.hospital = world.agency(AgencyKind.HEALTH)
        self.accounts = {
            "dsl": world.practitioner(self.school, Role.DSL),
            "dpo": world.practitioner(self.school, Role.DPO),
            "social_worker": world.practitioner(self.council, Role.MASH),
            "nurse": world.practitioner(self.hospital, Role.DSL),
            "outsider": world.practitioner(world.agency(AgencyKind.POLICE), Role.PRACTITIONER),
        }
        self.dsl, self.dpo, self.social_worker, self.nurse, self.outsider = (
            world.actor(a) for a in self.accounts.values()
        )
        self.person = people.create_person(db, SYSTEM, self.nhs).id
        self.school_record = self._record(db, self.dsl, "Ruby", PersonRole.CHILD, self.nhs)
        self.council_record = self._record(
            db, self.social_worker, "Ruby", PersonRole.CHILD, self.nhs
        )
        self.hospital_record = self._record(db, self.nurse, "Ruby", PersonRole.CHILD, self.nhs)
        link(db, self.person, self.school_record, self.council_record, self.hospital_record)
        self.mother_record = self._record(
            db, self.social_worker, "Kerry", PersonRole.PARENT_CARER, None
        )
        relate(
            db, self.social_worker, self.mother_record, self.council_record, RelationshipKind.PARENT
        )

    @staticmethod
    def _record(
        db: Database, actor: Actor, given: str, role: PersonRole, number: str | None
    ) -> int:
        assert actor.agency_id is not None
        return people.create_agency_record(
            db,
            actor,
            AgencyRecordIn(
                agency_id=actor.agency_id,
                local_id=unique("F").replace(" ", "-"),
                role=role,
                given_name=given,
                family_name="Okafor",
                date_of_birth=date(2018, 4, 9) if role is PersonRole.CHILD else date(1991, 2, 3),
                address="1 Refuge Road, Anytown",
                postcode="AN1 1AA",
                nhs_number=number,
            ),
        ).id


@pytest.fixture
def child(db: Database, world: World) -> Child:
    return Child(db, world)


def reparsed(bundle: Bundle) -> tuple[dict[str, Any], Bundle]:
    """The bundle's JSON, and the bundle parsed back from it with the R4B models."""
    text = bundle.model_dump_json()
    return json.loads(text), Bundle.model_validate_json(text)


def resources_of(bundle: Bundle, kind: type) -> list[Any]:
    return [e.resource for e in bundle.entry or [] if isinstance(e.resource, kind)]


def audit_count(db: Database, action: AuditAction) -> int:
    with db.sessions() as session:
        return (
            session.scalar(
                select(func.count())
                .select_from(AuditEntry)
                .where(AuditEntry.action == action.value)
            )
            or 0
        )


LAWFUL_WITHOUT_AGREEMENT = (
    "Section 47 enquiries are under way: the Children Act 1989 makes this sharing lawful."
)


def share(
    db: Database,
    discloser: Actor,
    record_id: int,
    items: list[Any],
    *,
    to_agency: int,
    fields: list[str],
) -> DisclosureOut:
    """Decide to share and disclose, with no data sharing agreement between the two."""
    decision = decisions.decide(
        db, discloser, DecisionIn(
            subject_record_id=record_id, recipient_agency_id=to_agency,
            purpose=SharingPurpose.CHILD_PROTECTION_ENQUIRY, answers=dict(HARM_ANSWERS),
            outcome=DecisionOutcome.SHARE, reasons="The council is making enquiries.",
            lawful_basis="6(1)(e)",
            consent_position=ConsentPosition.NOT_SOUGHT_WOULD_INCREASE_RISK,
            family_informed=False, not_told_reason=NotToldReason.RISK_TO_CHILD,
            not_told_review_on=date(2099, 1, 1),
            **_without_agreement(DecisionIn),
        ),
    )  # fmt: skip
    return disclosures.disclose(
        db, discloser, DisclosureIn(
            decision_id=decision.id,
            items=[DisclosedItemIn(item_id=i.id, fields=fields) for i in items],
            expires_on=date.today() + timedelta(days=30),
            **_without_agreement(DisclosureIn),
        ),
    )  # fmt: skip


def _without_agreement(schema: type[Any]) -> dict[str, str]:
    return (
        {"agreement_override_reason": LAWFUL_WITHOUT_AGREEMENT}
        if "agreement_override_reason" in schema.model_fields
        else {}
    )


# Exports


def test_the_register_exports_as_audit_events_and_provenance_without_protected_identity(
    db: Database, child: Child
) -> None:
    plain = item(db, child.dsl, child.school_record, "Bruise on the upper arm")
    protected = item(
        db, child.dsl, child.school_record, "Told a neighbour", detail=SECRET,
        source="A neighbour", protected_identity=True,
    )  # fmt: skip
    disclosure = share(
        db, child.dsl, child.school_record, [plain, protected], to_agency=child.council.id,
        fields=["occurred_on", "summary", "detail", "source", "nature"],
    )  # fmt: skip
    disclosures.acknowledge(db, child.social_worker, disclosure.id)
    before = audit_count(db, AuditAction.FHIR_EXPORTED)

    data, bundle = reparsed(export_bundle(db, child.dpo, child.person, What.REGISTER))

    assert SECRET not in json.dumps(data)
    assert data["type"] == "collection"
    events = resources_of(bundle, AuditEvent)
    assert [e.id for e in events] == [f"disclosure-{disclosure.id}", f"receipt-{disclosure.id}"]
    event, receipt = events
    assert receipt.action == "R"
    assert receipt.agent[0].who.identifier.value == str(child.council.id)
    assert event.type.code == "110106"
    assert event.entity[0].what.identifier.value == child.nhs
    assert event.entity[0].what.identifier.system == fhir.NHS_NUMBER_SYSTEM
    withheld = [e.description for e in event.entity if e.description and WITHHELD in e.description]
    assert len(withheld) == 1 and "Told a neighbour" in withheld[0]
    assert any("Bruise on the upper arm" in (e.description or "") for e in event.entity)
    (provenance,) = resources_of(bundle, Provenance)
    assert provenance.target[0].reference == fhir.full_url("AuditEvent", event.id)
    assert {t.identifier.value for t in provenance.target[1:]} == {
        f"{plain.id}/1",
        f"{protected.id}/1",
    }
    assert {c.code for r in provenance.reason for c in r.coding or []} >= {
        "child_protection_enquiry",
        "6(1)(e)",
    }
    assert provenance.agent[0].onBehalfOf.identifier.value == str(child.school.id)
    assert audit_count(db, AuditAction.FHIR_EXPORTED) == before + 1


def test_a_decision_not_to_share_is_an_audit_event_with_no_provenance(
    db: Database, child: Child
) -> None:
    refused = decisions.decide(
        db,
        child.dsl,
        DecisionIn(
            subject_record_id=child.school_record,
            recipient_agency_id=child.council.id,
            purpose=SharingPurpose.EARLY_HELP,
            answers=dict(HARM_ANSWERS),
            outcome=DecisionOutcome.DO_NOT_SHARE,
            reasons="Nothing here the council needs for early help.",
            consent_position=ConsentPosition.NOT_SOUGHT_WOULD_INCREASE_RISK,
            family_informed=True,
            departure_reason="The council already holds all of this from its own visit.",
        ),
    )
    _, bundle = reparsed(export_bundle(db, child.dpo, child.person, What.REGISTER))
    (event,) = resources_of(bundle, AuditEvent)
    assert event.id == f"decision-{refused.id}"
    assert event.subtype[0].code == "decision-do_not_share"
    assert resources_of(bundle, Provenance) == []


def test_consent_and_transparency_export_as_privacy_consents(db: Database, child: Child) -> None:
    told = consent.record_transparency(
        db, child.dsl, TransparencyIn(
            subject_record_id=child.school_record, told_on=date(2026, 1, 5),
            method=TellingMethod.LEAFLET, told_to=Party.PARENT_CARER,
            explained="What the school may share with the council, and why.",
        ),
    )  # fmt: skip
    given = consent.record_consent(
        db, child.dsl, ConsentIn(
            subject_record_id=child.school_record, purpose=SharingPurpose.EARLY_HELP,
            status=ConsentStatus.GIVEN, asked=Party.PARENT_CARER,
        ),
    )  # fmt: skip
    withdrawn = consent.record_consent(
        db, child.dsl, ConsentIn(
            subject_record_id=child.school_record, purpose=SharingPurpose.EARLY_HELP,
            status=ConsentStatus.WITHDRAWN, asked=Party.PARENT_CARER, notes="Mother phoned",
        ),
    )  # fmt: skip

    data, bundle = reparsed(export_bundle(db, child.dsl, child.person, What.CONSENT))

    consents = {c.id: c for c in resources_of(bundle, Consent)}
    assert set(consents) == {
        f"transparency-{told.id}",
        f"consent-{given.id}",
        f"consent-{withdrawn.id}",
    }
    for resource in consents.values():
        assert resource.scope.coding[0].code == "patient-privacy"
        assert resource.patient.identifier.value == child.nhs
        assert resource.organization[0].identifier.value == str(child.school.id)
    assert consents[f"consent-{given.id}"].status == "active"
    assert consents[f"consent-{given.id}"].provision.type == "permit"
    assert consents[f"consent-{given.id}"].policyRule.coding[0].code == "OPTIN"
    assert consents[f"consent-{withdrawn.id}"].status == "inactive"
    assert consents[f"consent-{withdrawn.id}"].provision.type == "deny"
    transparency = consents[f"transparency-{told.id}"]
    assert transparency.provision.type is None
    assert transparency.category[0].coding[0].code == "transparency"
    assert str(transparency.provision.period.start) == "2026-01-05"
    text = json.dumps(data)
    assert "Mother phoned" not in text and "What the school may share" not in text


def test_the_person_exports_as_patient_and_related_person_without_their_address(
    db: Database, child: Child
) -> None:
    data, bundle = reparsed(export_bundle(db, child.social_worker, child.person, What.PERSON))

    (patient,) = resources_of(bundle, Patient)
    assert {"system": fhir.NHS_NUMBER_SYSTEM, "value": child.nhs} in [
        {"system": i.system, "value": i.value} for i in patient.identifier
    ]
    assert str(patient.birthDate) == "2018-04-09"
    assert patient.name[0].family == "Okafor"
    (mother,) = resources_of(bundle, RelatedPerson)
    assert mother.patient.reference == fhir.full_url("Patient", str(patient.id))
    assert mother.name[0].given == ["Kerry"]
    codes = {c.code for c in mother.relationship[0].coding}
    assert codes == {"parent", "PRN"}
    assert mother.address is None
    assert "Refuge Road" not in json.dumps(data["entry"][1])


def test_a_child_protection_plan_exports_as_a_flag(db: Database, child: Child) -> None:
    plan = item(
        db, child.social_worker, child.council_record, "Child protection plan agreed",
        subtype="child_protection_plan", occurred_on=date(2026, 2, 10),
    )  # fmt: skip
    item(db, child.social_worker, child.council_record, "Home visit", subtype="home_visit")

    _, bundle = reparsed(export_bundle(db, child.social_worker, child.person, What.FLAGS))

    (flag,) = resources_of(bundle, Flag)
    assert flag.id == f"plan-{plan.id}"
    assert flag.status == "active"
    assert flag.code.coding[0].code == "child_protection_plan"
    assert flag.subject.identifier.system == fhir.NHS_NUMBER_SYSTEM
    assert flag.subject.identifier.value == child.nhs
    assert flag.author.identifier.value == str(child.council.id)
    assert str(flag.period.start) == "2026-02-10"


# Flags received


FLAG_CATEGORY = "http://terminology.hl7.org/CodeSystem/flag-category"


def cp_is_bundle(child: Child, *, author: dict[str, Any] | None = None, **flag: Any) -> str:
    """A bundle as CP-IS might send it: the child as a Patient entry by NHS number, the
    local authority as the Flag's author."""
    resource: dict[str, Any] = {
        "resourceType": "Flag",
        "id": "cpis-1",
        "identifier": [{"system": "https://example.org/cp-is/flag", "value": f"CP-{child.nhs}"}],
        "status": "active",
        "category": [{"coding": [{"system": FLAG_CATEGORY, "code": "safety"}]}],
        "code": {"coding": [{"system": fhir.FLAG_CODE_SYSTEM, "code": "child_protection_plan"}]},
        "subject": {"reference": "urn:uuid:5a1d6f7e-0000-4000-8000-000000000001"},
        "period": {"start": "2026-03-01"},
        "author": author
        or {"identifier": {"system": fhir.AGENCY_SYSTEM, "value": str(child.council.id)}},
    }  # fmt: skip
    resource.update(flag)
    return json.dumps(
        {
            "resourceType": "Bundle",
            "type": "collection",
            "entry": [
                {
                    "fullUrl": "urn:uuid:5a1d6f7e-0000-4000-8000-000000000001",
                    "resource": {
                        "resourceType": "Patient",
                        "identifier": [{"system": fhir.NHS_NUMBER_SYSTEM, "value": child.nhs}],
                    },
                },
                {"fullUrl": "urn:uuid:5a1d6f7e-0000-4000-8000-000000000002", "resource": resource},
            ],
        }
    )


def flags_held(db: Database, child: Child) -> int:
    with db.sessions() as session:
        return (
            session.scalar(
                select(func.count())
                .select_from(ReceivedFlag)
                .where(ReceivedFlag.person_id == child.person)
            )
            or 0
        )


def test_a_received_flag_shows_on_the_chronology_and_who_knows_from_the_sender(
    db: Database, child: Child
) -> None:
    before = audit_count(db, AuditAction.FLAG_RECEIVED)

    done = receive_flags(db, child.nurse, cp_is_bundle(child), child.hospital.id)

    assert len(done.received_flag_ids) == 1 and done.already_held == 0
    assert audit_count(db, AuditAction.FLAG_RECEIVED) == before + 1
    chronology = singleview.chronology(db, child.nurse, child.person)
    (entry,) = [e for e in chronology.entries if e.received_flag_id is not None]
    assert entry.received_flag_id == done.received_flag_ids[0]
    assert entry.agency_id == child.council.id
    assert entry.agency_name == child.council.name
    assert entry.subtype == "child_protection_plan"
    assert entry.occurred_on == date(2026, 3, 1)
    assert child.council.name in (entry.summary or "")
    assert child.council.id in {a.agency_id for a in chronology.agencies}
    known = {a.agency_id: a for a in singleview.who_knows(db, child.nurse, child.person).agencies}
    assert known[child.council.id].flags_sent_to_you == 1
    # The school was sent nothing: the flag is not on its chronology.
    school_view = singleview.chronology(db, child.dsl, child.person)
    assert all(e.received_flag_id is None for e in school_view.entries)
    school_known = singleview.who_knows(db, child.dsl, child.person).agencies
    assert all(a.flags_sent_to_you == 0 for a in school_known)

    again = receive_flags(db, child.nurse, cp_is_bundle(child), child.hospital.id)

    assert again.received_flag_ids == [] and again.already_held == 1
    assert flags_held(db, child) == 1
    assert audit_count(db, AuditAction.FLAG_RECEIVED) == before + 1


@pytest.mark.parametrize("named_by", ["organization entry", "display name"])
def test_the_sending_agency_may_be_an_organization_entry_or_its_name(
    db: Database, child: Child, named_by: str
) -> None:
    data = json.loads(cp_is_bundle(child, code={"coding": [
        {"system": fhir.FLAG_CODE_SYSTEM, "code": "looked_after_child"}
    ]}))  # fmt: skip
    flag = data["entry"][1]["resource"]
    if named_by == "display name":
        flag["author"] = {"display": child.council.name.upper()}
    else:
        flag["author"] = {"reference": "Organization/council"}
        data["entry"].append(
            {
                "fullUrl": "https://example.org/fhir/Organization/council",
                "resource": {
                    "resourceType": "Organization",
                    "id": "council",
                    "identifier": [{"system": fhir.AGENCY_SYSTEM, "value": str(child.council.id)}],
                },
            }
        )

    done = receive_flags(db, child.nurse, json.dumps(data), child.hospital.id)

    with db.sessions() as session:
        row = session.get(ReceivedFlag, done.received_flag_ids[0])
        assert row is not None
        assert (row.sending_agency_id, row.kind.value) == (child.council.id, "looked_after_child")


def test_a_sender_named_only_by_a_name_two_agencies_share_ignoring_case_is_refused(
    db: Database, child: Child
) -> None:
    agencies.create_agency(
        db, SYSTEM, AgencyIn(name=child.council.name.upper(), kind=AgencyKind.POLICE)
    )

    with pytest.raises(InvalidInput) as refused:
        receive_flags(
            db,
            child.nurse,
            cp_is_bundle(child, author={"display": child.council.name}),
            child.hospital.id,
        )

    assert "entry[1].resource.author" in {p.field for p in refused.value.problems}
    assert flags_held(db, child) == 0


def test_a_flag_that_ends_is_received_as_a_new_flag(db: Database, child: Child) -> None:
    receive_flags(db, child.nurse, cp_is_bundle(child), child.hospital.id)
    ended = cp_is_bundle(
        child, status="inactive", period={"start": "2026-03-01", "end": "2026-06-01"}
    )

    done = receive_flags(db, child.nurse, ended, child.hospital.id)

    assert len(done.received_flag_ids) == 1
    _, bundle = reparsed(export_bundle(db, child.nurse, child.person, What.FLAGS))
    statuses = sorted(f.status for f in resources_of(bundle, Flag))
    assert statuses == ["active", "inactive"]
    assert {f.author.identifier.value for f in resources_of(bundle, Flag)} == {
        str(child.council.id)
    }


def test_an_exported_flag_bundle_is_received_by_another_agency(db: Database, child: Child) -> None:
    item(
        db, child.social_worker, child.council_record, "Child protection plan agreed",
        subtype="child_protection_plan", occurred_on=date(2026, 2, 10),
    )  # fmt: skip
    exported = export_bundle(db, child.social_worker, child.person, What.FLAGS)

    done = receive_flags(db, SYSTEM, exported.model_dump_json(), child.hospital.id)

    assert len(done.received_flag_ids) == 1
    with db.sessions() as session:
        row = session.get(ReceivedFlag, done.received_flag_ids[0])
        assert row is not None
        assert (row.sending_agency_id, row.person_id) == (child.council.id, child.person)
        assert row.received_by_id is None


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"status": None}, "entry[1].resource.status", "required"),
        ({"status": "entered-in-error"}, "entry[1].resource.status", "active or inactive"),
        (
            {"author": {"display": "No Such Council"}},
            "entry[1].resource.author",
            "No agency here matches",
        ),
        (
            {"code": {"coding": [{"system": "http://snomed.info/sct", "code": "123"}]}},
            "entry[1].resource.code",
            "kind of flag",
        ),
        (
            {"subject": {"identifier": {"system": fhir.NHS_NUMBER_SYSTEM, "value": "9434765919"}}},
            "entry[1].resource.subject",
            "No child with this NHS number",
        ),
        (
            {"subject": {"identifier": {"system": fhir.NHS_NUMBER_SYSTEM, "value": "9434765918"}}},
            "entry[1].resource.subject",
            "check digit does not match",
        ),
        (
            {"period": {"start": "2026-03-01", "end": "2026-02-01"}},
            "entry[1].resource.period",
            "ends before it starts",
        ),
        ({"period": {"start": "2026-03"}}, "entry[1].resource.period.start", "full date"),
        (
            {"identifier": [{"system": "https://example.org/cp-is/flag", "value": "CP-1\x00"}]},
            "entry[1].resource.identifier",
            "control characters",
        ),
        (
            {"identifier": [{"value": "CP-\u202e9"}]},
            "entry[1].resource.identifier",
            "control characters",
        ),
    ],
)
def test_a_bad_flag_is_refused_with_its_field_and_nothing_is_written(
    db: Database, child: Child, change: dict[str, Any], field: str, words: str
) -> None:
    data = json.loads(cp_is_bundle(child))
    for key, value in change.items():
        if value is None:
            data["entry"][1]["resource"].pop(key)
        else:
            data["entry"][1]["resource"][key] = value
    good = json.loads(cp_is_bundle(child, id="cpis-2"))["entry"][1]
    good["resource"]["identifier"][0]["value"] = "another"
    data["entry"].append(good)  # a good flag too: it must not be kept either
    before = audit_count(db, AuditAction.FLAG_RECEIVED)

    with pytest.raises(InvalidInput) as refused:
        receive_flags(db, child.nurse, json.dumps(data), child.hospital.id)

    problems = {p.field: p.message for p in refused.value.problems}
    assert field in problems, problems
    assert words in problems[field]
    assert flags_held(db, child) == 0
    assert audit_count(db, AuditAction.FLAG_RECEIVED) == before


def test_a_bundle_nested_too_deeply_is_refused_not_crashed(db: Database, child: Child) -> None:
    data = json.loads(cp_is_bundle(child))
    deepest = data["entry"][1]["resource"]
    for _ in range(450):  # JSON a parser reads, too deep for the model
        deepest["extension"] = [{"url": "https://example.org/x"}]
        deepest = deepest["extension"][0]

    with pytest.raises(InvalidInput) as refused:
        receive_flags(db, child.nurse, json.dumps(data), child.hospital.id)

    assert refused.value.problems[0].field == "bundle"
    with pytest.raises(InvalidInput):
        receive_flags(db, child.nurse, "[" * 100_000 + "]" * 100_000, child.hospital.id)
    assert flags_held(db, child) == 0


def test_a_received_flag_names_who_received_it_on_the_chronology(
    db: Database, child: Child
) -> None:
    """Jigsaw cannot prove who wrote a bundle: the author is the receiving agency's word,
    so whoever sent it in is named beside the agency it claims to come from."""
    receive_flags(db, child.nurse, cp_is_bundle(child), child.hospital.id)
    receive_flags(db, SYSTEM, cp_is_bundle(child, id="cpis-9", identifier=[]), child.hospital.id)

    entries = [
        e for e in singleview.chronology(db, child.nurse, child.person).entries
        if e.received_flag_id is not None
    ]  # fmt: skip

    nurse_name = child.accounts["nurse"].name
    by = {(e.source or "").split(", received by ")[-1] for e in entries}
    assert by == {nurse_name, "the service (command line)"}, entries


def test_what_is_not_a_bundle_is_refused(db: Database, child: Child) -> None:
    with pytest.raises(InvalidInput) as not_json:
        receive_flags(db, child.nurse, "{not json", child.hospital.id)
    assert not_json.value.problems[0].field == "bundle"
    with pytest.raises(InvalidInput) as patient:
        receive_flags(db, child.nurse, json.dumps({"resourceType": "Patient"}), child.hospital.id)
    assert patient.value.problems[0].field == "resourceType"
    empty = json.dumps({"resourceType": "Bundle", "type": "collection", "entry": []})
    with pytest.raises(InvalidInput) as no_flags:
        receive_flags(db, child.nurse, empty, child.hospital.id)
    assert no_flags.value.problems[0].field == "entry"
    assert flags_held(db, child) == 0


# Who may


def test_an_agency_without_a_record_gets_nothing(db: Database, child: Child) -> None:
    for what in (What.PERSON, What.CONSENT, What.FLAGS):
        with pytest.raises(NotFound):
            export_bundle(db, child.outsider, child.person, what)
    with pytest.raises(NotPermitted):
        export_bundle(db, child.outsider, child.person, What.REGISTER)
    with pytest.raises(NotPermitted):  # not NotFound: a refusal tells nothing of who exists
        export_bundle(db, child.outsider, 10**9, What.REGISTER)
    with pytest.raises(NotPermitted):
        receive_flags(db, child.outsider, cp_is_bundle(child), child.hospital.id)
    with pytest.raises(InvalidInput) as unknown:
        receive_flags(db, child.outsider, cp_is_bundle(child), child.outsider.agency_id or 0)
    assert unknown.value.problems[0].field == "entry[1].resource.subject"
    assert flags_held(db, child) == 0


def test_the_api_exports_and_receives_with_the_same_authorization(
    db: Database, child: Child, world: World, client: TestClient
) -> None:
    item(db, child.dsl, child.school_record, "Bruise on the upper arm")
    world.sign_in(client, child.accounts["outsider"])
    for what in ("person", "consent", "flags"):
        assert client.get(f"/api/people/{child.person}/fhir/{what}").status_code == 404
    assert client.get(f"/api/people/{child.person}/fhir/register").status_code == 403
    assert client.get("/api/people/999999999/fhir/register").status_code == 403
    unknown = client.post(
        "/api/fhir/flags",
        content=cp_is_bundle(child),
        headers={"content-type": "application/fhir+json"},
    )
    assert unknown.status_code == 422, unknown.text
    assert "known to the receiving agency" in unknown.text
    assert flags_held(db, child) == 0
    world.sign_in(client, world.practitioner(child.hospital, Role.AUDITOR))
    refused = client.post(
        "/api/fhir/flags",
        content=cp_is_bundle(child),
        headers={"content-type": "application/fhir+json"},
    )
    assert refused.status_code == 403, refused.text
    assert flags_held(db, child) == 0

    world.sign_in(client, child.accounts["nurse"])
    received = client.post(
        "/api/fhir/flags",
        content=cp_is_bundle(child),
        headers={"content-type": "application/fhir+json"},
    )
    assert received.status_code == 200, received.text
    assert len(received.json()["received_flag_ids"]) == 1
    flags = client.get(f"/api/people/{child.person}/fhir/flags")
    assert flags.status_code == 200
    assert flags.headers["content-type"].startswith("application/fhir+json")
    parsed = Bundle.model_validate_json(flags.text)
    assert [f.code.coding[0].code for f in resources_of(parsed, Flag)] == ["child_protection_plan"]
    bad = client.post(
        "/api/fhir/flags",
        content=cp_is_bundle(child, author={"display": "Nobody"}),
        headers={"content-type": "application/fhir+json"},
    )
    assert bad.status_code == 422
    assert "entry[1].resource.author" in bad.text

    world.sign_in(client, child.accounts["dpo"])
    register = client.get(f"/api/people/{child.person}/fhir/register")
    assert register.status_code == 200, register.text
    Bundle.model_validate_json(register.text)
    person = client.get(f"/api/people/{child.person}/fhir/person")
    assert person.status_code == 200
    assert resources_of(Bundle.model_validate_json(person.text), Patient)


def test_the_command_line_exports_and_imports(db: Database, child: Child, tmp_path: Path) -> None:
    runner = CliRunner()
    item(
        db, child.social_worker, child.council_record, "Child protection plan agreed",
        subtype="child_protection_plan",
    )  # fmt: skip
    out = tmp_path / "flags.json"
    exported = runner.invoke(
        cli,
        ["fhir", "export", "--person", str(child.person), "--what", "flags", "--out", str(out),
         "--database", db.url],
    )  # fmt: skip
    assert exported.exit_code == 0, exported.output
    (flag,) = resources_of(Bundle.model_validate_json(out.read_text()), Flag)
    assert flag.author.identifier.value == str(child.council.id)

    for what in ("register", "consent", "person"):
        shown = runner.invoke(
            cli,
            ["fhir", "export", "--person", str(child.person), "--what", what, "--database", db.url],
        )
        assert shown.exit_code == 0, shown.output
        Bundle.model_validate_json(shown.stdout)

    imported = runner.invoke(
        cli, ["fhir", "import", str(out), "--agency", str(child.hospital.id), "--database", db.url]
    )
    assert imported.exit_code == 0, imported.output
    assert "1 flags received, 0 already held" in imported.stdout
    again = runner.invoke(
        cli, ["fhir", "import", str(out), "--agency", str(child.hospital.id), "--database", db.url]
    )
    assert "0 flags received, 1 already held" in again.stdout
    bad = tmp_path / "bad.json"
    bad.write_text(cp_is_bundle(child, author={"display": "Nobody"}))
    refused = runner.invoke(
        cli, ["fhir", "import", str(bad), "--agency", str(child.hospital.id), "--database", db.url]
    )
    assert refused.exit_code == 1
    assert "entry[1].resource.author" in refused.output
    assert flags_held(db, child) == 1


@pytest.mark.parametrize(
    "statement", ["UPDATE received_flags SET active = active", "DELETE FROM received_flags"]
)
def test_received_flags_are_write_once(db: Database, child: Child, statement: str) -> None:
    receive_flags(db, child.nurse, cp_is_bundle(child), child.hospital.id)
    with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as conn:
        conn.execute(text(statement))
    assert flags_held(db, child) == 1
