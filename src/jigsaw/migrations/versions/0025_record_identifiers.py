"""agency records carry identifiers of any scheme

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-06

An agency record may hold any number of identifiers (NHS number, UPN, police
reference, local case number…), found by scheme and value. The ``nhs_number`` column
stays and *is* the record's NHS-number identifier, so NHS numbers are never copied
into the new table ``agency_record_identifiers`` (which holds every other scheme) and
the two can never disagree. Going down drops the table and the identifiers in it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

TABLE = "agency_record_identifiers"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_record_id", sa.Integer(), nullable=False),
        sa.Column("scheme", sa.String(length=32), nullable=False),
        sa.Column("value", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_record_id"],
            ["agency_records.id"],
            name=op.f("fk_agency_record_identifiers_agency_record_id_agency_records"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agency_record_identifiers")),
        sa.UniqueConstraint(
            "agency_record_id",
            "scheme",
            "value",
            name=op.f("uq_agency_record_identifiers_agency_record_id"),
        ),
    )
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.create_index(
            "ix_agency_record_identifiers_scheme_value", ["scheme", "value"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.drop_index("ix_agency_record_identifiers_scheme_value")
    op.drop_table(TABLE)
