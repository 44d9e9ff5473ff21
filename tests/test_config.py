import pytest

from jigsaw.app import create_app
from jigsaw.config import DEMO_SECRET, InsecureSettings, Settings
from tests.conftest import AUDIT_KEY


def test_missing_secret_outside_demo_mode_refuses_to_start() -> None:
    with pytest.raises(InsecureSettings, match="JIGSAW_SECRET_KEY is not set"):
        create_app(Settings(secret_key="", demo_mode=False, database_url="sqlite://"))


@pytest.mark.parametrize("secret", ["short", DEMO_SECRET])
def test_weak_or_demo_secret_outside_demo_mode_is_refused(secret: str) -> None:
    with pytest.raises(InsecureSettings, match="too weak"):
        Settings(secret_key=secret, demo_mode=False).require_safe_secrets()


def test_demo_mode_gets_the_demo_secret() -> None:
    settings = Settings(demo_mode=True)
    settings.require_safe_secrets()
    assert settings.secret_key == DEMO_SECRET


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


def test_demo_code_prints_a_code_only_for_demo_accounts() -> None:
    from typer.testing import CliRunner

    from jigsaw.access import totp
    from jigsaw.cli import app
    from jigsaw.clock import utcnow
    from jigsaw.demo import demo_totp_secret

    runner = CliRunner()
    shown = runner.invoke(app, ["demo-code", "dsl@school.demo"])
    assert shown.exit_code == 0
    secret = demo_totp_secret("dsl@school.demo")
    step = totp.step_at(utcnow())
    assert shown.stdout.strip() in {totp.code_for_step(secret, s) for s in (step - 1, step)}
    assert runner.invoke(app, ["demo-code", "someone@example.org"]).exit_code != 0


def test_api_answers_are_never_cached(client, world) -> None:  # type: ignore[no-untyped-def]
    world.sign_in(client, world.practitioner())
    assert client.get("/api/agency-records").headers["cache-control"] == "no-store"
    assert client.get("/api/me").headers["cache-control"] == "no-store"
