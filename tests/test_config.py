import pytest

from jigsaw.app import create_app
from jigsaw.config import DEMO_SECRET, InsecureSettings, Settings


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
    settings = Settings()
    assert settings.database_url == "sqlite:////tmp/elsewhere.db"
    settings.require_safe_secrets()
