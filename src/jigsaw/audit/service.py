"""Appending to the audit log. Called by every service inside its own transaction.

The entry is staged on the session and sequenced into the Merkle log as the
transaction commits (see ``jigsaw.audit.log``), so a change and its audit entry are
committed together or not at all.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Protocol, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from jigsaw.audit import log
from jigsaw.audit.actions import AuditAction
from jigsaw.audit.merkle import ProofError
from jigsaw.audit.models import AuditCheckpoint, AuditEntry
from jigsaw.audit.schemas import CheckpointOut, ConsistencyProof, InclusionProof
from jigsaw.audit.signing import Checkpoint, Signer, VerifierKey
from jigsaw.audit.tree import StoredTree
from jigsaw.audit.verify import Report, verify_log
from jigsaw.clock import utcnow
from jigsaw.db import Database
from jigsaw.errors import InvalidInput
from jigsaw.policy.actor import Actor

RefValue = int | str | list[int]


def append(
    session: Session,
    actor: Actor,
    action: AuditAction,
    object_type: str,
    object_id: int | str | None,
    *,
    purpose: str | None = None,
    refs: Mapping[str, RefValue] | None = None,
) -> AuditEntry:
    """Stage one entry in the session's transaction.

    ``refs`` carries other ids the event touched (never names or free text), so
    the log can answer "what happened to item 7" without holding personal data.
    """
    entry = AuditEntry(
        occurred_at=utcnow(),
        actor_id=actor.practitioner_id,
        actor_agency_id=actor.agency_id,
        action=action.value,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        purpose=purpose,
        refs=dict(refs or {}),
    )
    log.stage(session, entry)
    return entry


class _Identified(Protocol):
    @property
    def id(self) -> int: ...


_Row = TypeVar("_Row", bound=_Identified)


def append_new(
    session: Session,
    actor: Actor,
    row: _Row,
    action: AuditAction,
    object_type: str,
    *,
    purpose: str | None = None,
    refs: Mapping[str, RefValue] | None = None,
) -> _Row:
    """Add a new row and stage the entry that records its making.

    The flush comes first because the entry names the row by its id, which the
    database gives only once the row is written.
    """
    session.add(row)
    session.flush()
    append(session, actor, action, object_type, row.id, purpose=purpose, refs=refs)
    return row


def make_checkpoint(db: Database, signer: Signer) -> CheckpointOut:
    """Sign the current tree head, unless the latest checkpoint already covers it.

    Checkpoints are not themselves audited: they are the log's own statements, and
    auditing them would grow the tree they have just signed.
    """
    with db.transaction() as session:
        size, root = StoredTree(session).head_root()
        latest = session.scalar(
            select(AuditCheckpoint).order_by(AuditCheckpoint.tree_size.desc()).limit(1)
        )
        if latest is not None and latest.tree_size == size:
            return CheckpointOut.model_validate(latest)
        checkpoint = AuditCheckpoint(
            tree_size=size,
            root_hash=root,
            note=signer.sign(Checkpoint(signer.name, size, root)),
            created_at=utcnow(),
        )
        session.add(checkpoint)
        session.flush()
        return CheckpointOut.model_validate(checkpoint)


def latest_checkpoint(db: Database) -> CheckpointOut | None:
    with db.reading() as session:
        latest = session.scalar(
            select(AuditCheckpoint).order_by(AuditCheckpoint.tree_size.desc()).limit(1)
        )
        return None if latest is None else CheckpointOut.model_validate(latest)


def prove_inclusion(db: Database, seq: int, tree_size: int | None = None) -> InclusionProof:
    with db.reading() as session:
        tree = StoredTree(session)
        size = tree_size if tree_size is not None else tree.size()
        try:
            path = tree.inclusion(seq, size)
            leaf = tree.leaf(seq)
        except ProofError as exc:
            raise InvalidInput.one("entry", str(exc)) from exc
        return InclusionProof(
            leaf_index=seq,
            tree_size=size,
            leaf_hash=_b64(leaf),
            proof=[_b64(p) for p in path],
            root_hash=_b64(tree.root(size)),
        )


def prove_consistency(db: Database, old_size: int, new_size: int | None = None) -> ConsistencyProof:
    with db.reading() as session:
        tree = StoredTree(session)
        size = new_size if new_size is not None else tree.size()
        try:
            path = tree.consistency(old_size, size)
        except ProofError as exc:
            raise InvalidInput.one("old_size", str(exc)) from exc
        return ConsistencyProof(
            old_size=old_size,
            new_size=size,
            old_root=_b64(tree.root(old_size)),
            new_root=_b64(tree.root(size)),
            proof=[_b64(p) for p in path],
        )


def verify(
    db: Database, trusted: VerifierKey, external: list[tuple[str, str]] | None = None
) -> Report:
    with db.reading() as session:
        return verify_log(session, trusted, external)


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode()
