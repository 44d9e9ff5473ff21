"""Generating a synthetic population into a database, in bounded memory.

Households are generated one at a time and written in batches, each batch one
transaction of bulk INSERTs plus one audit entry, so a run of a million children
holds no more than one batch in memory and a failure loses at most one batch.

Ids are assigned here rather than by the database: at the start of each batch the
current ``max(id)`` of each table is read and rows are numbered from there. That is
fast on both SQLite and PostgreSQL (no RETURNING round trips) and lets items point
at records before either is written. It assumes one generation at a time and no
other writers to these tables while a batch is being written; on PostgreSQL the
id sequences are moved past the new rows so ordinary inserts keep working.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date
from functools import cache

from faker import Faker
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from sqlalchemy import Table, func, insert, inspect, select, text
from sqlalchemy.orm import DeclarativeBase, Session

from jigsaw.agencies import service as agencies_service
from jigsaw.agencies.schemas import AgencyIn, PractitionerIn
from jigsaw.audit import service as audit
from jigsaw.audit.actions import AuditAction
from jigsaw.db import Base, Database
from jigsaw.errors import Conflict, InvalidInput, JigsawError
from jigsaw.identity.models import Agency, Practitioner
from jigsaw.people.models import AgencyRecord, AgencyRecordIdentifier, Involvement, Relationship
from jigsaw.policy.actor import Actor
from jigsaw.records.models import InformationItem
from jigsaw.synthetic.catalogue import AGENCIES, AgencySpec
from jigsaw.synthetic.households import AS_OF, Household, households
from jigsaw.synthetic.models import SyntheticTruth, ensure_truth_table
from jigsaw.synthetic.rows import AgencyEntry, Directory, NextIds, Rows, StaffMember, add_household
from jigsaw.synthetic.sealing import seal_items

SYSTEM = Actor.system()
PRACTITIONER_PHONE_PREFIX = "01632 960"
"""Ofcom's range for drama: never a real number."""


@dataclass(frozen=True)
class GenerationSummary:
    agencies: int
    practitioners: int
    households: int
    children: int
    adults: int
    agency_records: int
    relationships: int
    involvements: int
    items: int
    seconds: float

    def describe(self) -> str:
        rate = self.children / self.seconds if self.seconds > 0 else 0.0
        return (
            f"Generated {self.children:,} children and {self.adults:,} adults in "
            f"{self.households:,} households, known to {self.agencies} agencies "
            f"({self.practitioners} practitioners):\n"
            f"  {self.agency_records:,} agency records, {self.relationships:,} relationships, "
            f"{self.involvements:,} involvements, {self.items:,} information items\n"
            f"  in {self.seconds:,.1f} s ({rate:,.0f} children/s)"
        )


def generate_population(
    db: Database,
    *,
    children: int,
    seed: int,
    batch_size: int = 500,
    progress: bool = True,
    as_of: date = AS_OF,
) -> GenerationSummary:
    """Generate ``children`` children with their families and everything agencies hold.

    The same seed and number of children always give the same rows in a fresh
    database, whatever the batch size. A seed already generated into this database
    is refused, because its local ids would clash.
    """
    if children < 1:
        raise InvalidInput.one("children", "Generate at least one child")
    if batch_size < 1:
        raise InvalidInput.one("batch_size", "A batch must hold at least one child")
    started = time.perf_counter()
    _require_schema(db)
    directory = ensure_directory(db)
    _refuse_repeat(db, seed)

    totals = Rows()
    counts = dict.fromkeys(("records", "relationships", "involvements", "items", "households"), 0)
    pending: list[Household] = []
    pending_children = 0
    batch_number = 0
    with _progress_bar(progress, children) as advance:
        for household in households(seed, children, as_of):
            pending.append(household)
            pending_children += len(household.children)
            if pending_children >= batch_size:
                batch_number += 1
                _write_batch(db, seed, batch_number, pending, directory, totals, counts)
                advance(pending_children)
                pending.clear()
                pending_children = 0
        if pending:
            batch_number += 1
            _write_batch(db, seed, batch_number, pending, directory, totals, counts)
            advance(pending_children)

    return GenerationSummary(
        agencies=len(directory),
        practitioners=sum(len(entry.staff) for entry in directory.values()),
        households=counts["households"],
        children=totals.children,
        adults=totals.adults,
        agency_records=counts["records"],
        relationships=counts["relationships"],
        involvements=counts["involvements"],
        items=counts["items"],
        seconds=round(time.perf_counter() - started, 2),
    )


