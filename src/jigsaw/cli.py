"""The ``jigsaw`` command: database, synthetic population, demo and server."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from sqlalchemy.exc import DBAPIError, OperationalError
from typer.core import TyperGroup

from jigsaw import subscriptions
from jigsaw.agencies import cli as accounts_cli
from jigsaw.agreements import cli as agreements_cli
from jigsaw.audit import cli as audit_cli
from jigsaw.config import InsecureSettings, Settings, get_settings
from jigsaw.errors import (
    Conflict,
    InvalidInput,
    JigsawError,
    Misconfigured,
    NotFound,
    NotPermitted,
    NotSignedIn,
)
from jigsaw.identity import cli as identity_cli
from jigsaw.imports import cli as imports_cli
from jigsaw.interop import mais_cli
from jigsaw.interop.fhir import cli as fhir_cli
from jigsaw.linkage import cli as linkage_cli
from jigsaw.oversight import cli as oversight_cli
from jigsaw.protection import cli as protection_cli
from jigsaw.protection import master_key as master_keys
from jigsaw.retention import cli as retention_cli
from jigsaw.scheduling import cli as scheduling_cli
from jigsaw.sharing import cli as decisions_cli

subscriptions.wire()

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
    from jigsaw import migrate
    from jigsaw.audit.signing import CheckpointError
    from jigsaw.backup import BackupRefused
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
        except Exception as error:
            line = known_error_line(error)
            if line is None:
                raise
            typer.echo(" ".join(line.split()), err=True)
            raise typer.Exit(1) from None


app = typer.Typer(
    cls=KnownErrorsInOneLine,
    no_args_is_help=True,
    help="Jigsaw: multi-agency safeguarding information sharing.",
)
db_app = typer.Typer(no_args_is_help=True, help="Database schema.")
app.add_typer(db_app, name="db")
app.add_typer(audit_cli.app, name="audit")
app.add_typer(agreements_cli.app, name="agreements")
app.add_typer(linkage_cli.app, name="linkage")


# The benchmark puts the whole service together (a scratch database, the import, the
# linkage), so it lives here with the other composition, not inside the linkage package.
@linkage_cli.app.command("benchmark")
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


app.add_typer(decisions_cli.app, name="decisions")
app.add_typer(mais_cli.mais_app, name="mais")
app.add_typer(mais_cli.prov_app, name="prov")
app.add_typer(protection_cli.app, name="protection")
# Rewrapping moves second-factor secrets too, which protection must not import.
protection_cli.app.command("rewrap")(identity_cli.rewrap_command)
app.add_typer(retention_cli.app, name="retention")
app.add_typer(accounts_cli.admin, name="admin")
app.add_typer(accounts_cli.app, name="accounts")
app.command("register")(oversight_cli.register_command)
app.command("sar")(oversight_cli.sar_command)
app.command("worker")(scheduling_cli.worker)
app.command("import")(imports_cli.import_command)
app.add_typer(fhir_cli.app, name="fhir")
console = Console(stderr=True)

DatabaseOption = Annotated[
    str | None,
    typer.Option("--database", help="SQLAlchemy URL; defaults to JIGSAW_DATABASE_URL."),
]


def _url(database: str | None) -> str:
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
    from jigsaw.synthetic.service import generate_population

    db = master_keys.open_database(url=_url(database))
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
