"""Feeds a careless or hostile system might push: another agency's people named by its
local ids, text a database refuses, an item retracted in the app then changed in the
feed. Each is answered row by row, never by a server error, and nothing leaks across
agencies."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from jigsaw.db import Database
from jigsaw.imports.models import ImportedRow
from jigsaw.people.models import AgencyRecord, Relationship
from jigsaw.records import service as records
from jigsaw.records.models import InformationItem
from jigsaw.records.schemas import CorrectionIn, RetractionIn
from tests.conftest import World
from tests.imports.test_feed import PEOPLE, _ndjson, _push, _with_people


def _item(
    local_id: str, person: str, summary: str = "Missed the nurse review"
) -> dict[str, object]:
    return {
        "local_id": local_id,
        "person_local_id": person,
        "category": "child_welfare",
        "subtype": "missed_appointment",
        "occurred_on": "2025-10-06",
        "summary": summary,
        "nature": "fact",
        "source": "School nurse",
    }


def test_rows_naming_another_agencys_people_are_refused_and_write_nothing(
    client: TestClient, db: Database, world: World
) -> None:
    # Agency B holds a record B-ONLY; agency A holds F-1 and F-2 but no B-ONLY.
    _, bearer_b = _with_people(client, db, world)
    only_b = {**PEOPLE[0], "local_id": "B-ONLY"}  # type: ignore[dict-item]
    assert _push(client, "records", _ndjson(only_b), bearer_b).json()["created"] == 1
    _, bearer_a = _with_people(client, db, world)
    with db.reading() as session:
        before = session.scalar(select(func.count(InformationItem.id))) or 0
    answer = _push(
        client,
        "items",
        _ndjson(_item("A-1", "B-ONLY"), _item("A-2", "Z-9")),
        bearer_a,
    )
    result = answer.json()
    assert answer.status_code == 200, answer.text
    assert (result["created"], result["rejected"]) == (0, 2)
    assert {(p["line"], p["field"]) for p in result["problems"]} == {
        (1, "person_local_id"),
        (2, "person_local_id"),
    }
    with db.reading() as session:
        assert (session.scalar(select(func.count(InformationItem.id))) or 0) == before


def test_control_characters_in_local_ids_are_refused_by_field_not_by_a_server_error(
    client: TestClient, db: Database, world: World
) -> None:
    agency, bearer = _with_people(client, db, world)
    rows = [
        {
            "local_id": "R-\x00",
            "person_local_id": "F-1",
            "related_local_id": "F-2",
            "relationship": "parent",
        },
        {
            "local_id": "R-2",
            "person_local_id": "F-\x001",
            "related_local_id": "F-2",
            "relationship": "parent",
        },
        {
            "local_id": "R-3",
            "person_local_id": "F-1",
            "related_local_id": "F-2\x1b[31m",
            "relationship": "parent",
        },
        {
            "local_id": "R-4",
            "person_local_id": "F-2",
            "related_local_id": "F-1",
            "relationship": "parent",
        },
    ]
    answer = _push(client, "relationships", _ndjson(*rows), bearer)
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert (result["created"], result["rejected"]) == (1, 3)
    assert {(p["line"], p["field"]) for p in result["problems"]} == {
        (1, "local_id"),
        (2, "person_local_id"),
        (3, "related_local_id"),
    }
    assert all("\x00" not in p["local_id"] for p in result["problems"])
    with db.reading() as session:
        kept = set(
            session.scalars(select(ImportedRow.local_id).where(ImportedRow.agency_id == agency.id))
        )
    assert kept == {"R-4"}


def test_a_relationship_to_oneself_is_refused(
    client: TestClient, db: Database, world: World
) -> None:
    agency, bearer = _with_people(client, db, world)
    row = {
        "local_id": "R-1",
        "person_local_id": "F-1",
        "related_local_id": "F-1",
        "relationship": "sibling",
    }
    result = _push(client, "relationships", _ndjson(row), bearer).json()
    assert result["rejected"] == 1
    assert result["problems"][0]["field"] == "related_local_id"
    with db.reading() as session:
        mine = select(AgencyRecord.id).where(AgencyRecord.agency_id == agency.id)
        assert (
            session.scalar(
                select(func.count(Relationship.id)).where(Relationship.from_record_id.in_(mine))
            )
            == 0
        )


def test_a_changed_row_for_an_item_withdrawn_in_the_app_is_refused_with_the_reason(
    client: TestClient, db: Database, world: World
) -> None:
    agency, bearer = _with_people(client, db, world)
    first = _push(client, "items", _ndjson(_item("I-1", "F-1")), bearer).json()
    assert first["created"] == 1
    with db.reading() as session:
        item_id = session.scalar(
            select(ImportedRow.object_id).where(
                ImportedRow.agency_id == agency.id, ImportedRow.local_id == "I-1"
            )
        )
    assert item_id is not None
    dsl = World.actor(world.practitioner(agency))
    records.retract_item(db, dsl, item_id, RetractionIn(reason="Recorded against the wrong child"))
    changed = _push(
        client, "items", _ndjson(_item("I-1", "F-1", "Missed two nurse reviews")), bearer
    ).json()
    assert (changed["updated"], changed["rejected"]) == (0, 1)
    assert "withdrawn" in changed["problems"][0]["message"]
    with db.reading() as session:
        chain = session.scalar(
            select(func.count(InformationItem.id)).where(
                (InformationItem.id == item_id) | (InformationItem.root_id == item_id)
            )
        )
    assert chain == 1, "no version is added to a withdrawn item"


def test_a_changed_row_never_lowers_a_protection_a_practitioner_set(
    client: TestClient, db: Database, world: World
) -> None:
    agency, bearer = _with_people(client, db, world)
    assert _push(client, "items", _ndjson(_item("I-1", "F-1")), bearer).json()["created"] == 1
    with db.reading() as session:
        item_id = session.scalar(
            select(ImportedRow.object_id).where(
                ImportedRow.agency_id == agency.id, ImportedRow.local_id == "I-1"
            )
        )
        subject = session.scalar(
            select(AgencyRecord.id).where(
                AgencyRecord.agency_id == agency.id, AgencyRecord.local_id == "F-1"
            )
        )
    assert item_id is not None and subject is not None
    dsl = World.actor(world.practitioner(agency))
    marked = records.correct_item(
        db,
        dsl,
        item_id,
        CorrectionIn.model_validate(
            {
                **{
                    k: v
                    for k, v in _item("I-1", "F-1").items()
                    if k not in ("local_id", "person_local_id")
                },
                "subject_record_id": subject,
                "protected_identity": True,
                "special_category": True,
                "reason": "The nurse asked not to be named",
            }
        ),
    )
    assert marked.protected_identity is True
    # The sending system knows nothing of the flags and sends the row changed, flags unset.
    changed = _push(
        client, "items", _ndjson(_item("I-1", "F-1", "Missed two nurse reviews")), bearer
    ).json()
    assert changed["updated"] == 1
    with db.reading() as session:
        latest = session.scalars(
            select(InformationItem)
            .where((InformationItem.id == item_id) | (InformationItem.root_id == item_id))
            .order_by(InformationItem.version.desc())
            .limit(1)
        ).one()
        assert latest.version == 3
        assert latest.summary == "Missed two nurse reviews"
        assert (latest.protected_identity, latest.special_category) == (True, True)
