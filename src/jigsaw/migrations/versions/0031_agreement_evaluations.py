"""what the agreements said of each request and disclosure

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-06

Every request for information and every disclosure is now checked against the data
sharing agreements in force when it is made (``agreements.validity``), and the row keeps
what they said: the verdict (permit, deny or review), its reasons, the agreement and the
version relied on, whether a REVIEW was confirmed as considered, and, where the verdict
was DENY, why sharing was still lawful without an agreement. The request's reason is free
text sealed with its question (``seal_id``); the disclosure table has no seal, so its
reason is kept as written.

All the columns are nullable: requests and disclosures made before the check existed
hold NULL, read as "not checked". Adding nullable columns is an ``ALTER TABLE`` on both
backends and leaves the write-once guards alone. Going down drops them, and with them
every evaluation recorded; the audit entries of those actions still hold each one.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None

TABLES = ("information_requests", "disclosures")


def _columns() -> list[sa.Column[object]]:
    return [
        sa.Column("agreement_verdict", sa.String(length=16), nullable=True),
        sa.Column("agreement_reasons", sa.JSON(), nullable=True),
        sa.Column("agreement_id", sa.Integer(), nullable=True),
        sa.Column("agreement_version", sa.Integer(), nullable=True),
        sa.Column("agreement_review_confirmed", sa.Boolean(), nullable=True),
        sa.Column("agreement_override_reason", sa.Text(), nullable=True),
    ]


def upgrade() -> None:
    for table in TABLES:
        for column in _columns():
            op.add_column(table, column)


def downgrade() -> None:
    # SQLite (3.35 and later) drops a column in place: nothing is rebuilt, the guards stay.
    for table in TABLES:
        for column in reversed(_columns()):
            op.drop_column(table, column.name)
