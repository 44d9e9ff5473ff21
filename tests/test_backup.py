"""Backups lose no committed transaction, restore, and verify against checkpoints kept outside."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from jigsaw import migrate
from jigsaw.audit import service as audit
from jigsaw.audit.checkpoint_key import signer_for
from jigsaw.audit.verify import ProblemKind
from jigsaw.backup import BackupRefused, backup, restore
from jigsaw.cli import app as jigsaw_cli
from jigsaw.config import Settings, get_settings
from jigsaw.db import Database
from jigsaw.identity.models import Agency
from tests.conftest import AUDIT_KEY, World

SIGNER = signer_for(Settings(audit_signing_key=AUDIT_KEY))


def _agency_ids(url: str) -> set[int]:
    restored = Database(url)
    try:
        with restored.sessions() as session:
            return set(session.scalars(select(Agency.id)))
    finally:
        restored.dispose()


def test_a_backup_taken_while_writes_go_on_keeps_every_committed_transaction(
    private_database: Database, tmp_path: Path, empty_database_url: str
) -> None:
    world = World(private_database)
    committed: list[int] = []
    stop = threading.Event()

    def keep_writing() -> None:
        while not stop.is_set():
            committed.append(world.agency().id)  # appended only once the commit returned

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        while len(committed) < 20:
            stop.wait(0.05)
        before = set(committed)
        backup(private_database.url, tmp_path / "during-writes.backup")
        while len(committed) < len(before) + 5:  # writes carried on past the backup
            stop.wait(0.05)
    finally:
        stop.set()
        writer.join()

    restore(empty_database_url, tmp_path / "during-writes.backup")
    found = _agency_ids(empty_database_url)
    assert before <= found, f"lost committed agencies {sorted(before - found)}"
    assert found <= set(committed)
    report = audit.verify(Database(empty_database_url), SIGNER.verifier)
    assert report.ok, report.problems


def test_restore_then_verify_against_a_kept_checkpoint_and_say_when_the_log_is_behind(
    private_database: Database,
    tmp_path: Path,
    empty_database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("JIGSAW_AUDIT_SIGNING_KEY", AUDIT_KEY)
    get_settings.cache_clear()
    runner = CliRunner()
    world = World(private_database)
    world.practitioner()
    kept_then = tmp_path / "checkpoint-then.txt"
    kept_then.write_text(audit.make_checkpoint(private_database, SIGNER).note)
    made = runner.invoke(
        jigsaw_cli,
        ["backup", "--database", private_database.url, "--output", str(tmp_path / "b.backup")],
    )
    assert made.exit_code == 0, made.output
    world.practitioner()  # work done after the backup, covered by a later checkpoint
    kept_later = tmp_path / "checkpoint-later.txt"
    kept_later.write_text(audit.make_checkpoint(private_database, SIGNER).note)

    restored = runner.invoke(
        jigsaw_cli,
        ["restore", "--database", empty_database_url, "--input", str(tmp_path / "b.backup")],
    )
    assert restored.exit_code == 0, restored.output

    good = runner.invoke(
        jigsaw_cli,
        ["audit", "verify", "--database", empty_database_url, "--checkpoint", str(kept_then)],
    )
    assert good.exit_code == 0, good.output
    behind = runner.invoke(
        jigsaw_cli,
        ["audit", "verify", "--database", empty_database_url, "--checkpoint", str(kept_later)],
    )
    assert behind.exit_code == 1
    assert "the log is behind this checkpoint" in " ".join(behind.output.split())
    report = audit.verify(
        Database(empty_database_url), SIGNER.verifier, [("kept", kept_later.read_text())]
    )
    assert report.kinds() == {ProblemKind.TRUNCATED}
    get_settings.cache_clear()


def test_restore_refuses_a_database_that_holds_data_unless_forced(
    private_database: Database, tmp_path: Path
) -> None:
    World(private_database).agency()
    backup(private_database.url, tmp_path / "x.backup")
    with pytest.raises(BackupRefused, match="holds data"):
        restore(private_database.url, tmp_path / "x.backup")
    with pytest.raises(BackupRefused, match="already exists"):
        backup(private_database.url, tmp_path / "x.backup")
    private_database.dispose()
    restore(private_database.url, tmp_path / "x.backup", force=True)
    assert _agency_ids(private_database.url)


def test_an_empty_migrated_database_takes_a_restore(
    private_database: Database, tmp_path: Path, empty_database_url: str
) -> None:
    agency = World(private_database).agency()
    backup(private_database.url, tmp_path / "y.backup")
    migrate.upgrade(empty_database_url)
    restore(empty_database_url, tmp_path / "y.backup")
    assert agency.id in _agency_ids(empty_database_url)
