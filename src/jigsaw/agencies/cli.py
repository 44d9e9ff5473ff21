"""``jigsaw admin``: the data controller sets up agencies, accounts and service tokens.

This is how a new deployment gets its first agency, its first administrators and the
tokens other systems use, on an empty database and without the demo, and how an
operator provisions an account without anyone choosing its password: each new account
is printed with its one-time enrolment code, which its holder uses on the "Set a new
password" page (or ``POST /api/password-reset``), then sets up an authenticator.

Every command acts as the system (the data controller, policy rule S1) through the same
services as the web administration, so the same rules, audit entries and notices to
the agency's accountable person apply; each is one unit of work. A refusal is a known
error, printed on one line by the ``jigsaw`` command itself. ``jigsaw accounts
add-agency`` and ``jigsaw accounts add`` are the older names of ``jigsaw admin agency
add`` and ``jigsaw admin practitioner add``, kept so existing scripts work.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any, TypeVar

import typer
from pydantic import BaseModel, ValidationError

from jigsaw.agencies import service
from jigsaw.agencies.schemas import (
    AgencyIn,
    NewPractitionerOut,
    PractitionerChange,
    PractitionerIn,
    ServiceAccountIn,
)
from jigsaw.db import UnitOfWork
from jigsaw.errors import FieldProblem, InvalidInput
from jigsaw.identity import tokens
from jigsaw.identity.schemas import AgencyOut
from jigsaw.policy.actor import Actor
from jigsaw.policy.roles import AgencyKind, Role
from jigsaw.protection.master_key import open_database

M = TypeVar("M", bound=BaseModel)

app = typer.Typer(
    no_args_is_help=True,
    help="Agencies and accounts, as the data controller (older names of `jigsaw admin`).",
)
admin = typer.Typer(
    no_args_is_help=True,
    help="A deployment's agencies, accounts and service tokens, as the data controller.",
)
agency_app = typer.Typer(no_args_is_help=True, help="Agencies.")
practitioner_app = typer.Typer(no_args_is_help=True, help="People's accounts.")
token_app = typer.Typer(no_args_is_help=True, help="API tokens for other systems.")
admin.add_typer(agency_app, name="agency")
admin.add_typer(practitioner_app, name="practitioner")
admin.add_typer(token_app, name="token")

DatabaseOption = Annotated[str | None, typer.Option("--database", help="SQLAlchemy URL.")]
AgencyOption = Annotated[int, typer.Option("--agency", help="The agency's id.")]


@contextmanager
def _work(database: str | None) -> Iterator[UnitOfWork]:
    """One unit of work for one command: committed when it ends, rolled back on error."""
    db = open_database(url=database)
    try:
        with db.unit_of_work() as work:
            yield work
    finally:
        db.dispose()


def _valid(model: type[M], data: dict[str, Any]) -> M:
    """Input typed on the command line, checked as the API checks it; a mistake is bad
    input like any other, named by field."""
    try:
        return model.model_validate(data)
    except ValidationError as invalid:
        raise InvalidInput(
            *(
                FieldProblem(".".join(map(str, p["loc"])), p["msg"].removeprefix("Value error, "))
                for p in invalid.errors()
            )
        ) from None


def _print_agency(made: AgencyOut) -> None:
    typer.echo(f"Agency {made.id}: {made.name} ({made.kind.value})")


def _print_new_account(made: NewPractitionerOut) -> None:
    typer.echo(f"Account {made.id}: {made.email} ({made.role.value}) in agency {made.agency_id}")
    if made.enrolment_code and made.enrolment_code_expires_at:
        typer.echo(
            f"Enrolment code: {made.enrolment_code} (single use, until "
            f"{made.enrolment_code_expires_at:%d %B %Y %H:%M} UTC). Give it to them in person "
            "or by phone; they set their password with it, then set up an authenticator."
        )


@agency_app.command("add")
def agency_add(
    name: Annotated[
        str, typer.Option("--name", help="The agency's name, as practitioners know it.")
    ],
    kind: Annotated[AgencyKind, typer.Option("--kind", help="What kind of agency it is.")],
    database: DatabaseOption = None,
) -> None:
    """Add an agency and print its id."""
    with _work(database) as work:
        made = service.create_agency(
            work, Actor.system(), _valid(AgencyIn, {"name": name, "kind": kind})
        )
    _print_agency(made)


@agency_app.command("list")
def agency_list(database: DatabaseOption = None) -> None:
    """Every agency: id, kind and name."""
    with _work(database) as work:
        agencies = service.list_agencies(work)
    for agency in sorted(agencies, key=lambda a: a.id):
        typer.echo(f"{agency.id:>6}  {agency.kind.value:<16}  {agency.name}")
    if not agencies:
        typer.echo("No agencies yet: add one with `jigsaw admin agency add`.")


@practitioner_app.command("add")
def practitioner_add(
    agency: AgencyOption,
    name: Annotated[str, typer.Option("--name", help="Their full name.")],
    email: Annotated[str, typer.Option("--email", help="Their work email address.")],
    role: Annotated[Role, typer.Option("--role", help="Their role, e.g. admin or dsl.")],
    job_title: Annotated[str, typer.Option("--job-title", help="Their job title.")] = "",
    database: DatabaseOption = None,
) -> None:
    """Add a person's account and print its one-time enrolment code (shown only now)."""
    details = _valid(
        PractitionerIn,
        {"agency_id": agency, "name": name, "email": email, "role": role, "job_title": job_title},
    )
    with _work(database) as work:
        made = service.create_practitioner(work, Actor.system(), details)
    _print_new_account(made)


