"""synthetic truth

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25

The ground truth for generated populations: which agency records belong to the
same true person and household, so record linkage can be scored.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "synthetic_truth",
        sa.Column("agency_record_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("true_person_key", sa.String(length=40), nullable=False),
        sa.Column("household_key", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_record_id"],
            ["agency_records.id"],
            name=op.f("fk_synthetic_truth_agency_record_id_agency_records"),
        ),
        sa.PrimaryKeyConstraint("agency_record_id", name=op.f("pk_synthetic_truth")),
    )
    with op.batch_alter_table("synthetic_truth", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_synthetic_truth_household_key"), ["household_key"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_synthetic_truth_true_person_key"), ["true_person_key"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("synthetic_truth", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_synthetic_truth_true_person_key"))
        batch_op.drop_index(batch_op.f("ix_synthetic_truth_household_key"))

    op.drop_table("synthetic_truth")
