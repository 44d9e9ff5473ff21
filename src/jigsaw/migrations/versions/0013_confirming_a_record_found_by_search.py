"""confirming a record found by search

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06

Who made each agency record (``recorded_by_id``; left empty for the records already
held, which were imported or made before this was kept, and count as confirmed), a
write-once table of confirmations by a second person of the agency, and a write-once
table of the reasons given for recording a child found by searching, sealed under
the record's key like other free text.

The new column is nullable and added with ``ALTER TABLE`` on both backends, so
``agency_records`` (which many tables refer to) is never rebuilt.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from jigsaw.migrations.guards import guard_append_only

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

WRITE_ONCE = ("agency_record_confirmations", "recording_reasons")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a column with its foreign key only written inline.
        op.execute(
            "ALTER TABLE agency_records ADD COLUMN recorded_by_id INTEGER "
            "CONSTRAINT fk_agency_records_recorded_by_id_practitioners "
            "REFERENCES practitioners (id)"
        )
    else:
        op.add_column("agency_records", sa.Column("recorded_by_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            op.f("fk_agency_records_recorded_by_id_practitioners"),
            "agency_records",
            "practitioners",
            ["recorded_by_id"],
            ["id"],
        )
    op.create_table(
        "agency_record_confirmations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_record_id", sa.Integer(), nullable=False),
        sa.Column("confirmed_by_id", sa.Integer(), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_record_id"],
            ["agency_records.id"],
            name=op.f("fk_agency_record_confirmations_agency_record_id_agency_records"),
        ),
        sa.ForeignKeyConstraint(
            ["confirmed_by_id"],
            ["practitioners.id"],
            name=op.f("fk_agency_record_confirmations_confirmed_by_id_practitioners"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agency_record_confirmations")),
        sa.UniqueConstraint(
            "agency_record_id", name=op.f("uq_agency_record_confirmations_agency_record_id")
        ),
    )
    op.create_table(
        "recording_reasons",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_record_id", sa.Integer(), nullable=False),
        sa.Column("practitioner_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seal_id", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["agency_record_id"],
            ["agency_records.id"],
            name=op.f("fk_recording_reasons_agency_record_id_agency_records"),
        ),
        sa.ForeignKeyConstraint(
            ["practitioner_id"],
            ["practitioners.id"],
            name=op.f("fk_recording_reasons_practitioner_id_practitioners"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recording_reasons")),
        sa.UniqueConstraint("agency_record_id", name=op.f("uq_recording_reasons_agency_record_id")),
    )
    guard_append_only(*WRITE_ONCE)


def downgrade() -> None:
    # Confirmations and reasons go with their tables. SQLite (3.35 and later) and
    # PostgreSQL drop the column, and its inline foreign key, in place, so
    # agency_records is not rebuilt. Records made by people then count as confirmed
    # again: downgrade only where that is acceptable.
    op.drop_table("recording_reasons")
    op.drop_table("agency_record_confirmations")
    op.drop_column("agency_records", "recorded_by_id")