def _table(model: type[DeclarativeBase]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


_ID_TABLES: tuple[tuple[str, type[Base]], ...] = (
    ("record", AgencyRecord),
    ("relationship", Relationship),
    ("involvement", Involvement),
    ("item", InformationItem),
)


def _next_ids(session: Session) -> NextIds:
    values = {
        name: (session.scalar(select(func.max(_table(model).c.id))) or 0) + 1
        for name, model in _ID_TABLES
    }
    return NextIds(**values)


def _write_batch(
    db: Database,
    seed: int,
    batch_number: int,
    batch: list[Household],
    directory: Directory,
    totals: Rows,
    counts: dict[str, int],
) -> None:
    rows = Rows()
    with db.transaction() as session:
        ids = _next_ids(session)
        first = replace(ids)
        first_record = ids.record
        for household in batch:
            add_household(household, directory, ids, rows)
        seal_items(session, seed, rows.items)
        for model, data in (
            (AgencyRecord, rows.records),
            (AgencyRecordIdentifier, rows.identifiers),
            (SyntheticTruth, rows.truth),
            (Relationship, rows.relationships),
            (Involvement, rows.involvements),
            (InformationItem, rows.items),
        ):
            if data:
                session.execute(insert(_table(model)), data)
        if db.engine.dialect.name == "postgresql":
            _advance_sequences(session, ids, first)
        audit.append(
            session,
            SYSTEM,
            AuditAction.POPULATION_IMPORTED,
            "population_batch",
            batch_number,
            refs={
                "first_record": first_record,
                "last_record": ids.record - 1,
                "records": len(rows.records),
                "items": len(rows.items),
                "seed": seed,
            },
        )
    counts["households"] += len(batch)
    counts["records"] += len(rows.records)
    counts["relationships"] += len(rows.relationships)
    counts["involvements"] += len(rows.involvements)
    counts["items"] += len(rows.items)
    totals.children += rows.children
    totals.adults += rows.adults


def _advance_sequences(session: Session, ids: NextIds, first: NextIds) -> None:
    """Explicit ids bypass PostgreSQL's sequences; move them on so later inserts don't clash."""
    for name, model in _ID_TABLES:
        last = getattr(ids, name) - 1
        if last >= getattr(first, name):
            session.execute(
                text("SELECT setval(pg_get_serial_sequence(:table, 'id'), :last)"),
                {"table": _table(model).name, "last": last},
            )


@contextmanager
def _progress_bar(enabled: bool, total: int) -> Iterator[Callable[[int], None]]:
    if not enabled:
        yield lambda _done: None
        return
    with Progress(
        TextColumn("Generating children"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
    ) as bar:
        task = bar.add_task("children", total=total)
        yield lambda done: bar.advance(task, done)


def _require_schema(db: Database) -> None:
    """The service's schema comes from the migrations; the truth, which is not part of
    it, is added here, to the databases that get a population and to no other."""
    if not inspect(db.engine).has_table(_table(AgencyRecord).name):
        raise JigsawError("This database has no schema: run `jigsaw db upgrade` first.")
    ensure_truth_table(db.engine)


def _refuse_repeat(db: Database, seed: int) -> None:
    with db.reading() as session:
        clash = session.scalar(
            select(SyntheticTruth.agency_record_id)
            .where(SyntheticTruth.household_key == f"{seed}:0")
            .limit(1)
        )
    if clash is not None:
        raise Conflict(
            f"A population with seed {seed} is already in this database; "
            "choose another seed or use a fresh database."
        )


@cache
def _staff_faker() -> Faker:
    return Faker("en_GB")


def _email_part(text_: str) -> str:
    return re.sub(r"[^a-z]", "", text_.lower())


def practitioner_identities(spec: AgencySpec, first_phone: int) -> list[tuple[str, str, str]]:
    """Name, email and phone for each post: fixed per agency, whatever the population seed."""
    fake = _staff_faker()
    identities: list[tuple[str, str, str]] = []
    used: set[str] = set()
    for i, _post in enumerate(spec.staff):
        fake.seed_instance(f"staff:{spec.code}:{i}")
        first, last = fake.first_name(), fake.last_name()
        local = f"{_email_part(first)}.{_email_part(last)}"
        while local in used:
            local = f"{local}{i}"
        used.add(local)
        phone = f"{PRACTITIONER_PHONE_PREFIX}{first_phone + i:03d}"
        identities.append((f"{first} {last}", f"{local}@{spec.domain}", phone))
    return identities


def ensure_directory(db: Database) -> dict[str, AgencyEntry]:
    """Create the catalogue's agencies and practitioners once; reuse any that exist."""
    with db.reading() as session:
        existing = {
            a.name: a.id
            for a in session.scalars(
                select(Agency).where(Agency.name.in_([s.name for s in AGENCIES]))
            )
        }
    directory: dict[str, AgencyEntry] = {}
    phone = 0
    for spec in AGENCIES:
        agency_id = existing.get(spec.name)
        if agency_id is None:
            agency_id = agencies_service.create_agency(
                db, SYSTEM, AgencyIn(name=spec.name, kind=spec.kind)
            ).id
        identities = practitioner_identities(spec, phone)
        phone += len(identities)
        directory[spec.code] = AgencyEntry(
            id=agency_id, spec=spec, staff=_ensure_staff(db, spec, agency_id, identities)
        )
    return directory


def _ensure_staff(
    db: Database, spec: AgencySpec, agency_id: int, identities: list[tuple[str, str, str]]
) -> tuple[StaffMember, ...]:
    with db.reading() as session:
        found: dict[str, Practitioner] = {
            p.email: p
            for p in session.scalars(
                select(Practitioner).where(Practitioner.email.in_([e for _, e, _ in identities]))
            )
        }
    staff: list[StaffMember] = []
    for post, (name, email, phone) in zip(spec.staff, identities, strict=True):
        existing = found.get(email)
        if existing is not None:
            staff.append(
                StaffMember(
                    existing.id,
                    existing.name,
                    existing.role,
                    existing.phone,
                    email,
                    post.involvement,
                )
            )
            continue
        created = agencies_service.create_practitioner(
            db,
            SYSTEM,
            PractitionerIn(
                agency_id=agency_id,
                name=name,
                email=email,
                role=post.role,
                job_title=post.job_title,
                phone=phone,
            ),
        )
        staff.append(StaffMember(created.id, name, post.role, phone, email, post.involvement))
    return tuple(staff)
