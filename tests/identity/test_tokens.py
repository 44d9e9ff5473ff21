"""API tokens for systems: issued for a service account of the administrator's own agency,
never for a person; scoped, expiring, revocable, audited and alerted."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import select

from jigsaw.audit.actions import AuditAction
from jigsaw.audit.models import AuditEntry
from jigsaw.clock import utcnow
from jigsaw.db import Database
from jigsaw.errors import InvalidInput, NotPermitted
from jigsaw.identity import tokens
from jigsaw.identity.dependencies import declared_scopes
from jigsaw.identity.models import ApiToken
from jigsaw.identity.schemas import AgencyOut, PractitionerOut
from jigsaw.policy.actor import Actor
from jigsaw.policy.roles import AgencyKind, Role
from tests.conftest import PASSWORD, SYSTEM, World, unique
from tests.identity.test_sessions import shift_clock  # noqa: F401 (a fixture)
from tests.scene import Scene
from tests.web.helpers import add_record


def _record_body(agency: AgencyOut) -> dict[str, object]:
    return {
        "agency_id": agency.id,
        "local_id": unique("T").replace(" ", "-"),
        "role": "child",
        "given_name": "Noah",
        "family_name": "Field",
        "sex": "male",
    }


def _make_token(
    client: TestClient,
    world: World,
    owner: PractitionerOut,
    scopes: list[str],
    *,
    admin: PractitionerOut | None = None,
    **extra: object,
) -> dict[str, object]:
    admin = admin or world.colleague(owner, Role.ADMIN)
    world.sign_in(client, admin)
    response = client.post(
        "/api/tokens",
        json={"practitioner_id": owner.id, "name": "Nightly feed", "scopes": scopes, **extra},
    )
    assert response.status_code == 201, response.text
    client.delete("/api/session")
    client.cookies.clear()
    body: dict[str, object] = response.json()
    return body


def _bearer(token: object) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_token_is_shown_once_and_stored_only_as_a_hash(
    client: TestClient, world: World, db: Database
) -> None:
    owner = world.service_account()
    made = _make_token(client, world, owner, ["records:read"])
    token = str(made["token"])
    assert token.startswith(f"jgs_{made['prefix']}_")
    assert made["scopes"] == ["records:read"]
    with db.sessions() as session:
        row = session.get(ApiToken, made["id"])
        assert row is not None
        assert token.encode() not in row.token_hash
        assert len(row.token_hash) == 32
    listed = tokens.list_tokens(db, SYSTEM)
    assert all("token" not in t.model_dump() for t in listed)
    assert any(t.id == made["id"] for t in listed)


def test_scopes_limit_what_a_token_can_do(client: TestClient, world: World, db: Database) -> None:
    school = world.agency(AgencyKind.SCHOOL)
    owner = world.service_account(school)
    record = add_record(db, world.actor(owner), "Noah", "Field")
    token = _make_token(client, world, owner, ["records:read"])["token"]
    headers = _bearer(token)

    assert client.get(f"/api/agency-records/{record.id}", headers=headers).status_code == 200
    assert client.get("/api/agency-records", headers=headers).status_code == 200
    written = client.post("/api/agency-records", json=_record_body(school), headers=headers)
    assert written.status_code == 403
    assert "records:write" in written.json()["errors"][0]["message"]
    assert client.get("/api/audit/checkpoint", headers=headers).status_code == 403
    assert client.get("/api/agencies", headers=headers).status_code == 403
    # Routes that declare no scope do not take tokens at all.
    assert client.get("/api/me", headers=headers).status_code == 403
    assert client.get("/api/tokens", headers=headers).status_code == 403
    # Pages are for people: a token is not a session.
    page = client.get(f"/children/{record.id}", headers=headers, follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == "/sign-in"

    writer = _make_token(client, world, owner, ["records:read", "records:write"])["token"]
    made = client.post("/api/agency-records", json=_record_body(school), headers=_bearer(writer))
    assert made.status_code == 201, made.text


def test_a_token_acts_within_its_owners_role_and_agency(
    client: TestClient, world: World, db: Database
) -> None:
    police = world.agency(AgencyKind.POLICE)
    theirs = add_record(db, world.actor(world.practitioner(police)), "Oliver", "Quinn")
    owner = world.service_account(world.agency())
    token = _make_token(client, world, owner, ["records:read", "records:write"])["token"]
    assert client.get(f"/api/agency-records/{theirs.id}", headers=_bearer(token)).status_code == 404
    other = client.post("/api/agency-records", json=_record_body(police), headers=_bearer(token))
    assert other.status_code == 403


def test_expired_revoked_and_made_up_tokens_are_refused(
    client: TestClient,
    world: World,
    db: Database,
    shift_clock: Callable[[timedelta], None],  # noqa: F811 (the fixture)
) -> None:
    owner = world.service_account()
    made = _make_token(client, world, owner, ["records:read"], expires_in_days=1)
    headers = _bearer(made["token"])
    assert client.get("/api/agency-records", headers=headers).status_code == 200
    for made_up in ("nonsense", f"jgs_{made['prefix']}_guess", "jgs_000000000000_x", ""):
        refused = client.get("/api/agency-records", headers=_bearer(made_up))
        assert refused.status_code == 401, made_up
    shift_clock(timedelta(days=1, seconds=1))
    expired = client.get("/api/agency-records", headers=headers)
    assert expired.status_code == 401
    assert "not valid" in expired.json()["errors"][0]["message"]

    fresh = _make_token(client, world, owner, ["records:read"])
    admin = world.colleague(owner, Role.ADMIN)
    world.sign_in(client, admin)
    revoked = client.delete(f"/api/tokens/{fresh['id']}")
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    client.delete("/api/session")
    assert client.get("/api/agency-records", headers=_bearer(fresh["token"])).status_code == 401


def test_only_an_administrator_with_a_second_factor_makes_tokens(
    client: TestClient, world: World, db: Database
) -> None:
    owner = world.service_account()
    body = {"practitioner_id": owner.id, "name": "Feed", "scopes": ["records:read"]}

    world.sign_in(client, world.colleague(owner, Role.DSL))
    assert client.post("/api/tokens", json=body).status_code == 403
    client.delete("/api/session")

    admin = world.colleague(owner, Role.ADMIN)
    client.post("/api/session", json={"email": admin.email, "password": PASSWORD})
    assert client.post("/api/tokens", json=body).status_code == 401
    client.delete("/api/session")

    token = _make_token(client, world, owner, ["directory:read", "directory:write"])["token"]
    by_token = client.post("/api/tokens", json=body, headers=_bearer(token))
    assert by_token.status_code == 403
    assert client.get("/api/agencies", headers=_bearer(token)).status_code == 200

    with pytest.raises(NotPermitted):
        password_only = Actor(
            admin.id, admin.agency_id, admin.role, mfa_verified=False, authenticated_at=utcnow()
        )
        tokens.create_token(db, password_only, tokens.TokenIn.model_validate(body))


def test_unknown_scopes_and_owners_are_refused(client: TestClient, world: World) -> None:
    owner = world.service_account()
    world.sign_in(client, world.colleague(owner, Role.ADMIN))
    bad_scope = client.post(
        "/api/tokens", json={"practitioner_id": owner.id, "name": "x", "scopes": ["everything"]}
    )
    assert bad_scope.status_code == 422
    no_owner = client.post(
        "/api/tokens", json={"practitioner_id": 10**9, "name": "x", "scopes": ["records:read"]}
    )
    assert no_owner.status_code == 422
    too_long = client.post(
        "/api/tokens",
        json={
            "practitioner_id": owner.id,
            "name": "x",
            "scopes": ["records:read"],
            "expires_in_days": 4000,
        },
    )
    assert too_long.status_code == 422


def _api_routes(routes: list[Any]) -> list[APIRoute]:
    """Every JSON route, including those in routers the app includes."""
    found: list[APIRoute] = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append(route)
        included = getattr(route, "original_router", None)
        if included is not None:
            found.extend(_api_routes(included.routes))
    return found


def test_every_data_router_declares_its_scopes(client: TestClient) -> None:
    """The domain routers each declare their scopes once, for reads and for writes."""
    routes = {(r.path, m): r for r in _api_routes(client.app.routes) for m in r.methods}  # type: ignore[attr-defined]
    expected = {
        ("/api/agency-records", "GET"): ["records:read"],
        ("/api/agency-records", "POST"): ["records:write"],
        ("/api/items/{item_id}", "GET"): ["records:read"],
        ("/api/items", "POST"): ["records:write"],
        ("/api/agencies", "GET"): ["directory:read"],
        ("/api/practitioners", "POST"): ["directory:write"],
        ("/api/audit/checkpoint", "GET"): ["audit:read"],
        ("/api/audit/checkpoint", "POST"): ["audit:write"],
        ("/api/me", "GET"): None,
        ("/api/tokens", "POST"): None,
    }
    for (path, method), scopes in expected.items():
        assert declared_scopes(routes[(path, method)], method) == scopes, (path, method)


# Administration that cannot impersonate


def _tokens_for(db: Database, practitioner_id: int) -> list[ApiToken]:
    with db.sessions() as session:
        return list(
            session.scalars(select(ApiToken).where(ApiToken.practitioner_id == practitioner_id))
        )


def test_an_administrator_cannot_mint_a_token_to_read_another_agencys_children(
    client: TestClient, world: World, db: Database, scene: Scene
) -> None:
    """The attack: an administrator of one agency asks for a token acting as a school's DSL
    (or as the school's own feed) to read the school's narrative as them."""
    school_dsl = scene.dsl.practitioner_id
    assert school_dsl is not None
    school_feed = world.service_account(scene.school)
    elsewhere = world.practitioner(world.agency(AgencyKind.HEALTH), Role.ADMIN)
    world.sign_in(client, elsewhere)
    answers = [
        client.post(
            "/api/tokens",
            json={"practitioner_id": target, "name": "Feed", "scopes": ["records:read"]},
        )
        for target in (school_dsl, school_feed.id, 10**9)
    ]
    assert [a.status_code for a in answers] == [422, 422, 422]
    # Another agency's accounts answer exactly like a missing one.
    messages = {a.json()["errors"][0]["message"].split(" with id ")[0] for a in answers}
    assert messages == {"There is no active service account"}
    assert _tokens_for(db, school_dsl) == [] and _tokens_for(db, school_feed.id) == []
    assert client.get("/api/tokens").json() == [], "nor does it see the school's tokens"


def test_a_token_never_acts_as_a_person(client: TestClient, world: World, db: Database) -> None:
    """Not for the administrator's own colleagues, themselves, or from the command line; and
    a token issued for a person before service accounts existed no longer works."""
    admin = world.practitioner(role=Role.ADMIN)
    dsl = world.colleague(admin, Role.DSL)
    world.sign_in(client, admin)
    for person in (dsl, admin):
        refused = client.post(
            "/api/tokens",
            json={"practitioner_id": person.id, "name": "Feed", "scopes": ["records:read"]},
        )
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"] == [
            {"field": "practitioner_id", "message": tokens.NOT_A_SERVICE_ACCOUNT}
        ]
    body = tokens.TokenIn(practitioner_id=dsl.id, name="Feed", scopes=[tokens.Scope.RECORDS_READ])
    with pytest.raises(InvalidInput):
        tokens.create_token(db, SYSTEM, body)
    assert _tokens_for(db, dsl.id) == []

    legacy = "jgs_0123456789ab_an-old-token-issued-for-a-person"
    with db.transaction() as session:
        session.add(
            ApiToken(
                practitioner_id=dsl.id,
                name="Issued before service accounts",
                prefix="0123456789ab",
                token_hash=hashlib.sha256(legacy.encode()).digest(),
                scopes=["records:read"],
                created_at=utcnow(),
                expires_at=utcnow() + timedelta(days=30),
            )
        )
    client.delete("/api/session")
    client.cookies.clear()
    assert client.get("/api/agency-records", headers=_bearer(legacy)).status_code == 401


def test_a_service_account_never_signs_in_as_a_person(
    client: TestClient, world: World, db: Database
) -> None:
    feed = world.service_account()
    signed_in = client.post("/api/session", json={"email": feed.email, "password": PASSWORD})
    assert signed_in.status_code == 401
    world.sign_in(client, world.colleague(feed, Role.ADMIN))
    # It has no password or second factor to be given, so no one can take it over.
    assert client.post(f"/api/practitioners/{feed.id}/password-reset").status_code == 409
    assert client.post(f"/api/practitioners/{feed.id}/second-factor/reset").status_code == 409
    assert feed.service_account and feed.email.endswith(".invalid")


def test_issuing_a_token_needs_a_recent_sign_in_in_the_service_itself(
    world: World, db: Database
) -> None:
    """Not only at the route: any page or job calling the service is held to it too."""
    feed = world.service_account()
    admin = world.actor(world.colleague(feed, Role.ADMIN))
    body = tokens.TokenIn(practitioner_id=feed.id, name="Feed", scopes=[tokens.Scope.RECORDS_READ])
    for stale in (None, utcnow() - timedelta(minutes=6)):
        with pytest.raises(NotPermitted):
            tokens.create_token(db, replace(admin, authenticated_at=stale), body)
    made = tokens.create_token(db, replace(admin, authenticated_at=utcnow()), body)
    assert made.practitioner_id == feed.id


def test_a_new_token_is_audited_and_on_the_dpos_alert_list(
    client: TestClient, world: World, db: Database
) -> None:
    feed = world.service_account()
    dpo = world.colleague(feed, Role.DPO)
    admin = world.colleague(feed, Role.ADMIN)
    made = _make_token(client, world, feed, ["records:read"], admin=admin)

    with db.sessions() as session:
        entry = session.scalar(
            select(AuditEntry).where(
                AuditEntry.action == AuditAction.API_TOKEN_CREATED.value,
                AuditEntry.object_id == str(made["id"]),
            )
        )
    assert entry is not None
    assert entry.actor_id == admin.id, "who issued it"
    assert entry.refs["practitioner"] == feed.id, "for which account"
    assert entry.refs["agency"] == feed.agency_id

    world.sign_in(client, dpo)
    alerts = client.get("/api/audit/alerts").json()
    assert any(
        a["action"] == AuditAction.API_TOKEN_CREATED.value and a["object_id"] == str(made["id"])
        for a in alerts
    )
    notices = client.get("/api/notifications").json()
    assert any(n["kind"] == "api_token_issued" and n["object_id"] == made["id"] for n in notices)


def test_administrators_see_and_revoke_only_their_own_agencys_tokens(
    client: TestClient, world: World
) -> None:
    ours, theirs = world.service_account(), world.service_account()
    our_token = _make_token(client, world, ours, ["records:read"])
    their_token = _make_token(client, world, theirs, ["records:read"])
    world.sign_in(client, world.colleague(ours, Role.ADMIN))
    listed = {t["id"] for t in client.get("/api/tokens").json()}
    assert our_token["id"] in listed and their_token["id"] not in listed
    assert client.delete(f"/api/tokens/{their_token['id']}").status_code == 404
    assert (
        client.get("/api/agency-records", headers=_bearer(their_token["token"])).status_code == 200
    )
    assert client.delete(f"/api/tokens/{our_token['id']}").status_code == 200


@pytest.mark.parametrize("account", [2**31, 2**63])
def test_an_account_id_beyond_the_integer_columns_is_refused_not_a_server_error(
    client: TestClient, world: World, account: int
) -> None:
    admin = world.colleague(world.service_account(), Role.ADMIN)
    world.sign_in(client, admin)
    response = client.post(
        "/api/tokens",
        json={"practitioner_id": account, "name": "Feed", "scopes": ["records:read"]},
    )
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["practitioner_id"]
