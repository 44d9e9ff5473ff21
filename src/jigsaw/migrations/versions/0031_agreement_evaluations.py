"""what the agreements said of each request and disclosure

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-06

Reserved: no change yet.
"""

from __future__ import annotations

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
