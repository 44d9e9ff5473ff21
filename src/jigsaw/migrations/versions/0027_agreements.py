"""data sharing agreements

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-06

``sharing_agreements`` holds one write-once row per version of a data sharing
agreement (its reference, version, tier, title, dates, the agency that keeps it and
the whole document as JSON); ``sharing_agreement_events`` holds what happened to each
version (approved, superseded, ended) and from which date. Going down drops both; the
audit log keeps what each change did.
Both are write-once: the database refuses UPDATE and DELETE on them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from jigsaw.migrations.guards import guard_append_only

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

AGREEMENTS = "sharing_agreements"
EVENTS = "sharing_agreement_events"


def upgrade() -> None:
    op.create_table(
        AGREEMENTS,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("tier", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("keeper_agency_id", sa.Integer(), nullable=False),
        sa.Column("supersedes_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["keeper_agency_id"],
            ["agencies.id"],
            name=op.f("fk_sharing_agreements_keeper_agency_id_agencies"),
        ),
        sa.ForeignKeyConstraint(
            ["supersedes_id"],
            ["sharing_agreements.id"],
            name=op.f("fk_sharing_agreements_supersedes_id_sharing_agreements"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["practitioners.id"],
            name=op.f("fk_sharing_agreements_created_by_id_practitioners"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sharing_agreements")),
        sa.UniqueConstraint("reference", "version", name=op.f("uq_sharing_agreements_reference")),
    )
    with op.batch_alter_table(AGREEMENTS, schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sharing_agreements_reference"), ["reference"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_sharing_agreements_keeper_agency_id"),
            ["keeper_agency_id"],
            unique=False,
        )
    op.create_table(
        EVENTS,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["sharing_agreements.id"],
            name=op.f("fk_sharing_agreement_events_agreement_id_sharing_agreements"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["practitioners.id"],
            name=op.f("fk_sharing_agreement_events_recorded_by_id_practitioners"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sharing_agreement_events")),
    )
    with op.batch_alter_table(EVENTS, schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sharing_agreement_events_agreement_id"),
            ["agreement_id"],
            unique=False,
        )
    guard_append_only(AGREEMENTS, EVENTS)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        for table in (EVENTS, AGREEMENTS):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    with op.batch_alter_table(EVENTS, schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sharing_agreement_events_agreement_id"))
    op.drop_table(EVENTS)
    with op.batch_alter_table(AGREEMENTS, schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sharing_agreements_keeper_agency_id"))
        batch_op.drop_index(batch_op.f("ix_sharing_agreements_reference"))
    op.drop_table(AGREEMENTS)
