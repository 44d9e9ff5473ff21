"""which reading of the records wrote each match key row

Revision ID: 0038
Revises: 0037
Create Date: 2026-12-08

A release may read a record differently from the one before it (from this one, a
title before a given name is passed over and a one-letter given name is read as an
initial). The online match compares a search with each record's stored key row, so a
row written under the earlier reading would compare the record as it was read then.
This adds the reading that wrote each row (``features.READING``); every row already
there was written by reading 1, and the next batch run rewrites those
(``index.write_keys``). Adding a column with a constant default rewrites no row.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0038"
down_revision = "0037"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("match_keys", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("reading", sa.Integer(), nullable=False, server_default=sa.text("1"))
        )


def downgrade() -> None:
    with op.batch_alter_table("match_keys", schema=None) as batch_op:
        batch_op.drop_column("reading")
