"""The ``jigsaw`` command loads only the command it runs: ``jigsaw import`` (and its
``--help``) does not pay for the linkage, PDF rendering and the web app that other
commands use, while ``jigsaw --help`` still lists every command with its summary.

What a fresh process loads is looked at in a subprocess, since the tests' own process
has loaded everything already.
"""

from __future__ import annotations

import inspect
import json
import re

import typer
from typer.testing import CliRunner

from jigsaw import cli
from jigsaw.imports import cli as imports_cli
from jigsaw.imports import pool, service
from tests.helpers import fresh_python

COMMANDS = {
    "register",
    "sar",
    "worker",
    "import",
    "backup",
    "restore",
    "generate",
    "serve",
    "demo",
    "demo-code",
}
GROUPS = {
    "db",
    "audit",
    "agreements",
    "linkage",
    "decisions",
    "mais",
    "prov",
    "protection",
    "retention",
    "admin",
    "accounts",
    "fhir",
}
"""Every command and command group ``jigsaw`` had when its commands began to be loaded
only when used: none may go missing from the list."""

HEAVY = (
    "splink",
    "duckdb",
    "fpdf",
    "fastapi",
    "sqlalchemy",
    "jigsaw.app",
    "jigsaw.web",
    "jigsaw.linkage.service",
    "jigsaw.imports.service",
    "jigsaw.subscriptions",
)
"""What a command that needs none of it must not load: the linkage (Splink, DuckDB),
the PDF library, the web app, the database toolkit and the event handlers."""


def _fresh_process(*words: str) -> dict[str, object]:
    """Run ``jigsaw WORDS`` in a new interpreter; what it printed and loaded."""
    program = (
        "import json, sys\n"
        "from typer.testing import CliRunner\n"
        "from jigsaw.cli import app\n"
        f"result = CliRunner().invoke(app, {list(words)!r}, terminal_width=100)\n"
        f"loaded = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "events = sys.modules.get('jigsaw.events')\n"
        "wired = events is not None and events.SUBSCRIPTIONS.wired\n"
        "print(json.dumps({'exit': result.exit_code, 'output': result.output,\n"
        "    'loaded': loaded, 'wired': wired}))\n"
    )
    answer: dict[str, object] = json.loads(fresh_python(program))
    return answer


def _listed(help_text: str) -> set[str]:
    """The command names in the Commands panel of a help text."""
    names = set()
    inside = False
    for line in help_text.splitlines():
        if "Commands" in line and line.lstrip().startswith("╭"):
            inside = True
        elif inside and line.lstrip().startswith("╰"):
            inside = False
        elif inside and (name := re.match(r"\s*│ (\S+)", line)):
            names.add(name.group(1))  # a wrapped summary's next line starts further in
    return names


def test_the_import_command_and_its_help_load_nothing_heavy() -> None:
    helped = _fresh_process("import", "--help")
    assert helped["exit"] == 0
    assert "--kind" in str(helped["output"])
    assert helped["loaded"] == []
    assert helped["wired"] is False


def test_the_list_of_commands_loads_none_of_them_and_names_them_all() -> None:
    listed = _fresh_process("--help")
    assert listed["exit"] == 0
    assert listed["loaded"] == []
    assert _listed(str(listed["output"])) == COMMANDS | GROUPS


def test_the_import_itself_and_its_online_match_load_no_splink() -> None:
    """An import links its new records with the online match, scored by the levels'
    Python twins: Splink, DuckDB and what they bring are for the batch run and training."""
    program = (
        "import sys\n"
        "import jigsaw.imports.service, jigsaw.subscriptions, jigsaw.linkage.online\n"
        "print(sorted(m for m in ('splink', 'duckdb', 'sqlglot') if m in sys.modules))\n"
    )
    assert fresh_python(program).strip() == "[]"


def test_a_refused_option_loads_nothing_heavy() -> None:
    refused = _fresh_process("import", "--agency", "1", "--kind", "cats", "file.csv")
    assert refused["exit"] == 2
    assert "cats" in str(refused["output"])
    assert refused["loaded"] == []


def test_a_command_that_runs_has_the_event_handlers_wired_first() -> None:
    ran = _fresh_process("protection", "keygen")
    assert ran["exit"] == 0, ran["output"]
    assert ran["wired"] is True


def test_each_summary_in_the_list_is_the_commands_own() -> None:
    """``jigsaw --help`` shows summaries written in ``jigsaw.cli``; each must say what the
    command's own help says first."""
    group = typer.main.get_command(cli.app)
    assert isinstance(group, cli.JigsawCommands)
    context = typer.Context(group)
    elsewhere = cli.COMMANDS_ELSEWHERE | cli.GROUPS_ELSEWHERE
    assert set(group.list_commands(context)) == COMMANDS | GROUPS
    for name, entry in elsewhere.items():
        command = group.get_command(context, name)
        assert command is not None, name
        own = inspect.cleandoc(command.short_help or command.help or "").split("\n\n")[0]
        assert entry.summary == own, name


def test_the_commands_put_together_here_are_in_their_groups() -> None:
    group = typer.main.get_command(cli.app)
    assert isinstance(group, cli.JigsawCommands)
    context = typer.Context(group)
    linkage = group.get_command(context, "linkage")
    protection = group.get_command(context, "protection")
    assert isinstance(linkage, typer.core.TyperGroup)
    assert isinstance(protection, typer.core.TyperGroup)
    assert "benchmark" in linkage.commands
    assert {"keygen", "rewrap"} <= set(protection.commands)


def test_the_numbers_the_import_options_show_are_the_imports_own() -> None:
    assert imports_cli.DEFAULT_BATCH_SIZE == service.DEFAULT_BATCH_SIZE
    assert imports_cli.MAX_WORKERS == pool.MAX_WORKERS
    result = CliRunner().invoke(cli.app, ["import", "--help"], terminal_width=100)
    assert f"[default: {service.DEFAULT_BATCH_SIZE}]" in result.output
    assert f"x<={pool.MAX_WORKERS}" in result.output
