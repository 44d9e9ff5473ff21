"""MAIS request objects: imported through the request service, exported as they came,
refused field by field, imported once however often they are sent, and only ever into
the importer's own agency's requests."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from jigsaw.agencies import service as agencies
from jigsaw.agencies.schemas import AgencyIn
from jigsaw.agreements.models import SharingAgreement
from jigsaw.audit.models import AuditEntry
from jigsaw.cli import app as cli
from jigsaw.consent.models import PURPOSE_DPV_TERMS, SharingPurpose
from jigsaw.db import Database
from jigsaw.deadlines.timescales import load_profile
from jigsaw.deadlines.values import Rag
from jigsaw.errors import Conflict, NotFound
from jigsaw.interop import mais
from jigsaw.interop.mais import MaisInvalid
from jigsaw.interop.models import RequestOrigin
from jigsaw.people import service as people
from jigsaw.people.models import PersonRole
from jigsaw.people.schemas import AgencyRecordIn, AgencyRecordOut
from jigsaw.policy.actor import Actor
from jigsaw.policy.roles import AgencyKind, Role
from jigsaw.records.models import Category
from jigsaw.sharing import requests
from jigsaw.sharing.models import InformationRequest
from jigsaw.sharing.schemas import RequestIn
from tests.agreed import agree
from tests.conftest import World, unique
from tests.identity.test_tokens import _bearer, _make_token
from tests.scene import Scene, build_scene

PROFILE = load_profile("default")
SYSTEM = "urn:jigsaw:test"
ELSEWHERE = "urn:example:county-mash-case-system"
NHS_NUMBER = "9434765919"
QUESTION = "Attendance and any injuries seen this term, please"


@dataclass
class Asking:
    """The MASH of a scene, with its own record of the school's child."""

    scene: Scene
    record: AgencyRecordOut

    @property
    def actor(self) -> Actor:
        return self.scene.social_worker

    def mais(self, **changes: Any) -> dict[str, Any]:
        shown: dict[str, Any] = {
            "requestId": unique("REQ").replace(" ", "-"),
            "requestingSystem": ELSEWHERE,
            "timestamp": "2026-12-04T09:15:00Z",
            "requester": {
                "identifier": "duty.worker@mash.example",
                "organisation": self.scene.mash.name,
            },
            "provider": {"organisation": self.scene.school.name},
            "subject": {"identifierType": "local_id", "value": self.record.local_id},
            "dataCategories": ["child_welfare", "parent_capacity"],
            "purpose": "dpv:LegalCompliance",
            "localPurpose": "mash_screening",
            "agreement": "DSA-COUNTY-T1/v3",
            "question": QUESTION,
            "rag": "amber",
            "due": "2026-12-05T09:15:00Z",
        }
        shown.update(changes)
        return shown


def asking(db: Database, world: World) -> Asking:
    scene = build_scene(db, world)
    return Asking(scene, scene.mash_child(db, born=None, nhs_number=NHS_NUMBER))


@pytest.fixture
def mash(db: Database, world: World) -> Asking:
    return asking(db, world)


def _count(db: Database) -> tuple[int, int, int]:
    with db.sessions() as session:
        return (
            session.scalar(select(func.count(InformationRequest.id))) or 0,
            session.scalar(select(func.count(RequestOrigin.id))) or 0,
            session.scalar(select(func.count(AuditEntry.id))) or 0,
        )


def _import(db: Database, actor: Actor, value: object) -> mais.Imported:
    return mais.import_request(db, actor, value, PROFILE, system=SYSTEM)


def test_the_schema_offers_exactly_the_categories_and_purposes_jigsaw_has() -> None:
    properties = mais.schema()["properties"]
    assert properties["dataCategories"]["items"]["enum"] == [c.value for c in Category]
    assert properties["localPurpose"]["enum"] == [p.value for p in SharingPurpose]
    assert set(PURPOSE_DPV_TERMS) == set(SharingPurpose)


