"""online match keys for the house-number blocking rules

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-07

The batch model blocks on the given name with the house number, and on the family
name's Soundex with the house number (``settings.blocking_rules``): the same person or
family at the same number when the street and postcode were both mistyped. The columns
are there already (``house_number`` since 0033, filled from the stored address); this
adds the two indexes the online match's ``given_house`` and ``family_house`` look-ups
read, so a record arriving on its own is found where a run would find it, in an index
read rather than a scan of ``match_keys``. Both rules also ask for the same first letter
of the street's name; the look-ups check it on the rows the index finds, reading it
from ``street`` (``online.DERIVED_COLUMNS``).

Building the indexes on a populated PostgreSQL table locks writes to ``match_keys``
while it runs: run it outside a batch linkage. No row is rewritten.
"""

from __future__ import annotations

from alembic import op

revision = "0036"
down_revision = "0035"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_match_keys_given_house_number", "match_keys", ["given", "house_number"])
    op.create_index(
        "ix_match_keys_family_soundex_house_number",
        "match_keys",
        ["family_soundex", "house_number"],
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ANALYZE match_keys")


def downgrade() -> None:
    op.drop_index("ix_match_keys_family_soundex_house_number", table_name="match_keys")
    op.drop_index("ix_match_keys_given_house_number", table_name="match_keys")
