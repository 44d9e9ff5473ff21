"""The sign-in pages beyond the password: the code, setting up an authenticator, lockout."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from jigsaw.audit.models import AuditEntry
from jigsaw.clock import utcnow
from jigsaw.db import Database
from jigsaw.identity import service as access
from jigsaw.identity import totp
from jigsaw.identity.schemas import PractitionerOut
from tests.conftest import PASSWORD, World
from tests.web.helpers import form_token, page_title, sign_in_through_the_page


def _audit_count(db: Database) -> int:
    with db.sessions() as session:
        return session.scalar(select(func.count()).select_from(AuditEntry)) or 0


def _password_step(client: TestClient, practitioner: PractitionerOut) -> str:
    token = form_token(client.get("/sign-in").text)
    response = client.post(
        "/sign-in",
        data={"email": practitioner.email, "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return str(response.headers["location"])


def test_after_the_password_comes_the_code_page(client: TestClient, world: World) -> None:
    practitioner = world.practitioner()
    assert _password_step(client, practitioner) == "/sign-in/code"
    page = client.get("/sign-in/code")
    assert page.headers["cache-control"] == "no-store"
    html = page.text
    assert page_title("Enter the 6-digit code") in html
    assert 'autocomplete="one-time-code"' in html
    assert 'inputmode="numeric"' in html
    assert 'action="/sign-out"' in html, "someone half signed in can still sign out"
    assert ">Children<" not in html, "no way into the service until the code is given"

    token = form_token(html)
    blank = client.post("/sign-in/code", data={"code": "", "csrf_token": token})
    assert blank.status_code == 422
    assert '<a href="#code">Enter the 6-digit code from your authenticator app</a>' in blank.text
    assert page_title("Error: Enter the 6-digit code") in blank.text
    letters = client.post("/sign-in/code", data={"code": "12ab56", "csrf_token": token})
    assert letters.status_code == 422
    assert "Enter the code as 6 digits" in letters.text
    wrong = client.post("/sign-in/code", data={"code": "000000", "csrf_token": token})
    assert wrong.status_code == 401
    assert "The code is not right" in wrong.text

    done = client.post(
        "/sign-in/code",
        data={"code": world.totp_code(practitioner), "csrf_token": token},
        follow_redirects=False,
    )
    assert done.headers["location"] == "/"
    home = client.get("/").text
    assert ">Children<" in home
    assert form_token(home) != token, "the form token changes once fully signed in"


def test_someone_fully_signed_in_is_not_asked_for_a_code_again(
    client: TestClient, world: World
) -> None:
    practitioner = world.practitioner()
    sign_in_through_the_page(client, world, practitioner)
    assert client.get("/sign-in/code", follow_redirects=False).headers["location"] == "/"
    response = client.get("/sign-in/set-up-authenticator", follow_redirects=False)
    assert response.headers["location"] == "/"


def test_the_first_sign_in_shows_a_qr_code_and_the_key_to_type(
    client: TestClient, world: World, db: Database
) -> None:
    practitioner = world.practitioner(second_factor=False)
    assert _password_step(client, practitioner) == "/sign-in/set-up-authenticator"
    assert client.get("/", follow_redirects=False).headers["location"] == "/sign-in/code"
    assert (
        client.get("/sign-in/code", follow_redirects=False).headers["location"]
        == "/sign-in/set-up-authenticator"
    )

    html = client.get("/sign-in/set-up-authenticator").text
    assert page_title("Set up your authenticator app") in html
    svg = re.search(r"<svg [^>]*>", html)
    assert svg, "the QR code is an inline SVG"
    assert 'role="img"' in svg.group(0)
    assert 'aria-label="QR code to add your Jigsaw account to an authenticator app"' in svg.group(0)
    key = re.search(r'<code class="app-setup-key" id="setup-key">([A-Z2-7 ]+)</code>', html)
    assert key, "the key is on the page as text for anyone who cannot scan"
    secret = key.group(1).replace(" ", "")
    assert practitioner.email in html
    assert html == client.get("/sign-in/set-up-authenticator").text.replace(
        form_token(html), form_token(html)
    ), "reloading shows the same key"

    token = form_token(html)
    wrong = client.post(
        "/sign-in/set-up-authenticator", data={"code": "000000", "csrf_token": token}
    )
    assert wrong.status_code == 401
    assert "The code is not right" in wrong.text
    assert not access.second_factor_enrolled(db, practitioner.id)

    code = totp.code_for_step(secret, totp.step_at(utcnow()))
    done = client.post(
        "/sign-in/set-up-authenticator",
        data={"code": code, "csrf_token": token},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/"
    assert client.get("/").status_code == 200
    assert access.second_factor_enrolled(db, practitioner.id)


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/sign-in/code", {"code": "123456"}),
        ("/sign-in/set-up-authenticator", {"code": "123456"}),
    ],
)
def test_the_second_factor_forms_need_their_token(
    client: TestClient, world: World, db: Database, path: str, data: dict[str, str]
) -> None:
    practitioner = world.practitioner(second_factor=path.endswith("code"))
    _password_step(client, practitioner)
    client.get(path)
    before = _audit_count(db)
    for token in (None, "forged"):
        sent = dict(data) if token is None else {**data, "csrf_token": token}
        response = client.post(path, data=sent, follow_redirects=False)
        assert response.status_code == 403
        assert "Your form could not be sent" in response.text
    assert _audit_count(db) == before


def test_the_re_authentication_form_needs_its_token(client: TestClient, world: World) -> None:
    practitioner = world.practitioner()
    sign_in_through_the_page(client, world, practitioner)
    client.get("/re-authenticate")
    data = {"password": PASSWORD, "code": world.totp_code(practitioner), "next": "/"}
    assert client.post("/re-authenticate", data=data).status_code == 403


def test_a_locked_account_is_told_when_to_try_again(client: TestClient, world: World) -> None:
    practitioner = world.practitioner()
    token = form_token(client.get("/sign-in").text)
    for _ in range(4):
        response = client.post(
            "/sign-in",
            data={"email": practitioner.email, "password": "wrong wrong", "csrf_token": token},
        )
        assert response.status_code == 401
    locked = client.post(
        "/sign-in",
        data={"email": practitioner.email, "password": "wrong wrong", "csrf_token": token},
    )
    assert locked.status_code == 429
    assert re.search(r"Try again after \d{1,2}:\d\d[ap]m", locked.text)
    assert 'href="#email"' in locked.text
    right = client.post(
        "/sign-in",
        data={"email": practitioner.email, "password": PASSWORD, "csrf_token": token},
    )
    assert right.status_code == 429


def test_wrong_codes_lock_the_code_page_too(client: TestClient, world: World) -> None:
    practitioner = world.practitioner()
    _password_step(client, practitioner)
    token = form_token(client.get("/sign-in/code").text)
    statuses = [
        client.post("/sign-in/code", data={"code": "000000", "csrf_token": token}).status_code
        for _ in range(5)
    ]
    assert statuses == [401, 401, 401, 401, 429]
    good = client.post(
        "/sign-in/code", data={"code": world.totp_code(practitioner), "csrf_token": token}
    )
    assert good.status_code == 429
    assert "Try again after" in good.text
