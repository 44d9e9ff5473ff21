"""The ``jigsaw`` command: database, synthetic population, demo and server.

Most commands live in their own packages and are loaded only when one of them runs
(``JigsawCommands``): an import, a backup or ``--help`` then costs none of the
libraries that the others use (linkage, PDF rendering, the web app).
"""

from __future__ import annotations

import functools
import importlib.util
import json
from collections.abc import Callable, Iterator, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from typer.core import TyperCommand, TyperGroup
from typer.exceptions import TyperException

from jigsaw.errors import (
    Conflict,
    InvalidInput,
    JigsawError,
    Misconfigured,
    NotFound,
    NotPermitted,
    NotSignedIn,
)

if TYPE_CHECKING:
    from jigsaw.linkage import cli as linkage_cli

SCHEMA_MISSING = (
    "The database has no schema yet, or an older one than this version of Jigsaw: run "
    "`jigsaw db upgrade` (with the same JIGSAW_DATABASE_URL or --database)."
)
_KIND_LABELS: tuple[tuple[type[JigsawError], str], ...] = (
    (InvalidInput, "Not accepted"),
    (NotFound, "Not found"),
    (NotPermitted, "Refused"),
    (NotSignedIn, "Not signed in"),
    (Conflict, "Clash"),
    (Misconfigured, "Settings"),
)
_UNDEFINED_TABLE_OR_COLUMN = frozenset({"42P01", "42703"})
"""PostgreSQL's SQLSTATEs for a table or column that does not exist (yet)."""


def known_error_line(error: BaseException) -> str | None:
    """The one line an operator needs for an error they can act on, or None for a bug.

    Known errors are the services' deliberate ones (``JigsawError``, by kind), refusals
    and settings the commands raise on purpose, a database without the schema, and a
    database that cannot be reached; each message already says what to do.
    """
    from pydantic import ValidationError
    from sqlalchemy.exc import DBAPIError, OperationalError

    from jigsaw import migrate
    from jigsaw.audit.signing import CheckpointError
    from jigsaw.backup import BackupRefused
    from jigsaw.config import InsecureSettings, Settings
    from jigsaw.datafiles import DataProblems
    from jigsaw.protection.master_key import KeyUnavailable
    from jigsaw.retention.schedule import InvalidSchedule

    if isinstance(error, JigsawError):
        label = next((name for kind, name in _KIND_LABELS if isinstance(error, kind)), None)
        return f"{label}: {error}" if label else str(error)
    deliberate = (
        InsecureSettings,
        KeyUnavailable,
        BackupRefused,
        migrate.DowngradeRefused,
        CheckpointError,
        DataProblems,
        InvalidSchedule,
    )
    if isinstance(error, deliberate):
        return str(error)
    if isinstance(error, ValidationError) and error.title == Settings.__name__:
        problems = "; ".join(
            f"JIGSAW_{'_'.join(map(str, p['loc'])).upper()}: {p['msg']}" for p in error.errors()
        )
        return f"The settings are not valid: {problems}"
    if isinstance(error, DBAPIError):
        reason = str(error.orig).strip().splitlines()[0] if str(error.orig).strip() else ""
        sqlstate = getattr(error.orig, "sqlstate", None)
        if sqlstate in _UNDEFINED_TABLE_OR_COLUMN or reason.startswith(
            ("no such table", "no such column")
        ):
            return SCHEMA_MISSING
        if isinstance(error, OperationalError):
            return (
                f"Cannot use the database ({reason}): check JIGSAW_DATABASE_URL (or "
                "--database), that the database server is running, and who may connect."
            )
    return None


class KnownErrorsInOneLine(TyperGroup):
    """Every ``jigsaw`` command, however nested, runs inside this group's ``invoke``: an
    error the operator can act on is printed as one line and the command exits 1 (so a
    script stops too); anything else is a bug, and keeps its traceback."""

    def invoke(self, ctx: Any) -> Any:  # typer's own click Context, not public
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, TyperException):
            raise  # the command line's own (help, a wrong option, Ctrl-C): never a known error
        except Exception as error:
            line = known_error_line(error)
            if line is None:
                raise
            typer.echo(" ".join(line.split()), err=True)
            raise typer.Exit(1) from None


