"""Security headers on every answer, and request bodies refused before they are parsed."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from jigsaw.app import create_app
from jigsaw.config import Settings
from jigsaw.db import Database
from jigsaw.hardening import CONTENT_SECURITY_POLICY
from jigsaw.web.errors import MAX_PROBLEMS
from jigsaw.web.templating import TEMPLATES_DIR
from tests.conftest import PASSWORD, World

STRICT_CSP = {
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "frame-ancestors 'none'",
    "form-action 'self'",
    "base-uri 'none'",
    "object-src 'none'",
}


def _assert_protected(response: object, *, hsts: bool) -> None:
    headers = response.headers  # type: ignore[attr-defined]
    policy = {part.strip() for part in headers["content-security-policy"].split(";")}
    assert policy >= STRICT_CSP
    assert not any("unsafe-inline" in p or "unsafe-eval" in p or "http" in p for p in policy)
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert "camera=()" in headers["permissions-policy"]
    assert ("strict-transport-security" in headers) is hsts


def test_pages_api_answers_assets_and_errors_all_carry_the_headers(
    client: TestClient, world: World
) -> None:
    answers = {
        "sign-in page": client.get("/sign-in"),
        "missing page": client.get("/no-such-page"),
        "stylesheet": client.get("/static/jigsaw.css"),
        "signed out API": client.get("/api/me"),
        "bad input": client.post("/api/session", json={"email": 1}),
    }
    world.sign_in(client, world.practitioner())
    answers["signed in API"] = client.get("/api/me")
    answers["API not found"] = client.get("/api/agency-records/999999999")
    assert [a.status_code for a in answers.values()] == [200, 404, 200, 401, 422, 200, 404]
    for name, answer in answers.items():
        assert "content-security-policy" in answer.headers, name
        _assert_protected(answer, hsts=False)


def test_hsts_is_sent_where_cookies_are_https_only(settings: Settings, db: Database) -> None:
    secure = settings.model_copy(update={"secure_cookies": True})
    with TestClient(create_app(secure, db), base_url="https://testserver") as client:
        _assert_protected(client.get("/sign-in"), hsts=True)


def test_even_an_unexpected_server_error_carries_the_headers(
    settings: Settings, db: Database
) -> None:
    app = create_app(settings, db)

    def fails() -> None:
        raise RuntimeError("an unexpected fault")

    app.add_api_route("/api/unexpected", fails)
    with TestClient(app, raise_server_exceptions=False) as client:
        answer = client.get("/api/unexpected")
    assert answer.status_code == 500
    _assert_protected(answer, hsts=False)


def test_no_page_template_holds_inline_script_or_style(client: TestClient) -> None:
    for template in TEMPLATES_DIR.rglob("*.html"):
        text = template.read_text()
        assert "<style" not in text and "style=" not in text, template
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), template
        assert not re.search(r"\son[a-z]+=", text), template
    page = client.get("/sign-in").text
    assert "<style" not in page and " style=" not in page
    scripts = page.count("<script")
    assert scripts == page.count('<script src="/') + page.count('<script type="module" src="/')
    assert 'src="/static/body-classes.js"' in page
    assert "document.body.className" not in page
    assert CONTENT_SECURITY_POLICY.startswith("default-src 'self'")


# Request size


@pytest.fixture
def small_limit_client(settings: Settings, db: Database) -> Iterator[TestClient]:
    small = settings.model_copy(update={"max_body_bytes": 4096})
    with TestClient(create_app(small, db)) as client:
        yield client


def _assert_too_large(answer: object) -> None:
    assert answer.status_code == 413  # type: ignore[attr-defined]
    errors = answer.json()["errors"]  # type: ignore[attr-defined]
    assert errors[0]["field"] == "body" and "too large" in errors[0]["message"]
    _assert_protected(answer, hsts=False)


def test_an_oversized_sign_in_body_is_refused_before_it_is_parsed(client: TestClient) -> None:
    # Not even JSON: a parser would have answered 422, so 413 shows nothing parsed it.
    answer = client.post(
        "/api/session",
        content=b"{" + b"x" * (2 * 1024 * 1024),
        headers={"content-type": "application/json"},
    )
    _assert_too_large(answer)


def test_an_oversized_sign_in_form_is_refused(client: TestClient) -> None:
    answer = client.post(
        "/sign-in",
        data={"email": "x" * (2 * 1024 * 1024), "password": PASSWORD},
    )
    assert answer.status_code == 413


def _chunks(total: int, size: int = 1024) -> Iterator[bytes]:
    yield b'{"email": "'
    for _ in range(total // size):
        yield b"a" * size
    yield b'", "password": "x"}'


def test_a_chunked_body_without_a_length_is_counted_and_refused(
    small_limit_client: TestClient,
) -> None:
    answer = small_limit_client.post(
        "/api/session", content=_chunks(64 * 1024), headers={"content-type": "application/json"}
    )
    _assert_too_large(answer)


def test_a_chunked_form_post_to_the_sign_in_page_is_refused(
    small_limit_client: TestClient,
) -> None:
    def form() -> Iterator[bytes]:
        yield b"email="
        for _ in range(64):
            yield b"a" * 1024

    answer = small_limit_client.post(
        "/sign-in", content=form(), headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert answer.status_code == 413


def test_a_body_within_the_limit_is_answered_as_usual(small_limit_client: TestClient) -> None:
    answer = small_limit_client.post(
        "/api/session", content=_chunks(2048), headers={"content-type": "application/json"}
    )
    assert answer.status_code in (401, 422)


def test_thousands_of_unknown_keys_get_a_short_list_of_problems(client: TestClient) -> None:
    body = {f"unknown_{n}": n for n in range(20_000)}
    sent = json.dumps(body).encode()
    assert len(sent) < 1024 * 1024
    answer = client.post("/api/session", content=sent, headers={"content-type": "application/json"})
    assert answer.status_code == 422
    errors = answer.json()["errors"]
    assert len(errors) == MAX_PROBLEMS + 1
    assert errors[-1]["message"].startswith(f"{20_000 + 2 - MAX_PROBLEMS} more problems")
    assert len(answer.content) < 10_000


def test_the_limit_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JIGSAW_MAX_BODY_BYTES", "65536")
    assert Settings().max_body_bytes == 65536
    assert Settings.model_fields["max_body_bytes"].default == 1024 * 1024


def test_the_limit_is_the_outermost_middleware(app: FastAPI) -> None:
    # The limit is the outermost layer: nothing inside it sees an oversized body.
    from jigsaw.hardening import BodyLimit

    assert any(m.cls is BodyLimit for m in app.user_middleware[:1])
