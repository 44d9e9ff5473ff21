"""Upgrades wait for each other; downgrades never drop data nobody said could go."""

from __future__ import annotations

import threading

import pytest
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from typer.testing import CliRunner

from jigsaw import migrate
from jigsaw.cli import app as jigsaw_cli
from jigsaw.db import Database, make_engine
from tests.conftest import World

HEAD = ScriptDirectory.from_config(migrate.alembic_config("sqlite://")).get_current_head()


def _revision(url: str) -> str | None:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def test_two_upgrades_started_at_once_both_succeed(empty_database_url: str) -> None:
    start = threading.Barrier(2)
    failures: list[BaseException] = []

    def upgrade() -> None:
        start.wait()
        try:
            migrate.upgrade(empty_database_url)
        except BaseException as exc:  # the test reports whatever either thread hit
            failures.append(exc)

    threads = [threading.Thread(target=upgrade) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert _revision(empty_database_url) == HEAD


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


def test_a_downgrade_of_an_empty_database_goes_ahead(empty_database_url: str) -> None:
    migrate.upgrade(empty_database_url)
    migrate.downgrade(empty_database_url, "0007")
    assert _revision(empty_database_url) == "0007"
    migrate.upgrade(empty_database_url)
    assert _revision(empty_database_url) == HEAD