@dataclass(frozen=True)
class _Elsewhere:
    """A command, or a group of them, that lives in its own package.

    ``summary`` is the first paragraph of its help, so that ``jigsaw --help`` lists it
    without importing the package (``tests/test_cli_startup.py`` holds the two equal);
    ``attribute`` is its function, or the ``typer.Typer`` of a group; ``then`` adds the
    commands that are put together here, once, when the group is first loaded.
    """

    module: str
    attribute: str
    summary: str
    then: Callable[[typer.Typer], None] | None = None


def _add_benchmark(linkage: typer.Typer) -> None:
    # The benchmark's options are read from the linkage commands' module when it is built.
    global linkage_cli
    from jigsaw.linkage import cli as linkage_cli

    linkage.command("benchmark")(linkage_benchmark)


def _add_rewrap(protection: typer.Typer) -> None:
    # Rewrapping moves second-factor secrets too, which protection must not import.
    from jigsaw.identity import cli as identity_cli

    protection.command("rewrap")(identity_cli.rewrap_command)


COMMANDS_ELSEWHERE: dict[str, _Elsewhere] = {
    "register": _Elsewhere(
        "jigsaw.oversight.cli",
        "register_command",
        "Print the disclosure register for a person: what was shared, with whom, why.",
    ),
    "sar": _Elsewhere(
        "jigsaw.oversight.cli",
        "sar_command",
        "Write the disclosure register for one person (all their linked agency records) as a"
        "\nCSV and a PDF, for a subject access response; acts as the data controller.",
    ),
    "worker": _Elsewhere(
        "jigsaw.scheduling.cli",
        "worker",
        "Run the scheduled jobs: reminders, linking new records, retention, checkpoints.",
    ),
    "import": _Elsewhere(
        "jigsaw.imports.cli",
        "import_command",
        "Import an agency's records (people it knows, with their identifiers), or the"
        "\nrelationships, involvements and information items about them, from files.",
    ),
}
"""The commands of other packages, listed before the ones defined here."""

GROUPS_ELSEWHERE: dict[str, _Elsewhere] = {
    "audit": _Elsewhere("jigsaw.audit.cli", "app", "The tamper-evident audit log."),
    "agreements": _Elsewhere("jigsaw.agreements.cli", "app", "Data sharing agreements."),
    "linkage": _Elsewhere(
        "jigsaw.linkage.cli", "app", "Record linkage: the person index.", _add_benchmark
    ),
    "decisions": _Elsewhere("jigsaw.sharing.cli", "app", "Sharing decisions and disclosures."),
    "mais": _Elsewhere("jigsaw.interop.mais_cli", "mais_app", "MAIS request objects."),
    "prov": _Elsewhere("jigsaw.interop.mais_cli", "prov_app", "W3C PROV-O trails."),
    "protection": _Elsewhere(
        "jigsaw.protection.cli",
        "app",
        "Encryption at rest: master and data keys.",
        _add_rewrap,
    ),
    "retention": _Elsewhere("jigsaw.retention.cli", "app", "Retention schedules and erasure."),
    "admin": _Elsewhere(
        "jigsaw.agencies.cli",
        "admin",
        "A deployment's agencies, accounts and service tokens, as the data controller.",
    ),
    "accounts": _Elsewhere(
        "jigsaw.agencies.cli",
        "app",
        "Agencies and accounts, as the data controller (older names of `jigsaw admin`).",
    ),
    "fhir": _Elsewhere(
        "jigsaw.interop.fhir.cli",
        "app",
        "FHIR R4 bundles: export a person's records, import flags.",
    ),
}
"""The command groups of other packages, listed after the ones defined here."""


@functools.cache
def _found(name: str) -> Any:
    """The function or ``typer.Typer`` named ``name``, completed once (``_Elsewhere.then``)."""
    entry = COMMANDS_ELSEWHERE.get(name) or GROUPS_ELSEWHERE[name]
    found = getattr(importlib.import_module(entry.module), entry.attribute)
    if entry.then is not None:
        entry.then(found)
    return found


def _built(name: str) -> Any:
    """The command ``name`` as typer builds it when it is added to ``app`` directly."""
    found = _found(name)
    holder = typer.Typer()
    if isinstance(found, typer.Typer):
        holder.add_typer(found, name=name)
    else:
        holder.command(name)(found)
    return _wired_first(typer.main.get_group(holder).commands[name])


