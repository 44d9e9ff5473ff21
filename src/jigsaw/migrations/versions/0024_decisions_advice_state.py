"""a decision recorded against advice to seek advice

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06

Where the guidance said to seek advice, a decision (whatever its outcome) now links the
advice had, or says why it could not wait for it: ``urgent_reason``, free text sealed
(``seal_id``) with the decision's other reasons. Decisions are write-once; adding a
column with a default is an ``ALTER TABLE`` on both backends and leaves their guards
alone. Decisions recorded before hold a blank, in clear, which is read as it is.

A young person competent to decide may ask that their parents are not told: a new
``not_told_reason`` value. That column is a plain string of up to 32 characters on both
backends (``enum_column``, no CHECK constraint), so the new value needs no change here.

Going down drops the column. Any reason recorded in it is lost with it, so a database
that has recorded one should not be taken down past this revision.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "sharing_decisions",
        sa.Column("urgent_reason", sa.Text(), nullable=False, server_default=sa.text("''")),
    )


def downgrade() -> None:
    # SQLite (3.35 and later) drops a column in place: nothing is rebuilt, the guards stay.
    op.drop_column("sharing_decisions", "urgent_reason")
