"""Master key rotation: re-wrap every data key under the current master key.

Of what is sealed about a child, only the wrapped data keys change; not one sealed
value is touched, which is what makes a rotation cheap however much is stored. Each
batch is one transaction with its audit entry, and only what is still under another
key is picked up, so a rotation that stops part-way is simply run again. Second-factor
secrets are sealed under the master key too, but they belong to accounts, which sit
above this package: ``identity.rotation`` re-seals them, and ``jigsaw protection
rewrap`` does both.
"""

from __future__ import annotations

from sqlalchemy import select

from jigsaw.audit import service as audit
from jigsaw.audit.actions import AuditAction
from jigsaw.db import Database
from jigsaw.policy.actor import Actor
from jigsaw.policy.authorize import Permission, require
from jigsaw.protection import master_key as keys
from jigsaw.protection.keyring import Subject
from jigsaw.protection.master_key import WrappedKey
from jigsaw.protection.models import DataKey

BATCH = 500


def rewrap(db: Database, actor: Actor, *, batch: int = BATCH) -> int:
    """Move every data key still under a retired master key to the current one; how many."""
    require(actor, Permission.APPLY_RETENTION)
    return _rewrap_data_keys(db, actor, batch)


def _rewrap_data_keys(db: Database, actor: Actor, batch: int) -> int:
    moved = 0
    while True:
        with db.transaction() as session:
            master = keys.key_of(session.info)
            rows = session.scalars(
                select(DataKey)
                .where(DataKey.wrapped.is_not(None), DataKey.master_key_id != master.key_id)
                .order_by(DataKey.id)
                .limit(batch)
            ).all()
            if not rows:
                return moved
            for row in rows:
                assert row.wrapped is not None and row.master_key_id is not None
                context = Subject(row.subject_kind, row.subject_id).context
                plain = master.unwrap(WrappedKey(row.master_key_id, row.wrapped), context)
                wrapped = master.wrap(plain, context)
                row.master_key_id, row.wrapped = wrapped.key_id, wrapped.wrapped
            audit.append(
                session,
                actor,
                AuditAction.DATA_KEYS_REWRAPPED,
                "data_keys",
                None,
                refs={"keys": len(rows), "first": rows[0].id, "last": rows[-1].id},
            )
            moved += len(rows)
