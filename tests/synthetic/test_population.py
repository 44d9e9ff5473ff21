"""The synthetic population: deterministic per seed, believable, and honest about its noise.

Each test generates into a database of its own (a temporary SQLite file, or a
dedicated PostgreSQL database when ``JIGSAW_DATABASE_URL`` points at one), because
determinism can only be checked against fresh ids.
"""

from __future__ import annotations

import itertools
import os
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from jigsaw import migrate
from jigsaw.audit.actions import AuditAction
from jigsaw.audit.models import AuditEntry
from jigsaw.db import Database
from jigsaw.errors import Conflict
from jigsaw.identity.models import Agency, Practitioner
from jigsaw.people import nhs_number
from jigsaw.people import service as people
from jigsaw.people.models import AgencyRecord, PersonRole, Sex
from jigsaw.people.schemas import AgencyRecordIn
from jigsaw.policy.actor import Actor
from jigsaw.policy.roles import AgencyKind
from jigsaw.records.models import Category, InformationItem
from jigsaw.synthetic import names
from jigsaw.synthetic.households import TruePerson, households
from jigsaw.synthetic.models import SyntheticTruth
from jigsaw.synthetic.noise import NHS_NUMBER_RECORDED_CHILD, NOISE, swappable
from jigsaw.synthetic.service import GenerationSummary, generate_population
from tests.conftest import _fresh_postgres

COMPARED_TABLES = (
    "agency_records",
    "synthetic_truth",
    "relationships",
    "involvements",
    "information_items",
)
POPULATION_SEED = 11
POPULATION_CHILDREN = 400
POPULATION_BATCH = 150
_names = itertools.count(1)


def _drop_postgres(url: str) -> None:
    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="module")
def fresh_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[], Database]]:
    """Makes empty, migrated databases private to this module; removes them afterwards."""
    configured = os.environ.get("JIGSAW_DATABASE_URL", "")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    made: list[tuple[Database, str]] = []
    directory = tmp_path_factory.mktemp("synthetic")

    def make() -> Database:
        name = f"synthetic{next(_names)}_{worker}"
        if configured.startswith("postgresql"):
            url = _fresh_postgres(configured, name)
        else:
            url = f"sqlite:///{Path(directory) / name}.db"
        migrate.upgrade(url)
        database = Database(url)
        made.append((database, url))
        return database

    yield make
    for database, url in made:
        database.dispose()
        if url.startswith("postgresql"):
            _drop_postgres(url)


def _rows(db: Database, table: str) -> list[tuple[Any, ...]]:
    with db.engine.connect() as conn:
        return sorted(tuple(row) for row in conn.execute(text(f"SELECT * FROM {table}")))


@dataclass
class Population:
    db: Database
    summary: GenerationSummary
    truth: dict[str, TruePerson]
    moved_on: dict[str, date | None]


@pytest.fixture(scope="module")
def population(fresh_db: Callable[[], Database]) -> Population:
    db = fresh_db()
    summary = generate_population(
        db,
        children=POPULATION_CHILDREN,
        seed=POPULATION_SEED,
        batch_size=POPULATION_BATCH,
        progress=False,
    )
    truth = {
        p.key: p
        for household in households(POPULATION_SEED, POPULATION_CHILDREN)
        for p in household.people
    }
    return Population(db, summary, truth, {k: p.moved_on for k, p in truth.items()})


def _records(population: Population) -> list[tuple[AgencyRecord, AgencyKind, TruePerson]]:
    with population.db.sessions() as session:
        found = session.execute(
            select(AgencyRecord, Agency.kind, SyntheticTruth.true_person_key)
            .join(Agency, Agency.id == AgencyRecord.agency_id)
            .join(SyntheticTruth, SyntheticTruth.agency_record_id == AgencyRecord.id)
            .order_by(AgencyRecord.id)
        ).all()
    return [(record, kind, population.truth[key]) for record, kind, key in found]


def _share(hits: int, total: int) -> float:
    assert total > 0
    return hits / total


