"""Session cookies: their flags, their expiry, sign-out, and re-authentication."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Annotated

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from jigsaw.app import SESSION_COOKIE, create_app
from jigsaw.config import Settings
from jigsaw.db import Database
from jigsaw.identity.dependencies import require_recent_authentication
from jigsaw.identity.sessions import safe_next
from jigsaw.policy.actor import Actor
from tests.conftest import PASSWORD, World
from tests.web.helpers import form_token


@pytest.fixture
def shift_clock(db: Database) -> Iterator[Callable[[timedelta], None]]:
    """Move the service's clock forward, as if the person walked away."""

    def shift(by: timedelta) -> None:
        db.clock.advance(by)

    yield shift
    db.clock.hold(None)


def _cookie_header(response: object) -> str:
    headers = response.headers.get_list("set-cookie")  # type: ignore[attr-defined]
    ours = [h for h in headers if h.startswith(f"{SESSION_COOKIE}=")]
    assert ours, headers
    return str(ours[-1])


@pytest.fixture
def secure_client(settings: Settings, db: Database) -> Iterator[TestClient]:
    secure = settings.model_copy(update={"secure_cookies": True})
    with TestClient(create_app(secure, db), base_url="https://testserver") as client:
        yield client


def test_the_session_cookie_is_http_only_same_site_lax_and_secure(
    secure_client: TestClient, world: World
) -> None:
    practitioner = world.practitioner()
    response = secure_client.post(
        "/api/session",
        json={
            "email": practitioner.email,
            "password": PASSWORD,
            "totp_code": world.totp_code(practitioner),
        },
    )
    assert response.status_code == 200, response.text
    flags = [part.strip().lower() for part in _cookie_header(response).split(";")]
    assert "httponly" in flags
    assert "samesite=lax" in flags
    assert "secure" in flags
    assert "path=/" in flags
    assert f"max-age={8 * 60 * 60}" in flags


def test_without_secure_cookies_the_secure_flag_is_left_off(
    client: TestClient, world: World
) -> None:
    practitioner = world.practitioner()
    response = client.post("/api/session", json={"email": practitioner.email, "password": PASSWORD})
    flags = [part.strip().lower() for part in _cookie_header(response).split(";")]
    assert "secure" not in flags
    assert "httponly" in flags


def test_a_session_ends_after_thirty_idle_minutes(
    client: TestClient, world: World, shift_clock: Callable[[timedelta], None]
) -> None:
    world.sign_in(client, world.practitioner())
    shift_clock(timedelta(minutes=29))
    assert client.get("/api/me").status_code == 200
    shift_clock(timedelta(minutes=29))
    assert client.get("/api/me").status_code == 200, "a request in time keeps it alive"
    shift_clock(timedelta(minutes=31))
    response = client.get("/api/me")
    assert response.status_code == 401
    assert "ended" in response.json()["errors"][0]["message"]
    assert client.get("/", follow_redirects=False).headers["location"] == "/sign-in"


def test_a_half_finished_sign_in_lapses_after_ten_minutes(
    client: TestClient, world: World, shift_clock: Callable[[timedelta], None]
) -> None:
    practitioner = world.practitioner()
    client.post("/api/session", json={"email": practitioner.email, "password": PASSWORD})
    shift_clock(timedelta(minutes=11))
    late = client.post("/api/session/second-factor", json={"totp_code": "123456"})
    assert late.status_code == 401
    assert "ended" in late.json()["errors"][0]["message"]


def test_a_busy_session_still_ends_eight_hours_after_sign_in(
    client: TestClient, world: World, shift_clock: Callable[[timedelta], None]
) -> None:
    world.sign_in(client, world.practitioner())
    for _ in range(23):
        shift_clock(timedelta(minutes=20))
        assert client.get("/api/me").status_code == 200
    shift_clock(timedelta(minutes=21))
    assert client.get("/api/me").status_code == 401


def test_signing_out_ends_the_session_even_for_a_copied_cookie(
    client: TestClient, world: World
) -> None:
    world.sign_in(client, world.practitioner())
    copied = client.cookies.get(SESSION_COOKIE)
    assert copied
    assert client.delete("/api/session").status_code == 204
    assert client.get("/api/me").status_code == 401
    client.cookies.set(SESSION_COOKIE, copied)
    assert client.get("/api/me").status_code == 401


