from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from jigsaw.audit.models import AuditEntry
from jigsaw.db import Database
from jigsaw.policy.roles import AgencyKind
from jigsaw.records.models import InformationItem
from tests.conftest import World, unique


def _child(client: TestClient, agency_id: int) -> dict:
    response = client.post(
        "/api/agency-records",
        json={
            "agency_id": agency_id,
            "local_id": unique("L"),
            "role": "child",
            "given_name": "Amelia",
            "family_name": "Hart",
            "date_of_birth": "2016-03-04",
            "sex": "female",
            "postcode": "ab1 2cd",
            "nhs_number": "943 476 5919",
        },
    )
    assert response.status_code == 201, response.text
    return response.json()


def _item(record_id: int, **overrides: object) -> dict:
    body = {
        "subject_record_id": record_id,
        "category": "child_welfare",
        "subtype": "attendance",
        "occurred_on": "2025-01-10",
        "summary": "Absent three days without explanation",
        "nature": "fact",
        "source": "School register",
    }
    body.update(overrides)
    return body


def test_record_correct_and_retract_keep_every_version(
    client: TestClient, world: World, db: Database
) -> None:
    school = world.agency(AgencyKind.SCHOOL)
    world.sign_in(client, world.practitioner(school))
    record = _child(client, school.id)
    assert record["nhs_number"] == "9434765919"
    assert record["postcode"] == "AB1 2CD"

    first = client.post("/api/items", json=_item(record["id"])).json()
    corrected = client.post(
        f"/api/items/{first['id']}/corrections",
        json=_item(record["id"], summary="Absent two days", reason="Register re-checked"),
    )
    assert corrected.status_code == 201, corrected.text
    assert corrected.json()["version"] == 2
    assert corrected.json()["supersedes_id"] == first["id"]

    again = client.post(
        f"/api/items/{first['id']}/corrections", json=_item(record["id"], reason="x")
    )
    assert again.status_code == 409

    latest = client.get(f"/api/agency-records/{record['id']}/items").json()
    assert [i["summary"] for i in latest] == ["Absent two days"]
    history = client.get(
        f"/api/agency-records/{record['id']}/items", params={"include_history": True}
    ).json()
    assert {(i["version"], i["superseded"]) for i in history} == {(1, True), (2, False)}

    retracted = client.post(
        f"/api/items/{corrected.json()['id']}/retraction", json={"reason": "Wrong child"}
    )
    assert retracted.status_code == 201
    assert retracted.json()["retracted"] is True
    history = client.get(
        f"/api/agency-records/{record['id']}/items", params={"include_history": True}
    ).json()
    assert all(i["retracted"] for i in history)
    with db.sessions() as session:
        assert (
            session.scalar(
                select(func.count())
                .select_from(InformationItem)
                .where(InformationItem.subject_record_id == record["id"])
            )
            == 2
        )


def test_bad_item_changes_nothing_and_names_the_field(
    client: TestClient, world: World, db: Database
) -> None:
    school = world.agency()
    world.sign_in(client, world.practitioner(school))
    record = _child(client, school.id)
    with db.sessions() as session:
        before = session.scalar(select(func.count()).select_from(AuditEntry))
    future = date.today().replace(year=date.today().year + 1).isoformat()
    response = client.post(
        "/api/items", json=_item(record["id"], occurred_on=future, category="gossip")
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"occurred_on", "category"}
    with db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == before


def test_other_agencies_cannot_read_or_write(client: TestClient, world: World) -> None:
    school, police = world.agency(AgencyKind.SCHOOL), world.agency(AgencyKind.POLICE)
    world.sign_in(client, world.practitioner(school))
    record = _child(client, school.id)
    item = client.post("/api/items", json=_item(record["id"])).json()
    world.sign_in(client, world.practitioner(police))
    assert client.get(f"/api/items/{item['id']}").status_code == 404
    assert client.get(f"/api/agency-records/{record['id']}").status_code == 404
    response = client.post("/api/items", json=_item(record["id"]))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "subject_record_id"