def test_same_seed_and_size_give_identical_rows_whatever_the_batch_size(
    fresh_db: Callable[[], Database],
) -> None:
    first, second = fresh_db(), fresh_db()
    generate_population(first, children=60, seed=5, batch_size=7, progress=False)
    generate_population(second, children=60, seed=5, batch_size=500, progress=False)
    for table in COMPARED_TABLES:
        rows = _rows(first, table)
        assert rows, table
        assert rows == _rows(second, table), table


def test_agencies_are_reused_a_new_seed_differs_and_a_repeated_seed_is_refused(
    fresh_db: Callable[[], Database],
) -> None:
    db = fresh_db()
    generate_population(db, children=40, seed=21, progress=False)
    with db.sessions() as session:
        agencies = session.scalar(select(func.count()).select_from(Agency))
        practitioners = session.scalar(select(func.count()).select_from(Practitioner))
        unusable = session.scalar(
            select(func.count())
            .select_from(Practitioner)
            .where(Practitioner.password_hash.is_not(None))
        )
    assert unusable == 0

    generate_population(db, children=40, seed=22, progress=False)
    with db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Agency)) == agencies
        assert session.scalar(select(func.count()).select_from(Practitioner)) == practitioners
        identities = session.execute(
            select(
                SyntheticTruth.true_person_key,
                AgencyRecord.given_name,
                AgencyRecord.family_name,
                AgencyRecord.date_of_birth,
            ).join(AgencyRecord, AgencyRecord.id == SyntheticTruth.agency_record_id)
        ).all()
        records_before = session.scalar(select(func.count()).select_from(AgencyRecord))
    by_seed: dict[str, set[tuple[Any, ...]]] = defaultdict(set)
    for key, *identity in identities:
        by_seed[key.split(":")[0]].add(tuple(identity))
    assert len(by_seed["21"] & by_seed["22"]) < 0.05 * len(by_seed["21"])

    with pytest.raises(Conflict, match="seed 21"):
        generate_population(db, children=5, seed=21, progress=False)
    with db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(AgencyRecord)) == records_before

    # Ordinary inserts still work after ids were assigned by the generator.
    agency_id = _first_agency_id(db)
    created = people.create_agency_record(
        db,
        Actor.system(),
        AgencyRecordIn(
            agency_id=agency_id,
            local_id="after-generation-1",
            role=PersonRole.CHILD,
            given_name="Test",
            family_name="Child",
        ),
    )
    assert created.id > records_before


def _first_agency_id(db: Database) -> int:
    with db.sessions() as session:
        found = session.scalar(select(Agency.id).order_by(Agency.id).limit(1))
    assert found is not None
    return found


def test_summary_matches_the_database(population: Population) -> None:
    summary = population.summary
    assert summary.children == POPULATION_CHILDREN
    assert "400 children" in summary.describe()
    with population.db.sessions() as session:

        def count(model: type[Any]) -> int | None:
            return session.scalar(select(func.count()).select_from(model))

        assert count(AgencyRecord) == summary.agency_records
        assert count(InformationItem) == summary.items
        assert count(SyntheticTruth) == summary.agency_records


def test_truth_covers_every_agency_record(population: Population) -> None:
    with population.db.sessions() as session:
        missing = session.scalar(
            select(func.count())
            .select_from(AgencyRecord)
            .outerjoin(SyntheticTruth, SyntheticTruth.agency_record_id == AgencyRecord.id)
            .where(SyntheticTruth.agency_record_id.is_(None))
        )
    assert missing == 0


def test_every_child_is_known_to_between_one_and_eight_agencies(population: Population) -> None:
    per_child: Counter[str] = Counter()
    for record, _kind, person in _records(population):
        assert record.role == person.role
        if person.is_child:
            per_child[person.key] += 1
    assert len(per_child) == POPULATION_CHILDREN
    assert min(per_child.values()) >= 1
    assert max(per_child.values()) <= 8
    assert sum(per_child.values()) / len(per_child) > 2


