"""``jigsaw protection rewrap``: after a master key rotation, move data keys and second factors.

It lives here rather than in ``protection.cli`` because it moves both what protection
holds (data keys) and what accounts hold (second-factor secrets), and protection
imports nothing from accounts. ``jigsaw.cli`` adds it to the ``protection`` commands.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from jigsaw.config import get_settings
from jigsaw.identity import rotation
from jigsaw.identity.account_keys import AccountKeys
from jigsaw.policy.actor import Actor
from jigsaw.protection.master_key import master_key_for, open_database

console = Console(stderr=True)

DatabaseOption = Annotated[str | None, typer.Option("--database", help="SQLAlchemy URL.")]


def rewrap_command(database: DatabaseOption = None) -> None:
    """After a rotation: move every data key and second-factor secret to the current master key.

    Needs JIGSAW_SECRET_KEY as well as the current and retired master keys, since
    second-factor secrets are sealed under both. Safe to run again: what already
    moved is left alone. Remove the retired key only after a run that moved nothing.
    """
    settings = get_settings()
    settings.require_safe_secrets()
    db = open_database(settings, database)
    master = master_key_for(settings)
    try:
        moved = rotation.rewrap(
            db, Actor.system(), AccountKeys.from_secret(settings.secret_key, master)
        )
    finally:
        db.dispose()
    console.print(
        f"Re-wrapped {moved.data_keys:,} data keys and re-sealed {moved.second_factors:,} "
        "second-factor secrets under the current master key."
    )
    if not any(moved):
        console.print("Nothing is left under a retired master key: it can be removed.")
