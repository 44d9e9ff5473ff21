"""seal the reason a disclosure went ahead against the agreements

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-06

Where the data sharing agreements said DENY, a disclosure goes ahead only with a written
reason why sharing was still lawful (``disclosures.agreement_override_reason``, since
0031). It is free text about the child, so from now on it is sealed like a revocation's
reason: under the data key of the agency record the disclosure's decision is about,
bound to the row by a new ``seal_id``.

Reasons already written are sealed here too, rather than left in clear to be read as
they are: each row holding one gets a ``seal_id`` and its reason sealed under that
record's key, which needs the master key, as any start of the service does. Where the
record has been erased under the retention schedule its key is gone, and the reason
should have gone with it; it was kept only because it was not sealed. It is replaced by
the erasure marker, which is what every reader shows for that row from now on. Rows
without a reason keep a NULL ``seal_id``: there is nothing to seal.

Disclosures are write-once. Adding a nullable column is an ``ALTER TABLE`` on both
backends and leaves the guards alone; the rows are rewritten with the guards lifted
(SQLite's triggers dropped and put back, PostgreSQL's switched off) and restored in
the same transaction. Going down opens every sealed reason back into clear (an erased
record's as its marker) before the column goes, so nothing readable is lost.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

from jigsaw.migrations.guards import guard_append_only
from jigsaw.protection.keyring import AGENCY_RECORD, Erased, Place, Subject, keyring, reveal
from jigsaw.protection.sealed import new_seal_id

revision = "0035"
down_revision = "0034"
branch_labels = None
depends_on = None

TABLE = "disclosures"
COLUMN = "agreement_override_reason"
_WITH_RECORD = (
    "SELECT d.id, d.seal_id, d.agreement_override_reason AS reason, "
    "s.subject_record_id FROM disclosures d "
    "JOIN sharing_decisions s ON s.id = d.decision_id "
    "WHERE d.agreement_override_reason IS NOT NULL AND d.seal_id {seal} ORDER BY d.id"
)
_REWRITE = sa.text(
    "UPDATE disclosures SET seal_id = :seal_id, agreement_override_reason = :reason WHERE id = :id"
)


def upgrade() -> None:
    op.add_column(TABLE, sa.Column("seal_id", sa.String(length=32), nullable=True))
    sealed = _sealed(op.get_bind())
    if sealed:
        with _unguarded():
            op.get_bind().execute(_REWRITE, sealed)


def downgrade() -> None:
    bind = op.get_bind()
    opened = _opened(bind)
    if opened:
        with _unguarded():
            bind.execute(_REWRITE, opened)
    # SQLite (3.35 and later) drops a column in place: nothing is rebuilt, the guards stay.
    op.drop_column(TABLE, "seal_id")


def _sealed(bind: sa.Connection) -> list[dict[str, Any]]:
    """Each reason in clear, sealed under its record's key with a seal of its own (or,
    on an erased record, the erasure marker in its place), by disclosure id."""
    rows = bind.execute(sa.text(_WITH_RECORD.format(seal="IS NULL"))).all()
    if not rows:
        return []
    session = Session(bind=bind)
    try:
        ring = keyring(session)
        subjects = {row.id: Subject(AGENCY_RECORD, row.subject_record_id) for row in rows}
        ring.prefetch(subjects.values())
        erased = {
            s: key for s in subjects.values() if isinstance(key := ring.for_reading(s), Erased)
        }
        keys = ring.for_writing_many(s for s in subjects.values() if s not in erased)
        found = []
        for row in rows:
            subject = subjects[row.id]
            seal_id = new_seal_id()
            gone = erased.get(subject)
            value = (
                gone.marker
                if gone is not None
                else keys[subject].seal(Place(TABLE, COLUMN, seal_id), row.reason)
            )
            found.append({"id": row.id, "seal_id": seal_id, "reason": value})
        return found
    finally:
        session.close()


def _opened(bind: sa.Connection) -> list[dict[str, Any]]:
    """Each sealed reason in clear again, its seal dropped, by disclosure id."""
    rows = bind.execute(sa.text(_WITH_RECORD.format(seal="IS NOT NULL"))).all()
    if not rows:
        return []
    session = Session(bind=bind)
    try:
        ring = keyring(session)
        ring.prefetch(Subject(AGENCY_RECORD, row.subject_record_id) for row in rows)
        return [
            {
                "id": row.id,
                "seal_id": None,
                "reason": reveal(
                    ring,
                    Subject(AGENCY_RECORD, row.subject_record_id),
                    Place(TABLE, COLUMN, row.seal_id),
                    row.reason,
                ),
            }
            for row in rows
        ]
    finally:
        session.close()


@contextmanager
def _unguarded() -> Iterator[None]:
    """Lift the append-only guards while rows are rewritten, and put them back after.

    SQLite's triggers are dropped and made again; PostgreSQL's statement trigger is
    switched off and on. Both happen inside the migration's one transaction, so no
    other writer ever sees the table unguarded.
    """
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_no_{verb}")
        yield
        guard_append_only(TABLE)
        return
    op.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER USER")
    yield
    op.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER USER")
