"""Changing a password, and resetting a forgotten one with a code from an administrator."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from jigsaw.app import SESSION_COOKIE
from jigsaw.audit.actions import AuditAction
from jigsaw.audit.models import AuditEntry
from jigsaw.clock import utcnow
from jigsaw.db import Database
from jigsaw.errors import NotPermitted
from jigsaw.identity import service as access
from jigsaw.identity.models import PasswordReset
from jigsaw.identity.schemas import PractitionerOut
from jigsaw.policy.roles import Role
from tests.conftest import ACCOUNTS, PASSWORD, World
from tests.identity.test_sessions import shift_clock  # noqa: F401 (a fixture)

NEW_PASSWORD = "grey herons fish at dawn"


def _entries(db: Database, action: AuditAction, practitioner_id: int) -> list[AuditEntry]:
    with db.sessions() as session:
        return list(
            session.scalars(
                select(AuditEntry).where(
                    AuditEntry.action == action.value,
                    AuditEntry.object_type == "practitioner",
                    AuditEntry.object_id == str(practitioner_id),
                )
            )
        )


def _sign_in_with(client: TestClient, who: PractitionerOut, password: str) -> str:
    """The second-factor state after the password, or the error message."""
    response = client.post("/api/session", json={"email": who.email, "password": password})
    if response.status_code != 200:
        return str(response.json()["errors"][0]["message"])
    return str(response.json()["second_factor"])


def _issue(client: TestClient, world: World, who: PractitionerOut) -> str:
    admin = world.colleague(who, Role.ADMIN)
    world.sign_in(client, admin)
    issued = client.post(f"/api/practitioners/{who.id}/password-reset")
    assert issued.status_code == 201, issued.text
    client.delete("/api/session")
    client.cookies.clear()
    code: str = issued.json()["code"]
    return code


# Changing one's own password


def test_changing_a_password_ends_every_other_session_and_keeps_this_one(
    app: object, client: TestClient, world: World, db: Database
) -> None:
    practitioner = world.practitioner()
    world.sign_in(client, practitioner)
    with TestClient(app) as elsewhere:  # type: ignore[arg-type]
        world.sign_in(elsewhere, practitioner)
        copied = client.cookies.get(SESSION_COOKIE)
        changed = client.post(
            "/api/session/password",
            json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        )
        assert changed.status_code == 200, changed.text
        assert changed.json()["second_factor"] == "verified"
        assert client.get("/api/me").status_code == 200, "the session that changed it goes on"
        assert elsewhere.get("/api/me").status_code == 401, "another device is signed out"
    client.cookies.set(SESSION_COOKIE, copied or "")
    assert client.get("/api/me").status_code == 401, "so is a copy of the old cookie"

    client.cookies.clear()
    assert _sign_in_with(client, practitioner, PASSWORD) == access.WRONG_PASSWORD
    assert _sign_in_with(client, practitioner, NEW_PASSWORD) == "required"
    assert len(_entries(db, AuditAction.PASSWORD_CHANGED, practitioner.id)) == 1


def test_a_change_needs_the_current_password_and_a_good_new_one(
    client: TestClient, world: World, db: Database
) -> None:
    practitioner = world.practitioner()
    world.sign_in(client, practitioner)

    def change(current: str, new: str) -> tuple[int, dict[str, str]]:
        response = client.post(
            "/api/session/password", json={"current_password": current, "new_password": new}
        )
        errors = response.json().get("errors", [{}]) if response.content else [{}]
        return response.status_code, errors[0]

    assert change("not my password", NEW_PASSWORD) == (
        422,
        {"field": "current_password", "message": "Your current password is not right"},
    )
    status, problem = change(PASSWORD, "Password2024!")
    assert (status, problem["field"]) == (422, "new_password")
    assert "too common" in problem["message"]
    status, problem = change(PASSWORD, "short")
    assert (status, problem["field"]) == (422, "new_password")
    status, problem = change(PASSWORD, PASSWORD)
    assert problem == {
        "field": "new_password",
        "message": "Your new password must be different from your current one",
    }
    assert client.get("/api/me").status_code == 200
    assert _entries(db, AuditAction.PASSWORD_CHANGED, practitioner.id) == []
    failed = _entries(db, AuditAction.SIGN_IN_FAILED, practitioner.id)
    assert [e.refs.get("method") for e in failed] == ["password_change"]


def test_wrong_current_passwords_count_towards_the_lockout(
    client: TestClient, world: World
) -> None:
    practitioner = world.practitioner()
    world.sign_in(client, practitioner)
    body = {"current_password": "a wrong guess", "new_password": NEW_PASSWORD}
    answers = [client.post("/api/session/password", json=body).status_code for _ in range(5)]
    assert answers == [422, 422, 422, 422, 429]
    right = client.post(
        "/api/session/password", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert right.status_code == 429, "locked, even with the right password"


def test_a_change_needs_a_recent_sign_in_and_a_person(
    client: TestClient,
    world: World,
    db: Database,
    shift_clock: Callable[[timedelta], None],  # noqa: F811 (the fixture)
) -> None:
    practitioner = world.practitioner()
    world.sign_in(client, practitioner)
    shift_clock(timedelta(minutes=6))
    body = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    stale = client.post("/api/session/password", json=body)
    assert stale.status_code == 401
    assert "Confirm your password" in stale.json()["errors"][0]["message"]
    again = client.post(
        "/api/session/reauthentication",
        json={"password": PASSWORD, "totp_code": world.totp_code(practitioner)},
    )
    assert again.status_code == 200, again.text
    assert client.post("/api/session/password", json=body).status_code == 200

    token_actor = world.actor(practitioner)
    with pytest.raises(NotPermitted):
        access.change_password(
            db,
            ACCOUNTS,
            type(token_actor)(
                practitioner.id, practitioner.agency_id, practitioner.role, True, token_id=1
            ),
            NEW_PASSWORD,
            "another good long passphrase",
        )


# Resetting a forgotten password


def test_a_reset_code_sets_a_new_password_once_and_the_code_is_still_needed(
    client: TestClient, world: World, db: Database
) -> None:
    practitioner = world.practitioner()
    world.sign_in(client, practitioner)
    signed_in = client.cookies.get(SESSION_COOKIE)
    client.cookies.clear()
    code = _issue(client, world, practitioner)
    assert len(code.replace("-", "")) == 16

    body = {"email": practitioner.email, "code": code.lower(), "new_password": NEW_PASSWORD}
    used = client.post("/api/password-reset", json=body)
    assert used.status_code == 204, used.text
    again = client.post("/api/password-reset", json={**body, "new_password": "yet another phrase"})
    assert again.status_code == 401, "a code works once"

    client.cookies.set(SESSION_COOKIE, signed_in or "")
    assert client.get("/api/me").status_code == 401, "sessions open before the reset have ended"
    client.cookies.clear()
    assert _sign_in_with(client, practitioner, NEW_PASSWORD) == "required", (
        "the authenticator code is still asked for"
    )
    assert client.get("/api/me").status_code == 401
    assert len(_entries(db, AuditAction.PASSWORD_RESET_ISSUED, practitioner.id)) == 1
    assert len(_entries(db, AuditAction.PASSWORD_RESET_USED, practitioner.id)) == 1


def test_only_the_hash_of_a_code_is_kept_and_a_newer_code_cancels_the_older(
    client: TestClient, world: World, db: Database
) -> None:
    practitioner = world.practitioner()
    first = _issue(client, world, practitioner)
    second = _issue(client, world, practitioner)
    with db.sessions() as session:
        rows = list(
            session.scalars(
                select(PasswordReset).where(PasswordReset.practitioner_id == practitioner.id)
            )
        )
    assert len(rows) == 2
    for row in rows:
        assert len(row.code_hash) == 32
        assert first.replace("-", "").encode() not in row.code_hash
    body = {"email": practitioner.email, "new_password": NEW_PASSWORD}
    assert client.post("/api/password-reset", json={**body, "code": first}).status_code == 401
    assert client.post("/api/password-reset", json={**body, "code": second}).status_code == 204


def test_a_code_expires_after_a_day(world: World, db: Database) -> None:
    practitioner = world.practitioner()
    issued_at = utcnow()
    admin = replace(
        world.actor(world.colleague(practitioner, Role.ADMIN)), authenticated_at=issued_at
    )
    issued = access.issue_password_reset(db, admin, practitioner.id, now=issued_at)
    assert issued.expires_at == issued_at + timedelta(hours=24)
    with pytest.raises(access.ResetRefused):
        access.use_password_reset(
            db,
            ACCOUNTS,
            practitioner.email,
            issued.code,
            NEW_PASSWORD,
            now=issued_at + timedelta(hours=24, seconds=1),
        )
    access.use_password_reset(
        db,
        ACCOUNTS,
        practitioner.email,
        issued.code,
        NEW_PASSWORD,
        now=issued_at + timedelta(hours=23, minutes=59),
    )


def test_guessing_codes_locks_the_address_and_unknown_addresses_answer_the_same(
    client: TestClient, world: World, db: Database
) -> None:
    practitioner = world.practitioner()
    code = _issue(client, world, practitioner)
    guess = {
        "email": practitioner.email,
        "code": "AAAA-BBBB-CCCC-DDDD",
        "new_password": NEW_PASSWORD,
    }
    nobody = {**guess, "email": "nobody-at-all@example.org"}
    known = [client.post("/api/password-reset", json=guess) for _ in range(5)]
    unknown = [client.post("/api/password-reset", json=nobody) for _ in range(5)]
    assert [r.status_code for r in known] == [401, 401, 401, 401, 429]
    assert [r.status_code for r in unknown] == [401, 401, 401, 401, 429]
    assert [r.json() for r in known[:4]] == [r.json() for r in unknown[:4]]
    assert known[0].json()["errors"][0]["message"] == access.WRONG_RESET_CODE

    right = client.post("/api/password-reset", json={**guess, "code": code})
    assert right.status_code == 429, "locked, even with the right code"
    assert "Retry-After" in right.headers
    assert len(_entries(db, AuditAction.PASSWORD_RESET_FAILED, practitioner.id)) == 5
    assert len(_entries(db, AuditAction.ACCOUNT_LOCKED, practitioner.id)) == 1


def test_a_weak_new_password_leaves_the_code_usable(
    client: TestClient, world: World, db: Database
) -> None:
    practitioner = world.practitioner()
    code = _issue(client, world, practitioner)
    body = {"email": practitioner.email, "code": code}
    about_them = practitioner.name.split()[0] + "2026!"
    for weak in ("password1234", about_them):
        refused = client.post("/api/password-reset", json={**body, "new_password": weak})
        assert refused.status_code == 422
        assert refused.json()["errors"][0]["field"] == "new_password"
    assert (
        client.post("/api/password-reset", json={**body, "new_password": NEW_PASSWORD}).status_code
        == 204
    )


def test_only_administrators_with_a_recent_sign_in_issue_codes_or_reset_a_second_factor(
    client: TestClient,
    world: World,
    db: Database,
    shift_clock: Callable[[timedelta], None],  # noqa: F811 (the fixture)
) -> None:
    practitioner = world.practitioner()
    world.sign_in(client, world.practitioner(role=Role.DSL))
    assert client.post(f"/api/practitioners/{practitioner.id}/password-reset").status_code == 403
    reset_factor = f"/api/practitioners/{practitioner.id}/second-factor/reset"
    assert client.post(reset_factor).status_code == 403
    client.delete("/api/session")

    admin = world.colleague(practitioner, Role.ADMIN)
    world.sign_in(client, admin)
    shift_clock(timedelta(minutes=6))
    assert client.post(f"/api/practitioners/{practitioner.id}/password-reset").status_code == 401
    assert client.post(reset_factor).status_code == 401
    again = client.post(
        "/api/session/reauthentication",
        json={"password": PASSWORD, "totp_code": world.totp_code(admin)},
    )
    assert again.status_code == 200, again.text
    assert client.post(f"/api/practitioners/{practitioner.id}/password-reset").status_code == 201
    assert client.post(reset_factor).status_code == 204
    assert client.post("/api/practitioners/999999999/password-reset").status_code == 404
    assert len(_entries(db, AuditAction.SECOND_FACTOR_RESET, practitioner.id)) == 1
    client.delete("/api/session")
    assert _sign_in_with(client, practitioner, PASSWORD) == "enrolment_required"
