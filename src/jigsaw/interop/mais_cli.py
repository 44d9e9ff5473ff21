"""``jigsaw mais``: requests for information as MAIS request objects; ``jigsaw prov``: a
request's life as W3C PROV-O, for an auditor outside the service."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from jigsaw.config import get_settings
from jigsaw.deadlines.timescales import load_profile
from jigsaw.errors import InvalidInput
from jigsaw.interop import mais, prov
from jigsaw.policy.actor import Actor
from jigsaw.protection.master_key import open_database

DatabaseOption = Annotated[str | None, typer.Option("--database", help="SQLAlchemy URL.")]
RequestOption = Annotated[int, typer.Option("--request", help="The request's id.", min=1)]

mais_app = typer.Typer(no_args_is_help=True, help="MAIS request objects.")
prov_app = typer.Typer(no_args_is_help=True, help="W3C PROV-O trails.")


@mais_app.command("export")
def export_mais(request: RequestOption, database: DatabaseOption = None) -> None:
    """Print a request as a MAIS request object (JSON), as the data controller."""
    settings = get_settings()
    db = open_database(settings, url=database)
    try:
        with db.unit_of_work() as work:
            shown = mais.export_request(work, Actor.system(), request, system=settings.mais_system)
    finally:
        db.dispose()
    typer.echo(json.dumps(shown, indent=2, ensure_ascii=False))


@mais_app.command("import")
def import_mais(
    file: Annotated[Path, typer.Argument(help="A MAIS request object (JSON).")],
    account: Annotated[
        int,
        typer.Option(
            "--as", help="The id of the asking agency's service account the import acts as."
        ),
    ],
    database: DatabaseOption = None,
) -> None:
    """Make the request a MAIS request object describes, once; print its id."""
    try:
        value = mais.read(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as unread:
        raise InvalidInput.one(str(file), f"Cannot read it as JSON ({unread})") from None
    settings = get_settings()
    db = open_database(settings, url=database)
    try:
        actor = mais.service_account(db, account)
        imported = mais.import_request(
            db,
            actor,
            value,
            load_profile(settings.deadline_profile),
            system=settings.mais_system,
        )
    finally:
        db.dispose()
    said = "Imported as" if imported.created else "Already imported as"
    typer.echo(f"{said} request {imported.request_id}")


@prov_app.command("export")
def export_prov(request: RequestOption, database: DatabaseOption = None) -> None:
    """Print a request's life as W3C PROV-O in JSON-LD, as the data controller."""
    settings = get_settings()
    db = open_database(settings, url=database)
    try:
        with db.unit_of_work() as work:
            document = prov.export_provenance(
                work, Actor.system(), request, system=settings.mais_system
            )
    finally:
        db.dispose()
    typer.echo(json.dumps(document, indent=2))
