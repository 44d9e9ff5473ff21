"""online match key for the date of birth with the street's name

Revision ID: 0037
Revises: 0036
Create Date: 2026-12-07

The batch model blocks on the date of birth with the first word of the street's name
(``settings.blocking_rules``), read wherever the address puts it
(``features.house_street_of``): the same person born that day on that street when the
house number, the street's type word, the names and the postcode were mistyped,
changed or left out. This adds the column the online match's ``dob_street_name``
look-up reads, fills it from each indexed record's stored address (the value the next
run would give), and the index the look-up uses, so a record arriving on its own is
found where a run would find it.

Every row of ``match_keys`` is rewritten and building the indexes on a populated
PostgreSQL table locks writes to it while it runs: run it outside a batch linkage.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from jigsaw.linkage.features import house_street_of, street_name_of, street_of

revision = "0037"
down_revision = "0036"
branch_labels = None
depends_on = None

_BATCH = 5_000


def upgrade() -> None:
    with op.batch_alter_table("match_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("street_name", sa.String(length=300), nullable=True))
    _fill_new_columns()
    op.create_index("ix_match_keys_dob_street_name", "match_keys", ["dob", "street_name"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ANALYZE match_keys")


def _fill_new_columns() -> None:
    bind = op.get_bind()
    keys = sa.table(
        "match_keys",
        sa.column("agency_record_id", sa.Integer),
        sa.column("address", sa.String),
        sa.column("street_name", sa.String),
    )
    update = (
        keys.update()
        .where(keys.c.agency_record_id == sa.bindparam("record"))
        .values(
            street_name=sa.bindparam("new_street_name"),
        )
    )
    last = -1
    while True:
        rows = bind.execute(
            sa.select(keys.c.agency_record_id, keys.c.address)
            .where(keys.c.agency_record_id > last)
            .order_by(keys.c.agency_record_id)
            .limit(_BATCH)
        ).all()
        if not rows:
            return
        values = []
        for record, address in rows:
            house_street = house_street_of(address, street_of(address))
            values.append(
                {
                    "record": record,
                    "new_street_name": street_name_of(house_street),
                }
            )
        bind.execute(update, values)
        last = rows[-1][0]


def downgrade() -> None:
    op.drop_index("ix_match_keys_dob_street_name", table_name="match_keys")
    with op.batch_alter_table("match_keys", schema=None) as batch_op:
        batch_op.drop_column("street_name")
