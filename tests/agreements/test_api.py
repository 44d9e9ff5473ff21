"""The agreements API: DPO-only writes, readable errors, and the check other systems ask.

These run against the shared test database, so every agreement names both agencies by
id and covers nothing another test made.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient

from jigsaw.agreements.terms import MAX_DOCUMENT_BYTES
from jigsaw.db import Database
from jigsaw.identity.schemas import AgencyOut, PractitionerOut
from jigsaw.policy.roles import AgencyKind, Role
from tests.agreements.helpers import by_id, document
from tests.conftest import World


def _parties(world: World) -> tuple[AgencyOut, AgencyOut]:
    return world.agency(AgencyKind.HEALTH), world.agency(AgencyKind.SOCIAL_CARE)


def _body(parties: tuple[AgencyOut, AgencyOut], **more: Any) -> dict[str, Any]:
    return document(provider=by_id(parties[0].id), recipient=by_id(parties[1].id), **more)


def _dpo(world: World, agency: AgencyOut) -> PractitionerOut:
    return world.practitioner(agency, Role.DPO)


def test_a_dpo_registers_approves_and_reads_an_agreement(client: TestClient, world: World) -> None:
    parties = _parties(world)
    world.sign_in(client, _dpo(world, parties[1]))
    made = client.post("/api/agreements", json=_body(parties))
    assert made.status_code == 201, made.text
    assert made.json()["status"] == "draft"
    agreement_id = made.json()["id"]
    approved = client.post(f"/api/agreements/{agreement_id}/approve")
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "in_force"
    again = client.post(f"/api/agreements/{agreement_id}/approve")
    assert again.status_code == 409
    seen = client.get(f"/api/agreements/{agreement_id}")
    assert seen.status_code == 200
    assert seen.json()["document"]["version"] == 1
    assert [v["version"] for v in seen.json()["versions"]] == [1]
    assert agreement_id in {a["id"] for a in client.get("/api/agreements").json()}


def test_the_api_gives_one_problem_per_field(client: TestClient, world: World) -> None:
    parties = _parties(world)
    world.sign_in(client, _dpo(world, parties[1]))
    refused = client.post("/api/agreements", json=_body(parties, tier=7, title=""))
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {"field": "tier", "message": "must be one of: 1, 2, 3"},
        {"field": "title", "message": "must be at least 3 characters"},
    ]


def test_an_administrator_and_a_practitioner_are_refused(
    client: TestClient, world: World, db: Database
) -> None:
    parties = _parties(world)
    for role in (Role.ADMIN, Role.PRACTITIONER):
        world.sign_in(client, world.practitioner(parties[1], role))
        refused = client.post("/api/agreements", json=_body(parties))
        assert refused.status_code == 403, (role, refused.text)
        assert client.get("/api/agreements").status_code == 403
        client.cookies.clear()


def test_supersede_and_end_over_the_api(client: TestClient, world: World, db: Database) -> None:
    parties = _parties(world)
    world.sign_in(client, _dpo(world, parties[1]))
    body = _body(parties, start_date="2026-01-01")
    first = client.post("/api/agreements", json=body).json()["id"]
    client.post(f"/api/agreements/{first}/approve", json={"note": "Signed by all parties"})
    later = {**body, "start_date": "2099-01-01"}
    second = client.post(f"/api/agreements/{first}/supersede", json=later)
    assert second.status_code == 201, second.text
    assert second.json()["version"] == 2
    ended = client.post(
        f"/api/agreements/{second.json()['id']}/end", json={"ends_on": "2099-06-01"}
    )
    assert ended.status_code == 200, ended.text
    assert ended.json()["status"] == "ended"
    events = client.get(f"/api/agreements/{first}").json()["events"]
    assert [e["kind"] for e in events] == ["approved", "approved", "superseded", "ended"]


def test_hostile_input_is_refused_cleanly(client: TestClient, world: World) -> None:
    parties = _parties(world)
    world.sign_in(client, _dpo(world, parties[1]))
    not_json = client.post(
        "/api/agreements", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert not_json.status_code in (400, 422), not_json.text
    huge = _body(parties, summary="x" * 2000, permitted_uses=["y" * 500] * 50)
    huge["padding"] = "z" * MAX_DOCUMENT_BYTES
    refused = client.post("/api/agreements", json=huge)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "document"
    assert "at most" in refused.json()["errors"][0]["message"]
    assert client.post("/api/agreements", json=[1, 2]).status_code == 422


def test_systems_ask_whether_a_share_is_valid(client: TestClient, world: World) -> None:
    parties = _parties(world)
    world.sign_in(client, _dpo(world, parties[1]))
    made = client.post("/api/agreements", json=_body(parties)).json()["id"]
    client.post(f"/api/agreements/{made}/approve")
    client.cookies.clear()
    asker = world.practitioner(parties[0], Role.PRACTITIONER)
    world.sign_in(client, asker)
    question = {
        "provider_agency_id": parties[0].id,
        "recipient_agency_id": parties[1].id,
        "purpose": "mash_screening",
        "categories": ["child_welfare", "missed_appointment"],
    }
    answer = client.post("/api/agreements/evaluate", json=question)
    assert answer.status_code == 200, answer.text
    assert answer.json()["verdict"] == "permit"
    assert answer.json()["agreement_id"] == made
    assert answer.json()["delete_after_days"] == 365
    onward = client.post("/api/agreements/evaluate", json={**question, "onward": True}).json()
    assert (onward["verdict"], onward["reasons"][0]["code"]) == (
        "deny",
        "onward_transfer_prohibited",
    )
    elsewhere = world.agency(AgencyKind.POLICE)
    not_ours = {
        **question,
        "provider_agency_id": elsewhere.id,
        "recipient_agency_id": parties[1].id,
    }
    assert client.post("/api/agreements/evaluate", json=not_ours).status_code == 403


def test_the_schema_is_published(client: TestClient, world: World) -> None:
    world.sign_in(client, _dpo(world, world.agency(AgencyKind.SOCIAL_CARE)))
    shipped = client.get("/api/agreements/schema")
    assert shipped.status_code == 200
    assert shipped.json()["$schema"].endswith("/2020-12/schema")
    assert json.dumps(shipped.json())


def test_a_system_with_a_read_token_asks_and_cannot_write(client: TestClient, world: World) -> None:
    parties = _parties(world)
    system = world.service_account(parties[0])
    world.sign_in(client, world.practitioner(parties[0], Role.ADMIN))
    issued = client.post(
        "/api/tokens",
        json={"practitioner_id": system.id, "name": "Case system", "scopes": ["sharing:read"]},
    )
    assert issued.status_code == 201, issued.text
    client.cookies.clear()
    bearer = {"Authorization": f"Bearer {issued.json()['token']}"}
    question = {
        "provider_agency_id": parties[0].id,
        "recipient_agency_id": parties[1].id,
        "purpose": "health_care",
        "categories": ["child_welfare"],
    }
    answer = client.post("/api/agreements/evaluate", json=question, headers=bearer)
    assert answer.status_code == 200, answer.text
    assert (answer.json()["verdict"], answer.json()["reasons"][0]["code"]) == (
        "deny",
        "no_agreement",
    )
    assert client.post("/api/agreements", json=_body(parties), headers=bearer).status_code == 403


def test_the_moment_asked_about_is_an_iso_time_in_the_service_years(
    client: TestClient, world: World
) -> None:
    parties = _parties(world)
    world.sign_in(client, world.practitioner(parties[0], Role.PRACTITIONER))
    question = {
        "provider_agency_id": parties[0].id,
        "recipient_agency_id": parties[1].id,
        "purpose": "early_help",
        "categories": ["child_welfare"],
    }
    for at in (0, "1800-01-01T00:00:00Z"):
        refused = client.post("/api/agreements/evaluate", json={**question, "at": at})
        assert refused.status_code == 422, (at, refused.text)
        assert refused.json()["errors"][0]["field"] == "at"
    naive = client.post("/api/agreements/evaluate", json={**question, "at": "2026-06-01T09:00:00"})
    assert naive.status_code == 200, naive.text


def test_a_nul_in_the_title_is_refused_not_stored(client: TestClient, world: World) -> None:
    parties = _parties(world)
    world.sign_in(client, _dpo(world, parties[1]))
    refused = client.post("/api/agreements", json=_body(parties, title="Health\x00MASH"))
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"] == [
        {"field": "title", "message": "contains a control character"}
    ]
