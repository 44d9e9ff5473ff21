"""``jigsaw decisions``: a child's decisions and disclosures, for the record."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from jigsaw.policy.actor import Actor
from jigsaw.protection.master_key import open_database
from jigsaw.sharing.export import export_decisions

app = typer.Typer(no_args_is_help=True, help="Sharing decisions and disclosures.")


@app.command("export")
def export(
    child: Annotated[int, typer.Option("--child", help="The child's agency record id.")],
    database: Annotated[str | None, typer.Option("--database")] = None,
) -> None:
    """Print every decision about a child, with its disclosures, as JSON."""
    db = open_database(url=database)
    try:
        with db.unit_of_work() as work:
            exported = export_decisions(work, Actor.system(), child)
    finally:
        db.dispose()
    typer.echo(json.dumps(exported, indent=2))
