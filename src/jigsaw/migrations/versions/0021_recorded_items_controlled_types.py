"""recorded items, controlled types

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06

An item's type now comes from a controlled list (``records/item_types.yaml``); when none
fits, the practitioner records "other" and says what it is, kept in ``subtype_other``.
A correction now keeps its reason with the new version, in ``correction_reason``. Both
are sealed under the agency record's data key, like the item's other words, and NULL
on every row written before.

Adding a nullable column alters neither backend's rows, so the append-only triggers
stay in place. Going down drops both columns, and with them any "other" description and
correction reason recorded since: ``jigsaw db downgrade`` refuses that on a database
holding data unless a backup is kept.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

TABLE = "information_items"
COLUMNS = ("subtype_other", "correction_reason")


def upgrade() -> None:
    for column in COLUMNS:
        op.add_column(TABLE, sa.Column(column, sa.Text(), nullable=True))


def downgrade() -> None:
    # SQLite (3.35 and later) drops a column in place, keeping the table's triggers.
    for column in reversed(COLUMNS):
        op.execute(f"ALTER TABLE {TABLE} DROP COLUMN {column}")
