"""Round trips for every foundation record, and validation that changes nothing."""

from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from jigsaw.audit.models import AuditEntry
from jigsaw.db import Database
from jigsaw.models import Base
from jigsaw.policy.roles import AgencyKind, Role
from tests.conftest import World, unique


def _counts(db: Database) -> dict[str, int]:
    with db.sessions() as session:
        return {
            name: session.scalar(select(func.count()).select_from(table)) or 0
            for name, table in Base.metadata.tables.items()
        }


def _record(owner: int, **overrides: object) -> dict:
    body: dict[str, object] = {
        "agency_id": owner,
        "local_id": unique("L"),
        "role": "child",
        "given_name": "Noah",
        "family_name": "Fitzgerald-Byrne",
        "date_of_birth": "2019-11-30",
        "sex": "male",
        "address": "4 Mill Lane, Oldtown",
        "postcode": "OT4 7XY",
        "nhs_number": "4857773457",
    }
    body.update(overrides)
    return body


def test_records_relationships_involvements_round_trip(
    client: TestClient, world: World, db: Database
) -> None:
    school = world.agency(AgencyKind.SCHOOL)
    teacher = world.practitioner(school, Role.DSL)
    world.sign_in(client, teacher)
    child = client.post("/api/agency-records", json=_record(school.id)).json()
    mother = client.post(
        "/api/agency-records",
        json=_record(
            school.id, role="parent_carer", given_name="Siobhan", date_of_birth="1988-02-01"
        ),
    ).json()

    fetched = client.get(f"/api/agency-records/{child['id']}").json()
    assert fetched == child
    assert fetched["date_of_birth"] == "2019-11-30"
    assert fetched["link_status"] == "unlinked"

    relationship = client.post(
        "/api/relationships",
        json={"from_record_id": mother["id"], "to_record_id": child["id"], "kind": "parent"},
    )
    assert relationship.status_code == 201, relationship.text
    assert client.get(f"/api/agency-records/{child['id']}/relationships").json() == [
        relationship.json()
    ]

    involvement = client.post(
        "/api/involvements",
        json={
            "agency_record_id": child["id"],
            "practitioner_id": teacher.id,
            "description": "Designated safeguarding lead",
            "contact_phone": "01632 960123",
            "started_on": "2024-09-01",
        },
    )
    assert involvement.status_code == 201, involvement.text
    listed = client.get(f"/api/agency-records/{child['id']}/involvements").json()
    assert listed == [involvement.json()]
    assert listed[0]["started_on"] == "2024-09-01"

    person = client.post("/api/persons", json={"nhs_number": "485 777 3457"})
    assert person.status_code == 201
    assert person.json()["nhs_number"] == "4857773457"

    listing = client.get("/api/agency-records", params={"role": "child"}).json()
    assert [r["id"] for r in listing["records"]] == [child["id"]]
    assert listing["total"] == 1


def test_agencies_and_practitioners_round_trip(client: TestClient, world: World) -> None:
    desk = world.practitioner(world.agency(AgencyKind.OTHER), Role.PLATFORM_ADMIN)
    world.sign_in(client, desk)
    name = unique("Oldtown Housing")
    agency = client.post("/api/agencies", json={"name": name, "kind": "housing"})
    assert agency.status_code == 201
    created = client.post(
        "/api/practitioners",
        json={
            "agency_id": agency.json()["id"],
            "name": "Dee Walsh",
            "email": f"{unique('d').replace(' ', '').replace('-', '.')}@example.org",
            "role": "admin",
            "job_title": "Housing systems manager",
        },
    )
    assert created.status_code == 201, created.text
    assert created.json()["agency_id"] == agency.json()["id"]
    assert any(a["name"] == name for a in client.get("/api/agencies").json())
    duplicate = client.post("/api/agencies", json={"name": name, "kind": "housing"})
    assert duplicate.status_code == 409


def test_practitioners_cannot_add_agencies(client: TestClient, world: World) -> None:
    world.sign_in(client, world.practitioner())
    response = client.post("/api/agencies", json={"name": unique("Rogue"), "kind": "other"})
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("overrides", "field", "phrase"),
    [
        ({"nhs_number": "4857773456"}, "nhs_number", "check digit"),
        ({"nhs_number": "12345"}, "nhs_number", "10 digits"),
        (
            {"given_name": "", "family_name": "", "date_of_birth": None, "nhs_number": None},
            "body",
            "a name, a date of birth or an NHS number",
        ),
        ({"date_of_birth": "not a date"}, "date_of_birth", "date"),
        (
            {"date_of_birth": date(date.today().year + 1, 1, 1).isoformat()},
            "date_of_birth",
            "future",
        ),
        ({"agency_id": "school"}, "agency_id", "integer"),
        ({"role": "suspect"}, "role", "child"),
        ({"favourite_colour": "blue"}, "favourite_colour", "not permitted"),
    ],
)
def test_invalid_record_is_refused_with_field_and_message_and_writes_nothing(
    client: TestClient, world: World, db: Database, overrides: dict, field: str, phrase: str
) -> None:
    school = world.agency()
    world.sign_in(client, world.practitioner(school))
    before = _counts(db)
    response = client.post("/api/agency-records", json=_record(school.id, **overrides))
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert [e["field"] for e in errors] == [field]
    assert phrase.lower() in errors[0]["message"].lower()
    assert _counts(db) == before


def test_missing_fields_are_each_named(client: TestClient, world: World, db: Database) -> None:
    world.sign_in(client, world.practitioner())
    before = _counts(db)
    response = client.post("/api/agency-records", json={"role": "child"})
    assert response.status_code == 422
    named = {e["field"] for e in response.json()["errors"]}
    # A name may be left unrecorded; the record is then refused for identifying nobody.
    assert {"agency_id", "local_id"} <= named
    assert _counts(db) == before


def test_duplicate_local_id_is_a_conflict_and_writes_nothing(
    client: TestClient, world: World, db: Database
) -> None:
    school = world.agency()
    world.sign_in(client, world.practitioner(school))
    body = _record(school.id)
    assert client.post("/api/agency-records", json=body).status_code == 201
    before = _counts(db)
    assert client.post("/api/agency-records", json=body).status_code == 409
    assert _counts(db) == before


def test_every_write_and_read_is_audited_without_names(
    client: TestClient, world: World, db: Database
) -> None:
    school = world.agency()
    world.sign_in(client, world.practitioner(school))
    record = client.post("/api/agency-records", json=_record(school.id)).json()
    client.get(f"/api/agency-records/{record['id']}")
    with db.sessions() as session:
        entries = session.scalars(
            select(AuditEntry).where(
                AuditEntry.object_type == "agency_record",
                AuditEntry.object_id == str(record["id"]),
            )
        ).all()
    assert [e.action for e in entries] == ["agency_record.created", "agency_record.viewed"]
    flattened = " ".join(f"{e.refs} {e.object_id} {e.purpose}" for e in entries)
    assert "Fitzgerald" not in flattened and "Noah" not in flattened


def test_requests_without_a_session_are_refused(client: TestClient) -> None:
    client.cookies.clear()
    assert client.get("/api/agency-records").status_code == 401
    assert client.get("/api/openapi.json").status_code == 401