def test_an_imported_request_exports_exactly_as_it_came(db: Database, mash: Asking) -> None:
    sent = mash.mais()
    first = _import(db, mash.actor, sent)
    assert first.created
    exported = mais.export_request(db, mash.actor, first.request_id, system=SYSTEM)
    assert exported == sent

    made = requests.view_request(db, mash.actor, first.request_id)
    assert made.subject_record_id == mash.record.id
    assert made.recipient_agency_id == mash.scene.school.id
    assert made.purpose is SharingPurpose.MASH_SCREENING
    assert made.categories == [Category.CHILD_WELFARE, Category.PARENT_CAPACITY]
    assert made.question == QUESTION
    assert made.rating.rag is Rag.AMBER
    assert made.rating.due_at == datetime(2026, 12, 5, 9, 15, tzinfo=UTC)
    with db.sessions() as session:
        entry = session.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "request.made",
                AuditEntry.object_id == str(first.request_id),
            )
        ).one()
    assert (entry.actor_id, entry.actor_agency_id) == (
        mash.actor.practitioner_id,
        mash.scene.mash.id,
    )
    # The school, the agency asked, exports the same object.
    assert mais.export_request(db, mash.scene.dsl, first.request_id, system=SYSTEM) == sent


def test_importing_the_same_object_again_makes_no_second_request(
    db: Database, mash: Asking
) -> None:
    sent = mash.mais()
    first = _import(db, mash.actor, sent)
    before = _count(db)
    again = _import(db, mash.actor, copy.deepcopy(sent))
    assert (again.request_id, again.created) == (first.request_id, False)
    assert _count(db) == before
    exported = mais.export_request(db, mash.actor, first.request_id, system=SYSTEM)
    assert _import(db, mash.actor, exported) == again
    assert mais.export_request(db, mash.actor, first.request_id, system=SYSTEM) == sent


def test_an_object_in_another_offset_is_the_same_request(db: Database, mash: Asking) -> None:
    sent = mash.mais()
    first = _import(db, mash.actor, sent)
    shifted = mash.mais(
        requestId=sent["requestId"],
        timestamp="2026-12-04T10:15:00+01:00",
        due="2026-12-05T04:15:00-05:00",
    )
    assert _import(db, mash.actor, shifted) == mais.Imported(first.request_id, created=False)


def test_a_changed_object_under_the_same_id_is_a_clash(db: Database, mash: Asking) -> None:
    sent = mash.mais()
    _import(db, mash.actor, sent)
    before = _count(db)
    with pytest.raises(Conflict, match="different content"):
        _import(db, mash.actor, {**sent, "rag": "red"})
    assert _count(db) == before


def test_a_request_made_here_goes_out_and_comes_back_losing_nothing(
    db: Database, mash: Asking
) -> None:
    made = requests.make_request(
        db,
        mash.actor,
        RequestIn(
            subject_record_id=mash.record.id,
            recipient_agency_id=mash.scene.school.id,
            purpose=SharingPurpose.EARLY_HELP,
            categories=[Category.RISK_PERSON],
            question=QUESTION,
            rag=Rag.RED,
        ),
        PROFILE,
    )
    exported = mais.export_request(db, mash.actor, made.id, system=SYSTEM)
    assert exported["requestId"] == str(made.id)
    assert exported["requestingSystem"] == SYSTEM
    assert exported["subject"] == {"identifierType": "nhs_number", "value": NHS_NUMBER}
    assert exported["purpose"] == "dpv:ServiceProvision"
    assert exported["localPurpose"] == "early_help"
    with db.sessions() as session:
        relied_on = session.scalars(
            select(SharingAgreement).where(
                SharingAgreement.keeper_agency_id == mash.scene.school.id
            )
        ).one()
    assert exported["agreement"] == f"{relied_on.reference}/v1"
    before = _count(db)
    assert _import(db, mash.actor, exported) == mais.Imported(made.id, created=False)
    assert _count(db) == before
    assert mais.export_request(db, mash.actor, made.id, system=SYSTEM) == exported


