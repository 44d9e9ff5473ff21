"""``POST /api/imports/{kind}``: another system of an agency pushing rows with its API
token, checked and written as a file's are, one audit entry per request, and only ever
into the token's own agency."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from jigsaw.audit.actions import AuditAction
from jigsaw.audit.models import AuditEntry
from jigsaw.config import Settings
from jigsaw.db import Database
from jigsaw.identity import tokens
from jigsaw.identity.schemas import AgencyOut
from jigsaw.identity.tokens import Scope, TokenIn
from jigsaw.imports import service
from jigsaw.imports.models import RecordImport
from jigsaw.people.models import AgencyRecord, Involvement, Relationship
from jigsaw.policy.roles import AgencyKind
from jigsaw.records.models import InformationItem
from tests.conftest import SYSTEM, World, unique


def _bearer(
    db: Database, world: World, agency: AgencyOut, scope: Scope = Scope.RECORDS_WRITE
) -> dict[str, str]:
    account = world.service_account(agency)
    made = tokens.create_token(
        db, SYSTEM, TokenIn(practitioner_id=account.id, name=unique("Case system"), scopes=[scope])
    )
    return {"Authorization": f"Bearer {made.token}"}


def _ndjson(*rows: object) -> bytes:
    return "".join(
        (row if isinstance(row, str) else json.dumps(row)) + "\n" for row in rows
    ).encode()


PEOPLE = (
    {
        "local_id": "F-1",
        "given_name": "Ava",
        "family_name": "Moss",
        "date_of_birth": "2016-03-14",
        "sex": "female",
        "address": "",
        "postcode": "",
        "nhs_number": "4010232137",
    },
    {
        "local_id": "F-2",
        "given_name": "Siobhan",
        "family_name": "Moss",
        "date_of_birth": "1988-02-01",
        "sex": "female",
        "address": "",
        "postcode": "",
        "nhs_number": None,
        "role": "parent_carer",
        "identifier:upn": "B801200005001",
    },
    {
        "local_id": "F-3",
        "given_name": "Leo",
        "family_name": "Hart",
        "date_of_birth": "2031-01-01",
        "sex": "male",
        "address": "",
        "postcode": "",
        "nhs_number": None,
    },
    "not json",
)
MOTHER = {
    "local_id": "R-1",
    "person_local_id": "F-2",
    "related_local_id": "F-1",
    "relationship": "parent",
}
"""Siobhan Moss (F-2) is Ava's (F-1) parent."""


def _push(client: TestClient, kind: str, body: bytes, headers: dict[str, str], **params: object):  # type: ignore[no-untyped-def]
    return client.post(
        f"/api/imports/{kind}",
        content=body,
        headers={**headers, "Content-Type": "application/x-ndjson"},
        params=params,
    )


def _feed_entries(db: Database, import_id: int) -> list[AuditEntry]:
    with db.reading() as session:
        return list(
            session.scalars(
                select(AuditEntry).where(
                    AuditEntry.object_type == "record_import",
                    AuditEntry.object_id == str(import_id),
                )
            )
        )


def _with_people(
    client: TestClient, db: Database, world: World
) -> tuple[AgencyOut, dict[str, str]]:
    agency = world.agency(AgencyKind.SCHOOL)
    bearer = _bearer(db, world, agency)
    answer = _push(client, "records", _ndjson(*PEOPLE), bearer)
    assert answer.status_code == 200, answer.text
    return agency, bearer


def test_a_feed_of_records_goes_in_once_with_one_entry_and_its_bad_lines_named(
    client: TestClient, db: Database, world: World
) -> None:
    agency = world.agency(AgencyKind.SCHOOL)
    bearer = _bearer(db, world, agency)
    body = _ndjson(*PEOPLE)
    answer = _push(client, "records", body, bearer)
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert (result["rows"], result["created"], result["unchanged"], result["rejected"]) == (
        4,
        2,
        0,
        2,
    )
    assert {(p["line"], p["field"]) for p in result["problems"]} == {
        (3, "date_of_birth"),
        (4, ""),
    }
    assert result["agency_id"] == agency.id
    with db.reading() as session:
        held = set(
            session.scalars(
                select(AgencyRecord.local_id).where(AgencyRecord.agency_id == agency.id)
            )
        )
    assert held == {"F-1", "F-2"}
    entries = _feed_entries(db, result["import_id"])
    assert [e.action for e in entries] == [AuditAction.FEED_IMPORTED.value]
    assert entries[0].refs["sha256"] == result["sha256"]
    assert (entries[0].refs["created"], entries[0].refs["rejected"]) == (2, 2)
    assert "Moss" not in json.dumps(entries[0].refs)

    again = _push(client, "records", body, bearer).json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 2)


