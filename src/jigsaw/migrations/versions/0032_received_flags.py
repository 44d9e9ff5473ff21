"""child protection flags received from other systems

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-06

Reserved: no change yet.
"""

from __future__ import annotations

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
