"""``jigsaw accounts``: the data controller adds agencies and accounts from the command line.

This is how a new deployment gets its first service administrator (who then adds
agencies and their administrators on the API), and how an operator provisions an
account without anyone choosing its password: each account is printed with its
one-time enrolment code, which its holder uses on the "Set a new password" page.
"""

from __future__ import annotations

from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console

from jigsaw.agencies import service
from jigsaw.agencies.schemas import AgencyIn, PractitionerIn
from jigsaw.db import Database
from jigsaw.errors import Conflict, InvalidInput, NotPermitted
from jigsaw.policy.actor import Actor
from jigsaw.policy.roles import AgencyKind, Role
from jigsaw.protection.master_key import open_database

app = typer.Typer(no_args_is_help=True, help="Agencies and accounts, as the data controller.")
console = Console()

DatabaseOption = Annotated[str | None, typer.Option("--database", help="SQLAlchemy URL.")]


def _db(database: str | None) -> Database:
    return open_database(url=database)


@app.command("add-agency")
def add_agency(
    name: Annotated[str, typer.Argument(help="The agency's name, as practitioners know it.")],
    kind: Annotated[AgencyKind, typer.Option(help="What kind of agency it is.")],
    database: DatabaseOption = None,
) -> None:
    """Add an agency and print its id."""
    try:
        with _db(database).unit_of_work() as work:
            made = service.create_agency(work, Actor.system(), AgencyIn(name=name, kind=kind))
    except (Conflict, InvalidInput) as refused:
        console.print(f"[red]{refused}[/red]")
        raise typer.Exit(1) from None
    console.print(f"Agency {made.id}: {made.name} ({made.kind.value})")


@app.command("add")
def add_account(
    email: Annotated[str, typer.Argument(help="The person's work email address.")],
    name: Annotated[str, typer.Option(help="Their full name.")],
    agency: Annotated[int, typer.Option(help="The id of their agency.")],
    role: Annotated[Role, typer.Option(help="Their role, e.g. platform_admin or admin.")],
    job_title: Annotated[str, typer.Option(help="Their job title.")] = "",
    database: DatabaseOption = None,
) -> None:
    """Add a person's account and print its one-time enrolment code (shown only now)."""
    try:
        details = PractitionerIn.model_validate(
            {
                "agency_id": agency,
                "name": name,
                "email": email,
                "role": role,
                "job_title": job_title,
            }
        )
        with _db(database).unit_of_work() as work:
            made = service.create_practitioner(work, Actor.system(), details)
    except ValidationError as invalid:
        for problem in invalid.errors():
            console.print(f"[red]{'.'.join(map(str, problem['loc']))}: {problem['msg']}[/red]")
        raise typer.Exit(1) from None
    except (Conflict, InvalidInput, NotPermitted) as refused:
        console.print(f"[red]{refused}[/red]")
        raise typer.Exit(1) from None
    console.print(f"Account {made.id}: {made.email} ({made.role.value}) in agency {made.agency_id}")
    console.print(
        f"Enrolment code: {made.enrolment_code} (single use, until "
        f"{made.enrolment_code_expires_at:%d %B %Y %H:%M} UTC). Give it to them in person "
        "or by phone; they set their password with it, then set up an authenticator."
    )
