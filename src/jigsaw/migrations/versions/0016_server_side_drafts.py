"""server-side drafts of question journeys

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06

A decision or disclosure in progress used to ride sealed inside the session cookie,
under a size budget. It now lives in ``page_drafts``, its body sealed under the
writing practitioner's agency key, and the cookie carries only the row's id. Drafts
are short-lived and not on the record, so no guard makes the table write-once.

Drafts in cookies from before the upgrade are simply not found: the practitioner
starts the journey again. Going down drops the table, and any draft with it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

TABLE = "page_drafts"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("practitioner_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("seal_id", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_page_drafts_agency_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["practitioner_id"],
            ["practitioners.id"],
            name=op.f("fk_page_drafts_practitioner_id_practitioners"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_page_drafts")),
    )
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_page_drafts_expires_at"), ["expires_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_page_drafts_practitioner_id"), ["practitioner_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_page_drafts_practitioner_id"))
        batch_op.drop_index(batch_op.f("ix_page_drafts_expires_at"))
    op.drop_table(TABLE)
