"""Bad input is refused at the edge with 422, on every backend, and never reaches a log.

Tried the way an attacker (or a careless client) would: through the JSON API with a
signed-in practitioner, sending NUL bytes, ids beyond the database's integer
columns, and dates that are numbers or centuries out.
"""

from __future__ import annotations

import logging

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from jigsaw.app import create_app
from jigsaw.config import Settings
from jigsaw.db import Database
from jigsaw.identity import service as accounts
from jigsaw.people.models import AgencyRecord
from jigsaw.schemas import plain_text, says_something
from tests.conftest import World, unique
from tests.scene import Scene, build_scene

SURNAME = "Quiggley-Nakamura"
ADDRESS = "17 Larkspur Row, Eastwick"


def _signed_in(client: TestClient, db: Database, world: World) -> Scene:
    scene = build_scene(db, world)
    assert scene.dsl.practitioner_id is not None
    world.sign_in(client, accounts.get_practitioner(db, scene.dsl.practitioner_id))
    return scene


def _record(scene: Scene, **overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "agency_id": scene.school.id,
        "local_id": unique("L"),
        "role": "child",
        "given_name": "Ayla",
        "family_name": SURNAME,
        "date_of_birth": "2018-05-04",
        "address": ADDRESS,
    }
    body.update(overrides)
    return body


def _item(scene: Scene, **overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "subject_record_id": scene.child_record_id,
        "category": "child_welfare",
        "subtype": "injury",
        "occurred_on": "2025-03-03",
        "summary": "Bruise on upper arm",
        "nature": "fact",
        "source": "Observed by class teacher",
    }
    body.update(overrides)
    return body


def _records_named(db: Database, local_id: object) -> int:
    with db.sessions() as session:
        count = session.scalar(
            select(func.count()).select_from(AgencyRecord).where(AgencyRecord.local_id == local_id)
        )
    return count or 0


def _fields(response: object) -> list[str]:
    return [e["field"] for e in response.json()["errors"]]  # type: ignore[attr-defined]


