"""Running the Alembic migrations that ship inside the package.

Upgrades hold a lock for the whole run, so two started at once (two deploys, or
every container running ``jigsaw db upgrade`` at start) do not race to create the
same tables: the second waits, then finds the schema already at its target and
does nothing. On PostgreSQL the lock is a session advisory lock with a fixed key;
on SQLite, where there is no such thing, it is an exclusive file lock beside the
database file.

Downgrades are written to undo a schema, not to keep data: they drop the columns
and tables a later migration added, and with them whatever was written there (a
sealed value's seal id, a row of a later table). So a downgrade of a database that
holds anything is refused unless the caller says a backup exists and the loss is
accepted; the right way back from a bad upgrade on a live database is to restore
the backup taken before it (``jigsaw restore``).
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect, select, table
from sqlalchemy.engine import make_url

from jigsaw.db import make_engine

MIGRATIONS = Path(__file__).parent / "migrations"
UPGRADE_LOCK_KEY = 0x6A6967736177  # "jigsaw": the one advisory lock upgrades take
BOOKKEEPING = frozenset({"alembic_version", "audit_head"})
"""Tables the migrations themselves fill: rows there do not make a database populated."""


class DowngradeRefused(Exception):
    """A downgrade would drop data, and the caller has not said a backup exists."""


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


@contextmanager
def _sqlite_file_lock(database: str) -> Iterator[None]:
    """An exclusive lock on a file beside the database, held until the block ends."""
    lock_path = Path(f"{database}.upgrade-lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def _foreign_keys_checked_at_the_end(connection: Connection) -> Iterator[None]:
    """SQLite's way to change a table others refer to: no foreign key checks while the
    batch operations rebuild tables, then one check of the whole database before the
    migration's transaction commits (``migrations/env.py``).

    The pragma only takes effect outside a transaction, so it is set on the driver's
    connection before the migration's transaction begins.
    """
    raw = connection.connection.dbapi_connection
    assert raw is not None
    raw.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        raw.execute("PRAGMA foreign_keys=ON")


@contextmanager
def _migrating(url: str) -> Iterator[Connection]:
    """A connection holding the upgrade lock, with no transaction open on it."""
    parsed = make_url(url)
    # On SQLite the driver would otherwise commit each DDL statement by itself; with
    # transactions begun explicitly, a failed run leaves nothing half-done there either.
    engine = make_engine(url, for_writes=True)
    try:
        if parsed.get_backend_name() == "postgresql":
            with engine.connect() as connection:
                connection.exec_driver_sql(f"SELECT pg_advisory_lock({UPGRADE_LOCK_KEY})")
                # The lock belongs to the session; the migration's own transaction follows.
                connection.commit()
                try:
                    yield connection
                finally:
                    connection.rollback()
                    connection.exec_driver_sql(f"SELECT pg_advisory_unlock({UPGRADE_LOCK_KEY})")
                    connection.commit()
        elif parsed.database and parsed.database != ":memory:":
            with (
                _sqlite_file_lock(parsed.database),
                engine.connect() as connection,
                _foreign_keys_checked_at_the_end(connection),
            ):
                yield connection
        else:
            with engine.connect() as connection, _foreign_keys_checked_at_the_end(connection):
                yield connection
    finally:
        engine.dispose()


def _run(url: str, action: str, revision: str) -> None:
    config = alembic_config(url)
    with _migrating(url) as connection:
        config.attributes["connection"] = connection
        getattr(command, action)(config, revision)
        if connection.in_transaction():
            connection.commit()


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the schema to ``revision``, waiting for any other upgrade to finish first."""
    _run(url, "upgrade", revision)


def populated_tables(connection: Connection) -> list[str]:
    """Tables holding at least one row, beyond the migrations' own bookkeeping."""
    names = sorted(set(inspect(connection).get_table_names()) - BOOKKEEPING)
    found = [
        name
        for name in names
        if connection.execute(select(1).select_from(table(name)).limit(1)).first() is not None
    ]
    connection.rollback()
    return found


def downgrade(url: str, revision: str, *, have_backup: bool = False) -> None:
    """Take the schema back to ``revision``; refused on a populated database without a backup.

    Refusing is decided from the data, not from the migrations: every downgrade
    drops something some later migration added, and a refusal that had to be
    written per migration would be forgotten for the next one.
    """
    config = alembic_config(url)
    with _migrating(url) as connection:
        current = MigrationContext.configure(connection).get_current_revision()
        connection.rollback()
        if current is not None and revision != current:
            populated = populated_tables(connection)
            if populated and not have_backup:
                shown = ", ".join(populated[:8]) + (" …" if len(populated) > 8 else "")
                raise DowngradeRefused(
                    f"Refusing to downgrade from {current} to {revision}: the database holds "
                    f"data ({shown}). A downgrade drops the tables and columns later "
                    "migrations added and everything written in them, and can leave sealed "
                    "values unreadable. Restore the backup taken before the upgrade instead "
                    "(`jigsaw restore`), or, with a backup kept and the loss accepted, run "
                    "again with --i-have-a-backup."
                )
        config.attributes["connection"] = connection
        command.downgrade(config, revision)
        if connection.in_transaction():
            connection.commit()
