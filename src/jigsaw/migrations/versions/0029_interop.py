"""MAIS request objects: where a request came from

Revision ID: 0029
Revises: 0027
Create Date: 2026-12-06

A request imported as a MAIS request object keeps the requesting system's name and its
own id for the request, one row per request, unique per asking agency, system and id:
importing the same object twice finds the request the first import made, and no agency
can claim (or learn of) an id another agency's system has used. The row also keeps what the
object said that a request made in Jigsaw has no column for (when and by whom it was
made there, how it named the child, the agreement it relies on) so exporting it gives
back what came in. Write-once, like the request it belongs to.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from jigsaw.migrations.guards import guard_append_only

revision = "0029"
down_revision = "0027"
branch_labels = None
depends_on = None

TABLE = "request_origins"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("requester_agency_id", sa.Integer(), nullable=False),
        sa.Column("requesting_system", sa.String(length=200), nullable=False),
        sa.Column("external_id", sa.String(length=128), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("requester_identifier", sa.String(length=200), nullable=False),
        sa.Column("subject_identifier_type", sa.String(length=16), nullable=False),
        sa.Column("agreement_reference", sa.String(length=200), nullable=True),
        sa.Column("content_digest", sa.String(length=64), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["information_requests.id"],
            name=op.f("fk_request_origins_request_id_information_requests"),
        ),
        sa.ForeignKeyConstraint(
            ["requester_agency_id"],
            ["agencies.id"],
            name=op.f("fk_request_origins_requester_agency_id_agencies"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_origins")),
        sa.UniqueConstraint("request_id", name=op.f("uq_request_origins_request_id")),
        sa.UniqueConstraint(
            "requester_agency_id",
            "requesting_system",
            "external_id",
            name=op.f("uq_request_origins_requester_agency_id"),
        ),
    )
    guard_append_only(TABLE)


def downgrade() -> None:
    # Dropping the table drops its guards (SQLite triggers, the PostgreSQL trigger) with it.
    op.drop_table(TABLE)