def test_relationships_involvements_and_items_are_pushed_with_their_bad_lines(
    client: TestClient, db: Database, world: World
) -> None:
    agency, bearer = _with_people(client, db, world)
    related = _push(
        client,
        "relationships",
        _ndjson(
            MOTHER,
            {
                "local_id": "R-2",
                "person_local_id": "F-2",
                "related_local_id": "F-9",
                "relationship": "parent",
            },
        ),
        bearer,
    ).json()
    assert (related["created"], related["rejected"]) == (1, 1)
    assert related["problems"][0]["line"] == 2
    assert related["problems"][0]["field"] == "related_local_id"

    involved = _push(
        client,
        "involvements",
        _ndjson(
            {
                "local_id": "I-1",
                "person_local_id": "F-1",
                "description": "Mentor",
                "started_on": "2025-09-01",
            },
            {"local_id": "I-2", "person_local_id": "F-1", "started_on": "2025-09-01"},
        ),
        bearer,
    ).json()
    assert (involved["created"], involved["rejected"]) == (1, 1)
    assert (involved["problems"][0]["line"], involved["problems"][0]["field"]) == (2, "description")

    item = {
        "local_id": "T-1",
        "person_local_id": "F-1",
        "category": "child_welfare",
        "subtype": "missed_appointment",
        "occurred_on": "2025-10-06",
        "summary": "Missed review",
        "nature": "fact",
        "source": "School nurse",
    }
    batch = client.post(
        "/api/imports/items",
        json=[item, {**item, "local_id": "T-2", "subtype": "not_a_type"}],
        headers=bearer,
    )
    assert batch.status_code == 200, batch.text
    items = batch.json()
    assert (items["created"], items["rejected"]) == (1, 1)
    assert (items["problems"][0]["line"], items["problems"][0]["field"]) == (2, "subtype")
    changed = client.post(
        "/api/imports/items",
        json={"rows": [{**item, "summary": "Missed the review"}]},
        headers=bearer,
    ).json()
    assert (changed["created"], changed["updated"]) == (0, 1)
    with db.reading() as session:
        records = select(AgencyRecord.id).where(AgencyRecord.agency_id == agency.id)
        assert (
            session.scalar(
                select(func.count())
                .select_from(Relationship)
                .where(Relationship.agency_id == agency.id)
            )
            == 1
        )
        assert (
            session.scalar(
                select(func.count())
                .select_from(Involvement)
                .where(Involvement.agency_record_id.in_(records))
            )
            == 1
        )
        versions = list(
            session.scalars(
                select(InformationItem.version)
                .where(InformationItem.agency_id == agency.id)
                .order_by(InformationItem.version)
            )
        )
    assert versions == [1, 2]
    for result in (related, involved, items, changed):
        assert [e.action for e in _feed_entries(db, result["import_id"])] == [
            AuditAction.FEED_IMPORTED.value
        ]


def test_a_token_imports_into_its_own_agency_only(
    client: TestClient, db: Database, world: World
) -> None:
    theirs, _ = _with_people(client, db, world)
    ours = world.agency(AgencyKind.HEALTH)
    bearer = _bearer(db, world, ours)
    with db.reading() as session:
        imports_before = session.scalar(select(func.count()).select_from(RecordImport))
    refused = _push(client, "records", _ndjson(PEOPLE[0]), bearer, agency=theirs.id)
    assert refused.status_code == 403
    with db.reading() as session:
        assert session.scalar(select(func.count()).select_from(RecordImport)) == imports_before
        assert (
            session.scalar(
                select(func.count())
                .select_from(AgencyRecord)
                .where(AgencyRecord.agency_id == ours.id)
            )
            == 0
        )
    # Naming another agency's people by their local ids finds nobody: ids are the token's agency's.
    across = _push(
        client,
        "relationships",
        _ndjson(MOTHER),
        bearer,
    ).json()
    assert (across["created"], across["rejected"]) == (0, 1)
    assert across["problems"][0]["field"] == "person_local_id"
    own = _push(client, "records", _ndjson(PEOPLE[0]), bearer, agency=ours.id).json()
    assert own["created"] == 1 and own["agency_id"] == ours.id
    read_only = _bearer(db, world, ours, Scope.RECORDS_READ)
    assert _push(client, "records", _ndjson(PEOPLE[0]), read_only).status_code == 403


def test_a_feed_over_the_limits_is_refused_whole_with_413(
    client: TestClient, db: Database, world: World, settings: Settings
) -> None:
    agency = world.agency(AgencyKind.SCHOOL)
    bearer = _bearer(db, world, agency)
    rows = _ndjson(*([{"local_id": "X"}] * (service.MAX_FEED_ROWS + 1)))
    answer = _push(client, "records", rows, bearer)
    assert answer.status_code == 413
    assert f"at most {service.MAX_FEED_ROWS} rows" in answer.json()["errors"][0]["message"]
    limit = settings.max_feed_bytes
    huge = b"{}\n" * (limit // 3 + 1)
    answer = _push(client, "records", huge, bearer)
    assert answer.status_code == 413
    assert f"send at most {limit} bytes" in answer.json()["errors"][0]["message"]
    # A feed may be bigger than any other request: a 2 MiB feed is read, not refused.
    wide = _ndjson(
        *([{**PEOPLE[0], "address": "x" * 250, "local_id": f"W-{n}"} for n in range(6000)])
    )
    assert len(wide) > 2 * 1024 * 1024
    answer = _push(client, "records", wide, bearer)
    assert answer.status_code == 200, answer.text[:500]
    assert answer.json()["created"] == 6000
    with db.reading() as session:
        runs = session.scalar(
            select(func.count())
            .select_from(RecordImport)
            .where(RecordImport.agency_id == agency.id)
        )
    assert runs == 1, "only the feed within the limits was imported"
