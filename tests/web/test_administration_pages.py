"""Administrators' pages follow the same rules as the API: their own agency only, and
each change on the agency DPO's alert list."""

from __future__ import annotations

from fastapi.testclient import TestClient

from jigsaw.policy.roles import Role
from tests.conftest import World
from tests.web.helpers import form_token, sign_in_through_the_page


def test_an_administrator_cannot_give_another_agencys_practitioner_a_reset_code(
    client: TestClient, world: World
) -> None:
    stranger = world.practitioner()
    feed = world.service_account()
    admin = world.colleague(feed, Role.ADMIN)
    sign_in_through_the_page(client, world, admin)
    for target in (stranger.id, 999999999):
        page = client.get(f"/practitioners/{target}/password-reset")
        assert page.status_code == 404
        assert stranger.name not in page.text
    # A service account has no password to reset.
    assert client.get(f"/practitioners/{feed.id}/password-reset").status_code == 409


def test_a_reset_code_given_on_the_page_is_on_the_dpos_alert_page(
    client: TestClient, world: World
) -> None:
    colleague = world.practitioner()
    admin = world.colleague(colleague, Role.ADMIN)
    dpo = world.colleague(colleague, Role.DPO)
    sign_in_through_the_page(client, world, admin)
    url = f"/practitioners/{colleague.id}/password-reset"
    confirm = client.get(url)
    issued = client.post(url, data={"csrf_token": form_token(confirm.text)})
    assert issued.status_code == 200
    client.post("/sign-out", data={"csrf_token": form_token(issued.text)})
    client.cookies.clear()

    sign_in_through_the_page(client, world, dpo)
    page = client.get("/access-log/alerts")
    assert page.status_code == 200
    assert "Gave an account a password reset code" in page.text
    notices = client.get("/notifications")
    assert "An account in your agency was added or changed" in notices.text
