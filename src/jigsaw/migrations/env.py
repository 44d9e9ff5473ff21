"""Alembic environment: the URL comes from the caller's config or from settings.

One run (every pending migration) is one transaction, on PostgreSQL and on SQLite
(``jigsaw.migrate`` begins transactions explicitly there): a migration that fails
leaves the schema where the run found it.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from jigsaw.config import get_settings
from jigsaw.db import make_engine
from jigsaw.models import Base

config = context.config
target_metadata = Base.metadata
NOT_MIGRATED = frozenset({"synthetic_truth"})
"""Tables the synthetic generator makes for itself in the databases it fills
(``jigsaw.synthetic.models``): comparing such a database with the models must not
propose dropping them, nor a migration create them."""


def _include_name(name: str | None, type_: str, _parents: object) -> bool:
    return not (type_ == "table" and name in NOT_MIGRATED)


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=_include_name,
    )
    with context.begin_transaction():
        context.run_migrations()
        if connection.dialect.name == "sqlite":
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(
                    f"The migration would leave {len(broken)} row(s) referring to missing "
                    "rows; nothing was changed"
                )


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url") or get_settings().database_url
    engine = make_engine(url)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


run_migrations_online()
