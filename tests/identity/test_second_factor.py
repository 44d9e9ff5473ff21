"""The second factor: required before anything is shown, set up once, never replayable."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import select

from jigsaw.audit.models import AuditEntry
from jigsaw.clock import utcnow
from jigsaw.db import Database
from jigsaw.errors import Conflict, NotPermitted
from jigsaw.identity import service as access
from jigsaw.identity import totp
from jigsaw.identity.account_keys import AccountKeys, SecretUnreadable
from jigsaw.identity.models import Practitioner
from jigsaw.identity.passwords import verify_password
from tests.conftest import ACCOUNTS, PASSWORD, SYSTEM, World
from tests.web.helpers import add_record


def _password_only(client: TestClient, email: str) -> dict[str, object]:
    response = client.post("/api/session", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def test_a_password_alone_shows_nothing(client: TestClient, world: World, db: Database) -> None:
    practitioner = world.practitioner()
    record = add_record(db, world.actor(practitioner), "Amelia", "Hart")
    assert _password_only(client, practitioner.email)["second_factor"] == "required"

    for path in (
        "/api/me",
        "/api/agencies",
        "/api/agency-records",
        f"/api/agency-records/{record.id}",
        f"/api/agency-records/{record.id}/items",
        "/api/audit/checkpoint",
        "/api/tokens",
    ):
        response = client.get(path)
        assert response.status_code == 401, path
        assert "authenticator" in response.json()["errors"][0]["message"]
    for path in ("/", f"/children/{record.id}", "/re-authenticate"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"] == "/sign-in/code"
    page = client.get("/sign-in/code").text
    assert "Amelia" not in page
    assert ">Children<" not in page

    code = world.totp_code(practitioner)
    done = client.post("/api/session/second-factor", json={"totp_code": code})
    assert done.status_code == 200, done.text
    assert done.json()["second_factor"] == "verified"
    assert client.get(f"/api/agency-records/{record.id}").status_code == 200
    assert client.get(f"/children/{record.id}").status_code == 200


def test_first_sign_in_sets_up_an_authenticator_over_the_api(
    client: TestClient, world: World, db: Database
) -> None:
    practitioner = world.practitioner(second_factor=False)
    assert _password_only(client, practitioner.email)["second_factor"] == "enrolment_required"
    assert client.get("/api/agency-records").status_code == 401

    first = client.post("/api/session/enrolment").json()
    again = client.post("/api/session/enrolment").json()
    assert first == again, "asking again must not change a secret already scanned"
    assert first["otpauth_uri"].startswith("otpauth://totp/Jigsaw:")
    assert "issuer=Jigsaw" in first["otpauth_uri"]

    wrong = client.post("/api/session/second-factor", json={"totp_code": "000000"})
    assert wrong.status_code == 401
    code = totp.code_for_step(first["secret"], totp.step_at(utcnow()))
    done = client.post("/api/session/second-factor", json={"totp_code": code})
    assert done.status_code == 200, done.text
    assert client.get("/api/agency-records").status_code == 200
    assert access.second_factor_enrolled(db, practitioner.id)
    assert client.post("/api/session/enrolment").status_code == 409


def test_a_code_cannot_be_used_twice(client: TestClient, world: World, db: Database) -> None:
    practitioner = world.practitioner()
    code = world.totp_code(practitioner)
    body = {"email": practitioner.email, "password": PASSWORD, "totp_code": code}
    assert client.post("/api/session", json=body).status_code == 200
    client.delete("/api/session")

    replayed = client.post("/api/session", json=body)
    assert replayed.status_code == 401
    assert "already been used" in replayed.json()["errors"][0]["message"]
    assert client.get("/api/me").status_code == 401
    with db.sessions() as session:
        failed = session.scalars(
            select(AuditEntry.action).where(
                AuditEntry.object_id == str(practitioner.id),
                AuditEntry.action == "session.second_factor_failed",
            )
        ).all()
    assert len(failed) == 1


def test_an_earlier_code_is_refused_once_a_later_one_was_used(world: World, db: Database) -> None:
    practitioner = world.practitioner()
    secret = world.totp_secrets[practitioner.id]
    now = utcnow()
    step = totp.step_at(now)
    access.verify_code(db, ACCOUNTS, practitioner.id, totp.code_for_step(secret, step + 1), now)
    with pytest.raises(access.CodeRefused):
        access.verify_code(db, ACCOUNTS, practitioner.id, totp.code_for_step(secret, step), now)


def test_codes_outside_the_drift_window_are_refused(world: World, db: Database) -> None:
    practitioner = world.practitioner()
    secret = world.totp_secrets[practitioner.id]
    now = utcnow()
    step = totp.step_at(now)
    for far in (step - 2, step + 2):
        with pytest.raises(access.CodeRefused):
            access.verify_code(db, ACCOUNTS, practitioner.id, totp.code_for_step(secret, far), now)
    access.verify_code(db, ACCOUNTS, practitioner.id, totp.code_for_step(secret, step - 1), now)


@pytest.mark.parametrize(
    "typed", ["", "12345", "1234567", "abcdef", "\uff11\uff12\uff13\uff14\uff15\uff16"]
)
def test_codes_that_are_not_six_digits_are_refused(typed: str) -> None:
    secret = totp.new_secret()
    assert totp.matching_step(secret, typed, utcnow()) is None


def test_spaces_and_hyphens_in_a_typed_code_are_ignored() -> None:
    secret = totp.new_secret()
    now = utcnow()
    code = totp.code_for_step(secret, totp.step_at(now))
    assert totp.matching_step(secret, f"{code[:3]} {code[3:]}", now) == totp.step_at(now)
    assert totp.matching_step(secret, f"{code[:3]}-{code[3:]}", now) == totp.step_at(now)


def test_secrets_are_encrypted_and_bound_to_their_row(world: World, db: Database) -> None:
    first, second = world.practitioner(), world.practitioner()
    secret = world.totp_secrets[first.id]
    with db.sessions() as session:
        sealed = session.scalar(select(Practitioner.totp_secret).where(Practitioner.id == first.id))
    assert sealed is not None
    assert secret.encode() not in sealed
    assert ACCOUNTS.keys.open_totp_secret(first.id, sealed) == secret
    with pytest.raises(SecretUnreadable):
        ACCOUNTS.keys.open_totp_secret(second.id, sealed)
    other_key = AccountKeys.from_secret("another-secret-key-that-is-long-enough-0123456789")
    with pytest.raises(SecretUnreadable):
        other_key.open_totp_secret(first.id, sealed)


def test_a_password_hashed_with_old_parameters_is_rehashed_at_sign_in(
    world: World, db: Database
) -> None:
    practitioner = world.practitioner()
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(PASSWORD)
    with db.transaction() as session:
        row = session.get(Practitioner, practitioner.id)
        assert row is not None
        row.password_hash = weak
    access.check_password(db, ACCOUNTS, practitioner.email, PASSWORD)
    with db.sessions() as session:
        stored = session.scalar(
            select(Practitioner.password_hash).where(Practitioner.id == practitioner.id)
        )
    assert stored is not None and stored != weak
    assert "m=65536" in stored
    assert verify_password(stored, PASSWORD)


def test_only_administrators_enrol_or_reset_a_second_factor(world: World, db: Database) -> None:
    practitioner = world.practitioner()
    with pytest.raises(NotPermitted):
        access.set_second_factor(
            db, world.actor(practitioner), ACCOUNTS, practitioner.id, totp.new_secret()
        )
    with pytest.raises(NotPermitted):
        access.reset_second_factor(db, world.actor(practitioner), practitioner.id)
    access.reset_second_factor(db, SYSTEM, practitioner.id)
    assert not access.second_factor_enrolled(db, practitioner.id)
    with pytest.raises(Conflict):
        access.verify_code(db, ACCOUNTS, practitioner.id, "123456")


def test_a_reset_ends_sessions_already_open(client: TestClient, world: World, db: Database) -> None:
    practitioner = world.practitioner()
    world.sign_in(client, practitioner)
    assert client.get("/api/me").status_code == 200
    access.reset_second_factor(db, SYSTEM, practitioner.id)
    assert client.get("/api/me").status_code == 401
