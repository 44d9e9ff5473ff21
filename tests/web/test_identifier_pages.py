"""Identifiers on the pages: a child's page lists the identifiers its agency holds by
scheme, and a practitioner finds their agency's children by scheme and value; another
agency's identifiers are never shown, nor its records found."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from jigsaw.audit.actions import AuditAction
from jigsaw.audit.models import AuditEntry
from jigsaw.db import Database
from jigsaw.people import service as people
from jigsaw.people.models import AgencyRecord
from jigsaw.policy.roles import AgencyKind
from tests.conftest import World
from tests.web.helpers import add_record, form_token

UPN = "B801200005001"
OTHER_UPN = "P207000016049"
CASE = "CASE-4471"
POLICE = "OT/2025/991"


def _find(client: TestClient, scheme: str, value: str) -> str:
    token = form_token(client.get("/").text)
    answer = client.post(
        "/identifier", data={"scheme": scheme, "identifier": value, "csrf_token": token}
    )
    assert answer.status_code == 200
    assert all(value not in str(r.headers.get("location", "")) for r in answer.history)
    return answer.text


def _scene(db: Database, world: World):  # type: ignore[no-untyped-def]
    school = world.agency(AgencyKind.SCHOOL)
    police = world.agency(AgencyKind.POLICE)
    teacher = world.practitioner(school)
    officer = world.practitioner(police)
    ours = add_record(
        db,
        world.actor(teacher),
        "Ava",
        "Moss",
        identifiers=[
            {"scheme": "upn", "value": UPN},
            {"scheme": "local_case_number", "value": CASE},
        ],
    )
    theirs = add_record(
        db,
        world.actor(officer),
        "Ava",
        "Moss",
        identifiers=[
            {"scheme": "police_reference", "value": POLICE},
            {"scheme": "upn", "value": OTHER_UPN},
        ],
    )
    person = people.create_person(db, world.actor(teacher), None)
    with db.transaction() as session:  # the same child, linked, as the match would
        session.execute(
            update(AgencyRecord)
            .where(AgencyRecord.id.in_([ours.id, theirs.id]))
            .values(person_id=person.id)
        )
    return teacher, ours, theirs


def test_a_childs_page_lists_its_agencys_identifiers_by_scheme_and_no_others(
    client: TestClient, db: Database, world: World
) -> None:
    teacher, ours, theirs = _scene(db, world)
    world.sign_in(client, teacher)
    page = client.get(f"/children/{ours.id}")
    assert page.status_code == 200
    shown = page.text.split('id="identifiers"')[1].split("</dl>")[0]
    assert "Unique Pupil Number (UPN)" in shown and UPN in shown
    assert "Local case number" in shown and CASE in shown
    assert POLICE not in page.text and OTHER_UPN not in page.text
    assert "Police reference" not in page.text
    refused = client.get(f"/children/{theirs.id}")
    assert refused.status_code == 404
    assert POLICE not in refused.text and OTHER_UPN not in refused.text


def test_a_practitioner_finds_their_agencys_children_by_identifier_only(
    client: TestClient, db: Database, world: World
) -> None:
    teacher, ours, theirs = _scene(db, world)
    world.sign_in(client, teacher)
    found = _find(client, "upn", UPN.lower())  # as typed: the scheme's rule normalises it
    assert f'href="/children/{ours.id}"' in found
    assert "Showing children whose Unique Pupil Number (UPN) is" in found
    case = _find(client, "local_case_number", CASE)
    assert f'href="/children/{ours.id}"' in case
    for scheme, value in (("police_reference", POLICE), ("upn", OTHER_UPN)):
        elsewhere = _find(client, scheme, value)
        assert f'href="/children/{theirs.id}"' not in elsewhere
        assert f'href="/children/{ours.id}"' not in elsewhere
    wrong = _find(client, "upn", "not a upn")
    error = wrong.split('class="govuk-error-message"')[1].split("</p>")[0]
    assert "A UPN must be 13 characters" in error
    cleared = client.post(
        "/identifier",
        data={"clear": "yes", "scheme": "upn", "identifier": "", "csrf_token": form_token(wrong)},
    )
    assert "Showing children whose" not in cleared.text


def test_finding_by_identifier_is_audited_by_scheme_never_value_and_needs_the_form_token(
    client: TestClient, db: Database, world: World
) -> None:
    teacher, ours, _ = _scene(db, world)
    world.sign_in(client, teacher)
    forged = client.post("/identifier", data={"scheme": "upn", "identifier": UPN})
    assert forged.status_code == 403
    assert "Showing children whose" not in client.get("/").text, "a forged post keeps nothing"
    _find(client, "upn", UPN)
    with db.reading() as session:
        entry = session.scalars(
            select(AuditEntry)
            .where(
                AuditEntry.action == AuditAction.AGENCY_RECORDS_LISTED.value,
                AuditEntry.actor_id == teacher.id,
            )
            .order_by(AuditEntry.id.desc())
            .limit(1)
        ).one()
    assert entry.refs["query"] == "identifier"
    assert entry.refs["identifier_scheme"] == "upn"
    assert entry.refs["records"] == [ours.id]
    assert UPN not in json.dumps(entry.refs) and UPN.lower() not in json.dumps(entry.refs)
