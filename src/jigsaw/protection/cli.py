"""``jigsaw protection``: make a master key, and move data keys to a new one."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from jigsaw.access.actor import Actor
from jigsaw.config import get_settings
from jigsaw.db import Database
from jigsaw.protection import service
from jigsaw.protection.keys import new_key_text

app = typer.Typer(no_args_is_help=True, help="Encryption at rest: master and data keys.")
console = Console(stderr=True)

DatabaseOption = Annotated[str | None, typer.Option("--database", help="SQLAlchemy URL.")]


@app.command()
def keygen() -> None:
    """Print a new master key (set it as JIGSAW_MASTER_KEY, or put it in a key file)."""
    typer.echo(new_key_text())


@app.command()
def rewrap(database: DatabaseOption = None) -> None:
    """After a rotation: re-wrap every data key under the current master key."""
    db = Database(database or get_settings().database_url)
    try:
        moved = service.rewrap(db, Actor.system())
    finally:
        db.dispose()
    console.print(f"Re-wrapped {moved:,} data keys under the current master key.")
