"""break-glass reason category

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06

The emergency ground a practitioner chooses as they start break-glass (immediate risk
of significant harm, a missing child, urgent medical care, police protection, or
another emergency explained in the reason). Sessions are write-once; adding or
dropping a nullable column is an ``ALTER TABLE`` on both backends and leaves the
guards alone. Sessions started before keep no ground (NULL).

Going down drops the column and loses nothing: each session's ground is also in the
audit entry that recorded its start (``refs.category``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "break_glass_sessions",
        sa.Column(
            "category",
            sa.Enum(
                "significant_harm",
                "missing_child",
                "urgent_medical_care",
                "police_protection",
                "other",
                name="emergencyground",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
    )


def downgrade() -> None:
    # SQLite (3.35 and later) drops a column in place: nothing is rebuilt, the guards stay.
    op.drop_column("break_glass_sessions", "category")
