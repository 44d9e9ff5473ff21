"""encryption at rest and retention

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25

Data keys (one per agency record, wrapped by the master key; not append-only, since
erasing one is how information is destroyed), the append-only record of erasures,
and a ``seal_id`` on every table with sealed columns. An item's summary and source
become TEXT because their ciphertext is longer than the plaintext limits, which the
input schemas still enforce. Rows already written keep their plaintext and no
``seal_id``; they are read as they are.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from jigsaw.migrations.guards import guard_append_only

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

SEALED_TABLES = ("information_items", "sharing_decisions", "advice_requests", "advice_answers")
WIDENED = (("summary", 500), ("source", 200))


def upgrade() -> None:
    op.create_table(
        "data_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_kind", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("master_key_id", sa.String(length=64), nullable=True),
        sa.Column("wrapped", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_keys")),
        sa.UniqueConstraint("subject_kind", "subject_id", name=op.f("uq_data_keys_subject_kind")),
    )
    with op.batch_alter_table("data_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_data_keys_master_key_id"), ["master_key_id"])
    op.create_table(
        "erasures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_record_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=64), nullable=False),
        sa.Column("schedule_version", sa.String(length=32), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_erasures_agency_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["agency_record_id"],
            ["agency_records.id"],
            name=op.f("fk_erasures_agency_record_id_agency_records"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erasures")),
        sa.UniqueConstraint("agency_record_id", name=op.f("uq_erasures_agency_record_id")),
    )
    with op.batch_alter_table("erasures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_erasures_agency_id"), ["agency_id"])
    for table in SEALED_TABLES:
        op.add_column(table, sa.Column("seal_id", sa.String(length=32), nullable=True))
    if op.get_bind().dialect.name == "sqlite":
        _widen_on_sqlite()
    else:
        for column, length in WIDENED:
            op.alter_column(
                "information_items",
                column,
                existing_type=sa.String(length=length),
                type_=sa.Text(),
                existing_nullable=False,
            )
    guard_append_only("erasures")


def _widen_on_sqlite() -> None:
    """SQLite changes a column's type only by rebuilding the table.

    The rebuild drops the old table, and with it the append-only triggers (dropped
    first, so the copy's implicit delete is allowed) which are then put back;
    references from other tables are checked at commit, when the rebuilt table is
    in place under its old name.
    """
    op.execute("PRAGMA defer_foreign_keys = ON")
    for verb in ("update", "delete"):
        op.execute(f"DROP TRIGGER IF EXISTS information_items_no_{verb}")
    with op.batch_alter_table("information_items", schema=None, recreate="always") as batch_op:
        for column, length in WIDENED:
            batch_op.alter_column(column, existing_type=sa.String(length=length), type_=sa.Text())
    guard_append_only("information_items")


def downgrade() -> None:
    # The summary and source columns stay TEXT: sealed values would not fit back.
    for table in SEALED_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("seal_id")
    op.drop_table("erasures")
    op.drop_table("data_keys")
