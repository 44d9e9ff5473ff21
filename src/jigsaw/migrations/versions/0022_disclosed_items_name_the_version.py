"""disclosed items name the version disclosed

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06

A disclosure carries an item's chain, so a correction reaches the recipient; it now also
names the version that was current when it was made, so "corrected since it was shared"
is decided by version, not by comparing times (two writes in the same instant would
otherwise be out of order), and a register can say exactly which version went out.
NULL on every row written before: for those, the time of the disclosure still decides.

On SQLite the table is copied (batch mode) to add the foreign key; it has no triggers.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # SQLite cannot add a foreign key in place; the table has no triggers to lose in the
    # copy batch mode makes there, and PostgreSQL alters it in place.
    with op.batch_alter_table("disclosed_items") as batch:
        batch.add_column(sa.Column("version_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_disclosed_items_version_id_information_items",
            "information_items",
            ["version_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("disclosed_items") as batch:
        batch.drop_column("version_id")
