"""``jigsaw protection``: make a master key.

Moving everything sealed to a new one (``rewrap``) touches accounts' second-factor
secrets as well as data keys, so that command lives in ``identity.cli`` and
``jigsaw.cli`` adds it here.
"""

from __future__ import annotations

import typer

from jigsaw.protection.master_key import new_key_text

app = typer.Typer(no_args_is_help=True, help="Encryption at rest: master and data keys.")


@app.command()
def keygen() -> None:
    """Print a new master key (set it as JIGSAW_MASTER_KEY, or put it in a key file)."""
    typer.echo(new_key_text())
