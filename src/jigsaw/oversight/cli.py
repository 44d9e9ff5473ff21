"""``jigsaw register``: the disclosure register for a person, for a subject access request;
``jigsaw sar``: the same register for one person written out as a CSV and a PDF."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from jigsaw.errors import InvalidInput
from jigsaw.oversight.register import build_register, register_csv
from jigsaw.oversight.subject_access import subject_access_export
from jigsaw.policy.actor import Actor
from jigsaw.protection.master_key import open_database

DatabaseOption = Annotated[str | None, typer.Option("--database", help="SQLAlchemy URL.")]


def register_command(
    person: Annotated[int | None, typer.Option("--person", help="Person index id.")] = None,
    record: Annotated[int | None, typer.Option("--record", help="One agency record id.")] = None,
    output_format: Annotated[str, typer.Option("--format", help="json or csv")] = "json",
    database: DatabaseOption = None,
) -> None:
    """Print the disclosure register for a person: what was shared, with whom, why."""
    if (person is None) == (record is None):
        raise typer.BadParameter("Give either --person or --record")
    if output_format not in ("json", "csv"):
        raise typer.BadParameter("--format is json or csv")
    built = build_register(
        open_database(url=database),
        Actor.system(),
        person_id=person,
        record_id=record,
    )
    if output_format == "csv":
        typer.echo(register_csv(built), nl=False)
    else:
        typer.echo(json.dumps(built.model_dump(mode="json"), indent=2))


def sar_command(
    person: Annotated[int, typer.Option("--person", help="Person index id.")],
    out: Annotated[Path, typer.Option("--out", help="Folder to write the CSV and PDF into.")],
    database: DatabaseOption = None,
) -> None:
    """Write the disclosure register for one person (all their linked agency records) as a
    CSV and a PDF, for a subject access response; acts as the data controller."""
    folder = _writable(out)
    db = open_database(url=database)
    written: list[Path] = []
    try:
        # One unit of work: the files are written before it commits, so a failure to
        # write leaves no audit entry for an export that never happened.
        with db.unit_of_work() as work:
            export = subject_access_export(work, Actor.system(), person)
            stem = f"subject-access-person-{person}"
            written.append(_write(folder / f"{stem}.csv", export.csv.encode("utf-8")))
            written.append(_write(folder / f"{stem}.pdf", export.pdf))
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    finally:
        db.dispose()
    entries = len(export.register.entries) + len(export.standalone)
    for path in written:
        typer.echo(str(path))
    typer.echo(
        f"{entries} entries for person {person}, in agency records "
        f"{', '.join(map(str, export.register.agency_record_ids))}."
    )


def _writable(out: Path) -> Path:
    """The folder, made if need be, once it is known a file can be written there: said
    on one line before anything is read, rather than after the export is audited."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise InvalidInput.one(
            "--out", f"Cannot write to {out} ({reason}): give a folder you may write to"
        ) from None
    return out


def _write(path: Path, content: bytes) -> Path:
    """Written whole or not at all: a reader never finds half a document."""
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(content)
    os.replace(partial, path)
    return path
