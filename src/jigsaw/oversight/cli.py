"""``jigsaw register``: the disclosure register for a person, for a subject access request."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from jigsaw.oversight.register import build_register, register_csv
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
