"""imports of relationships, involvements and information items

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-06

``record_imports`` gains ``kind`` (records, relationships, involvements or items; the
runs before this were all records). ``imported_rows`` keeps, for each relationship,
involvement or item row an agency has imported, its own id for it, a digest of what the
row said and what Jigsaw made of it, so importing the same row again does nothing and a
changed item row becomes the item's next version. Going down drops both; what was
imported stays, and the audit log keeps what each import did.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None

TABLE = "imported_rows"


def upgrade() -> None:
    with op.batch_alter_table("record_imports", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=16), server_default="records", nullable=False)
        )
    op.create_table(
        TABLE,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("local_id", sa.String(length=64), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_imported_rows_agency_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["record_imports.id"],
            name=op.f("fk_imported_rows_import_id_record_imports"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_imported_rows")),
        sa.UniqueConstraint(
            "agency_id", "kind", "local_id", name=op.f("uq_imported_rows_agency_id")
        ),
    )
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_imported_rows_import_id"), ["import_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_imported_rows_import_id"))
    op.drop_table(TABLE)
    with op.batch_alter_table("record_imports", schema=None) as batch_op:
        batch_op.drop_column("kind")