def _wired_first(command: Any) -> Any:
    """Subscribe the event handlers (``subscriptions.wire``) just before the code of each
    command, however nested, runs: after its options are read, so that ``--help`` and a
    refused option load none of the packages the handlers live in."""
    if isinstance(command, TyperGroup):
        for each in command.commands.values():
            _wired_first(each)
    elif command.callback is not None:
        run = command.callback

        @functools.wraps(run)
        def wired(*args: Any, **kwargs: Any) -> Any:
            from jigsaw import subscriptions

            subscriptions.wire()
            return run(*args, **kwargs)

        command.callback = wired
    return command


class _LoadedWhenNamed(MutableMapping[str, Any]):
    """``jigsaw``'s commands by name, in the order they are listed: those defined here
    are held, those of ``COMMANDS_ELSEWHERE`` and ``GROUPS_ELSEWHERE`` are built the
    first time they are asked for."""

    def __init__(self, here: MutableMapping[str, Any]) -> None:
        self.here = here
        self.loaded: dict[str, Any] = {}

    def _names(self) -> list[str]:
        groups = [name for name, command in self.here.items() if isinstance(command, TyperGroup)]
        commands = [name for name in self.here if name not in groups]
        return [*COMMANDS_ELSEWHERE, *commands, *groups, *GROUPS_ELSEWHERE]

    def is_loaded(self, name: str) -> bool:
        return name in self.here or name in self.loaded

    def __getitem__(self, name: str) -> Any:
        if name in self.here:
            return self.here[name]
        if name not in COMMANDS_ELSEWHERE and name not in GROUPS_ELSEWHERE:
            raise KeyError(name)
        if name not in self.loaded:
            self.loaded[name] = _built(name)
        return self.loaded[name]

    def __setitem__(self, name: str, command: Any) -> None:
        self.here[name] = command

    def __delitem__(self, name: str) -> None:
        del self.here[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())

    def __len__(self) -> int:
        return len(self._names())


