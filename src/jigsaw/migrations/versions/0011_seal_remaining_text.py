"""seal the remaining free text

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-25

A ``seal_id`` on the tables whose free text is now sealed too: a request's question,
a rating's rationale, a retraction's reason, a revocation's reason and a break-glass
session's reason. A retraction's reason becomes TEXT because its ciphertext is longer
than the 500 characters the input schema still allows; the others were TEXT already.
Rows already written keep their plaintext and no ``seal_id``; they are read as they are.

Every one of these tables is write-once. Adding or dropping a nullable column is an
``ALTER TABLE`` on both backends and leaves the guards alone; changing a column's type
on SQLite rebuilds the table, which drops its triggers, so they are put back. Nothing
refers to ``item_retractions``, so its rebuild copies no row another table points at.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op
from alembic.operations import BatchOperations

from jigsaw.migrations.guards import guard_append_only

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

SEALED_TABLES = (
    "information_requests",
    "rag_ratings",
    "item_retractions",
    "disclosure_revocations",
    "break_glass_sessions",
)
WIDENED = ("item_retractions", "reason", 500)


def upgrade() -> None:
    for table in SEALED_TABLES:
        op.add_column(table, sa.Column("seal_id", sa.String(length=32), nullable=True))
    table, column, length = WIDENED
    if op.get_bind().dialect.name == "sqlite":
        with _rebuilt_on_sqlite(table) as batch_op:
            batch_op.alter_column(column, existing_type=sa.String(length=length), type_=sa.Text())
    else:
        op.alter_column(
            table,
            column,
            existing_type=sa.String(length=length),
            type_=sa.Text(),
            existing_nullable=False,
        )


def downgrade() -> None:
    # The retraction reason stays TEXT: sealed values would not fit back. As in 0008,
    # values sealed since the upgrade stay ciphertext, and without their seal_id no
    # key opens them again: downgrade only a database that holds none you need.
    # SQLite (3.35 and later) drops a column in place, so nothing is rebuilt: the
    # guards stay, and rows that other tables refer to are never copied.
    for table in SEALED_TABLES:
        op.drop_column(table, "seal_id")


@contextmanager
def _rebuilt_on_sqlite(table: str) -> Iterator[BatchOperations]:
    """Alter a write-once table on SQLite, which it does only by rebuilding the table.

    The rebuild drops the old table, and with it the append-only triggers (dropped
    first, so the copy's implicit delete is allowed) which are then put back.
    """
    for verb in ("update", "delete"):
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{verb}")
    with op.batch_alter_table(table, schema=None, recreate="always") as batch_op:
        yield batch_op
    guard_append_only(table)
