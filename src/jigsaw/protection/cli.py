"""``jigsaw protection``: make a master key, and move everything sealed to a new one."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from jigsaw.access.actor import Actor
from jigsaw.access.keys import AccountKeys
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
    """After a rotation: move every data key and second-factor secret to the current master key.

    Needs JIGSAW_SECRET_KEY as well as the current and retired master keys, since
    second-factor secrets are sealed under both. Safe to run again: what already
    moved is left alone. Remove the retired key only after a run that moved nothing.
    """
    settings = get_settings()
    settings.require_safe_secrets()
    db = Database(database or settings.database_url)
    try:
        moved = service.rewrap(db, Actor.system(), AccountKeys.from_secret(settings.secret_key))
    finally:
        db.dispose()
    console.print(
        f"Re-wrapped {moved.data_keys:,} data keys and re-sealed {moved.second_factors:,} "
        "second-factor secrets under the current master key."
    )
    if not any(moved):
        console.print("Nothing is left under a retired master key: it can be removed.")
