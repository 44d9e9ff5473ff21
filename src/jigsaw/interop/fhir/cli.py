"""``jigsaw fhir``: a person's records out as a FHIR Bundle, and flag bundles in.

Both act as the data controller (the system). An export is written whole or not at
all, in the unit of work that audits it, so a failure to write leaves no entry for an
export that never happened.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from jigsaw.errors import InvalidInput
from jigsaw.interop.fhir import service
from jigsaw.interop.fhir.service import What
from jigsaw.policy.actor import Actor
from jigsaw.protection.master_key import open_database

app = typer.Typer(
    no_args_is_help=True, help="FHIR R4 bundles: export a person's records, import flags."
)

DatabaseOption = Annotated[str | None, typer.Option("--database", help="SQLAlchemy URL.")]


@app.command("export")
def export_command(
    person: Annotated[int, typer.Option("--person", help="Person index id.")],
    what: Annotated[What, typer.Option("--what", help="register, consent, person or flags")],
    out: Annotated[
        Path | None,
        typer.Option("--out", help="File to write; the bundle is printed if not given."),
    ] = None,
    database: DatabaseOption = None,
) -> None:
    """Write one kind of record about a person as a FHIR R4 Bundle (JSON)."""
    db = open_database(url=database)
    try:
        with db.unit_of_work() as work:
            text = service.export_bundle(work, Actor.system(), person, what).model_dump_json(
                indent=2
            )
            if out is None:
                typer.echo(text)
            else:
                _write(out, text.encode("utf-8"))
    finally:
        db.dispose()
    if out is not None:
        typer.echo(str(out))


@app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help="A FHIR Bundle of Flags (JSON).")],
    agency: Annotated[int, typer.Option("--agency", help="The agency receiving the flags.")],
    database: DatabaseOption = None,
) -> None:
    """Record the child protection flags in a FHIR Bundle as received by an agency: all
    of them, or (on any problem) none."""
    try:
        content = file.read_bytes()
    except OSError as error:
        raise InvalidInput.one("FILE", f"Cannot read {file} ({error.strerror})") from None
    db = open_database(url=database)
    try:
        done = service.receive_flags(db, Actor.system(), content, agency)
    finally:
        db.dispose()
    typer.echo(f"{len(done.received_flag_ids)} flags received, {done.already_held} already held.")


def _write(path: Path, content: bytes) -> None:
    """Written whole or not at all: a reader never finds half a bundle."""
    partial = path.with_name(path.name + ".partial")
    try:
        partial.write_bytes(content)
        os.replace(partial, path)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise InvalidInput.one("--out", f"Cannot write {path} ({error.strerror})") from None
