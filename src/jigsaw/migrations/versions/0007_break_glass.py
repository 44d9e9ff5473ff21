"""break-glass sessions

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25

Emergency access to one child's information: the session (who, which child, why, until
when) and, when it is ended early, a row saying so. Both are write-once.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from jigsaw.migrations.guards import guard_append_only

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

WRITE_ONCE = ("break_glass_sessions", "break_glass_ends")


def upgrade() -> None:
    op.create_table(
        "break_glass_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("practitioner_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_break_glass_sessions_agency_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_break_glass_sessions_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["practitioner_id"],
            ["practitioners.id"],
            name=op.f("fk_break_glass_sessions_practitioner_id_practitioners"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_break_glass_sessions")),
    )
    with op.batch_alter_table("break_glass_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_break_glass_sessions_person_id"), ["person_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_break_glass_sessions_practitioner_id"), ["practitioner_id"], unique=False
        )
    op.create_table(
        "break_glass_ends",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("ended_by_id", sa.Integer(), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["ended_by_id"],
            ["practitioners.id"],
            name=op.f("fk_break_glass_ends_ended_by_id_practitioners"),
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["break_glass_sessions.id"],
            name=op.f("fk_break_glass_ends_session_id_break_glass_sessions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_break_glass_ends")),
        sa.UniqueConstraint("session_id", name=op.f("uq_break_glass_ends_session_id")),
    )
    guard_append_only(*WRITE_ONCE)


def downgrade() -> None:
    op.drop_table("break_glass_ends")
    with op.batch_alter_table("break_glass_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_break_glass_sessions_practitioner_id"))
        batch_op.drop_index(batch_op.f("ix_break_glass_sessions_person_id"))
    op.drop_table("break_glass_sessions")
