"""The migrations build exactly the schema the models describe, and the guards hold."""

from datetime import date

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError

from jigsaw import migrate
from jigsaw.db import Database
from jigsaw.models import Base
from jigsaw.people import service as people
from jigsaw.people.models import PersonRole
from jigsaw.people.schemas import AgencyRecordIn
from jigsaw.protection.keyring import PREFIX
from jigsaw.records import service as records
from jigsaw.records.models import Category, Nature
from jigsaw.records.schemas import ItemIn, RetractionIn
from tests.conftest import World, unique
from tests.protection.test_sealing import private_scene, write_every_sealed_text


def test_models_and_migrations_agree(db: Database) -> None:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


@pytest.fixture(scope="module")
def retracted_item(db: Database, world: World) -> int:
    actor = world.actor(world.practitioner())
    record = people.create_agency_record(
        db,
        actor,
        AgencyRecordIn(
            agency_id=actor.agency_id or 0,
            local_id=unique("L"),
            role=PersonRole.CHILD,
            given_name="Ava",
            family_name="Moss",
        ),
    )
    item = records.record_item(
        db,
        actor,
        ItemIn(
            subject_record_id=record.id,
            category=Category.CHILD_WELFARE,
            subtype="attendance",
            occurred_on=date(2024, 5, 1),
            summary="Late every day this week",
            nature=Nature.FACT,
            source="Register",
        ),
    )
    records.retract_item(db, actor, item.id, RetractionIn(reason="Entered on the wrong child"))
    return item.id


@pytest.mark.parametrize("table", ["audit_entries", "information_items", "item_retractions"])
@pytest.mark.parametrize("statement", ["UPDATE {t} SET id = id", "DELETE FROM {t}"])
def test_append_only_tables_refuse_update_and_delete(
    db: Database, retracted_item: int, table: str, statement: str
) -> None:
    with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as conn:
        conn.execute(text(statement.format(t=table)))


SEALED_IN_0011 = (
    "information_requests",
    "rag_ratings",
    "item_retractions",
    "disclosure_revocations",
    "break_glass_sessions",
)


def _guarded(database: Database) -> None:
    """Every table 0011 altered still refuses UPDATE and DELETE (each holds a row)."""
    for table in SEALED_IN_0011:
        for statement in ("UPDATE {t} SET id = id", "DELETE FROM {t}"):
            with pytest.raises(DBAPIError, match="append-only"), database.engine.begin() as conn:
                conn.execute(text(statement.format(t=table)))


def test_0011_downgrades_and_upgrades_keeping_rows_and_guards(
    private_database: Database,
) -> None:
    written = write_every_sealed_text(private_database, private_scene(private_database))

    def counts() -> dict[str, int]:
        with private_database.engine.connect() as conn:
            return {
                table: conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
                for table in SEALED_IN_0011
            }

    def has_seal_id() -> set[str]:
        with private_database.engine.connect() as conn:
            tables = inspect(conn)
            return {
                table
                for table in SEALED_IN_0011
                if "seal_id" in {c["name"] for c in tables.get_columns(table)}
            }

    before = counts()
    assert all(before.values()) and has_seal_id() == set(SEALED_IN_0011)
    private_database.dispose()
    migrate.downgrade(private_database.url, "0010", have_backup=True)
    assert has_seal_id() == set() and counts() == before
    _guarded(private_database)

    private_database.dispose()
    migrate.upgrade(private_database.url)
    assert has_seal_id() == set(SEALED_IN_0011) and counts() == before
    _guarded(private_database)
    test_models_and_migrations_agree(private_database)
    with private_database.engine.connect() as conn:
        question = conn.execute(
            text("SELECT question FROM information_requests WHERE id = :id"),
            {"id": written.request_id},
        ).scalar_one()
    assert question.startswith(PREFIX), "values are kept as they were stored"
