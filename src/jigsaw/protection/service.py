"""Master key rotation: re-wrap every data key and re-seal every second-factor secret.

Of what is sealed about a child, only the wrapped data keys change; not one sealed
value is touched, which is what makes a rotation cheap however much is stored.
Second-factor secrets are sealed under a key derived from the master key itself
(``access.keys``), so each is opened under the key it names and sealed again under
the current one; without that, removing the retired key would leave nobody able to
sign in. Each batch is one transaction with its audit entry, and only what is still
under another key is picked up, so a rotation that stops part-way is simply run again.
Drafts carried in session cookies are not re-sealed: they live no longer than a
session, and one sealed under a retired key is treated as no draft.
"""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import select

from jigsaw.access.actor import Actor
from jigsaw.access.keys import AccountKeys
from jigsaw.access.policy import Permission, require
from jigsaw.agencies.models import Practitioner
from jigsaw.audit import service as audit
from jigsaw.audit.actions import AuditAction
from jigsaw.db import Database
from jigsaw.protection import keys
from jigsaw.protection.keyring import Subject
from jigsaw.protection.keys import WrappedKey
from jigsaw.protection.models import DataKey

BATCH = 500


class Rewrapped(NamedTuple):
    """How much a rewrap moved to the current master key."""

    data_keys: int
    second_factors: int


def rewrap(db: Database, actor: Actor, accounts: AccountKeys, *, batch: int = BATCH) -> Rewrapped:
    """Move everything still under a retired master key to the current one."""
    require(actor, Permission.APPLY_RETENTION)
    data_keys = _rewrap_data_keys(db, actor, batch)
    return Rewrapped(data_keys, _reseal_second_factors(db, actor, accounts, batch))


def _reseal_second_factors(db: Database, actor: Actor, accounts: AccountKeys, batch: int) -> int:
    """Re-seal each TOTP secret (enrolled or pending) not yet under the current master key."""
    moved, after = 0, 0
    while True:
        with db.transaction() as session:
            rows = session.scalars(
                select(Practitioner)
                .where(Practitioner.totp_secret.is_not(None), Practitioner.id > after)
                .order_by(Practitioner.id)
                .limit(batch)
            ).all()
            if not rows:
                return moved
            after = rows[-1].id
            resealed = []
            for row in rows:
                assert row.totp_secret is not None
                sealed = accounts.reseal_totp_secret(row.id, row.totp_secret)
                if sealed is not None:
                    row.totp_secret = sealed
                    resealed.append(row.id)
            if resealed:
                audit.append(
                    session,
                    actor,
                    AuditAction.DATA_KEYS_REWRAPPED,
                    "second_factor_secrets",
                    None,
                    refs={"secrets": len(resealed), "first": resealed[0], "last": resealed[-1]},
                )
            moved += len(resealed)


def _rewrap_data_keys(db: Database, actor: Actor, batch: int) -> int:
    master = keys.current()
    moved = 0
    while True:
        with db.transaction() as session:
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
