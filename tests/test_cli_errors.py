"""An error the operator can act on is one line saying what to do, and a non-zero exit;
a traceback is kept for faults in the code. The ``jigsaw`` command does this once, for
every command however nested (``jigsaw.cli.KnownErrorsInOneLine``)."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner, Result

from jigsaw.cli import SCHEMA_MISSING, KnownErrorsInOneLine
from jigsaw.cli import app as cli
from jigsaw.config import get_settings
from jigsaw.db import Database
from jigsaw.errors import NotPermitted


def _jigsaw(*words: str) -> Result:
    return CliRunner().invoke(cli, list(words))


def _one_line(result: Result) -> str:
    """The error line, after checking it is all there is and the command failed."""
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert "Traceback" not in result.output
    return lines[0]


def _url(db: Database) -> str:
    return db.engine.url.render_as_string(hide_password=False)


def test_generate_on_a_database_without_the_schema_says_to_upgrade(
    empty_database_url: str,
) -> None:
    result = _jigsaw("generate", "--children", "2", "--database", empty_database_url)
    assert "run `jigsaw db upgrade`" in _one_line(result)


def test_linkage_evaluation_without_synthetic_truth_says_where_truth_comes_from(
    private_database: Database,
) -> None:
    result = _jigsaw("linkage", "evaluate", "--database", _url(private_database))
    assert "`jigsaw generate`" in _one_line(result)


def test_any_command_on_a_database_without_the_schema_says_to_upgrade(
    empty_database_url: str,
) -> None:
    """The database's own error (no such table, or UndefinedTable) is told in its place."""
    result = _jigsaw("admin", "agency", "list", "--database", empty_database_url)
    assert _one_line(result) == SCHEMA_MISSING


def test_a_database_out_of_reach_is_named_with_what_to_check(tmp_path: Path) -> None:
    unreachable = f"sqlite:///{tmp_path}"  # a folder, not a file SQLite can open
    line = _one_line(_jigsaw("admin", "agency", "list", "--database", unreachable))
    assert line.startswith("Cannot use the database (unable to open database file)")
    assert "JIGSAW_DATABASE_URL" in line


def test_a_missing_or_invalid_setting_is_named_with_its_fix(
    private_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("JIGSAW_MASTER_KEY", raising=False)
    monkeypatch.delenv("JIGSAW_MASTER_KEY_FILE", raising=False)
    monkeypatch.delenv("JIGSAW_DEMO_MODE", raising=False)
    line = _one_line(_jigsaw("admin", "agency", "list", "--database", _url(private_database)))
    assert line.startswith("JIGSAW_MASTER_KEY (or JIGSAW_MASTER_KEY_FILE) is not set")
    assert "`jigsaw protection keygen`" in line

    monkeypatch.setenv("JIGSAW_LOCKOUT_THRESHOLD", "five")
    get_settings.cache_clear()
    line = _one_line(_jigsaw("admin", "agency", "list", "--database", _url(private_database)))
    assert line.startswith("The settings are not valid: JIGSAW_LOCKOUT_THRESHOLD:")


def test_a_refusal_is_one_line_with_its_kind_and_a_fault_keeps_its_traceback() -> None:
    app = typer.Typer(cls=KnownErrorsInOneLine)

    @app.command()
    def refused() -> None:
        raise NotPermitted("Only the agency's administrators can do this.\nAsk one of them.")

    @app.command()
    def broken() -> None:
        print(1 / 0)

    runner = CliRunner()
    result = runner.invoke(app, ["refused"])
    assert (
        _one_line(result)
        == "Refused: Only the agency's administrators can do this. Ask one of them."
    )
    fault = runner.invoke(app, ["broken"])
    assert fault.exit_code == 1
    assert isinstance(fault.exception, ZeroDivisionError)