@practitioner_app.command("deactivate")
def practitioner_deactivate(
    practitioner: Annotated[int, typer.Argument(help="The account's id (see `list`).")],
    database: DatabaseOption = None,
) -> None:
    """Disable an account: its sessions end and its API tokens stop working at once."""
    with _work(database) as work:
        changed = service.change_practitioner(
            work, Actor.system(), practitioner, PractitionerChange(active=False)
        )
    typer.echo(
        f"Account {changed.id}: {changed.email} is disabled; its sessions and tokens no "
        "longer work."
    )


@practitioner_app.command("list")
def practitioner_list(
    agency: Annotated[int | None, typer.Option("--agency", help="Only this agency's.")] = None,
    database: DatabaseOption = None,
) -> None:
    """Accounts (people's and service accounts): id, agency, role, state, email, name."""
    with _work(database) as work:
        accounts = service.list_practitioners(work, Actor.system(), agency)
    for account in accounts:
        state = "active" if account.active else "disabled"
        kind = "service" if account.service_account else "person"
        typer.echo(
            f"{account.id:>6}  agency {account.agency_id:<5} {account.role.value:<16} "
            f"{state:<8}  {kind:<7}  {account.email}  {account.name}"
        )
    if not accounts:
        typer.echo("No accounts yet: add one with `jigsaw admin practitioner add`.")


@token_app.command("create")
def token_create(
    agency: AgencyOption,
    name: Annotated[str, typer.Option("--name", help="What the token is for, e.g. the system.")],
    scope: Annotated[
        list[tokens.Scope],
        typer.Option("--scope", help="What it may do; repeat for more than one."),
    ],
    service_account: Annotated[
        int | None,
        typer.Option(
            "--service-account",
            help="An existing service account of the agency; without it, a new one is "
            "added, called NAME.",
        ),
    ] = None,
    days: Annotated[
        int, typer.Option("--days", min=1, max=tokens.MAX_DAYS, help="Days until it expires.")
    ] = 90,
    database: DatabaseOption = None,
) -> None:
    """Issue an API token for a service account of one agency, and print it (shown only now).

    A service account of another agency is refused: a token acts in one agency only."""
    system = Actor.system()
    added = None
    with _work(database) as work:
        if service_account is None:
            added = service.create_service_account(
                work, system, _valid(ServiceAccountIn, {"name": name, "agency_id": agency})
            )
            service_account = added.id
        details = _valid(
            tokens.TokenIn,
            {
                "practitioner_id": service_account,
                "name": name,
                "scopes": scope,
                "expires_in_days": days,
            },
        )
        made = tokens.create_token(work, system, details, agency_id=agency)
    if added is not None:
        typer.echo(f"Service account {added.id}: {added.name} in agency {added.agency_id}")
    typer.echo(
        f"Token {made.id} for service account {made.practitioner_id} "
        f"({' '.join(made.scopes)}), until {made.expires_at:%d %B %Y}. Keep it in the "
        "other system's secret store: it is shown only now."
    )
    typer.echo(made.token)


@app.command("add-agency")
def add_agency(
    name: Annotated[str, typer.Argument(help="The agency's name, as practitioners know it.")],
    kind: Annotated[AgencyKind, typer.Option(help="What kind of agency it is.")],
    database: DatabaseOption = None,
) -> None:
    """Add an agency and print its id (the same as `jigsaw admin agency add`)."""
    agency_add(name=name, kind=kind, database=database)


@app.command("add")
def add_account(
    email: Annotated[str, typer.Argument(help="The person's work email address.")],
    name: Annotated[str, typer.Option(help="Their full name.")],
    agency: Annotated[int, typer.Option(help="The id of their agency.")],
    role: Annotated[Role, typer.Option(help="Their role, e.g. platform_admin or admin.")],
    job_title: Annotated[str, typer.Option(help="Their job title.")] = "",
    database: DatabaseOption = None,
) -> None:
    """Add a person's account and print its enrolment code (as `jigsaw admin practitioner add`)."""
    practitioner_add(
        agency=agency, name=name, email=email, role=role, job_title=job_title, database=database
    )
