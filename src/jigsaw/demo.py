"""The demo: a fresh SQLite database of synthetic people and a handful of accounts.

The demo database is always its own file, rebuilt on each run, so the demo can never
touch a database configured for real use.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select

from jigsaw import migrate
from jigsaw.access.actor import Actor
from jigsaw.agencies import service as agencies
from jigsaw.agencies.models import Agency
from jigsaw.agencies.roles import AgencyKind, Role
from jigsaw.agencies.schemas import PractitionerIn
from jigsaw.db import Database
from jigsaw.people.models import AgencyRecord, PersonRole

DEMO_DATABASE = Path("var") / "demo.db"
DEMO_PASSWORD = "jigsaw-demo-2026"  # noqa: S105 (synthetic data only, printed to the user)


@dataclass(frozen=True)
class DemoAccount:
    kind: AgencyKind
    role: Role
    name: str
    email: str
    job_title: str


DEMO_ACCOUNTS = (
    DemoAccount(
        AgencyKind.SCHOOL, Role.DSL, "Sam Okafor", "dsl@school.demo", "Designated safeguarding lead"
    ),
    DemoAccount(
        AgencyKind.HEALTH, Role.PRACTITIONER, "Priya Shah", "hv@health.demo", "Health visitor"
    ),
    DemoAccount(
        AgencyKind.POLICE, Role.PRACTITIONER, "Tom Reid", "officer@police.demo", "Police constable"
    ),
    DemoAccount(
        AgencyKind.SOCIAL_CARE, Role.MASH, "Grace Mensah", "mash@council.demo", "MASH social worker"
    ),
    DemoAccount(
        AgencyKind.SOCIAL_CARE,
        Role.DPO,
        "Alex Turner",
        "dpo@council.demo",
        "Data protection officer",
    ),
)


def demo_database_url() -> str:
    return f"sqlite:///{DEMO_DATABASE}"


def _busiest_agency(db: Database, kind: AgencyKind) -> Agency:
    """The agency of a kind that knows the most children, so the demo has things to show."""
    with db.sessions() as session:
        query = (
            select(Agency)
            .join(AgencyRecord, AgencyRecord.agency_id == Agency.id)
            .where(Agency.kind == kind, AgencyRecord.role == PersonRole.CHILD)
            .group_by(Agency.id)
            .order_by(func.count(AgencyRecord.id).desc(), Agency.id)
            .limit(1)
        )
        agency = session.scalar(query)
        if agency is None:
            raise RuntimeError(f"The synthetic population has no {kind.value} agency")
        return agency


def build_demo(children: int, seed: int, console: Console) -> Table:
    """Rebuild the demo database and return a table of the accounts to sign in with."""
    from jigsaw.synthetic.service import generate_population

    for suffix in ("", "-wal", "-shm"):
        Path(f"{DEMO_DATABASE}{suffix}").unlink(missing_ok=True)
    url = demo_database_url()
    migrate.upgrade(url)
    db = Database(url)
    try:
        console.print(f"Generating {children} synthetic children (seed {seed})…")
        console.print(generate_population(db, children=children, seed=seed).describe())
        table = Table(title=f"Demo accounts (password for all: {DEMO_PASSWORD})")
        for column in ("Email", "Name", "Role", "Agency"):
            table.add_column(column)
        for account in DEMO_ACCOUNTS:
            agency = _busiest_agency(db, account.kind)
            agencies.create_practitioner(
                db,
                Actor.system(),
                PractitionerIn(
                    agency_id=agency.id,
                    name=account.name,
                    email=account.email,
                    role=account.role,
                    job_title=account.job_title,
                    password=DEMO_PASSWORD,
                ),
            )
            table.add_row(account.email, account.name, account.job_title, agency.name)
        return table
    finally:
        db.dispose()