class JigsawCommands(KnownErrorsInOneLine):
    """The ``jigsaw`` command: each command of another package is imported only when it
    is run (or its own help asked for), so that one command does not pay for all of them.
    ``jigsaw --help`` lists them by their summaries."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        for command in self.commands.values():
            _wired_first(command)
        self.commands = _LoadedWhenNamed(self.commands)
        self._listing = False

    def list_commands(self, ctx: Any) -> list[str]:
        return list(self.commands)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        commands = self.commands
        if (
            self._listing
            and isinstance(commands, _LoadedWhenNamed)
            and not commands.is_loaded(cmd_name)
        ):
            entry = COMMANDS_ELSEWHERE.get(cmd_name) or GROUPS_ELSEWHERE.get(cmd_name)
            if entry is not None:
                return TyperCommand(cmd_name, help=entry.summary)
        return super().get_command(ctx, cmd_name)

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False


app = typer.Typer(
    cls=JigsawCommands,
    no_args_is_help=True,
    help="Jigsaw: multi-agency safeguarding information sharing.",
)
db_app = typer.Typer(no_args_is_help=True, help="Database schema.")
app.add_typer(db_app, name="db")


# The benchmark puts the whole service together (a scratch database, the import, the
# linkage), so it lives here with the other composition, not inside the linkage package;
# it is added to the linkage commands when they are loaded (``GROUPS_ELSEWHERE``).
def linkage_benchmark(
    dataset: Annotated[
        str | None,
        typer.Option(
            help="A public labelled data set (febrl1, febrl2, febrl3 or febrl4), "
            "febrl3-hard or febrl4-hard (FEBRL with the hard profile's corruptions), or "
            "hard: the generator's hard noise profile; recall per kind of corruption."
        ),
    ] = None,
    records: Annotated[
        list[Path] | None,
        typer.Option("--records", help="Agency CSVs of labelled data (one per agency)."),
    ] = None,
    truth: Annotated[
        Path | None, typer.Option("--truth", help="CSV of local_id,entity_id for --records.")
    ] = None,
    with_identifier: Annotated[
        bool, typer.Option(help="Give FEBRL's identifier to every system as an NHS number.")
    ] = False,
    limit: Annotated[
        int | None, typer.Option(min=2, help="Only the first N records of each FEBRL file.")
    ] = None,
    size: Annotated[
        int | None, typer.Option(min=1, help="--dataset hard: records per agency (5000).")
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(help="--dataset hard, febrl3-hard, febrl4-hard: same seed, same records."),
    ] = None,
    first_copy_corrupted: Annotated[
        float | None,
        typer.Option(
            min=0.0,
            max=1.0,
            help="--dataset febrl3-hard/febrl4-hard: share of FEBRL's originals corrupted "
            "too (0.3; its duplicates 0.7).",
        ),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", help="Write the report as JSON.")
    ] = None,
    model: linkage_cli.ModelOption = None,
    train: Annotated[
        bool,
        typer.Option(
            "--train/--no-train",
            help="Also train the model on the records (no labels), as a deployment does.",
        ),
    ] = True,
) -> None:
    """Link labelled data the model never saw, beside Splink and recordlinkage."""
    from jigsaw.benchmark import from_files, named, run_benchmark

    if (dataset is None) == (not records):
        raise typer.BadParameter("Give either --dataset or --records with --truth")
    if records:
        if truth is None:
            raise typer.BadParameter("--records needs --truth", param_hint="--truth")
        chosen = from_files(records, truth)
    else:
        assert dataset is not None
        chosen = named(
            dataset,
            with_identifier=with_identifier,
            limit=limit,
            size=size,
            seed=seed,
            first_copy=first_copy_corrupted,
        )
    with linkage_cli.console.status("Benchmarking") as status:
        report = run_benchmark(
            chosen,
            model=linkage_cli.load_model(model),
            train=train,
            on_step=lambda message: status.update(f"Benchmarking: {message}"),
        )
    data = report.as_dict()
    text = json.dumps(data, indent=2) + "\n"
    if output is not None:
        output.write_text(text, encoding="utf-8")
        linkage_cli.console.print(f"Written to {output}")
    typer.echo(text, nl=False)


console = Console(stderr=True)

DatabaseOption = Annotated[
    str | None,
    typer.Option("--database", help="SQLAlchemy URL; defaults to JIGSAW_DATABASE_URL."),
]


def _url(database: str | None) -> str:
    from jigsaw.config import get_settings

    return database or get_settings().database_url


def _require_the_generator() -> None:
    """The generator is the optional `demo` extra: a deployment runs without it, so its
    absence is told plainly rather than as an import error."""
    if importlib.util.find_spec("faker") is None:
        console.print(
            "[red]The synthetic population generator is not installed: install the "
            "`demo` extra (`uv sync --extra demo`, or `pip install 'jigsaw\\[demo]'`).[/red]"
        )
        raise typer.Exit(1)


@db_app.command("upgrade")
def db_upgrade(database: DatabaseOption = None, revision: str = "head") -> None:
    """Create or migrate the schema to the latest version, after any upgrade already running."""
    from jigsaw import migrate

    migrate.upgrade(_url(database), revision)
    console.print(f"[green]Database is at revision {revision}.[/green]")


@db_app.command("downgrade")
def db_downgrade(
    revision: Annotated[str, typer.Argument(help="The revision to go back to, e.g. 0010.")],
    database: DatabaseOption = None,
    have_backup: Annotated[
        bool,
        typer.Option(
            "--i-have-a-backup",
            help="Go ahead on a database that holds data, dropping what later migrations added.",
        ),
    ] = False,
) -> None:
    """Take the schema back to an earlier revision; refused on a populated database."""
    from jigsaw import migrate

    migrate.downgrade(_url(database), revision, have_backup=have_backup)
    console.print(f"[green]Database is at revision {revision}.[/green]")


@app.command()
def backup(
    output: Annotated[Path, typer.Option("--output", help="The backup file to write.")],
    database: DatabaseOption = None,
    overwrite: Annotated[bool, typer.Option(help="Replace an existing file.")] = False,
) -> None:
    """Back up the database while the service runs (SQLite online backup, or pg_dump)."""
    from jigsaw import backup as backups

    backups.backup(_url(database), output, overwrite=overwrite)
    console.print(f"[green]Backed up to {output}.[/green] Keep it apart from the master key.")


@app.command()
def restore(
    input_file: Annotated[Path, typer.Option("--input", help="A file `jigsaw backup` wrote.")],
    database: DatabaseOption = None,
    force: Annotated[
        bool, typer.Option(help="Replace a database that already holds data.")
    ] = False,
) -> None:
    """Restore a backup into an empty database (stop the service first)."""
    from jigsaw import backup as backups

    backups.restore(_url(database), input_file, force=force)
    console.print(
        f"[green]Restored {input_file}.[/green] Now run "
        "`jigsaw audit verify --checkpoint FILE` with the latest checkpoint kept elsewhere."
    )


@app.command()
def generate(
    children: Annotated[int, typer.Option(min=1, help="How many children to create.")] = 2000,
    seed: Annotated[int, typer.Option(help="Same seed, same population.")] = 1,
    database: DatabaseOption = None,
    batch_size: Annotated[int, typer.Option(min=1, help="Children per transaction.")] = 500,
    noise: Annotated[
        str,
        typer.Option(
            help="standard: the population, into the database. hard: two agencies' files "
            "for the linkage benchmark, corrupted by kind (needs --export)."
        ),
    ] = "standard",
    export: Annotated[
        Path | None, typer.Option(help="--noise hard: the folder for the CSVs and truth.csv.")
    ] = None,
    size: Annotated[int, typer.Option(min=1, help="--noise hard: records per agency.")] = 5000,
) -> None:
    """Generate a synthetic multi-agency population (with ground truth for linkage)."""
    if noise not in ("standard", "hard"):
        raise typer.BadParameter("Choose standard or hard", param_hint="--noise")
    if (noise == "hard") != (export is not None):
        raise typer.BadParameter("--noise hard writes files: give it --export DIR (only it)")
    _require_the_generator()
    if export is not None:
        from jigsaw.synthetic.hard import export as export_hard

        paths = export_hard(export, size=size, seed=seed)
        console.print("Written: " + ", ".join(str(path) for path in paths))
        return
    from jigsaw.protection.master_key import open_database
    from jigsaw.synthetic.service import generate_population

    db = open_database(url=_url(database))
    summary = generate_population(db, children=children, seed=seed, batch_size=batch_size)
    console.print(summary.describe())


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
) -> None:
    """Serve the web app and API."""
    import uvicorn

    from jigsaw.app import create_app
    from jigsaw.config import get_settings

    # No access log: query strings (a search for a child's name) would put personal data
    # in it. Every read of a person is in the audit log instead, with ids only.
    uvicorn.run(create_app(get_settings()), host=host, port=port, access_log=False)


@app.command()
def demo(
    children: Annotated[int, typer.Option(min=1)] = 2000,
    seed: int = 1,
    host: str = "127.0.0.1",
    port: int = 8000,
    serve_app: Annotated[bool, typer.Option("--serve/--no-serve")] = True,
) -> None:
    """Create a demo database of synthetic data, print the demo accounts and serve the app."""
    _require_the_generator()
    import uvicorn

    from jigsaw.app import create_app
    from jigsaw.config import Settings
    from jigsaw.demo import build_demo, demo_database_url, start_afresh

    start_afresh()
    settings = Settings(demo_mode=True, secure_cookies=False, database_url=demo_database_url())
    accounts = build_demo(children=children, seed=seed, console=console)
    console.print(accounts)
    if serve_app:
        console.print(f"Serving on http://{host}:{port}  (Ctrl+C to stop)")
        uvicorn.run(create_app(settings), host=host, port=port, access_log=False)


@app.command("demo-code")
def demo_code(
    email: Annotated[str, typer.Argument(help="A demo account's email address.")],
) -> None:
    """Print the current 6-digit code for a demo account (demo accounts only)."""
    from jigsaw.demo import DEMO_ACCOUNTS, demo_key, demo_totp_secret
    from jigsaw.identity import totp

    if email not in {account.email for account in DEMO_ACCOUNTS}:
        raise typer.BadParameter("Not a demo account; codes are only printed for demo accounts")
    from jigsaw.clock import utcnow

    try:
        key = demo_key()
    except FileNotFoundError as missing:
        raise typer.BadParameter(str(missing)) from None
    typer.echo(totp.code_for_step(demo_totp_secret(email, key), totp.step_at(utcnow())))
