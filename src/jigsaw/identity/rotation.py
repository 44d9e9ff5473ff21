"""Master key rotation for accounts: re-seal every second-factor secret, after the data keys.

Second-factor secrets are sealed under a key derived from the master key itself
(``identity.account_keys``), so each is opened under the key it names and sealed
again under the current one; without that, removing the retired key would leave
nobody able to sign in. The data keys are re-wrapped first (``protection.service``),
which knows nothing of accounts: this is the one place that moves both. Each batch
is one transaction with its audit entry, and only what is still under another key
(or in an earlier sealed form) is picked up, so a rotation that stops part-way is
simply run again.
"""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import select

from jigsaw.audit import service as audit
from jigsaw.audit.actions import AuditAction
from jigsaw.db import Database
from jigsaw.identity.account_keys import AccountKeys
from jigsaw.identity.models import Practitioner
from jigsaw.policy.actor import Actor
from jigsaw.policy.authorize import Permission, require
from jigsaw.protection import service as protection

BATCH = protection.BATCH


class Rewrapped(NamedTuple):
    """How much a rewrap moved to the current master key."""

    data_keys: int
    second_factors: int


def rewrap(db: Database, actor: Actor, accounts: AccountKeys, *, batch: int = BATCH) -> Rewrapped:
    """Move everything still under a retired master key to the current one."""
    require(actor, Permission.APPLY_RETENTION)
    data_keys = protection.rewrap(db, actor, batch=batch)
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
