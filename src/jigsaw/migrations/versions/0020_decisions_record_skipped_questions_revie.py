"""decisions record skipped questions, review date and items held back

A decision keeps the guidance questions it did not ask and why, when not telling the
family will be reviewed, and (for a decision not to share) the items it held back,
the last as an append-only table like the advice a decision relied on.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from jigsaw.migrations.guards import guard_append_only

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "sharing_decisions",
        sa.Column("skipped_questions", sa.JSON(), nullable=False, server_default=sa.text("'[]'")),
    )
    op.add_column("sharing_decisions", sa.Column("not_told_review_on", sa.Date(), nullable=True))
    op.create_table(
        "decision_withheld_items",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "decision_id", sa.Integer(), sa.ForeignKey("sharing_decisions.id"), nullable=False
        ),
        sa.Column(
            "item_chain_id", sa.Integer(), sa.ForeignKey("information_items.id"), nullable=False
        ),
        sa.UniqueConstraint("decision_id", "item_chain_id"),
    )
    op.create_index(
        "ix_decision_withheld_items_decision_id", "decision_withheld_items", ["decision_id"]
    )
    guard_append_only("decision_withheld_items")


def downgrade() -> None:
    op.drop_table("decision_withheld_items")
    op.drop_column("sharing_decisions", "not_told_review_on")
    op.drop_column("sharing_decisions", "skipped_questions")