def test_a_nul_byte_in_a_name_is_refused_and_nothing_is_stored(
    client: TestClient, db: Database, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    scene = _signed_in(client, db, world)
    body = _record(scene, family_name=f"{SURNAME}\x00")
    with caplog.at_level(logging.DEBUG):
        answer = client.post("/api/agency-records", json=body)
    assert answer.status_code == 422, answer.text
    assert _fields(answer) == ["family_name"]
    assert _records_named(db, body["local_id"]) == 0, "SQLite would have stored the NUL"
    assert SURNAME not in caplog.text and ADDRESS not in caplog.text


def test_control_characters_are_refused_but_free_text_keeps_its_line_breaks(
    client: TestClient, db: Database, world: World
) -> None:
    scene = _signed_in(client, db, world)
    for name in ("Ay\nla", "Ay\tla", "Ay\x1bla", "Ay\x7fla", "Ay\x85la"):
        answer = client.post("/api/agency-records", json=_record(scene, given_name=name))
        assert answer.status_code == 422, name
        assert _fields(answer) == ["given_name"]
    answer = client.post("/api/items", json=_item(scene, detail="Seen at 9am.\x00"))
    assert answer.status_code == 422 and _fields(answer) == ["detail"]
    kept = client.post("/api/items", json=_item(scene, detail="Seen at 9am.\r\n\tThen at 3pm."))
    assert kept.status_code == 201, kept.text
    assert kept.json()["detail"] == "Seen at 9am.\r\n\tThen at 3pm."
    # Lists and mappings are checked too, and so is a search in the query string.
    answers = {"legitimate_purpose": "yes\x00"}
    answer = client.post("/api/guidance/recommendation", json={"answers": answers})
    assert answer.status_code == 422 and _fields(answer) == ["answers"]
    answer = client.get("/api/agency-records", params={"search": f"{SURNAME}\x00"})
    assert answer.status_code == 422 and _fields(answer) == ["search"]


@pytest.mark.parametrize("ident", [2**31, 2**63, 10**30])
def test_ids_beyond_the_integer_columns_are_refused_not_a_server_error(
    client: TestClient, db: Database, world: World, ident: int
) -> None:
    scene = _signed_in(client, db, world)
    for path in (
        f"/api/agency-records/{ident}",
        f"/api/items/{ident}",
        f"/api/people/{ident}/chronology",
        f"/api/disclosures/received/{ident}",
    ):
        answer = client.get(path)
        assert answer.status_code == 422, (path, answer.text)
    answer = client.post("/api/items", json=_item(scene, subject_record_id=ident))
    assert answer.status_code == 422 and _fields(answer) == ["subject_record_id"]
    answer = client.post("/api/agency-records", json=_record(scene, agency_id=ident))
    assert answer.status_code == 422 and _fields(answer) == ["agency_id"]
    answer = client.get("/api/agency-records", params={"offset": ident})
    assert answer.status_code == 422
    # The pages answer "not found", as they do for any id that names nothing.
    assert client.get(f"/children/{ident}").status_code == 404
    assert client.get(f"/people/{ident}/chronology").status_code == 404


def test_dates_must_be_real_dates_within_sane_years(
    client: TestClient, db: Database, world: World
) -> None:
    scene = _signed_in(client, db, world)
    for born in (0, 20180504, "20180504", "2018-05-04T00:00:00", "1066-10-14", "2018-02-30"):
        body = _record(scene, date_of_birth=born)
        answer = client.post("/api/agency-records", json=body)
        assert answer.status_code == 422, born
        assert _fields(answer) == ["date_of_birth"]
        assert _records_named(db, body["local_id"]) == 0
    answer = client.post("/api/agency-records", json=_record(scene, date_of_birth="20180504"))
    assert "YYYY-MM-DD" in answer.json()["errors"][0]["message"]
    for when in ("0001-01-01", "1899-12-31", 0):
        answer = client.post("/api/items", json=_item(scene, occurred_on=when))
        assert answer.status_code == 422 and _fields(answer) == ["occurred_on"], when
    answer = client.post("/api/items", json=_item(scene, occurred_on="1900-01-01"))
    assert answer.status_code == 201, answer.text


def test_a_date_in_the_wrong_form_is_told_the_form_expected(
    client: TestClient, db: Database, world: World
) -> None:
    """A date sent as YYYYMMDD, or one that is not in the calendar, is answered with the
    form every API date takes, in a body and in a query string alike, never with the
    parser's own words about datetimes and times."""
    scene = _signed_in(client, db, world)
    expected = "Enter the date as YYYY-MM-DD, for example 2019-03-27"
    answer = client.post("/api/agency-records", json=_record(scene, date_of_birth="20190327"))
    assert answer.status_code == 422
    assert answer.json()["errors"] == [{"field": "date_of_birth", "message": expected}]
    not_real = client.post("/api/agency-records", json=_record(scene, date_of_birth="2019-02-30"))
    assert not_real.status_code == 422
    assert not_real.json()["errors"][0]["message"] == (
        "Enter a real date as YYYY-MM-DD, for example 2019-03-27"
    )
    answer = client.post("/api/items", json=_item(scene, occurred_on="20250303"))
    assert answer.json()["errors"] == [{"field": "occurred_on", "message": expected}]
    chronology = f"/api/people/{scene.child_record_id}/chronology"
    answer = client.get(chronology, params={"since": "20190327"})
    assert answer.status_code == 422
    assert [e["message"] for e in answer.json()["errors"]] == [expected]
    assert "zero time" not in answer.text
    assert client.get(chronology, params={"since": "2019-03-27"}).status_code != 422


def test_yes_no_and_numbers_must_be_sent_as_such(
    client: TestClient, db: Database, world: World
) -> None:
    scene = _signed_in(client, db, world)
    for flag in (0, 1, "true", None):
        answer = client.post("/api/items", json=_item(scene, special_category=flag))
        assert answer.status_code == 422 and _fields(answer) == ["special_category"], flag
    for ident in (str(scene.child_record_id), float(scene.child_record_id), True):
        answer = client.post("/api/items", json=_item(scene, subject_record_id=ident))
        assert answer.status_code == 422 and _fields(answer) == ["subject_record_id"], ident


def test_statement_parameters_never_appear_in_a_database_error(db: Database) -> None:
    """Errors end up in logs; the values in a failed statement are names and addresses."""
    with pytest.raises(IntegrityError) as raised, db.transaction() as session:
        session.execute(text("INSERT INTO agencies (name) VALUES (:name)"), {"name": SURNAME})
    assert SURNAME not in str(raised.value) and SURNAME not in str(raised.value.orig)
    assert "hidden" in str(raised.value)


def test_a_value_the_database_refuses_is_answered_422_and_logged_without_it(
    settings: Settings, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """Input validation stops NUL bytes first; this is the net beneath it, on PostgreSQL."""
    if db.is_sqlite:
        pytest.skip("SQLite stores NUL bytes; only PostgreSQL refuses them")
    app: FastAPI = create_app(settings, db)

    @app.post("/api/unvalidated-store")
    def store() -> None:
        with db.transaction() as session:
            session.execute(text("SELECT CAST(:v AS text)"), {"v": f"{SURNAME}\x00{ADDRESS}"})

    with caplog.at_level(logging.DEBUG), TestClient(app, raise_server_exceptions=False) as client:
        answer = client.post("/api/unvalidated-store")
    assert answer.status_code == 422, answer.text
    assert SURNAME not in answer.text
    assert "the database refused a value" in caplog.text
    assert SURNAME not in caplog.text and ADDRESS not in caplog.text


def test_a_wrong_method_is_answered_with_every_method_the_path_has(client: TestClient) -> None:
    answer = client.request("PATCH", "/api/session")
    assert answer.status_code == 405
    assert answer.headers["allow"] == "DELETE, POST"
    assert answer.json() == {"errors": [{"field": "", "message": "Method Not Allowed"}]}
    assert client.options("/api/tokens").headers["allow"].startswith("GET, POST")


def test_the_openapi_document_declares_how_to_sign_in_and_every_error(app: FastAPI) -> None:
    document = app.openapi()
    schemes = document["components"]["securitySchemes"]
    assert schemes["session"] == {
        "type": "apiKey",
        "in": "cookie",
        "name": "jigsaw_session",
        "description": schemes["session"]["description"],
    }
    assert schemes["token"]["scheme"] == "bearer"
    operations = [
        (path, method, operation)
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    ]
    assert len(operations) > 50
    for path, method, operation in operations:
        documented = set(operation["responses"])
        assert {"400", "401", "403", "404", "409", "413", "422", "429"} <= documented, path
        problems = operation["responses"]["422"]["content"]["application/json"]["schema"]
        assert problems == {"$ref": "#/components/schemas/Problems"}
        for parameter in operation.get("parameters", []):
            if parameter["schema"].get("type") == "integer" and parameter["in"] == "path":
                assert parameter["schema"]["maximum"] == 2**31 - 1, (method, path)
    public = {"/api/session", "/api/password-reset", "/api/audit/verifier-key"}
    for path, method, operation in operations:
        if path not in public:
            assert operation.get("security") == [{"session": []}, {"token": []}], (method, path)


def test_text_that_says_nothing_a_reader_can_see_is_not_a_reason() -> None:
    """Invisible format characters (Unicode Cf) and white space set aside, a reason needs
    at least two letters: a dash or a zero-width space is not one."""
    assert plain_text("\u200bout\u00ad of\u2060 \t hours\u200e\n") == "out of hours"
    for nothing in ("", " ", "\u200b", "-", "\u00a0", ".", "\u200d-\u200b", "1 2 3", "x\ufeff"):
        assert not says_something(nothing), repr(nothing)
    for something in ("ok", "DSL away", "Été", "no one came"):
        assert says_something(something), something