def test_a_request_goes_from_one_jigsaw_to_another_losing_nothing(
    db: Database, mash: Asking, private_database: Database
) -> None:
    """Exported by one installation, imported into another that knows the same agencies
    and child, and exported there: the same object."""
    first = _import(db, mash.actor, mash.mais(requestId="A-1"))
    sent = mais.export_request(db, mash.actor, first.request_id, system=SYSTEM)
    other = World(private_database)
    system = Actor.system()
    mash_there = agencies.create_agency(
        private_database,
        system,
        AgencyIn(name=mash.scene.mash.name, kind=AgencyKind.SOCIAL_CARE),
    )
    school_there = agencies.create_agency(
        private_database,
        system,
        AgencyIn(name=mash.scene.school.name, kind=AgencyKind.SCHOOL),
    )
    agree(private_database, school_there.id, mash_there.id)
    worker = other.actor(other.practitioner(mash_there, Role.MASH))
    people.create_agency_record(
        private_database,
        worker,
        AgencyRecordIn(
            agency_id=mash_there.id,
            local_id=mash.record.local_id,
            role=PersonRole.CHILD,
            given_name="Lily",
            family_name="Barnes",
        ),
    )
    there = mais.import_request(private_database, worker, sent, PROFILE, system="urn:jigsaw:b")
    assert there.created
    assert mais.export_request(private_database, worker, there.request_id, system="urn:b") == sent


Change = Callable[[dict[str, Any]], None]


def _set(path: str, value: object) -> Change:
    def change(shown: dict[str, Any]) -> None:
        *parents, last = path.split("/")
        target: Any = shown
        for key in parents:
            target = target[key]
        target[last] = value

    return change


def _drop(key: str) -> Change:
    return lambda shown: shown.pop(key)


MALFORMED: dict[str, tuple[Change, str, str]] = {
    "missing purpose": (_drop("purpose"), "/purpose", "required"),
    "missing requester identifier": (
        lambda s: s["requester"].pop("identifier"),
        "/requester/identifier",
        "required",
    ),
    "DPV term of no purpose": (_set("purpose", "dpv:Marketing"), "/purpose", "no sharing purpose"),
    "purpose not a DPV term": (_set("purpose", "safeguarding"), "/purpose", "dpv:Term"),
    "local purpose outside the term": (
        _set("purpose", "dpv:ServiceProvision"),
        "/localPurpose",
        "Not a purpose within dpv:ServiceProvision",
    ),
    "term of several purposes, none named": (
        _drop("localPurpose"),
        "/localPurpose",
        "covers several purposes",
    ),
    "impossible date": (_set("timestamp", "2026-02-30T10:00:00Z"), "/timestamp", "real date"),
    "not a date": (_set("timestamp", "yesterday"), "/timestamp", "offset"),
    "time without offset": (_set("due", "2026-12-05T09:15:00"), "/due", "offset"),
    "due before it was asked": (_set("due", "2026-12-01T09:15:00Z"), "/due", "after"),
    "categories not a list": (_set("dataCategories", "child_welfare"), "/dataCategories", "list"),
    "requester not an object": (_set("requester", "MASH"), "/requester", "object"),
    "rag a number": (_set("rag", 1), "/rag", "one of"),
    "unknown category": (
        _set("dataCategories", ["child_welfare", "school_dinners"]),
        "/dataCategories/1",
        "one of",
    ),
    "no categories": (_set("dataCategories", []), "/dataCategories", "at least"),
    "NHS number of letters": (
        _set("subject", {"identifierType": "nhs_number", "value": "943476591X"}),
        "/subject/value",
        "10 digits",
    ),
    "huge question": (_set("question", "x" * 200_000), "/question", "at most 10000"),
    "huge extra field": (_set("notes", "y" * 300_000), "/notes", "Not part of a MAIS request"),
    "huge extra field name": (_set("z" * 5000, 1), "", "not part of a MAIS request"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_a_malformed_object_is_refused_at_its_field_and_changes_nothing(
    db: Database, mash: Asking, case: str
) -> None:
    change, field, message = MALFORMED[case]
    sent = mash.mais()
    change(sent)
    before = _count(db)
    with pytest.raises(MaisInvalid) as refused:
        _import(db, mash.actor, sent)
    assert [p.field for p in refused.value.problems] == [field]
    assert message in refused.value.problems[0].message
    assert len(str(refused.value)) < 300, "the refusal must not repeat what was sent"
    assert _count(db) == before


def test_a_value_that_is_not_an_object_is_refused_whole(db: Database, mash: Asking) -> None:
    for value in ([], "request", None, 7):
        with pytest.raises(MaisInvalid) as refused:
            _import(db, mash.actor, value)
        assert [(p.field, p.message) for p in refused.value.problems] == [("", "Must be an object")]


def test_every_problem_is_named_at_once(db: Database, mash: Asking) -> None:
    sent = mash.mais(rag="purple", dataCategories=["child_welfare", 3])
    del sent["question"]
    with pytest.raises(MaisInvalid) as refused:
        _import(db, mash.actor, sent)
    assert sorted(p.field for p in refused.value.problems) == [
        "/dataCategories/1",
        "/question",
        "/rag",
    ]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"provider": {"organisation": "No such school"}}, "/provider/organisation"),
        ({"subject": {"identifierType": "local_id", "value": "NOT-HELD"}}, "/subject/value"),
        ({"subject": {"identifierType": "nhs_number", "value": "4010232137"}}, "/subject/value"),
    ],
)
def test_names_that_match_nothing_here_are_field_errors(
    db: Database, mash: Asking, changes: dict[str, Any], field: str
) -> None:
    before = _count(db)
    with pytest.raises(MaisInvalid) as refused:
        _import(db, mash.actor, mash.mais(**changes))
    assert [p.field for p in refused.value.problems] == [field]
    assert _count(db) == before


