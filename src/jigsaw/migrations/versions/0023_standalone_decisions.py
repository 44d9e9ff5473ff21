"""decisions that are not about one child's record

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06

Golden rule 7 asks for the reasons behind every decision to share or not. A sharing
decision is about one child's record, for a purpose from the closed list, with a
safeguarding agency; this table keeps the others: anonymised figures or case
descriptions shared, and refusals of requests from someone with no safeguarding role
or that gave no purpose. Write-once like every decision, with its free text sealed
(``seal_id``) under the child's record key where it names one, else the agency's.
The outcome each kind may have is checked by the database as well as the service.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from jigsaw.migrations.guards import guard_append_only

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

TABLE = "standalone_decisions"


def _enum(name: str, *values: str) -> sa.Enum:
    """Stored as plain strings, as ``db.enum_column`` makes them; the values are the
    ones this revision knows, not whatever the models say later."""
    return sa.Enum(*values, name=name, native_enum=False, length=32)


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            _enum(
                "standalonekind",
                "anonymised_share",
                "refused_no_safeguarding_role",
                "refused_no_purpose",
            ),
            nullable=False,
        ),
        sa.Column("subject_record_id", sa.Integer(), nullable=True),
        sa.Column("recipient_or_requester", sa.Text(), nullable=False),
        sa.Column(
            "requester_kind",
            _enum(
                "requesterkind",
                "parent_or_carer",
                "other_family_member",
                "landlord",
                "journalist_or_media",
                "member_of_public",
                "organisation_no_safeguarding",
                "safeguarding_agency",
                "other",
            ),
            nullable=False,
        ),
        sa.Column("recipient_agency_id", sa.Integer(), nullable=True),
        sa.Column("information", sa.Text(), nullable=False),
        sa.Column("stated_purpose", sa.Text(), nullable=False),
        sa.Column(
            "outcome",
            _enum("decisionoutcome", "share", "share_in_part", "do_not_share"),
            nullable=False,
        ),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("identifiability_checked", sa.Boolean(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seal_id", sa.String(length=32), nullable=True),
        sa.CheckConstraint(
            "(kind = 'anonymised_share' AND outcome = 'share') OR "
            "(kind <> 'anonymised_share' AND outcome = 'do_not_share')",
            name=op.f("ck_standalone_decisions_outcome_fits_kind"),
        ),
        sa.CheckConstraint(
            "kind <> 'anonymised_share' OR identifiability_checked",
            name=op.f("ck_standalone_decisions_anonymised_checked"),
        ),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_standalone_decisions_agency_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["practitioners.id"],
            name=op.f("fk_standalone_decisions_decided_by_id_practitioners"),
        ),
        sa.ForeignKeyConstraint(
            ["subject_record_id"],
            ["agency_records.id"],
            name=op.f("fk_standalone_decisions_subject_record_id_agency_records"),
        ),
        sa.ForeignKeyConstraint(
            ["recipient_agency_id"],
            ["agencies.id"],
            name=op.f("fk_standalone_decisions_recipient_agency_id_agencies"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_standalone_decisions")),
    )
    op.create_index(op.f("ix_standalone_decisions_agency_id"), TABLE, ["agency_id"])
    op.create_index(op.f("ix_standalone_decisions_subject_record_id"), TABLE, ["subject_record_id"])
    guard_append_only(TABLE)


def downgrade() -> None:
    # Dropping the table drops its guards (SQLite triggers, the PostgreSQL trigger) with it.
    op.drop_table(TABLE)
