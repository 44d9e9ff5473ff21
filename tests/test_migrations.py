"""The migrations build exactly the schema the models describe, and the guards hold."""

from datetime import date

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from jigsaw.db import Database
from jigsaw.models import Base
from jigsaw.people import service as people
from jigsaw.people.models import PersonRole
from jigsaw.people.schemas import AgencyRecordIn
from jigsaw.records import service as records
from jigsaw.records.models import Category, Nature
from jigsaw.records.schemas import ItemIn, RetractionIn
from tests.conftest import World, unique


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
