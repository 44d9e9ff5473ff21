"""seal item subtype and flags

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06

An item's subtype ("section_47", "coercive_control") and its special-category and
criminal-offence flags say as much about a child as the narrative, so from now on they
are sealed like it, under the agency record's data key. The subtype becomes TEXT (its
ciphertext is longer than the 64 characters the input schema still allows); the two
flags are sealed together in a new ``sensitivity`` column, and their clear columns
become nullable and are left NULL on every new row. Items are write-once: rows already
written keep their clear values and are read as they are.

SQLite changes a column's type or nullability only by rebuilding the table, which
drops its append-only triggers, so they are put back; other tables' references to
items are checked at commit, when the rebuilt table is in place under its old name.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

import sqlalchemy as sa
from alembic import op
from alembic.operations import BatchOperations
from sqlalchemy.orm import Session

from jigsaw.migrations.guards import guard_append_only
from jigsaw.protection.keyring import (
    AGENCY_RECORD,
    Place,
    Subject,
    is_sealed_text,
    keyring,
    reveal,
)

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

TABLE = "information_items"
FLAGS = ("special_category", "criminal_offence")


def upgrade() -> None:
    with _unguarded(), _batch() as batch_op:
        batch_op.add_column(sa.Column("sensitivity", sa.Text(), nullable=True))
        batch_op.alter_column(
            "subtype", existing_type=sa.String(length=64), type_=sa.Text(), existing_nullable=False
        )
        for flag in FLAGS:
            batch_op.alter_column(flag, existing_type=sa.Boolean(), nullable=True)


def downgrade() -> None:
    """Put every sealed type and flag back in clear, then restore the older columns.

    Nothing is lost: the values are opened with the data keys (so the master key must be
    configured, as for any start of the service) and written to the clear columns
    before the sealed column goes. An erased record's items get the erasure marker as
    their type and every flag set, as the service reads them.
    """
    bind = op.get_bind()
    clear = _opened(bind)
    with _unguarded(updating=bool(clear)):
        if clear:
            bind.execute(
                sa.text(
                    "UPDATE information_items SET subtype = :subtype, "
                    "special_category = :special, criminal_offence = :criminal WHERE id = :id"
                ),
                clear,
            )
        with _batch() as batch_op:
            for flag in FLAGS:
                batch_op.alter_column(flag, existing_type=sa.Boolean(), nullable=False)
            batch_op.alter_column(
                "subtype",
                existing_type=sa.Text(),
                type_=sa.String(length=64),
                existing_nullable=False,
            )
            batch_op.drop_column("sensitivity")


def _opened(bind: sa.Connection) -> list[dict[str, Any]]:
    """The clear type and flags of every item whose are sealed, by id."""
    rows = bind.execute(
        sa.text(
            "SELECT id, subject_record_id, seal_id, subtype, sensitivity "
            "FROM information_items WHERE sensitivity IS NOT NULL ORDER BY id"
        )
    ).all()
    if not rows:
        return []
    session = Session(bind=bind)
    try:
        ring = keyring(session)
        ring.prefetch(Subject(AGENCY_RECORD, row.subject_record_id) for row in rows)
        found = []
        for row in rows:
            subject = Subject(AGENCY_RECORD, row.subject_record_id)
            subtype = row.subtype
            if is_sealed_text(subtype):
                subtype = reveal(ring, subject, Place(TABLE, "subtype", row.seal_id), subtype)
            flags = reveal(ring, subject, Place(TABLE, "sensitivity", row.seal_id), row.sensitivity)
            pairs = dict(part.partition("=")[::2] for part in flags.split(";"))
            found.append(
                {
                    "id": row.id,
                    "subtype": subtype[:64],
                    "special": pairs.get("special_category", "1") != "0",
                    "criminal": pairs.get("criminal_offence", "1") != "0",
                }
            )
        return found
    finally:
        session.close()


@contextmanager
def _unguarded(*, updating: bool = False) -> Iterator[None]:
    """Lift the append-only guards while the table is altered (and, going down, its
    sealed rows are written back in clear), and put them back after.

    SQLite alters by rebuilding the table, which drops the old one and with it the
    triggers (dropped first, so the copy's implicit delete is allowed); other tables'
    references to items are checked at commit, when the rebuilt table is in place under
    its old name. PostgreSQL alters in place; its statement trigger is switched off only
    while rows are written back.
    """
    if op.get_bind().dialect.name == "sqlite":
        # Dropping the old table deletes its rows, which other tables refer to: SQLite
        # switches off foreign keys only outside a transaction and defers them only
        # inside one, so ask for both; the pysqlite driver has begun one only if an
        # earlier step wrote rows.
        op.execute("PRAGMA foreign_keys = OFF")
        op.execute("PRAGMA defer_foreign_keys = ON")
        for verb in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_no_{verb}")
        yield
        guard_append_only(TABLE)
        op.execute("PRAGMA foreign_keys = ON")
        return
    if updating:
        op.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER USER")
    yield
    if updating:
        op.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER USER")


@contextmanager
def _batch() -> Iterator[BatchOperations]:
    recreate: Literal["always", "auto"] = (
        "always" if op.get_bind().dialect.name == "sqlite" else "auto"
    )
    with op.batch_alter_table(TABLE, schema=None, recreate=recreate) as batch_op:
        yield batch_op
