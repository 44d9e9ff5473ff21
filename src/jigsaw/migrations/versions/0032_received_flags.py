"""child protection flags received from other systems

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-06

``received_flags`` keeps each child protection flag (a child protection plan, a looked
after child) another system sent as a FHIR Flag, matched to a person by NHS number:
who sent it, which agency received it, what it says, and a fingerprint of its content
so the same flag received twice is kept once. The rows are write-once, guarded like
the other records. Going down drops the table; the audit log keeps each receipt.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from jigsaw.migrations.guards import guard_append_only

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None

TABLE = "received_flags"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("sending_agency_id", sa.Integer(), nullable=False),
        sa.Column("receiving_agency_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=True),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_received_flags_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["sending_agency_id"],
            ["agencies.id"],
            name=op.f("fk_received_flags_sending_agency_id_agencies"),
        ),
        sa.ForeignKeyConstraint(
            ["receiving_agency_id"],
            ["agencies.id"],
            name=op.f("fk_received_flags_receiving_agency_id_agencies"),
        ),
        sa.ForeignKeyConstraint(
            ["received_by_id"],
            ["practitioners.id"],
            name=op.f("fk_received_flags_received_by_id_practitioners"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_received_flags")),
        sa.UniqueConstraint(
            "sending_agency_id",
            "receiving_agency_id",
            "fingerprint",
            name=op.f("uq_received_flags_sending_agency_id"),
        ),
    )
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_received_flags_person_id"), ["person_id"])
        batch_op.create_index(
            batch_op.f("ix_received_flags_receiving_agency_id"), ["receiving_agency_id"]
        )
    guard_append_only(TABLE)


def downgrade() -> None:
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_received_flags_receiving_agency_id"))
        batch_op.drop_index(batch_op.f("ix_received_flags_person_id"))
    op.drop_table(TABLE)
