"""A master key rotation, done as docs/deployment.md says, keeps everyone able to sign in."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from jigsaw.app import create_app
from jigsaw.audit.actions import AuditAction
from jigsaw.audit.models import AuditEntry
from jigsaw.cli import app as jigsaw_cli
from jigsaw.config import Settings, get_settings
from jigsaw.db import Database
from jigsaw.identity.account_keys import AccountKeys
from jigsaw.identity.models import Practitioner
from jigsaw.policy.roles import AgencyKind, Role
from jigsaw.protection import master_key as master_keys
from jigsaw.protection.master_key import LocalMasterKey
from tests.conftest import AUDIT_KEY, PASSWORD, SECRET_KEY, World
from tests.scene import _item, school_child


@pytest.fixture
def deployment_env(private_database: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The environment a real worker or command reads its keys from, restored afterwards."""
    monkeypatch.setenv("JIGSAW_DATABASE_URL", private_database.engine.url.render_as_string(False))
    monkeypatch.setenv("JIGSAW_SECRET_KEY", SECRET_KEY)
    monkeypatch.setenv("JIGSAW_AUDIT_SIGNING_KEY", AUDIT_KEY)
    yield
    get_settings.cache_clear()


def _reload_keys() -> None:
    """What restarting every worker does after the environment changed."""
    get_settings.cache_clear()


def test_the_documented_rotation_leaves_everyone_able_to_sign_in_and_read(
    private_database: Database, deployment_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = World(private_database)
    school = world.agency(AgencyKind.SCHOOL)
    dsl = world.practitioner(school, Role.DSL)
    record = school_child(private_database, world.actor(dsl), school.id)
    item = _item(private_database, world.actor(dsl), record.id)
    runner = CliRunner()
    old_key = os.environ["JIGSAW_MASTER_KEY"]

    # 1. Make a new key; set it as current and the old one as retired, on every worker.
    made = runner.invoke(jigsaw_cli, ["protection", "keygen"])
    assert made.exit_code == 0, made.output
    monkeypatch.setenv("JIGSAW_MASTER_KEY", made.output.strip())
    monkeypatch.setenv("JIGSAW_RETIRED_MASTER_KEYS", old_key)
    _reload_keys()
    # 2. Rewrap, until it reports that nothing is left.
    first = runner.invoke(jigsaw_cli, ["protection", "rewrap"])
    assert first.exit_code == 0, first.output
    assert "re-sealed 1 second-factor" in first.output
    again = runner.invoke(jigsaw_cli, ["protection", "rewrap"])
    assert again.exit_code == 0, again.output
    assert "Nothing is left under a retired master key" in again.output
    with private_database.sessions() as session:
        moved = set(
            session.scalars(
                select(AuditEntry.object_type).where(
                    AuditEntry.action == AuditAction.DATA_KEYS_REWRAPPED
                )
            )
        )
    assert moved == {"data_keys", "second_factor_secrets"}
    # 3. Remove the retired key.
    monkeypatch.delenv("JIGSAW_RETIRED_MASTER_KEYS")
    _reload_keys()
    current = master_keys.environment_key()
    assert isinstance(current, LocalMasterKey) and len(current.key_ids) == 1

    settings = Settings(
        database_url=private_database.engine.url.render_as_string(False),
        secret_key=SECRET_KEY,
        secure_cookies=False,
        audit_signing_key=AUDIT_KEY,
    )
    with TestClient(create_app(settings, private_database)) as client:
        world.sign_in(client, dsl)
        read = client.get(f"/api/items/{item.id}")
    assert read.status_code == 200, read.text
    assert read.json()["detail"] == item.detail


def test_a_second_factor_secret_that_cannot_be_opened_is_a_service_error_not_a_wrong_code(
    client: TestClient, world: World, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    practitioner = world.practitioner()
    lost = AccountKeys.from_secret(SECRET_KEY, LocalMasterKey(b"L" * 32))
    with db.transaction() as session:
        row = session.get(Practitioner, practitioner.id)
        assert row is not None
        row.totp_secret = lost.seal_totp_secret(
            practitioner.id, world.totp_secrets[practitioner.id]
        )
    attempt = {"email": practitioner.email, "password": PASSWORD}
    for _ in range(7):  # beyond the five that would lock the account
        response = client.post(
            "/api/session", json={**attempt, "totp_code": world.totp_code(practitioner)}
        )
        assert response.status_code == 503, response.text
        assert "Nothing was counted against your account" in response.text
    assert "protection rewrap" in caplog.text
    assert world.totp_secrets[practitioner.id] not in caplog.text
    with db.sessions() as session:
        failures = session.scalars(
            select(AuditEntry.id).where(
                AuditEntry.action == AuditAction.SECOND_FACTOR_FAILED,
                AuditEntry.object_id == str(practitioner.id),
            )
        ).all()
    assert failures == []
