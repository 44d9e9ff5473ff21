"""the synthetic generator's truth leaves the production schema

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06

0002 made ``synthetic_truth`` part of every database, production included, though only
a generated population ever fills it. It now belongs to the generator
(``jigsaw.synthetic.models``), which creates it where it writes a population. So the
empty table every other database holds goes. One that holds a population's truth is
left where it is, in the shape the generator gives it, since dropping it would leave
that population impossible to evaluate or add to: it is the generator's table now,
and no migration after this one touches it.

The downgrade puts back the empty table 0002 made, where there is none, so 0002's own
downgrade still finds it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

TABLE = "synthetic_truth"


def _exists() -> bool:
    return sa.inspect(op.get_bind()).has_table(TABLE)


def _holds_rows() -> bool:
    return (
        op.get_bind()
        .execute(sa.select(sa.literal(1)).select_from(sa.table(TABLE)).limit(1))
        .first()
        is not None
    )


def upgrade() -> None:
    if _exists() and not _holds_rows():
        with op.batch_alter_table(TABLE, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f("ix_synthetic_truth_true_person_key"))
            batch_op.drop_index(batch_op.f("ix_synthetic_truth_household_key"))
        op.drop_table(TABLE)


def downgrade() -> None:
    if _exists():
        return
    op.create_table(
        TABLE,
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
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_synthetic_truth_household_key"), ["household_key"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_synthetic_truth_true_person_key"), ["true_person_key"], unique=False
        )