def test_a_request_no_agreement_allows_is_refused_at_the_agreement(
    db: Database, world: World
) -> None:
    """An API client must say why asking is still lawful when no agreement allows it; a
    MAIS object has nowhere to say so, so the request is made in Jigsaw instead."""
    scene = build_scene(db, world, agreed=False)
    record = scene.mash_child(db, born=None)
    before = _count(db)
    with pytest.raises(MaisInvalid) as refused:
        _import(db, scene.social_worker, Asking(scene, record).mais())
    assert [p.field for p in refused.value.problems] == ["/agreement"]
    assert "make it in Jigsaw" in refused.value.problems[0].message
    assert _count(db) == before


def test_the_child_may_be_named_by_nhs_number(db: Database, mash: Asking) -> None:
    sent = mash.mais(subject={"identifierType": "nhs_number", "value": NHS_NUMBER})
    made = _import(db, mash.actor, sent)
    assert requests.view_request(db, mash.actor, made.request_id).subject_record_id == (
        mash.record.id
    )
    assert mais.export_request(db, mash.actor, made.request_id, system=SYSTEM) == sent


def test_another_agency_can_neither_import_into_nor_export_from_someone_elses_requests(
    db: Database, world: World, mash: Asking
) -> None:
    sent = mash.mais()
    made = _import(db, mash.actor, sent)
    outsider = asking(db, world)
    before = _count(db)
    # Posing as the MASH's requester: the importer's agency is not the one asking.
    with pytest.raises(MaisInvalid) as refused:
        _import(db, outsider.actor, mash.mais())
    assert [p.field for p in refused.value.problems] == ["/requester/organisation"]
    # In its own name, about the MASH's child: its agency holds no such record.
    with pytest.raises(MaisInvalid) as refused:
        _import(
            db,
            outsider.actor,
            mash.mais(requester={"identifier": "x", "organisation": outsider.scene.mash.name}),
        )
    assert [p.field for p in refused.value.problems] == ["/subject/value"]
    # Sending the MASH's own object again is refused as any object naming another
    # agency is, before anything is looked up: it reveals nothing and makes nothing.
    with pytest.raises(MaisInvalid) as refused:
        _import(db, outsider.actor, sent)
    assert [p.field for p in refused.value.problems] == ["/requester/organisation"]
    with pytest.raises(NotFound):
        mais.export_request(db, outsider.actor, made.request_id, system=SYSTEM)
    assert _count(db) == before