def test_nhs_numbers_are_valid_unique_to_a_person_and_recorded_at_stated_rates(
    population: Population,
) -> None:
    owners: dict[str, set[str]] = defaultdict(set)
    present: Counter[AgencyKind] = Counter()
    total: Counter[AgencyKind] = Counter()
    for record, kind, person in _records(population):
        if record.nhs_number is not None:
            assert nhs_number.is_valid(record.nhs_number)
            assert record.nhs_number == person.nhs_number
            owners[record.nhs_number].add(person.key)
        if person.is_child:
            total[kind] += 1
            present[kind] += record.nhs_number is not None
    assert all(len(keys) == 1 for keys in owners.values())
    assert NHS_NUMBER_RECORDED_CHILD[AgencyKind.HEALTH] >= 0.9
    assert _share(present[AgencyKind.HEALTH], total[AgencyKind.HEALTH]) >= 0.9
    assert 0.2 <= _share(present[AgencyKind.SCHOOL], total[AgencyKind.SCHOOL]) <= 0.6
    assert _share(present[AgencyKind.POLICE], total[AgencyKind.POLICE]) <= 0.4
    assert 0.5 <= _share(present[AgencyKind.SOCIAL_CARE], total[AgencyKind.SOCIAL_CARE]) <= 0.9


def test_dates_of_birth_are_swapped_shifted_or_missing_at_stated_rates(
    population: Population,
) -> None:
    swapped = swappable_total = off_by_one = missing_health = recorded = 0
    missing_elsewhere = 0
    for record, kind, person in _records(population):
        dob = record.date_of_birth
        if dob is None:
            missing_health += kind is AgencyKind.HEALTH
            missing_elsewhere += kind is not AgencyKind.HEALTH
            continue
        recorded += 1
        true = person.date_of_birth
        exchanged = true.replace(month=true.day, day=true.month) if swappable(true) else true
        if swappable(true):
            swappable_total += 1
            swapped += dob == exchanged
        off_by_one += (true - dob).days == 1
        assert dob in (true, exchanged) or (true - dob).days == 1
    assert missing_health == 0
    assert missing_elsewhere > 0
    assert 0.01 <= _share(swapped, swappable_total) <= 0.09, NOISE.dob_day_month_swap
    assert 0.001 <= _share(off_by_one, recorded) <= 0.03, NOISE.dob_off_by_one_day


def test_given_names_carry_nicknames_and_typos_at_stated_rates(population: Population) -> None:
    nicknamed = could_be_nicknamed = typos = total = 0
    for record, _kind, person in _records(population):
        total += 1
        options = names.nicknames(person.given_name)
        if options:
            could_be_nicknamed += 1
            nicknamed += record.given_name in options
        if record.given_name != person.given_name and record.given_name not in options:
            assert names.damerau_distance_is_one(person.given_name, record.given_name)
            typos += 1
    assert 0.06 <= _share(nicknamed, could_be_nicknamed) <= 0.2, NOISE.nickname
    assert 0.01 <= _share(typos, total) <= 0.06, NOISE.given_name_typo


def _family_name_variants(person: TruePerson) -> set[str]:
    variants = set()
    for name in filter(None, (person.family_name, person.other_family_name)):
        variants |= {name, names.unhyphenated(name), *name.split("-")}
    return {v.lower() for v in variants}


def test_family_names_change_split_and_slip_at_stated_rates(population: Population) -> None:
    other_used = one_part = typos = total = capitalised = 0
    for record, kind, person in _records(population):
        total += 1
        recorded = record.family_name
        capitalised += recorded.isupper() and len(recorded) > 1
        if kind not in (AgencyKind.POLICE, AgencyKind.PROBATION):
            assert not (recorded.isupper() and len(recorded) > 3)
        variants = _family_name_variants(person)
        if recorded.lower() not in variants:
            assert any(names.damerau_distance_is_one(v, recorded.lower()) for v in variants)
            typos += 1
            continue
        if person.other_family_name and recorded.lower() == person.other_family_name.lower():
            other_used += 1
        if "-" in person.family_name and recorded.lower() in person.family_name.lower().split("-"):
            one_part += 1
    assert other_used > 0
    assert one_part > 0
    assert capitalised > 0
    assert 0.01 <= _share(typos, total) <= 0.06, NOISE.family_name_typo


