"""Sealing generated items the way the services seal recorded ones, in bulk.

Generated rows are written with bulk INSERTs, which the unit of work's sealing never
sees, so the generator seals them itself, under the same data key per agency record.
Everything here is derived from the seed (the records' data keys, each row's seal id
and each value's nonce), so the same seed still gives the same rows. That is safe
only because the data is synthetic: derived keys are as secret as the master key and
no more. Each row's nonces are distinct slices of one HMAC of its seal, so no key
ever sees the same nonce twice.
"""

from __future__ import annotations

import hmac
from typing import Any

from sqlalchemy.orm import Session

from jigsaw.protection.keyring import AGENCY_RECORD, Place, Subject, keyring
from jigsaw.protection.master_key import NONCE_BYTES
from jigsaw.protection.sealed import sealed_columns
from jigsaw.records.models import InformationItem, sensitivity_text

_TABLE = InformationItem.__tablename__
_NOT_GENERATED = frozenset({"subtype_other", "correction_reason"})
"""Sealed columns a generated item leaves NULL: each is a first version of a listed type."""
_COLUMNS = tuple(c for c in sealed_columns(InformationItem) if c not in _NOT_GENERATED)
assert len(_COLUMNS) * NONCE_BYTES <= 64, "one SHA-512 HMAC holds every column's nonce"


def _mac(key: bytes, message: str, digest: str = "sha256") -> bytes:
    return hmac.digest(key, message.encode(), digest)


def seal_items(session: Session, seed: int, items: list[dict[str, Any]]) -> None:
    """Replace each item's narrative, type and flags with their ciphertext, and give the
    row its seal id. The flags move into the sealed ``sensitivity``, leaving their clear
    columns NULL, as the services store them."""
    if not items:
        return
    ring = keyring(session)
    secret = ring.master.derive(f"synthetic/{seed}")
    keys = ring.for_writing_many(
        {Subject(AGENCY_RECORD, item["subject_record_id"]) for item in items},
        make=lambda subject: _mac(secret, f"data-key:{subject.kind}:{subject.id}"),
    )
    for item in items:
        key = keys[Subject(AGENCY_RECORD, item["subject_record_id"])]
        seal_id = _mac(secret, f"seal:{item['id']}")[:16].hex()
        nonces = _mac(key.key, f"nonces:{seal_id}", "sha512")
        item["sensitivity"] = sensitivity_text(
            bool(item.pop("special_category")), bool(item.pop("criminal_offence"))
        )
        item["special_category"] = item["criminal_offence"] = None
        for n, column in enumerate(_COLUMNS):
            nonce = nonces[n * NONCE_BYTES : (n + 1) * NONCE_BYTES]
            item[column] = key.seal(Place(_TABLE, column, seal_id), item[column], nonce)
        item["seal_id"] = seal_id
