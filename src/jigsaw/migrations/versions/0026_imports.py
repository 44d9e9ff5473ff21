"""imports of an agency's records

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-06

``record_imports`` keeps one row per run of ``jigsaw import`` over one file: the
agency, the file's SHA-256, its state and its counts, never a file name or a row.
Going down drops the table; the records imported stay, and the audit log keeps what
each import did.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

TABLE = "record_imports"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("file_format", sa.String(length=8), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("last_line", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_record_imports_agency_id_agencies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_record_imports")),
    )
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_record_imports_agency_id"), ["agency_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_record_imports_sha256"), ["sha256"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_record_imports_sha256"))
        batch_op.drop_index(batch_op.f("ix_record_imports_agency_id"))
    op.drop_table(TABLE)