def test_signing_out_on_the_page_ends_a_copied_cookie_too(client: TestClient, world: World) -> None:
    world.sign_in(client, world.practitioner())
    copied = client.cookies.get(SESSION_COOKIE)
    token = form_token(client.get("/").text)
    client.post("/sign-out", data={"csrf_token": token}, follow_redirects=False)
    client.cookies.set(SESSION_COOKIE, copied or "")
    assert client.get("/api/me").status_code == 401


Recent = Annotated[Actor, Depends(require_recent_authentication(max_age=300))]


@pytest.fixture
def sensitive_app(settings: Settings, db: Database) -> FastAPI:
    """The app plus a stand-in for a sensitive action (a disclosure, break-glass)."""
    app = create_app(settings, db)

    @app.get("/api/sensitive")
    def sensitive_api(actor: Recent) -> dict[str, int | None]:
        return {"actor": actor.practitioner_id}

    @app.get("/sensitive")
    def sensitive_page(actor: Recent) -> dict[str, int | None]:
        return {"actor": actor.practitioner_id}

    return app


def test_sensitive_actions_need_a_recent_sign_in_over_the_api(
    sensitive_app: FastAPI, world: World, shift_clock: Callable[[timedelta], None]
) -> None:
    practitioner = world.practitioner()
    with TestClient(sensitive_app) as client:
        world.sign_in(client, practitioner)
        assert client.get("/api/sensitive").status_code == 200
        shift_clock(timedelta(minutes=6))
        stale = client.get("/api/sensitive")
        assert stale.status_code == 401
        assert "Confirm your password" in stale.json()["errors"][0]["message"]
        assert client.get("/api/me").status_code == 200, "the session itself is still fine"

        wrong = client.post(
            "/api/session/reauthentication",
            json={"password": "wrong password!", "totp_code": world.totp_code(practitioner)},
        )
        assert wrong.status_code == 401
        again = client.post(
            "/api/session/reauthentication",
            json={"password": PASSWORD, "totp_code": world.totp_code(practitioner)},
        )
        assert again.status_code == 200, again.text
        assert client.get("/api/sensitive").status_code == 200


def test_sensitive_pages_send_people_to_confirm_and_back(
    sensitive_app: FastAPI, world: World, shift_clock: Callable[[timedelta], None]
) -> None:
    practitioner = world.practitioner()
    with TestClient(sensitive_app) as client:
        world.sign_in(client, practitioner)
        shift_clock(timedelta(minutes=6))
        sent = client.get("/sensitive?tab=2", follow_redirects=False)
        assert sent.status_code == 303
        assert sent.headers["location"] == "/re-authenticate?next=%2Fsensitive%3Ftab%3D2"

        page = client.get(sent.headers["location"])
        assert page.status_code == 200
        assert "Confirm it\N{RIGHT SINGLE QUOTATION MARK}s you" in page.text
        token = form_token(page.text)
        data = {
            "password": PASSWORD,
            "code": world.totp_code(practitioner),
            "next": "/sensitive?tab=2",
        }
        refused = client.post("/re-authenticate", data=data, follow_redirects=False)
        assert refused.status_code == 403, "the form needs its CSRF token"
        done = client.post(
            "/re-authenticate", data={**data, "csrf_token": token}, follow_redirects=False
        )
        assert done.status_code == 303, done.text
        assert done.headers["location"] == "/sensitive?tab=2"
        assert client.get("/sensitive?tab=2").status_code == 200


def test_a_wrong_re_authentication_says_so_on_the_page(
    sensitive_app: FastAPI, world: World
) -> None:
    practitioner = world.practitioner()
    with TestClient(sensitive_app) as client:
        world.sign_in(client, practitioner)
        token = form_token(client.get("/re-authenticate").text)
        response = client.post(
            "/re-authenticate",
            data={"password": "wrong password!", "code": "123456", "csrf_token": token},
        )
        assert response.status_code == 401
        assert "The password or code is not right" in response.text
        blank = client.post("/re-authenticate", data={"csrf_token": token})
        assert blank.status_code == 422
        assert '<a href="#password">Enter your password</a>' in blank.text
        assert '<a href="#code">Enter the 6-digit code from your authenticator app</a>' in (
            blank.text
        )


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/children/4?x=1", "/children/4?x=1"),
        ("//evil.example/", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("", "/"),
        (None, "/"),
        ("/ok\r\nSet-Cookie: x", "/"),
    ],
)
def test_only_local_paths_are_followed_after_signing_in(target: str | None, expected: str) -> None:
    assert safe_next(target) == expected
