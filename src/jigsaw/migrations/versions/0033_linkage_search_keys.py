"""online match keys for every batch blocking rule

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-06

The batch model (person-2026.12.2) blocks on the postcode alone, on house number and
street, on given name with family-name Soundex, on family name with given-name
Metaphone, and on date of birth with a swapped name, the same first two letters of the
given name or the same house number. The online match could look none of these up, so
a record arriving on its own was not found where a run would find it. This adds the
columns those rules join on (``street``, ``house_number``, ``given_prefix``) and an
index for each, and fills the new columns for records already indexed from their
stored address and given name, with the functions the batch run derives them with.

Building the indexes on a populated PostgreSQL table locks writes to ``match_keys``
while it runs; run it outside a batch linkage, and ``VACUUM match_keys`` after it: the
fill rewrites every row, and the dead ones slowed searches twofold until vacuumed.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from jigsaw.linkage.features import given_prefix_of, house_number_of, street_of

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None

_BATCH = 5_000


def upgrade() -> None:
    with op.batch_alter_table("match_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("street", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("house_number", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("given_prefix", sa.String(length=2), nullable=True))
    _fill_new_columns()
    op.create_index("ix_match_keys_street", "match_keys", ["street"])
    op.create_index("ix_match_keys_postcode", "match_keys", ["postcode"])
    op.create_index("ix_match_keys_given_family_soundex", "match_keys", ["given", "family_soundex"])
    op.create_index(
        "ix_match_keys_family_given_metaphone", "match_keys", ["family", "given_metaphone"]
    )
    op.create_index(
        "ix_match_keys_dob_given_prefix_house_number",
        "match_keys",
        ["dob", "given_prefix", "house_number", "given", "family"],
    )
    if op.get_bind().dialect.name == "postgresql":
        # Every row was rewritten: the planner's statistics predate the new columns.
        op.execute("ANALYZE match_keys")


def _fill_new_columns() -> None:
    bind = op.get_bind()
    keys = sa.table(
        "match_keys",
        sa.column("agency_record_id", sa.Integer),
        sa.column("given", sa.String),
        sa.column("address", sa.String),
        sa.column("street", sa.String),
        sa.column("house_number", sa.String),
        sa.column("given_prefix", sa.String),
    )
    update = (
        keys.update()
        .where(keys.c.agency_record_id == sa.bindparam("record"))
        .values(
            street=sa.bindparam("new_street"),
            house_number=sa.bindparam("new_house_number"),
            given_prefix=sa.bindparam("new_given_prefix"),
        )
    )
    last = -1
    while True:
        rows = bind.execute(
            sa.select(keys.c.agency_record_id, keys.c.given, keys.c.address)
            .where(keys.c.agency_record_id > last)
            .order_by(keys.c.agency_record_id)
            .limit(_BATCH)
        ).all()
        if not rows:
            return
        values = []
        for record, given, address in rows:
            street = street_of(address)
            values.append(
                {
                    "record": record,
                    "new_street": street,
                    "new_house_number": house_number_of(street),
                    "new_given_prefix": given_prefix_of(given),
                }
            )
        bind.execute(update, values)
        last = rows[-1][0]


def downgrade() -> None:
    op.drop_index("ix_match_keys_dob_given_prefix_house_number", table_name="match_keys")
    op.drop_index("ix_match_keys_family_given_metaphone", table_name="match_keys")
    op.drop_index("ix_match_keys_given_family_soundex", table_name="match_keys")
    op.drop_index("ix_match_keys_postcode", table_name="match_keys")
    op.drop_index("ix_match_keys_street", table_name="match_keys")
    with op.batch_alter_table("match_keys", schema=None) as batch_op:
        batch_op.drop_column("given_prefix")
        batch_op.drop_column("house_number")
        batch_op.drop_column("street")
