"""Sensitive actions need a sign-in from the last few minutes, over the API and on pages.

Sharing and revoking, issuing API tokens, changing a password, adding agencies,
administrators' changes to accounts and exporting the disclosure register each refuse a session
whose last sign-in is older than five minutes, and accept it once the person has
confirmed it's them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from jigsaw.db import Database
from jigsaw.identity import service as accounts
from jigsaw.identity.schemas import PractitionerOut
from jigsaw.policy.roles import Role
from jigsaw.sharing import disclosures
from tests.conftest import PASSWORD, World, unique
from tests.identity.test_sessions import shift_clock  # noqa: F401 (a fixture)
from tests.scene import Scene
from tests.web.helpers import form_token

STALE = timedelta(minutes=6)


@dataclass
class Action:
    who: PractitionerOut
    method: str
    path: str
    body: dict[str, Any] = field(default_factory=dict)
    done: int = 200


def _person(db: Database, practitioner_id: int | None) -> PractitionerOut:
    assert practitioner_id is not None
    return accounts.get_practitioner(db, practitioner_id)


def _new_email() -> str:
    return f"{unique('n').replace(' ', '').replace('-', '.')}@example.org"


def _api_action(name: str, db: Database, world: World, scene: Scene) -> Action:
    dsl = _person(db, scene.dsl.practitioner_id)
    admin = world.colleague(dsl, Role.ADMIN)
    dpo = world.practitioner(scene.school, Role.DPO)
    decision = scene.share(db)
    if name == "disclose":
        body = scene.disclosure(decision.id).model_dump(mode="json")
        return Action(dsl, "POST", "/api/disclosures", body, 201)
    if name == "revoke":
        made = disclosures.disclose(db, scene.dsl, scene.disclosure(decision.id))
        path = f"/api/disclosures/{made.id}/revocation"
        return Action(dsl, "POST", path, {"reason": "Sent to the wrong hub"}, 201)
    if name == "token":
        feed = world.service_account(dsl)
        body = {"practitioner_id": feed.id, "name": "Feed", "scopes": ["records:read"]}
        return Action(admin, "POST", "/api/tokens", body, 201)
    if name == "password":
        body = {"current_password": PASSWORD, "new_password": "grey herons fish at dawn"}
        return Action(dsl, "POST", "/api/session/password", body, 200)
    if name == "password reset":
        return Action(admin, "POST", f"/api/practitioners/{dsl.id}/password-reset", {}, 201)
    if name == "second factor reset":
        return Action(admin, "POST", f"/api/practitioners/{dsl.id}/second-factor/reset", {}, 204)
    if name == "add an account":
        body = {
            "agency_id": dsl.agency_id,
            "name": "Dee Walsh",
            "email": _new_email(),
            "role": "dsl",
        }
        return Action(admin, "POST", "/api/practitioners", body, 201)
    if name == "change a role":
        colleague = world.colleague(dsl)
        return Action(admin, "PATCH", f"/api/practitioners/{colleague.id}", {"role": "dsl"})
    if name == "add a service account":
        return Action(admin, "POST", "/api/service-accounts", {"name": "Case system"}, 201)
    if name == "add an agency":
        desk = world.practitioner(role=Role.PLATFORM_ADMIN)
        body = {"name": unique("Oldtown Housing"), "kind": "housing"}
        return Action(desk, "POST", "/api/agencies", body, 201)
    if name == "register":
        return Action(dpo, "GET", f"/api/audit/register?record_id={scene.child_record_id}")
    assert name == "register csv"
    return Action(dpo, "GET", f"/api/audit/register.csv?record_id={scene.child_record_id}")


API_ACTIONS = [
    "disclose",
    "revoke",
    "token",
    "password",
    "password reset",
    "second factor reset",
    "add an account",
    "change a role",
    "add a service account",
    "add an agency",
    "register",
    "register csv",
]


def _send(client: TestClient, action: Action) -> Any:
    if action.method == "GET":
        return client.get(action.path)
    return client.request(action.method, action.path, json=action.body)


def _confirm_over_the_api(client: TestClient, world: World, who: PractitionerOut) -> None:
    again = client.post(
        "/api/session/reauthentication",
        json={"password": PASSWORD, "totp_code": world.totp_code(who)},
    )
    assert again.status_code == 200, again.text


@pytest.mark.parametrize("name", API_ACTIONS)
def test_the_api_refuses_a_stale_sign_in_and_accepts_a_fresh_one(
    name: str,
    client: TestClient,
    world: World,
    db: Database,
    scene: Scene,
    shift_clock: Callable[[timedelta], None],  # noqa: F811 (the fixture)
) -> None:
    action = _api_action(name, db, world, scene)
    world.sign_in(client, action.who)
    shift_clock(STALE)
    stale = _send(client, action)
    assert stale.status_code == 401, stale.text
    assert "Confirm your password" in stale.json()["errors"][0]["message"]
    _confirm_over_the_api(client, world, action.who)
    fresh = _send(client, action)
    assert fresh.status_code == action.done, fresh.text


def _web_action(name: str, db: Database, world: World, scene: Scene) -> Action:
    dsl = _person(db, scene.dsl.practitioner_id)
    decision = scene.share(db)
    if name == "check what you share":
        return Action(dsl, "GET", f"/decisions/{decision.id}/disclose/check")
    if name == "share":
        return Action(dsl, "POST", f"/decisions/{decision.id}/disclose/check")
    made = disclosures.disclose(db, scene.dsl, scene.disclosure(decision.id))
    if name == "revoke form":
        return Action(dsl, "GET", f"/shared-by-us/{made.id}/revoke")
    if name == "revoke":
        return Action(dsl, "POST", f"/shared-by-us/{made.id}/revoke", {"reason": "Sent in error"})
    if name == "register download":
        dpo = world.practitioner(scene.school, Role.DPO)
        return Action(dpo, "GET", f"/register.csv?record={scene.child_record_id}")
    if name == "change password form":
        return Action(dsl, "GET", "/account/password")
    admin = world.colleague(dsl, Role.ADMIN)
    assert name == "issue a reset code"
    return Action(admin, "POST", f"/practitioners/{dsl.id}/password-reset")


WEB_ACTIONS = [
    "check what you share",
    "share",
    "revoke form",
    "revoke",
    "register download",
    "change password form",
    "issue a reset code",
]


def _post_page(client: TestClient, action: Action, referer: str) -> Any:
    token = form_token(client.get("/re-authenticate").text)
    return client.post(
        action.path,
        data={**action.body, "csrf_token": token},
        headers={"referer": f"http://testserver{referer}"},
        follow_redirects=False,
    )


def _send_page(client: TestClient, action: Action, referer: str) -> Any:
    if action.method == "GET":
        return client.get(action.path, follow_redirects=False)
    return _post_page(client, action, referer)


@pytest.mark.parametrize("name", WEB_ACTIONS)
def test_pages_send_a_stale_sign_in_to_confirm_and_then_back(
    name: str,
    client: TestClient,
    world: World,
    db: Database,
    scene: Scene,
    shift_clock: Callable[[timedelta], None],  # noqa: F811 (the fixture)
) -> None:
    action = _web_action(name, db, world, scene)
    world.sign_in(client, action.who)
    shift_clock(STALE)
    # After a form is sent, the way back is the page that held it.
    back = action.path if action.method == "GET" else "/shared-by-us"
    stale = _send_page(client, action, back)
    assert stale.status_code == 303
    assert stale.headers["location"] == "/re-authenticate?next=" + quote(back, safe="")

    page = client.get(stale.headers["location"])
    confirmed = client.post(
        "/re-authenticate",
        data={
            "password": PASSWORD,
            "code": world.totp_code(action.who),
            "next": back,
            "csrf_token": form_token(page.text),
        },
        follow_redirects=False,
    )
    assert confirmed.headers["location"] == back

    fresh = _send_page(client, action, back)
    assert fresh.status_code in (200, 303), fresh.text
    assert not fresh.headers.get("location", "").startswith("/re-authenticate")
