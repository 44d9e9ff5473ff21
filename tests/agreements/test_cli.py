"""``jigsaw agreements check``: a document checked before it is registered, one line per
problem."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from jigsaw.cli import app as cli
from tests.agreements.helpers import by_id, by_kind, document


def test_a_valid_document_can_be_registered(tmp_path: Path) -> None:
    file = tmp_path / "agreement.json"
    file.write_text(json.dumps(document(provider=by_kind("police"), recipient=by_id(3))))
    result = CliRunner().invoke(cli, ["agreements", "check", str(file)])
    assert result.exit_code == 0, result.output
    assert "can be registered" in result.output


def test_each_problem_is_one_line(tmp_path: Path) -> None:
    file = tmp_path / "agreement.json"
    body = document(provider=by_kind("police"), recipient=by_id(3), tier=0, title="")
    file.write_text(json.dumps(body))
    result = CliRunner().invoke(cli, ["agreements", "check", str(file)])
    assert result.exit_code == 1
    assert "tier: must be one of: 1, 2, 3\ntitle: must be at least 3 characters\n" in result.output


def test_a_file_that_is_not_json_is_one_line(tmp_path: Path) -> None:
    file = tmp_path / "agreement.json"
    file.write_text("tier: 1")
    result = CliRunner().invoke(cli, ["agreements", "check", str(file)])
    assert result.exit_code == 1
    assert result.output.strip() == "document: is not valid JSON (line 1, column 1)"
