"""Operation Encompass notices recorded as disclosures

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-06

An Operation Encompass notice tells a school's designated safeguarding leads the date
of a police domestic abuse incident around a child and whom in the police to contact.
It is a disclosure made under a standing protocol, not a practitioner's decision, so
it has a table of its own: ``encompass_disclosures`` keeps one row per school told,
naming the version of the item that went, the fields, the lawful basis, the types list
that matched and what the data sharing agreements said, for the disclosure register
a family can be given. One row per item and school (the notice is sent once), and the
rows are write-once, guarded like the other records. Notices sent before this revision
are not written into it: their audit entries (``encompass.notified``) name the item and
the schools but not the officer named or what the agreements said then, and a row must
not guess them; they stay in the audit log alone. Going down drops the table; the
audit log keeps each notice.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from jigsaw.migrations.guards import guard_append_only

revision = "0034"
down_revision = "0033"
branch_labels = None
depends_on = None

TABLE = "encompass_disclosures"


def _fk(column: str, target: str) -> sa.ForeignKeyConstraint:
    table = target.split(".")[0]
    return sa.ForeignKeyConstraint([column], [target], name=op.f(f"fk_{TABLE}_{column}_{table}"))


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("item_chain_id", sa.Integer(), nullable=False),
        sa.Column("subject_record_id", sa.Integer(), nullable=False),
        sa.Column("police_agency_id", sa.Integer(), nullable=False),
        sa.Column("school_agency_id", sa.Integer(), nullable=False),
        sa.Column("school_record_id", sa.Integer(), nullable=False),
        sa.Column("police_contact_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column(
            "purpose",
            # Stored as a plain string, as ``db.enum_column`` makes it; the values are the
            # ones this revision knows, not whatever the models say later.
            sa.Enum(
                "child_protection_enquiry",
                "child_in_need_assessment",
                "mash_screening",
                "early_help",
                "domestic_abuse_notification",
                "health_care",
                "court_proceedings",
                name="sharingpurpose",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("lawful_basis", sa.String(length=40), nullable=False),
        sa.Column("art9_condition", sa.String(length=40), nullable=True),
        sa.Column("art10_condition", sa.String(length=40), nullable=True),
        sa.Column("types_version", sa.String(length=64), nullable=False),
        sa.Column("notified_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("agreement_verdict", sa.String(length=16), nullable=False),
        sa.Column("agreement_reasons", sa.JSON(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=True),
        sa.Column("agreement_version", sa.Integer(), nullable=True),
        _fk("item_id", "information_items.id"),
        _fk("item_chain_id", "information_items.id"),
        _fk("subject_record_id", "agency_records.id"),
        _fk("police_agency_id", "agencies.id"),
        _fk("school_agency_id", "agencies.id"),
        _fk("school_record_id", "agency_records.id"),
        _fk("police_contact_id", "practitioners.id"),
        _fk("recorded_by_id", "practitioners.id"),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{TABLE}")),
        sa.UniqueConstraint(
            "item_chain_id", "school_agency_id", name=op.f(f"uq_{TABLE}_item_chain_id")
        ),
    )
    for column in ("item_chain_id", "subject_record_id", "police_agency_id", "school_agency_id"):
        op.create_index(op.f(f"ix_{TABLE}_{column}"), TABLE, [column])
    guard_append_only(TABLE)


def downgrade() -> None:
    # Dropping the table drops its guards (SQLite triggers, the PostgreSQL trigger) with it.
    op.drop_table(TABLE)
