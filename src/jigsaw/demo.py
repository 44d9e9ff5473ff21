"""The demo: a fresh SQLite database of synthetic people and a handful of accounts.

The demo database is always its own file, rebuilt on each run, so the demo can never
touch a database configured for real use.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from rich.console import Console, Group, RenderableType
from rich.table import Table
from sqlalchemy import func, select

from jigsaw import migrate
from jigsaw.agencies import service as agencies
from jigsaw.agencies.schemas import PractitionerIn
from jigsaw.agreements import service as agreements
from jigsaw.agreements.models import Tier
from jigsaw.agreements.terms import demo_documents
from jigsaw.clock import utcnow
from jigsaw.config import Settings, forget_demo_keys
from jigsaw.db import Database
from jigsaw.identity import service as access
from jigsaw.identity import totp
from jigsaw.identity.models import Agency
from jigsaw.people.models import AgencyRecord, PersonRole
from jigsaw.policy.actor import Actor
from jigsaw.policy.roles import AgencyKind, Role
from jigsaw.protection.master_key import open_database
from jigsaw.scheduling import service as scheduling
from jigsaw.scheduling.jobs import scheduled_jobs

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
    DemoAccount(
        AgencyKind.SOCIAL_CARE,
        Role.LINKAGE_REVIEWER,
        "Jordan Blake",
        "linkage@council.demo",
        "Data quality officer (linkage reviewer)",
    ),
)


def demo_database_url() -> str:
    return f"sqlite:///{DEMO_DATABASE}"


def demo_totp_secret(email: str, demo_key: str) -> str:
    """A demo account's authenticator key, derived from the demo database's own key.

    The password is printed and sits in this source, so the second factor is what
    keeps a reachable demo to those it was shown to: the key is keyed by the
    database's random secret (``var/demo.secret``), new with each rebuild, and
    printed by ``jigsaw demo`` and ``jigsaw demo-code``, never stored in code.
    """
    label = f"jigsaw-demo-authenticator:{email}".encode()
    digest = hmac.new(demo_key.encode(), label, hashlib.sha256).digest()
    return base64.b32encode(digest[:20]).decode()


def demo_key() -> str:
    """The demo database's own secret; only once ``jigsaw demo`` has built it."""
    if not DEMO_DATABASE.exists():
        raise FileNotFoundError(f"There is no demo database ({DEMO_DATABASE}): run `jigsaw demo`")
    return Settings(demo_mode=True, database_url=demo_database_url()).secret_key


def _busiest_agency(db: Database, kind: AgencyKind) -> Agency:
    """The agency of a kind that knows the most children, so the demo has things to show."""
    with db.reading() as session:
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


def _load_agreements(
    db: Database, dpo: Actor, named: Callable[[AgencyKind], int], console: Console
) -> None:
    """Register and approve the shipped agreements as the council's DPO. A bespoke
    (tier 3) agreement names its agencies: the file says which kinds, and ``named``
    gives the demo's agency of each kind to name in its place."""
    for document in demo_documents():
        if document["tier"] == Tier.BESPOKE:
            for side in ("provider", "recipient"):
                document[side] = [
                    {"agency_id": named(AgencyKind(p["agency_kind"]))} if "agency_kind" in p else p
                    for p in document[side]
                ]
        made = agreements.create(db, dpo, document)
        agreements.approve(db, dpo, made.id, "Signed by every party")
        console.print(f"  Agreement in force: {made.title}")


def start_afresh() -> None:
    """Delete the demo database and its keys, so the next settings make new ones.

    A rebuilt demo never reuses a session key or master key: a cookie from an earlier
    demo, or one forged with an old key, signs nobody in.
    """
    for suffix in ("", "-wal", "-shm"):
        Path(f"{DEMO_DATABASE}{suffix}").unlink(missing_ok=True)
    forget_demo_keys(demo_database_url())


def _bring_up_to_date(
    db: Database, settings: Settings, console: Console, actors: dict[str, Actor]
) -> None:
    """Link the records, do a day's work between the accounts, then run every scheduled
    job once, as a deployment's linkage run and worker would have by now: every page
    then shows what it would in use (children in the person index, requests and a share
    with their notices, retention applied, reminders sent, the log checkpointed)."""
    from jigsaw.linkage.batch import run_linkage
    from jigsaw.synthetic import activity

    console.print("Linking every agency record into the person index…")
    console.print(run_linkage(db, progress=True, console=console).describe())
    cast = activity.Cast(
        school_lead=actors["dsl@school.demo"],
        health_visitor=actors["hv@health.demo"],
        mash_worker=actors["mash@council.demo"],
        police_officer=actors["officer@police.demo"],
    )
    now = db.clock.now()
    child = activity.shared_child(db, cast, now.date())
    if child is None:
        console.print("No child is known to the school, health and the MASH: no requests made.")
    else:
        for done in activity.a_days_work(db, cast, child, now):
            console.print(f"  {done}")
    console.print("Running the scheduled jobs once…")
    scheduling.run_due(
        db,
        Actor.system(),
        scheduled_jobs(settings),
        holder=scheduling.worker_name(),
        lease_length=timedelta(minutes=settings.worker_lease_minutes),
        force=True,
        report=lambda run: console.print(f"  {run.describe()}"),
    )


def build_demo(children: int, seed: int, console: Console) -> RenderableType:
    """Rebuild the demo database and return tables of the accounts to sign in with.

    Every account has a second factor already set up with a known key (printed
    here), since the service shows nothing about children without one.
    """
    from jigsaw.synthetic.service import generate_population

    for suffix in ("", "-wal", "-shm"):
        Path(f"{DEMO_DATABASE}{suffix}").unlink(missing_ok=True)
    url = demo_database_url()
    migrate.upgrade(url)
    # The same settings the demo server starts with, so it can read the keys.
    settings = Settings(demo_mode=True, database_url=url)
    db = open_database(settings)
    try:
        console.print(f"Generating {children} synthetic children (seed {seed})…")
        console.print(generate_population(db, children=children, seed=seed).describe())
        config = access.AccountConfig.from_settings(settings)
        people = Table(title=f"Demo accounts (password for all: {DEMO_PASSWORD})")
        for column in ("Email", "Name", "Role", "Agency"):
            people.add_column(column, no_wrap=column == "Email")
        codes = Table(
            title="Their authenticator keys",
            caption=(
                "Signing in also asks for a 6-digit code: add a key to an authenticator "
                "app as a time-based code, or run `.venv/bin/jigsaw demo-code EMAIL` for "
                "the current code (it changes every 30 seconds)."
            ),
        )
        for column in ("Email", "Authenticator key", "Code now"):
            codes.add_column(column, no_wrap=True)
        step = totp.step_at(utcnow())
        actors: dict[str, Actor] = {}
        for account in DEMO_ACCOUNTS:
            agency = _busiest_agency(db, account.kind)
            practitioner = agencies.create_practitioner(
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
            actors[account.email] = Actor(
                practitioner.id, agency.id, account.role, mfa_verified=True
            )
            secret = demo_totp_secret(account.email, settings.secret_key)
            access.set_second_factor(db, Actor.system(), config, practitioner.id, secret)
            people.add_row(account.email, account.name, account.job_title, agency.name)
            codes.add_row(account.email, totp.grouped(secret), totp.code_for_step(secret, step))
        console.print("Registering the partnership's data sharing agreements…")
        _load_agreements(
            db,
            actors["dpo@council.demo"],
            lambda kind: _busiest_agency(db, kind).id,
            console,
        )
        _bring_up_to_date(db, settings, console, actors)
        return Group(people, codes)
    finally:
        db.dispose()
