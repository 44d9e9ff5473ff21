"""linkage

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25

Record linkage: runs (with the model version each used), the review queue, the
history of every change to who is linked to whom (write-once, so any merge or
unmerge can be traced and undone), and the online match's index.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from jigsaw.migrations.guards import guard_append_only

WRITE_ONCE = ("link_changes", "link_events")

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_LINK_STATUS = sa.Enum(
    "unlinked",
    "auto",
    "confirmed",
    "in_review",
    "rejected",
    name="linkstatus",
    native_enum=False,
    length=32,
)


def upgrade() -> None:
    op.create_table(
        "linkage_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model_version", sa.String(length=64), nullable=False),
        sa.Column("backend", sa.String(length=16), nullable=False),
        sa.Column("auto_threshold", sa.Float(), nullable=False),
        sa.Column("review_threshold", sa.Float(), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("scored_pairs", sa.Integer(), nullable=False),
        sa.Column("persons_created", sa.Integer(), nullable=False),
        sa.Column("records_linked", sa.Integer(), nullable=False),
        sa.Column("reviews_opened", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_linkage_runs")),
    )

    op.create_table(
        "link_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("candidate_record_id", sa.Integer(), nullable=False),
        sa.Column("match_probability", sa.Float(), nullable=False),
        sa.Column("match_weight", sa.Float(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "confirmed",
                "rejected",
                name="reviewstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["linkage_runs.id"], name=op.f("fk_link_reviews_run_id_linkage_runs")
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["agency_records.id"],
            name=op.f("fk_link_reviews_record_id_agency_records"),
        ),
        sa.ForeignKeyConstraint(
            ["candidate_record_id"],
            ["agency_records.id"],
            name=op.f("fk_link_reviews_candidate_record_id_agency_records"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"],
            ["practitioners.id"],
            name=op.f("fk_link_reviews_decided_by_practitioners"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link_reviews")),
    )
    with op.batch_alter_table("link_reviews", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_link_reviews_run_id"), ["run_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_link_reviews_record_id"), ["record_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_link_reviews_candidate_record_id"),
            ["candidate_record_id"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_link_reviews_status"), ["status"], unique=False)

    op.create_table(
        "link_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "run",
                "confirm",
                "reject",
                "unmerge",
                "undo",
                name="changekind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("review_id", sa.Integer(), nullable=True),
        sa.Column("reverses_id", sa.Integer(), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["linkage_runs.id"], name=op.f("fk_link_changes_run_id_linkage_runs")
        ),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["link_reviews.id"],
            name=op.f("fk_link_changes_review_id_link_reviews"),
        ),
        sa.ForeignKeyConstraint(
            ["reverses_id"],
            ["link_changes.id"],
            name=op.f("fk_link_changes_reverses_id_link_changes"),
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["practitioners.id"], name=op.f("fk_link_changes_actor_id_practitioners")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link_changes")),
    )
    with op.batch_alter_table("link_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_link_changes_run_id"), ["run_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_link_changes_review_id"), ["review_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_link_changes_reverses_id"), ["reverses_id"], unique=True
        )

    op.create_table(
        "link_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("change_id", sa.Integer(), nullable=False),
        sa.Column("agency_record_id", sa.Integer(), nullable=False),
        sa.Column("from_person_id", sa.Integer(), nullable=True),
        sa.Column("to_person_id", sa.Integer(), nullable=True),
        sa.Column("from_status", _LINK_STATUS, nullable=False),
        sa.Column("to_status", _LINK_STATUS, nullable=False),
        sa.Column("match_probability", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["change_id"], ["link_changes.id"], name=op.f("fk_link_events_change_id_link_changes")
        ),
        sa.ForeignKeyConstraint(
            ["agency_record_id"],
            ["agency_records.id"],
            name=op.f("fk_link_events_agency_record_id_agency_records"),
        ),
        sa.ForeignKeyConstraint(
            ["from_person_id"], ["persons.id"], name=op.f("fk_link_events_from_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["to_person_id"], ["persons.id"], name=op.f("fk_link_events_to_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link_events")),
    )
    with op.batch_alter_table("link_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_link_events_change_id"), ["change_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_link_events_agency_record_id"), ["agency_record_id"], unique=False
        )

    op.create_table(
        "match_keys",
        sa.Column("agency_record_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("given", sa.String(length=100), nullable=True),
        sa.Column("given_names", sa.String(length=500), nullable=True),
        sa.Column("given_metaphone", sa.String(length=100), nullable=True),
        sa.Column("family", sa.String(length=100), nullable=True),
        sa.Column("family_parts", sa.String(length=200), nullable=True),
        sa.Column("family_soundex", sa.String(length=8), nullable=True),
        sa.Column("dob", sa.Date(), nullable=True),
        sa.Column("birth_year", sa.Integer(), nullable=True),
        sa.Column("sex", sa.String(length=16), nullable=True),
        sa.Column("postcode", sa.String(length=10), nullable=True),
        sa.Column("postcode_sector", sa.String(length=10), nullable=True),
        sa.Column("postcode_district", sa.String(length=10), nullable=True),
        sa.Column("address", sa.String(length=300), nullable=True),
        sa.Column("nhs_number", sa.String(length=10), nullable=True),
        sa.Column("role_group", sa.String(length=8), nullable=True),
        sa.ForeignKeyConstraint(
            ["agency_record_id"],
            ["agency_records.id"],
            name=op.f("fk_match_keys_agency_record_id_agency_records"),
        ),
        sa.PrimaryKeyConstraint("agency_record_id", name=op.f("pk_match_keys")),
    )
    with op.batch_alter_table("match_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_match_keys_dob"), ["dob"], unique=False)
        batch_op.create_index(batch_op.f("ix_match_keys_address"), ["address"], unique=False)
        batch_op.create_index(batch_op.f("ix_match_keys_nhs_number"), ["nhs_number"], unique=False)
        batch_op.create_index(
            "ix_match_keys_dob_family_soundex", ["dob", "family_soundex"], unique=False
        )
        batch_op.create_index("ix_match_keys_given_family", ["given", "family"], unique=False)
        batch_op.create_index(
            "ix_match_keys_family_soundex_birth_year",
            ["family_soundex", "birth_year"],
            unique=False,
        )
        batch_op.create_index(
            "ix_match_keys_postcode_sector_given", ["postcode_sector", "given"], unique=False
        )

    guard_append_only(*WRITE_ONCE)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        for table in WRITE_ONCE:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    op.drop_table("match_keys")
    op.drop_table("link_events")
    op.drop_table("link_changes")
    op.drop_table("link_reviews")
    op.drop_table("linkage_runs")
