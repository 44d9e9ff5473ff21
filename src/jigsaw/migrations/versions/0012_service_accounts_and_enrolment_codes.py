"""service accounts and enrolment codes

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06

``practitioners.service_account`` marks another system's identity in an agency: no
password, no second factor, never signed in as a person, and the only kind of account
an API token is issued for. ``password_resets.purpose`` tells a new account's
enrolment code (its first password) from a reset code; both are the same one-time,
hashed, single-use code.

Every API token issued before this revision acted as a person, which is no longer
allowed: they are revoked here, so the record says when they stopped working. Systems
need a service account and a new token (``docs/deployment.md``). Neither table is
write-once, and adding a column with a default is an ``ALTER TABLE`` on both backends.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from jigsaw.db import UTCDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "practitioners",
        sa.Column("service_account", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column(
        "password_resets",
        sa.Column("purpose", sa.String(length=16), server_default="reset", nullable=False),
    )
    tokens = sa.table("api_tokens", sa.column("revoked_at", UTCDateTime()))
    op.execute(
        tokens.update().where(tokens.c.revoked_at.is_(None)).values(revoked_at=datetime.now(UTC))
    )


def downgrade() -> None:
    # Tokens revoked by the upgrade stay revoked: they acted as people. SQLite (3.35 and
    # later) drops a column in place, so no table that others refer to is rebuilt.
    op.drop_column("password_resets", "purpose")
    op.drop_column("practitioners", "service_account")
