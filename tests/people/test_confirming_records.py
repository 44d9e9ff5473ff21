"""A record a practitioner makes gives no standing across agencies until a second person
of the agency confirms it.

The attack: a police officer with no part in a child's life types the child's details
into a new record with a made-up local id; the match links it to the person a school,
the MASH and a domestic-abuse service already know. Before, "who knows" then listed
those agencies by name with their workers' names, phones and emails. Now it shows the
kinds of agency only, the chronology shows nothing of theirs, until a DSL of the
officer's agency (not the officer) confirms the record; break-glass still opens at
once, and is alerted.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from jigsaw.audit.actions import ALERTS, AuditAction
from jigsaw.audit.models import AuditEntry
from jigsaw.clock import utcnow
from jigsaw.db import Database
from jigsaw.errors import Conflict, InvalidInput, NotPermitted
from jigsaw.identity.schemas import AgencyOut, PractitionerOut
from jigsaw.linkage import service as linking
from jigsaw.linkage.index import index_records
from jigsaw.oversight import access_log
from jigsaw.people import service as people
from jigsaw.people.models import LinkStatus, RecordingReason
from jigsaw.people.nhs_number import check_digit
from jigsaw.people.schemas import AgencyRecordIn
from jigsaw.policy.actor import Actor
from jigsaw.policy.roles import AgencyKind, Role
from tests.conftest import SYSTEM, World, unique
from tests.singleview.helpers import involve, item, link, new_person
from tests.web.helpers import add_record

BORN = date(2016, 5, 1)
REASON = "Referred to us after a missing-from-home report last night, case opened"


def nhs_number() -> str:
    """A valid NHS number of this test's own, so no other test's child shares it."""
    while True:
        first = "".join(random.choice("0123456789") for _ in range(9))
        digit = check_digit(first)
        if digit is not None and first[0] != "0":
            return first + str(digit)


@dataclass
class Known:
    """A child known to a school, the MASH and a domestic-abuse service, with named
    workers; and a police force that does not know them."""

    person_id: int
    family_name: str
    nhs_number: str
    agencies: list[AgencyOut]
    workers: list[PractitionerOut]
    police: AgencyOut
    officer: PractitionerOut
    police_dsl: PractitionerOut

    @property
    def secrets(self) -> list[str]:
        """What must not reach an unconfirmed record: names, contacts."""
        said = [a.name for a in self.agencies]
        for worker in self.workers:
            said += [worker.name, worker.email]
        return [*said, "01632 960001"]

    def details(self, local_id: str) -> dict[str, Any]:
        return {
            "agency_id": self.police.id,
            "local_id": local_id,
            "role": "child",
            "given_name": "Maisie",
            "family_name": self.family_name,
            "date_of_birth": BORN.isoformat(),
            "sex": "female",
            "postcode": "LS6 2AB",
            "nhs_number": self.nhs_number,
        }


def build_known(db: Database, world: World) -> Known:
    family = unique("Pennyfeather").replace(" ", "").replace("-", "")
    family = "".join(c for c in family if c.isalpha())
    number = nhs_number()
    agencies, workers, records = [], [], []
    for kind in (AgencyKind.SCHOOL, AgencyKind.SOCIAL_CARE, AgencyKind.VOLUNTARY):
        agency = world.agency(kind)
        worker = world.practitioner(agency, Role.DSL if kind is AgencyKind.SCHOOL else Role.MASH)
        actor = world.actor(worker)
        made = add_record(
            db, actor, "Maisie", family, date_of_birth=BORN, postcode="LS6 2AB", nhs_number=number
        )
        involve(db, actor, made.id, worker.id, "Key worker")
        item(db, actor, made.id, f"Something {kind.value} knows")
        agencies.append(agency)
        workers.append(worker)
        records.append(made.id)
    person = new_person(db)
    link(db, person, *records, status=LinkStatus.AUTO)
    index_records(db)
    police = world.agency(AgencyKind.POLICE)
    officer = world.practitioner(police, Role.PRACTITIONER)
    police_dsl = world.practitioner(police, Role.DSL)
    return Known(person, family, number, agencies, workers, police, officer, police_dsl)


@pytest.fixture
def known(db: Database, world: World) -> Known:
    return build_known(db, world)


def _leaks(known: Known, *texts: str) -> list[str]:
    return [secret for secret in known.secrets if any(secret in text for text in texts)]


def test_recording_a_child_over_the_api_reveals_no_agency_or_worker_until_confirmed(
    client: TestClient, db: Database, world: World, known: Known
) -> None:
    world.sign_in(client, known.officer)
    made = client.post("/api/agency-records", json=known.details(unique("MADEUP")))
    assert made.status_code == 201, made.text
    record_id = made.json()["id"]
    assert made.json()["recorded_by_id"] == known.officer.id
    # Linked as the online match links a new record (or the next run would).
    linked = linking.link_recorded(db, world.actor(known.officer), record_id)
    assert linked.person_id == known.person_id

    who = client.get(f"/api/people/{known.person_id}/who-knows")
    assert who.status_code == 200, who.text
    body = who.json()
    assert body["names_withheld"] is True
    assert [a["agency_id"] for a in body["agencies"]] == [known.police.id]
    assert body["other_agency_kinds"] == ["school", "social_care", "voluntary"]
    chronology = client.get(f"/api/people/{known.person_id}/chronology")
    assert chronology.status_code == 200
    assert chronology.json()["entries"] == []
    flags = client.get(f"/api/people/{known.person_id}/flags")
    assert flags.status_code == 200
    assert _leaks(known, who.text, chronology.text, flags.text) == []

    # The officer cannot vouch for their own record, nor can a DSL who made it.
    refused = client.post(f"/api/agency-records/{record_id}/confirmation")
    assert refused.status_code == 403
    dsl_made = people.create_agency_record(
        db,
        world.actor(known.police_dsl),
        AgencyRecordIn.model_validate(known.details(unique("DSLMADE"))),
    )
    with pytest.raises(NotPermitted):
        people.confirm_agency_record(db, world.actor(known.police_dsl), dsl_made.id)

    # A DSL of the officer's agency confirms, and the names and contacts open.
    client.cookies.clear()
    world.sign_in(client, known.police_dsl)
    waiting = client.get("/api/records-to-confirm")
    assert waiting.status_code == 200
    assert record_id in [w["record"]["id"] for w in waiting.json()]
    confirmed = client.post(f"/api/agency-records/{record_id}/confirmation")
    assert confirmed.status_code == 201, confirmed.text
    assert confirmed.json()["confirmed_by_id"] == known.police_dsl.id
    again = client.post(f"/api/agency-records/{record_id}/confirmation")
    assert again.status_code == 409

    client.cookies.clear()
    world.sign_in(client, known.officer)
    opened = client.get(f"/api/people/{known.person_id}/who-knows").json()
    assert opened["names_withheld"] is False
    named = {a["agency_name"] for a in opened["agencies"]}
    assert named == {a.name for a in known.agencies} | {known.police.name}
    contacts = [c["name"] for a in opened["agencies"] for c in a["contacts"]]
    assert sorted(contacts) == sorted(w.name for w in known.workers)
    with db.sessions() as session:
        entry = session.scalar(
            select(AuditEntry).where(
                AuditEntry.action == AuditAction.AGENCY_RECORD_CONFIRMED.value,
                AuditEntry.object_id == str(record_id),
            )
        )
    assert entry is not None and entry.actor_id == known.police_dsl.id


def test_another_agencys_record_cannot_be_confirmed_and_looks_missing(
    client: TestClient, db: Database, world: World, known: Known
) -> None:
    made = add_record(db, world.actor(known.officer), "Maisie", known.family_name)
    stranger = world.practitioner(world.agency(AgencyKind.SCHOOL), Role.DSL)
    world.sign_in(client, stranger)
    response = client.post(f"/api/agency-records/{made.id}/confirmation")
    assert response.status_code == 404
    missing = client.post("/api/agency-records/987654321/confirmation")
    assert missing.status_code == 404
    assert response.json() == {
        "errors": [{"field": "", "message": f"No agency record with id {made.id}"}]
    }
    assert missing.json()["errors"][0]["message"] == "No agency record with id 987654321"


def test_records_the_service_made_need_no_confirmation(
    db: Database, world: World, known: Known
) -> None:
    imported = people.create_agency_record(
        db, SYSTEM, AgencyRecordIn.model_validate(known.details(unique("IMPORT")))
    )
    assert imported.recorded_by_id is None
    with pytest.raises(Conflict):
        people.confirm_agency_record(db, world.actor(known.police_dsl), imported.id)


def test_recording_from_a_search_needs_a_reason_that_is_sealed_and_alerted(
    db: Database, world: World, known: Known
) -> None:
    officer = world.actor(known.officer)
    data = AgencyRecordIn.model_validate(known.details(unique("SEARCHED")))
    with pytest.raises(InvalidInput):
        people.record_found_by_search(db, officer, data, "curious")
    made = people.record_found_by_search(db, officer, data, REASON)
    assert AuditAction.CHILD_RECORDED_FROM_SEARCH in ALERTS
    with db.sessions() as session:
        stored = session.connection().execute(
            select(RecordingReason.__table__.c.reason).where(
                RecordingReason.agency_record_id == made.id
            )
        )
        assert REASON not in str(stored.scalar_one())  # sealed at rest
        entry = session.scalar(
            select(AuditEntry).where(
                AuditEntry.action == AuditAction.CHILD_RECORDED_FROM_SEARCH.value,
                AuditEntry.object_id == str(made.id),
            )
        )
    assert entry is not None and entry.actor_id == known.officer.id
    assert REASON not in json.dumps(entry.refs)
    # The DSL who confirms reads the reason; the DPO sees the event on the alert list.
    waiting = people.records_to_confirm(db, world.actor(known.police_dsl))
    assert [w.reason for w in waiting if w.record.id == made.id] == [REASON]
    dpo = world.practitioner(known.police, Role.DPO)
    alerts = access_log.alerts(db, world.actor(dpo))
    [alert] = [
        a
        for a in alerts
        if a.action == AuditAction.CHILD_RECORDED_FROM_SEARCH.value and a.object_id == str(made.id)
    ]
    assert alert.reason == REASON
    assert alert.child == f"Maisie {known.family_name}"


def test_break_glass_still_opens_an_unconfirmed_record_at_once_and_is_alerted(
    client: TestClient, db: Database, world: World, known: Known
) -> None:
    guardian = world.practitioner(known.police, Role.CALDICOTT)
    world.sign_in(client, guardian)
    made = client.post("/api/agency-records", json=known.details(unique("GUARD")))
    assert made.status_code == 201
    linking.link_recorded(db, world.actor(guardian), made.json()["id"])
    shut = client.get(f"/api/people/{known.person_id}/who-knows").json()
    assert shut["names_withheld"] is True
    started = client.post(
        f"/api/people/{known.person_id}/break-glass",
        json={
            "category": "missing_child",
            "reason": "Child found alone at the station late at night; police need to act now.",
        },
    )
    assert started.status_code == 201, started.text
    opened = client.get(f"/api/people/{known.person_id}/who-knows").json()
    assert opened["names_withheld"] is False
    assert {a.name for a in known.agencies} <= {a["agency_name"] for a in opened["agencies"]}
    with db.sessions() as session:
        alert = session.scalar(
            select(AuditEntry).where(
                AuditEntry.action == AuditAction.BREAK_GLASS_STARTED.value,
                AuditEntry.actor_id == guardian.id,
            )
        )
    assert alert is not None and AuditAction.BREAK_GLASS_STARTED in ALERTS


# One administrator is not two people

SET_PASSWORD = "kestrels hover over the bypass"


def _added_by(client: TestClient, agency_id: int, role: str) -> dict[str, Any]:
    email = f"{unique('made').replace(' ', '').replace('-', '.')}@example.org"
    made = client.post(
        "/api/practitioners",
        json={"agency_id": agency_id, "name": "Alex Made", "email": email, "role": role},
    )
    assert made.status_code == 201, made.text
    body: dict[str, Any] = made.json()
    return body


def _enrolled(client: TestClient, world: World, made: dict[str, Any]) -> PractitionerOut:
    """Sign in with the enrolment code the administrator was shown, as they could."""
    client.cookies.clear()
    use = {"email": made["email"], "code": made["enrolment_code"], "new_password": SET_PASSWORD}
    assert client.post("/api/password-reset", json=use).status_code == 204
    started = client.post("/api/session", json={"email": made["email"], "password": SET_PASSWORD})
    assert started.json()["second_factor"] == "enrolment_required", started.text
    secret = client.post("/api/session/enrolment").json()["secret"]
    out = PractitionerOut.model_validate(made)
    world.totp_secrets[out.id] = secret
    done = client.post("/api/session/second-factor", json={"totp_code": world.totp_code(out)})
    assert done.status_code == 200, done.text
    return out


def test_one_administrator_cannot_make_both_people_a_confirmation_needs(
    client: TestClient, db: Database, world: World, known: Known
) -> None:
    """The attack: an administrator adds a practitioner and a DSL, keeps both enrolment
    codes, records the child as one and confirms as the other. The DSL's account settles
    for the configured days first (the DPO told meanwhile); the service's own do not."""
    admin = world.practitioner(known.police, Role.ADMIN)
    promoted = world.practitioner(known.police, Role.PRACTITIONER)
    world.sign_in(client, admin)
    maker = _added_by(client, known.police.id, "practitioner")
    lead = _added_by(client, known.police.id, "dsl")
    assert (
        client.patch(f"/api/practitioners/{promoted.id}", json={"role": "dsl"}).status_code == 200
    )
    maker_out = _enrolled(client, world, maker)
    records = []
    for _ in range(2):
        made = client.post("/api/agency-records", json=known.details(unique("MADEUP")))
        assert made.status_code == 201, made.text
        linking.link_recorded(db, world.actor(maker_out), made.json()["id"])
        records.append(made.json()["id"])
    first, second = records

    lead_out = _enrolled(client, world, lead)
    refused = client.post(f"/api/agency-records/{first}/confirmation")
    assert refused.status_code == 403, refused.text
    message = refused.json()["errors"][0]["message"]
    assert "set up or changed by an administrator in the last 7 days" in message
    who = client.get(f"/api/people/{known.person_id}/who-knows").json()
    assert who["names_withheld"] is True and not _leaks(known, json.dumps(who))
    as_promoted = Actor(promoted.id, promoted.agency_id, Role.DSL, mfa_verified=True)
    with pytest.raises(NotPermitted, match="set up or changed"):
        people.confirm_agency_record(db, as_promoted, second)

    # A lead the service itself set up confirms at once.
    client.cookies.clear()
    world.sign_in(client, known.police_dsl)
    assert client.post(f"/api/agency-records/{first}/confirmation").status_code == 201

    # Once the account has settled, the administrator's lead may confirm too.
    db.clock.hold(utcnow() + timedelta(days=7, minutes=1))
    try:
        done = people.confirm_agency_record(db, world.actor(lead_out), second)
    finally:
        db.clock.hold(None)
    assert done.confirmed_by_id == lead_out.id


def test_a_reason_for_recording_a_searched_child_is_judged_as_a_reader_sees_it() -> None:
    """Zero-width characters neither make up the length nor count as words."""
    padded = "\u200b".join("ab") + " \u200b \u200b \u200b " + "\u200b" * 30
    assert people.reason_problem(padded) is not None
    hidden = "\u200bwe\u200b \u200bsaw\u200b \u200bher\u200b \u200btoday\u200b"
    assert people.reason_problem(hidden) is not None, "14 visible characters are too few"
    assert people.reason_problem("Her brother attends our nursery and we now support her") is None
