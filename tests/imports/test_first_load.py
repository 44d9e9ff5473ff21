"""A first load of a whole system on SQLite builds the records' secondary indexes after
writing them, and never leaves a database without them: not when it ends, and not after it is
killed outright (the next import builds them before anything else)."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from jigsaw.db import Database
from jigsaw.imports import service
from jigsaw.models import Base
from jigsaw.policy.roles import AgencyKind
from tests.conftest import World
from tests.imports.helpers import (
    cli_import,
    finish_records_import,
    kill_records_import,
    write_children,
)

DEFERRED = {str(index.name) for index in service._DEFERRED_INDEXES}


def _indexes(db: Database) -> set[str]:
    found = inspect(db.engine)
    return {
        str(index["name"])
        for table in ("agency_records", "agency_record_identifiers")
        for index in found.get_indexes(table)
    }


def _whole_system(path: Path, rows: int) -> None:
    write_children(path, rows, prefix="F", police_reference=True)


def test_the_indexes_the_load_left_out_are_all_there_when_it_ends(
    private_database: Database, tmp_path: Path
) -> None:
    db = private_database
    school = World(db).agency(AgencyKind.SCHOOL)
    assert _indexes(db) >= DEFERRED
    source = tmp_path / "first-load.csv"
    rows = service.DEFER_INDEXES_FROM + 1_000
    _whole_system(source, rows)

    finish_records_import(db, school.id, source, rows=rows, written=0)

    assert _indexes(db) >= DEFERRED


def test_a_first_load_killed_part_way_has_its_indexes_back_with_the_next_import(
    private_database: Database, tmp_path: Path
) -> None:
    db = private_database
    school = World(db).agency(AgencyKind.SCHOOL)
    source = tmp_path / "first-load.csv"
    rows, batch = service.DEFER_INDEXES_FROM + 10_000, 500
    _whole_system(source, rows)

    written = kill_records_import(db, school.id, source, rows=rows, batch=batch)
    if db.engine.dialect.name == "sqlite":
        assert not DEFERRED & _indexes(db), "the load was writing without the indexes"
    else:  # PostgreSQL keeps them up to date in a process of its own
        assert _indexes(db) >= DEFERRED

    finish_records_import(db, school.id, source, rows=rows, written=written, batch=batch)

    assert _indexes(db) >= DEFERRED


def test_a_load_beside_other_agencies_records_keeps_the_indexes(
    private_database: Database, tmp_path: Path
) -> None:
    db = private_database
    world = World(db)
    first, second = world.agency(AgencyKind.SCHOOL), world.agency(AgencyKind.SCHOOL)
    small = tmp_path / "small.csv"
    _whole_system(small, 3)
    cli_import(db.url, first.id, small)
    source = tmp_path / "second.csv"
    rows, batch = service.DEFER_INDEXES_FROM + 10_000, 500
    _whole_system(source, rows)

    kill_records_import(db, second.id, source, rows=rows, batch=batch)

    assert _indexes(db) >= DEFERRED, "records of another agency are there to be searched"


def _index_definitions(db: Database) -> list[tuple[str, ...]]:
    """Each index of the records and their identifiers as the database itself states it."""
    with db.reading() as session:
        if session.get_bind().dialect.name == "sqlite":
            listed = "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN "
        else:
            listed = "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN "
        found = session.execute(text(listed + "('agency_records', 'agency_record_identifiers')"))
        return sorted(tuple(row) for row in found)


def test_the_indexes_built_again_are_the_migrations_own(private_database: Database) -> None:
    db = private_database
    migrated = _index_definitions(db)
    assert {name for name, _ in migrated} >= DEFERRED

    dropped = service._defer_indexes(db)
    if db.engine.dialect.name == "sqlite":
        assert dropped
        assert not DEFERRED & {name for name, _ in _index_definitions(db)}
    else:
        assert not dropped
    service.restore_indexes(db)

    assert _index_definitions(db) == migrated
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
