"""``jigsaw decisions``: a child's decisions and disclosures, for the record."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from jigsaw.access.actor import Actor
from jigsaw.config import get_settings
from jigsaw.db import Database
from jigsaw.sharing.export import export_decisions

app = typer.Typer(no_args_is_help=True, help="Sharing decisions and disclosures.")


@app.command("export")
def export(
    child: Annotated[int, typer.Option("--child", help="The child's agency record id.")],
    database: Annotated[str | None, typer.Option("--database")] = None,
) -> None:
    """Print every decision about a child, with its disclosures, as JSON."""
    db = Database(database or get_settings().database_url)
    typer.echo(json.dumps(export_decisions(db, Actor.system(), child), indent=2))
