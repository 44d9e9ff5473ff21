"""Changing a password, and setting a new one with a reset code, on the pages."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import timedelta

import httpx
import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, expect

from jigsaw.identity.schemas import PractitionerOut
from jigsaw.policy.roles import Role
from tests.conftest import PASSWORD, World
from tests.identity.test_sessions import shift_clock  # noqa: F401 (a fixture)
from tests.web.conftest import AccessibilityChecks
from tests.web.helpers import form_token, page_title, sign_in_browser, sign_in_through_the_page

NEW_PASSWORD = "grey herons fish at dawn"
CODE = re.compile(r'id="reset-code">([0-9A-Z-]{19})<')


def _post(client: TestClient, path: str, data: dict[str, str]) -> httpx.Response:
    token = form_token(client.get("/sign-in" if "reset" in path else path).text)
    return client.post(path, data={**data, "csrf_token": token}, follow_redirects=False)


def test_a_practitioner_changes_their_password_on_the_page(
    client: TestClient, world: World
) -> None:
    practitioner = world.practitioner()
    sign_in_through_the_page(client, world, practitioner)
    form = client.get("/account/password")
    assert form.status_code == 200
    assert 'autocomplete="current-password"' in form.text
    assert 'autocomplete="new-password"' in form.text
    assert 'href="/account/password">Change password</a>' in client.get("/").text

    blank = _post(client, "/account/password", {})
    assert blank.status_code == 422
    text = blank.text
    assert '<a href="#current_password">Enter your current password</a>' in text
    assert '<a href="#new_password">Enter a new password</a>' in text

    wrong = _post(
        client,
        "/account/password",
        {"current_password": "not it at all", "new_password": NEW_PASSWORD},
    )
    assert wrong.status_code == 422
    assert "Your current password is not right" in wrong.text
    common = _post(
        client, "/account/password", {"current_password": PASSWORD, "new_password": "password1234"}
    )
    assert "too common" in common.text

    done = _post(
        client, "/account/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/account/password/changed"
    changed = client.get("/account/password/changed")
    assert "Password changed" in changed.text
    assert "signed out of Jigsaw everywhere else" in changed.text
    assert client.get("/api/me").status_code == 200, "still signed in here"

    client.post("/sign-out", data={"csrf_token": form_token(changed.text)})
    sign_in_through_the_page(client, world, practitioner, password=NEW_PASSWORD)


def _issue_on_the_page(client: TestClient, world: World, who: PractitionerOut) -> str:
    admin = world.colleague(who, Role.ADMIN)
    sign_in_through_the_page(client, world, admin)
    url = f"/practitioners/{who.id}/password-reset"
    confirm = client.get(url)
    assert confirm.status_code == 200
    assert f"Give {who.name} a password reset code" in confirm.text
    issued = client.post(url, data={"csrf_token": form_token(confirm.text)})
    assert issued.status_code == 200
    found = CODE.search(issued.text)
    assert found, issued.text
    client.post("/sign-out", data={"csrf_token": form_token(issued.text)})
    client.cookies.clear()
    return found.group(1)


def test_an_administrator_gives_a_code_and_the_practitioner_sets_a_new_password(
    client: TestClient, world: World
) -> None:
    practitioner = world.practitioner()
    code = _issue_on_the_page(client, world, practitioner)

    page = client.get("/sign-in")
    assert 'href="/reset-password"' in page.text
    blank = _post(client, "/reset-password", {})
    assert blank.status_code == 422
    assert '<a href="#code">Enter the reset code your administrator gave you</a>' in blank.text
    wrong = _post(
        client,
        "/reset-password",
        {"email": practitioner.email, "code": "AAAA-BBBB-CCCC-DDDD", "new_password": NEW_PASSWORD},
    )
    assert wrong.status_code == 401
    assert "reset code is not right" in wrong.text

    done = _post(
        client,
        "/reset-password",
        {"email": practitioner.email, "code": code, "new_password": NEW_PASSWORD},
    )
    assert done.headers["location"] == "/sign-in"
    assert "Your new password is set" in client.get("/sign-in").text
    sign_in_through_the_page(client, world, practitioner, password=NEW_PASSWORD)


def test_only_administrators_reach_the_reset_code_page(client: TestClient, world: World) -> None:
    practitioner = world.practitioner()
    sign_in_through_the_page(client, world, world.practitioner(role=Role.DSL))
    assert client.get(f"/practitioners/{practitioner.id}/password-reset").status_code == 403


@pytest.fixture
def page(browser: Browser, live_server: str) -> Iterator[Page]:
    context = browser.new_context(base_url=live_server)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.mark.browser
def test_a_stale_sign_in_confirms_and_comes_back_to_change_the_password(
    page: Page,
    live_server: str,
    world: World,
    axe_check: AccessibilityChecks,
    shift_clock: Callable[[timedelta], None],  # noqa: F811 (the fixture)
) -> None:
    practitioner = world.practitioner()
    sign_in_browser(
        page, live_server, practitioner.email, code=lambda: world.totp_code(practitioner)
    )
    shift_clock(timedelta(minutes=6))
    page.get_by_role("link", name="Change password").click()
    expect(page).to_have_title(page_title("Confirm it\N{RIGHT SINGLE QUOTATION MARK}s you"))
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Code from your authenticator app").fill(world.totp_code(practitioner))
    page.get_by_role("button", name="Continue").click()

    expect(page).to_have_title(page_title("Change your password"))
    axe_check(page, "change-password")
    page.get_by_label("New password").fill("password1234")
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_role("button", name="Change password").click()
    expect(page.locator(".govuk-error-summary")).to_be_focused()
    expect(page.locator(".govuk-error-summary")).to_contain_text("too common")
    axe_check(page, "change-password-errors")

    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Password changed")
    axe_check(page, "password-changed")

    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("link", name="I have a password reset code").click()
    expect(page).to_have_title(page_title("Set a new password"))
    axe_check(page, "reset-password")
    sign_in_browser(
        page,
        live_server,
        practitioner.email,
        password=NEW_PASSWORD,
        code=lambda: world.totp_code(practitioner),
    )