def test_some_agencies_still_hold_the_address_from_before_a_move(population: Population) -> None:
    stale = eligible = 0
    for record, _kind, person in _records(population):
        assert record.sex in (person.sex, Sex.UNKNOWN)
        recorded = names.abbreviate_street(record.address)
        if person.previous_address is None or person.moved_on is None:
            assert recorded == names.abbreviate_street(person.address.line)
            continue
        if record.created_at.date() < person.moved_on:
            eligible += 1
            stale += recorded == names.abbreviate_street(person.previous_address.line)
    assert 0.2 <= _share(stale, eligible) <= 0.7, NOISE.stale_address


def test_nothing_is_dated_in_the_future(population: Population) -> None:
    today = date.today()
    now = datetime.now(UTC)
    with population.db.sessions() as session:
        latest = session.execute(
            select(func.max(InformationItem.occurred_on), func.max(InformationItem.recorded_at))
        ).one()
        latest_birth = session.scalar(select(func.max(AgencyRecord.date_of_birth)))
        latest_record = session.scalar(select(func.max(AgencyRecord.created_at)))
        bad_order = session.scalar(
            select(func.count())
            .select_from(InformationItem)
            .where(func.date(InformationItem.recorded_at) < InformationItem.occurred_on)
        )
    occurred, recorded_at = latest
    assert occurred <= today
    assert latest_birth is not None and latest_birth <= today
    for stamp in (recorded_at, latest_record):
        aware = stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)
        assert aware <= now
    assert bad_order == 0


def test_items_span_all_three_categories_with_flags_that_fit(population: Population) -> None:
    with population.db.sessions() as session:
        by_category = dict(
            session.execute(
                select(InformationItem.category, func.count()).group_by(InformationItem.category)
            ).all()
        )
        # The flags are sealed, so they are read as the services read them, not in SQL.
        flagged = session.execute(
            select(InformationItem, Agency.kind).join(
                Agency, Agency.id == InformationItem.agency_id
            )
        ).all()
        unflagged_health = sum(
            1 for i, kind in flagged if kind == AgencyKind.HEALTH and not i.special_category
        )
        unflagged_offences = sum(
            1
            for i, kind in flagged
            if kind in (AgencyKind.POLICE, AgencyKind.PROBATION) and not i.criminal_offence
        )
        protected = session.scalar(
            select(func.count())
            .select_from(InformationItem)
            .where(InformationItem.protected_identity.is_(True))
        )
        opinions = session.scalar(
            select(func.count())
            .select_from(InformationItem)
            .where(InformationItem.nature == "opinion")
        )
        years = {day.year for day in session.scalars(select(InformationItem.occurred_on))}
    for category in Category:
        assert by_category.get(category, 0) > 0, category
    assert unflagged_health == 0
    assert unflagged_offences == 0
    assert protected and opinions
    assert len(years) >= 5
    per_child = population.summary.items / POPULATION_CHILDREN
    assert 1 < per_child < 20


def test_each_batch_is_audited_with_ids_only(population: Population) -> None:
    with population.db.sessions() as session:
        entries = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == AuditAction.POPULATION_IMPORTED.value)
            .order_by(AuditEntry.id)
        ).all()
        first_id, last_id = session.execute(
            select(func.min(AgencyRecord.id), func.max(AgencyRecord.id))
        ).one()
    assert len(entries) == -(-POPULATION_CHILDREN // POPULATION_BATCH)
    assert [e.object_id for e in entries] == [str(n) for n in range(1, len(entries) + 1)]
    assert all(e.object_type == "population_batch" and e.actor_id is None for e in entries)
    assert entries[0].refs["first_record"] == first_id
    assert entries[-1].refs["last_record"] == last_id
    assert sum(e.refs["records"] for e in entries) == population.summary.agency_records
    for entry in entries:
        assert all(isinstance(v, int) for v in entry.refs.values())
