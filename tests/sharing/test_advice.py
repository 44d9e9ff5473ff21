"""Advice through the JSON API, as a hostile practitioner would try it: a child's identity
does not leave the agency as "advice", outside advisers are asked anonymised, and asking,
answering and every read are audited with the ids they touched."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from jigsaw.audit.actions import AuditAction
from jigsaw.db import Database
from jigsaw.identity.schemas import PractitionerOut
from jigsaw.policy.roles import AgencyKind, Role
from jigsaw.sharing.models import AdviceRequest
from tests.conftest import World
from tests.web.helpers import add_record, entries_by


@dataclass
class Advisers:
    dsl: PractitionerOut
    colleague: PractitionerOut
    officer: PractitionerOut
    other_dpo: PractitionerOut
    lado: PractitionerOut
    child_record_id: int
    school_id: int
    police_id: int
    council_id: int


@pytest.fixture
def advisers(db: Database, world: World) -> Advisers:
    school = world.agency(AgencyKind.SCHOOL)
    police = world.agency(AgencyKind.POLICE)
    council = world.agency(AgencyKind.SOCIAL_CARE)
    dsl = world.practitioner(school, Role.DSL)
    child = add_record(db, world.actor(dsl), "Lily", "Barnes", date_of_birth=date(2017, 6, 1))
    return Advisers(
        dsl=dsl,
        colleague=world.practitioner(school, Role.PRACTITIONER),
        officer=world.practitioner(police, Role.PRACTITIONER),
        other_dpo=world.practitioner(police, Role.DPO),
        lado=world.practitioner(council, Role.LADO),
        child_record_id=child.id,
        school_id=school.id,
        police_id=police.id,
        council_id=council.id,
    )


def _asked(db: Database) -> int:
    with db.sessions() as session:
        return session.scalar(select(func.count()).select_from(AdviceRequest)) or 0


def _body(to: PractitionerOut, **fields: object) -> dict[str, object]:
    return {
        "to_practitioner_id": to.id,
        "case_summary": "A year 3 pupil with repeated bruising.",
        "question": "Should this go to the MASH today?",
        **fields,
    }


def test_identified_advice_to_another_agencys_practitioner_is_refused(
    client: TestClient, world: World, db: Database, advisers: Advisers
) -> None:
    world.sign_in(client, advisers.dsl)
    before = _asked(db)
    attempts = [
        _body(
            advisers.officer,
            subject_record_id=advisers.child_record_id,
            anonymised=False,
            case_summary="Lily Barnes, 12 Mill Lane, has bruising again.",
        ),
        _body(advisers.other_dpo, subject_record_id=advisers.child_record_id, anonymised=False),
        _body(advisers.other_dpo, anonymised=False, case_summary="Lily Barnes has bruising."),
        _body(advisers.officer, subject_record_id=advisers.child_record_id, anonymised=True),
        _body(advisers.officer, anonymised=True),
    ]
    for attempt in attempts:
        refused = client.post("/api/advice", json=attempt)
        assert refused.status_code == 403, (attempt, refused.text)
        assert "sharing decision" in refused.json()["errors"][0]["message"]
    assert _asked(db) == before
    assert entries_by(db, AuditAction.ADVICE_REQUESTED, advisers.dsl.id) == []
    assert len(entries_by(db, AuditAction.ACCESS_REFUSED, advisers.dsl.id)) == len(attempts)
    world.sign_in(client, advisers.officer)
    assert client.get("/api/advice").json() == []


def test_identified_advice_goes_to_a_colleague_and_carries_the_refs(
    client: TestClient, world: World, db: Database, advisers: Advisers
) -> None:
    world.sign_in(client, advisers.dsl)
    asked = client.post(
        "/api/advice",
        json=_body(
            advisers.colleague, subject_record_id=advisers.child_record_id, anonymised=False
        ),
    )
    assert asked.status_code == 201, asked.text
    ident = asked.json()["id"]
    [entry] = entries_by(db, AuditAction.ADVICE_REQUESTED, advisers.dsl.id)
    assert entry.object_id == str(ident)
    assert entry.refs["agency_record"] == advisers.child_record_id
    assert entry.refs["to_practitioner"] == advisers.colleague.id
    assert entry.refs["to_agency"] == advisers.school_id

    world.sign_in(client, advisers.colleague)
    seen = client.get(f"/api/advice/{ident}")
    assert seen.status_code == 200
    assert seen.json()["subject_record_id"] == advisers.child_record_id
    answered = client.post(f"/api/advice/{ident}/answer", json={"answer": "Yes, call them now."})
    assert answered.status_code == 201, answered.text
    [given] = entries_by(db, AuditAction.ADVICE_GIVEN, advisers.colleague.id)
    assert given.refs["agency_record"] == advisers.child_record_id
    assert given.refs["to_practitioner"] == advisers.colleague.id


def test_anonymised_advice_reaches_an_outside_adviser_and_every_read_is_audited(
    client: TestClient, world: World, db: Database, advisers: Advisers
) -> None:
    world.sign_in(client, advisers.dsl)
    asked = client.post(
        "/api/advice", json=_body(advisers.lado, subject_record_id=advisers.child_record_id)
    )
    assert asked.status_code == 201, asked.text
    ident = asked.json()["id"]
    [entry] = entries_by(db, AuditAction.ADVICE_REQUESTED, advisers.dsl.id)
    assert entry.refs["to_practitioner"] == advisers.lado.id
    assert entry.refs["to_agency"] == advisers.council_id
    assert entry.refs["agency_record"] == advisers.child_record_id

    world.sign_in(client, advisers.lado)
    inbox = client.get("/api/advice")
    assert [a["id"] for a in inbox.json()] == [ident]
    assert inbox.json()[0]["subject_record_id"] is None
    [listed] = entries_by(db, AuditAction.ADVICE_LIST_VIEWED, advisers.lado.id)
    assert listed.refs["advice_requests"] == [ident]
    assert listed.refs["agency_records"] == [advisers.child_record_id]

    opened = client.get(f"/api/advice/{ident}")
    assert opened.status_code == 200
    assert opened.json()["subject_record_id"] is None
    [viewed] = entries_by(db, AuditAction.ADVICE_VIEWED, advisers.lado.id)
    assert viewed.object_id == str(ident)
    assert viewed.refs["agency_record"] == advisers.child_record_id
    assert viewed.refs["to_practitioner"] == advisers.lado.id

    answered = client.post(f"/api/advice/{ident}/answer", json={"answer": "Not a LADO matter."})
    assert answered.status_code == 201
    [given] = entries_by(db, AuditAction.ADVICE_GIVEN, advisers.lado.id)
    assert given.refs["to_agency"] == advisers.council_id


def test_advice_asked_of_someone_else_answers_as_missing_and_is_not_read(
    client: TestClient, world: World, db: Database, advisers: Advisers
) -> None:
    world.sign_in(client, advisers.dsl)
    asked = client.post("/api/advice", json=_body(advisers.colleague, anonymised=True))
    ident = asked.json()["id"]
    world.sign_in(client, advisers.officer)
    for guess in (ident, ident + 1000):
        missing = client.get(f"/api/advice/{guess}")
        assert missing.status_code == 404
    assert entries_by(db, AuditAction.ADVICE_VIEWED, advisers.officer.id) == []


def test_advice_to_another_agency_must_say_which_child_it_is_about(
    client: TestClient, world: World, db: Database, advisers: Advisers
) -> None:
    """Without the child's record the anonymity check has nothing to check against."""
    world.sign_in(client, advisers.dsl)
    before = _asked(db)
    refused = client.post(
        "/api/advice",
        json=_body(advisers.lado, case_summary="Lily Barnes, born 1 June 2017, is being hit."),
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["field"] == "subject_record_id"
    assert _asked(db) == before
    assert entries_by(db, AuditAction.ADVICE_REQUESTED, advisers.dsl.id) == []


@pytest.mark.parametrize(
    ("case_summary", "found"),
    [
        ("Élodie's stepfather hits her.", "Élodie"),
        ("ELODIE is hit at home.", "Élodie"),
        ("Oakenshaw's stepfather hits her.", "Oakenshaw"),
        ("Oakenshaw\u2019s stepfather hits her.", "Oakenshaw"),
        ("The \uff2f\uff41\uff4b\uff45\uff4e\uff53\uff48\uff41\uff57 family.", "Oakenshaw"),
        ("A pupil born 2016-03-04 is hit.", "date of birth"),
        ("A pupil born 04/03/2016 is hit.", "date of birth"),
        ("A pupil born 4/3/2016 is hit.", "date of birth"),
        ("A pupil born 4 March 2016 is hit.", "date of birth"),
        ("A pupil born 4 Mar 2016 is hit.", "date of birth"),
        ("NHS number 943 476 5919.", "NHS number"),
        ("NHS number 9434765919.", "NHS number"),
        ("Lives in LS1 4AB.", "postcode"),
        ("Lives in ls14ab.", "postcode"),
        ("Lives at 4 Mill Lane with her mother.", "address"),
    ],
)
def test_anonymised_advice_to_another_agency_refuses_what_identifies_the_child(
    client: TestClient,
    world: World,
    db: Database,
    advisers: Advisers,
    caplog: pytest.LogCaptureFixture,
    case_summary: str,
    found: str,
) -> None:
    child = add_record(
        db,
        world.actor(advisers.dsl),
        "Élodie",
        "Oakenshaw",
        date_of_birth=date(2016, 3, 4),
        nhs_number="9434765919",
        postcode="LS1 4AB",
        address="4 Mill Lane, Leeds",
    )
    world.sign_in(client, advisers.dsl)
    before = _asked(db)
    with caplog.at_level("DEBUG"):
        refused = client.post(
            "/api/advice",
            json=_body(advisers.lado, subject_record_id=child.id, case_summary=case_summary),
        )
    assert refused.status_code == 422, refused.text
    [problem] = refused.json()["errors"]
    assert problem["field"] == "case_summary"
    assert "must not name the child" in problem["message"]
    assert found in problem["message"]
    assert _asked(db) == before
    assert case_summary not in caplog.text


def test_anonymised_advice_without_identifying_details_reaches_the_adviser_unnamed(
    client: TestClient, world: World, db: Database, advisers: Advisers
) -> None:
    """The adviser in another agency sees neither the child's record nor their name."""
    world.sign_in(client, advisers.dsl)
    asked = client.post(
        "/api/advice",
        json=_body(
            advisers.lado,
            subject_record_id=advisers.child_record_id,
            case_summary="A year 3 pupil, 4 Mar 2016 was the first report of bruising.",
        ),
    )
    assert asked.status_code == 201, asked.text
    ident = asked.json()["id"]
    world.sign_in(client, advisers.lado)
    api = client.get(f"/api/advice/{ident}")
    page = client.get(f"/advice/{ident}")
    inbox = client.get("/advice")
    for answer in (api, page, inbox):
        assert answer.status_code == 200
        assert "Lily" not in answer.text and "Barnes" not in answer.text
        assert f"/children/{advisers.child_record_id}" not in answer.text
    assert api.json()["subject_record_id"] is None
