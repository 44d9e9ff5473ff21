"""Upgrades wait for each other; downgrades never drop data nobody said could go."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from jigsaw import migrate
from jigsaw.cli import app as jigsaw_cli
from jigsaw.db import Database, make_engine
from tests.conftest import World, fresh_database_url

HEAD = ScriptDirectory.from_config(migrate.alembic_config("sqlite://")).get_current_head()


def _revision(url: str) -> str | None:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


@pytest.fixture
def new_url(tmp_path: Path) -> Iterator[str]:
    """A database with no schema yet."""
    url = fresh_database_url(tmp_path, "migrating")
    yield url
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
        admin.dispose()


def test_two_upgrades_started_at_once_both_succeed(new_url: str) -> None:
    start = threading.Barrier(2)
    failures: list[BaseException] = []

    def upgrade() -> None:
        start.wait()
        try:
            migrate.upgrade(new_url)
        except BaseException as exc:  # the test reports whatever either thread hit
            failures.append(exc)

    threads = [threading.Thread(target=upgrade) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert _revision(new_url) == HEAD


def test_a_downgrade_of_a_populated_database_is_refused_and_changes_nothing(
    private_database: Database,
) -> None:
    World(private_database).agency()
    private_database.dispose()
    with pytest.raises(migrate.DowngradeRefused, match=r"holds data \(.*agencies") as refused:
        migrate.downgrade(private_database.url, "0010")
    assert "--i-have-a-backup" in str(refused.value)
    assert _revision(private_database.url) == HEAD

    shown = CliRunner().invoke(
        jigsaw_cli, ["db", "downgrade", "0010", "--database", private_database.url]
    )
    assert shown.exit_code == 1
    assert "Refusing to downgrade" in shown.output
    assert _revision(private_database.url) == HEAD


def test_a_downgrade_of_an_empty_database_goes_ahead(new_url: str) -> None:
    migrate.upgrade(new_url)
    migrate.downgrade(new_url, "0007")
    assert _revision(new_url) == "0007"
    migrate.upgrade(new_url)
    assert _revision(new_url) == HEAD
