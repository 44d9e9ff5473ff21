import base64
import json
import stat
import time
from pathlib import Path

import itsdangerous
import pytest
from fastapi.testclient import TestClient

from jigsaw.app import SESSION_COOKIE, create_app
from jigsaw.config import InsecureSettings, Settings, demo_key_path
from jigsaw.db import Database
from tests.conftest import AUDIT_KEY, World

# The keys demo mode signed and sealed with before each demo database got its own;
# they were published in the source, so anyone could sign a cookie with them.
PUBLISHED_DEMO_SECRET = "demo-only-secret-key-not-for-real-data-000000"
PUBLISHED_DEMO_MASTER_KEY = "ZGVtby1vbmx5LW1hc3Rlci1rZXktbm90LWZvci11c2U="


def test_missing_secret_outside_demo_mode_refuses_to_start() -> None:
    with pytest.raises(InsecureSettings, match="JIGSAW_SECRET_KEY is not set"):
        create_app(Settings(secret_key="", demo_mode=False, database_url="sqlite://"))


@pytest.mark.parametrize("secret", ["short", PUBLISHED_DEMO_SECRET])
def test_weak_or_demo_secret_outside_demo_mode_is_refused(secret: str) -> None:
    with pytest.raises(InsecureSettings, match="too weak"):
        Settings(secret_key=secret, demo_mode=False).require_safe_secrets()


def test_the_once_published_demo_master_key_is_refused_outside_demo_mode() -> None:
    settings = Settings(
        secret_key="y" * 40, audit_signing_key=AUDIT_KEY, master_key=PUBLISHED_DEMO_MASTER_KEY
    )
    with pytest.raises(InsecureSettings, match="demo key"):
        settings.require_safe_secrets()


def _demo_settings(url: str) -> Settings:
    # The test run sets JIGSAW_MASTER_KEY; a demo has none, so it is cleared here.
    return Settings(demo_mode=True, database_url=url, secure_cookies=False, master_key="")


def test_each_demo_database_gets_fresh_random_keys_kept_beside_it(tmp_path: Path) -> None:
    from jigsaw.config import forget_demo_keys

    url = f"sqlite:///{tmp_path / 'demo.db'}"
    first = _demo_settings(url)
    first.require_safe_secrets()
    assert _demo_settings(url).secret_key == first.secret_key, "a restart keeps the key"
    secret_file = demo_key_path(url, "secret")
    master_file = demo_key_path(url, "master-key")
    assert secret_file == tmp_path / "demo.secret"
    assert secret_file is not None and master_file is not None
    for kept in (secret_file, master_file):
        assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert len(first.secret_key) >= 32 and len(base64.b64decode(first.master_key)) == 32

    forget_demo_keys(url)  # what a rebuild of the demo does
    second = _demo_settings(url)
    assert second.secret_key != first.secret_key
    assert second.master_key != first.master_key
    assert PUBLISHED_DEMO_SECRET not in {first.secret_key, second.secret_key}
    assert PUBLISHED_DEMO_MASTER_KEY not in {first.master_key, second.master_key}
    assert _demo_settings(f"sqlite:///{tmp_path / 'other.db'}").secret_key != second.secret_key


def test_the_demo_command_starts_each_build_with_new_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jigsaw.demo import demo_database_url, start_afresh

    monkeypatch.chdir(tmp_path)
    start_afresh()
    before = _demo_settings(demo_database_url()).secret_key
    assert (tmp_path / "var" / "demo.secret").read_text().strip() == before
    start_afresh()
    assert _demo_settings(demo_database_url()).secret_key != before


def _forged_cookie(secret: str, practitioner_id: int) -> str:
    """A session cookie made the way the session middleware makes one, with any key."""
    now = time.time()
    claims = {
        "practitioner_id": practitioner_id,
        "started_at": now,
        "seen_at": now,
        "authenticated_at": now,
        "mfa_verified_at": now,
    }
    data = base64.b64encode(json.dumps(claims).encode())
    return itsdangerous.TimestampSigner(secret).sign(data).decode()


def test_the_published_demo_key_cannot_forge_a_demo_session(
    tmp_path: Path, db: Database, world: World
) -> None:
    settings = _demo_settings(f"sqlite:///{tmp_path / 'demo.db'}").model_copy(
        update={"audit_signing_key": AUDIT_KEY}
    )
    victim = world.practitioner()
    with TestClient(create_app(settings, db)) as attacker:
        attacker.cookies.set(SESSION_COOKIE, _forged_cookie(PUBLISHED_DEMO_SECRET, victim.id))
        assert attacker.get("/api/me").status_code == 401
    with TestClient(create_app(settings, db)) as insider:
        # The same cookie signed with this database's own key is accepted: the forgery
        # above failed for want of the key, not because of how it was made.
        insider.cookies.set(SESSION_COOKIE, _forged_cookie(settings.secret_key, victim.id))
        assert insider.get("/api/me").status_code == 200


def test_settings_come_from_prefixed_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JIGSAW_DATABASE_URL", "sqlite:////tmp/elsewhere.db")
    monkeypatch.setenv("JIGSAW_SECRET_KEY", "x" * 40)
    monkeypatch.setenv("JIGSAW_AUDIT_SIGNING_KEY", AUDIT_KEY)
    settings = Settings()
    assert settings.database_url == "sqlite:////tmp/elsewhere.db"
    settings.require_safe_secrets()


def test_missing_audit_signing_key_outside_demo_mode_is_refused() -> None:
    with pytest.raises(InsecureSettings, match="JIGSAW_AUDIT_SIGNING_KEY"):
        Settings(secret_key="y" * 40, demo_mode=False).require_safe_secrets()


def test_demo_code_prints_a_code_only_for_demo_accounts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import hashlib

    from typer.testing import CliRunner

    from jigsaw.cli import app
    from jigsaw.clock import utcnow
    from jigsaw.demo import demo_database_url, demo_totp_secret, start_afresh
    from jigsaw.identity import totp

    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    assert runner.invoke(app, ["demo-code", "dsl@school.demo"]).exit_code != 0, "no demo yet"
    start_afresh()
    (tmp_path / "var").mkdir()
    (tmp_path / "var" / "demo.db").touch()
    key = _demo_settings(demo_database_url()).secret_key
    shown = runner.invoke(app, ["demo-code", "dsl@school.demo"])
    assert shown.exit_code == 0, shown.output
    secret = demo_totp_secret("dsl@school.demo", key)
    step = totp.step_at(utcnow())
    assert shown.stdout.strip() in {totp.code_for_step(secret, s) for s in (step - 1, step)}
    assert runner.invoke(app, ["demo-code", "someone@example.org"]).exit_code != 0
    # The authenticator key once followed from the address alone; now it needs the
    # demo database's own key.
    label = b"jigsaw-demo-authenticator:dsl@school.demo"
    published = base64.b32encode(hashlib.sha256(label).digest()[:20]).decode()
    assert secret != published
    assert demo_totp_secret("dsl@school.demo", "another demo's key") != secret


def test_api_answers_are_never_cached(client, world) -> None:  # type: ignore[no-untyped-def]
    world.sign_in(client, world.practitioner())
    assert client.get("/api/agency-records").headers["cache-control"] == "no-store"
    assert client.get("/api/me").headers["cache-control"] == "no-store"
