"""Single sign-on with OpenID Connect, against the test provider on a localhost port."""

from __future__ import annotations

import time
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from jigsaw.app import create_app
from jigsaw.audit.models import AuditEntry
from jigsaw.config import Settings
from jigsaw.db import Database
from tests.conftest import World
from tests.identity.oidc_provider import (
    CLIENT_ID,
    CLIENT_SECRET,
    ProviderServer,
    TestProvider,
    new_key,
)
from tests.web.helpers import form_token


@pytest.fixture(scope="module")
def provider() -> Iterator[TestProvider]:
    test_provider = TestProvider()
    server = ProviderServer(test_provider)
    server.start()
    yield test_provider
    server.stop()


@pytest.fixture
def sso_client(settings: Settings, db: Database, provider: TestProvider) -> Iterator[TestClient]:
    configured = settings.model_copy(
        update={
            "oidc_issuer": provider.issuer,
            "oidc_client_id": CLIENT_ID,
            "oidc_client_secret": CLIENT_SECRET,
            "oidc_provider_name": "Test Council",
        }
    )
    with TestClient(create_app(configured, db)) as client:
        yield client


def _through_the_provider(client: TestClient, start: str = "/sign-in/sso") -> httpx.Response:
    """Follow the browser's journey: to the provider, straight back, into the callback."""
    leaving = client.get(start, follow_redirects=False)
    assert leaving.status_code == 302, leaving.text
    with httpx.Client() as browser:
        at_provider = browser.get(leaving.headers["location"], follow_redirects=False)
    assert at_provider.status_code == 302, at_provider.text
    back = urlsplit(at_provider.headers["location"])
    assert back.path == "/sign-in/sso/callback"
    return client.get(f"{back.path}?{back.query}", follow_redirects=False)


def _signed_in(client: TestClient) -> bool:
    return client.get("/api/me").status_code == 200


def test_the_sign_in_page_offers_the_provider_only_when_configured(
    sso_client: TestClient, client: TestClient
) -> None:
    assert "Sign in with Test Council" in sso_client.get("/sign-in").text
    assert "Sign in with" not in client.get("/sign-in").text
    assert client.get("/sign-in/sso", follow_redirects=False).headers["location"] == "/sign-in"


def test_a_provider_that_used_mfa_signs_the_practitioner_straight_in(
    sso_client: TestClient, provider: TestProvider, world: World, db: Database
) -> None:
    practitioner = world.practitioner()
    provider.reset(email=practitioner.email.upper(), amr=["pwd", "mfa"])
    back = _through_the_provider(sso_client)
    assert back.status_code == 303, back.text
    assert back.headers["location"] == "/"
    assert _signed_in(sso_client)
    sent = provider.authorize_params[-1]
    assert sent["code_challenge_method"] == "S256"
    assert "openid" in sent["scope"].split()
    assert sent["nonce"]
    with db.sessions() as session:
        entry = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.object_id == str(practitioner.id))
            .where(AuditEntry.action == "session.signed_in")
        ).one()
    assert entry.refs == {"method": "oidc+mfa"}


def test_without_mfa_at_the_provider_the_practitioner_still_gives_a_code(
    sso_client: TestClient, provider: TestProvider, world: World
) -> None:
    practitioner = world.practitioner()
    provider.reset(email=practitioner.email, amr=["pwd"])
    back = _through_the_provider(sso_client)
    assert back.headers["location"] == "/sign-in/code"
    assert not _signed_in(sso_client)
    token = form_token(sso_client.get("/sign-in/code").text)
    done = sso_client.post(
        "/sign-in/code",
        data={"code": world.totp_code(practitioner), "csrf_token": token},
        follow_redirects=False,
    )
    assert done.headers["location"] == "/"
    assert _signed_in(sso_client)


def test_a_practitioner_without_an_authenticator_sets_one_up_after_the_provider(
    sso_client: TestClient, provider: TestProvider, world: World
) -> None:
    practitioner = world.practitioner(second_factor=False)
    provider.reset(email=practitioner.email)
    back = _through_the_provider(sso_client)
    assert back.headers["location"] == "/sign-in/set-up-authenticator"


def test_an_email_with_no_account_is_refused_and_nothing_is_created(
    sso_client: TestClient, provider: TestProvider, db: Database
) -> None:
    provider.reset(email="stranger@example.org", amr=["mfa"])
    back = _through_the_provider(sso_client)
    assert back.status_code == 401
    assert "There is no Jigsaw account" in back.text
    assert not _signed_in(sso_client)
    with db.sessions() as session:
        entry = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == "session.sign_in_failed")
            .order_by(AuditEntry.seq.desc())
            .limit(1)
        ).one()
    assert entry.refs == {"method": "oidc"}
    assert "stranger" not in str(entry.refs) + str(entry.object_id)


@pytest.mark.parametrize(
    "tamper",
    [
        {"aud": "someone-else"},
        {"aud": ["someone-else"], "azp": CLIENT_ID},
        {"nonce": "a-nonce-we-never-sent"},
        {"iss": "https://impostor.example"},
        {"exp": int(time.time()) - 3600},
        {"email_verified": False},
        {"email": None},
    ],
    ids=["audience", "audience-with-azp", "nonce", "issuer", "expired", "unverified", "no-email"],
)
def test_an_id_token_that_fails_any_check_is_refused(
    sso_client: TestClient,
    provider: TestProvider,
    world: World,
    tamper: dict[str, object],
) -> None:
    practitioner = world.practitioner()
    provider.reset(email=practitioner.email, amr=["mfa"])
    provider.tamper = dict(tamper)
    back = _through_the_provider(sso_client)
    assert back.status_code == 401, back.text
    assert "You could not be signed in with Test Council" in back.text
    assert not _signed_in(sso_client)


def test_a_token_signed_with_a_key_the_provider_does_not_publish_is_refused(
    sso_client: TestClient, provider: TestProvider, world: World
) -> None:
    provider.reset(email=world.practitioner().email, amr=["mfa"])
    provider.signing_key = new_key()
    back = _through_the_provider(sso_client)
    assert back.status_code == 401
    assert not _signed_in(sso_client)


def test_a_callback_cannot_be_replayed_or_forged(
    sso_client: TestClient, provider: TestProvider, world: World
) -> None:
    provider.reset(email=world.practitioner().email, amr=["mfa"])
    leaving = sso_client.get("/sign-in/sso", follow_redirects=False)
    with httpx.Client() as browser:
        back = urlsplit(browser.get(leaving.headers["location"]).headers["location"])
    forged_state = parse_qs(back.query)
    forged = sso_client.get(
        "/sign-in/sso/callback", params={"code": forged_state["code"][0], "state": "forged"}
    )
    assert forged.status_code == 401
    assert not _signed_in(sso_client)
    callback = f"{back.path}?{back.query}"
    assert sso_client.get(callback, follow_redirects=False).status_code == 303
    assert _signed_in(sso_client)
    sso_client.delete("/api/session")
    assert sso_client.get(callback, follow_redirects=False).status_code == 401
    assert not _signed_in(sso_client)


def test_a_locked_account_cannot_sign_in_through_the_provider_either(
    sso_client: TestClient, provider: TestProvider, world: World
) -> None:
    practitioner = world.practitioner()
    for _ in range(5):
        sso_client.post("/api/session", json={"email": practitioner.email, "password": "nope nope"})
    provider.reset(email=practitioner.email, amr=["mfa"])
    back = _through_the_provider(sso_client)
    assert back.status_code == 429
    assert "Try again after" in back.text
    assert not _signed_in(sso_client)
