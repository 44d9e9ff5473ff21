"""``jigsaw agreements check FILE``: check a document before anyone registers it.

Needs no database: a partnership's information governance lead can check a draft
against the schema and Jigsaw's purposes and item types as they write it. Agency ids
are checked when the document is registered, against the agencies that exist.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from jigsaw.agreements.models import TIER_LABELS, Tier
from jigsaw.agreements.terms import AgreementInvalid, check_document, parse_document

app = typer.Typer(no_args_is_help=True, help="Data sharing agreements.")


@app.command("check")
def check(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="A .json agreement.")],
) -> None:
    """Say whether FILE is an agreement Jigsaw can hold, one line per problem if not."""
    try:
        terms = check_document(parse_document(file.read_bytes()))
    except AgreementInvalid as error:
        for line in error.lines():
            typer.echo(line, err=True)
        raise typer.Exit(1) from None
    typer.echo(f"{file.name}: {terms.title} ({TIER_LABELS[Tier(terms.tier)]}) can be registered")