def test_import_and_export_over_the_api(
    client: TestClient, world: World, db: Database, mash: Asking
) -> None:
    world.sign_in(client, world.practitioner(mash.scene.mash, Role.MASH))
    sent = mash.mais()
    created = client.post("/api/mais/requests", json=sent)
    assert created.status_code == 201, created.text
    request_id = created.json()["request_id"]
    assert created.headers["Location"] == f"/api/requests/{request_id}"
    again = client.post("/api/mais/requests", json=sent)
    assert (again.status_code, again.json()) == (200, {"request_id": request_id, "created": False})
    exported = client.get(f"/api/requests/{request_id}/mais")
    assert exported.status_code == 200 and exported.json() == sent

    refused = client.post("/api/mais/requests", json={**sent, "purpose": "dpv:Marketing"})
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["/purpose"]
    too_big = client.post(
        "/api/mais/requests",
        content=json.dumps({**sent, "notes": "z" * 2_000_000}),
        headers={"Content-Type": "application/json"},
    )
    assert too_big.status_code == 413
    schema = client.get("/api/mais/schema")
    assert schema.json()["$schema"] == "https://json-schema.org/draft/2020-12/schema"

    client.delete("/api/session")
    client.cookies.clear()
    stranger = world.practitioner(world.agency(AgencyKind.SOCIAL_CARE), Role.MASH)
    world.sign_in(client, stranger)
    assert client.get(f"/api/requests/{request_id}/mais").status_code == 404
    posed = client.post("/api/mais/requests", json=sent)
    assert posed.status_code == 422
    assert [e["field"] for e in posed.json()["errors"]] == ["/requester/organisation"]


def test_import_and_export_from_the_command_line(
    db: Database, world: World, mash: Asking, tmp_path: Path
) -> None:
    feed = world.service_account(mash.scene.mash)
    sent = mash.mais()
    path = tmp_path / "request.json"
    path.write_text(json.dumps(sent), encoding="utf-8")
    runner = CliRunner()
    env = {"JIGSAW_MAIS_SYSTEM": SYSTEM}
    args = ["mais", "import", str(path), "--as", str(feed.id), "--database", db.url]
    imported = runner.invoke(cli, args, env=env)
    assert imported.exit_code == 0, imported.output
    request_id = int(imported.stdout.split()[-1])
    assert imported.stdout.startswith("Imported as request")
    again = runner.invoke(cli, args, env=env)
    assert again.stdout.strip() == f"Already imported as request {request_id}"
    exported = runner.invoke(
        cli, ["mais", "export", "--request", str(request_id), "--database", db.url], env=env
    )
    assert exported.exit_code == 0, exported.output
    assert json.loads(exported.stdout) == sent

    person = runner.invoke(
        cli,
        [
            "mais",
            "import",
            str(path),
            "--as",
            str(mash.actor.practitioner_id),
            "--database",
            db.url,
        ],
        env=env,
    )
    assert person.exit_code == 1
    assert "no active service account" in person.output


def test_a_case_system_imports_with_a_sharing_write_token(
    client: TestClient, world: World, mash: Asking
) -> None:
    feed = world.service_account(mash.scene.mash)
    reader = _make_token(client, world, feed, ["sharing:read"])
    writer = _make_token(client, world, feed, ["sharing:write", "sharing:read"])
    sent = mash.mais()
    refused = client.post("/api/mais/requests", json=sent, headers=_bearer(reader["token"]))
    assert refused.status_code == 403
    made = client.post("/api/mais/requests", json=sent, headers=_bearer(writer["token"]))
    assert made.status_code == 201, made.text
    request_id = made.json()["request_id"]
    exported = client.get(f"/api/requests/{request_id}/mais", headers=_bearer(reader["token"]))
    assert exported.json() == sent
