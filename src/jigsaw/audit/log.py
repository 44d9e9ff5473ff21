"""Sequencing audit entries into the Merkle log, at commit, under a short lock.

Services stage entries on their session (``stage``). Just before the transaction
commits, ``_sequence`` locks the single ``audit_head`` row, gives the staged entries
the next sequence numbers, stores their leaf hashes and every tree node they
complete, and moves the head. The lock is held only from that moment to the commit,
so writers run their own work in parallel and queue only for a few index writes.
On SQLite, where one writer holds the database anyway, the same code runs unchanged.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, insert, select, update
from sqlalchemy.orm import Session, SessionTransaction

from jigsaw.audit.canonical import entry_leaf_hash
from jigsaw.audit.merkle import ProofError, empty_root, node_hash
from jigsaw.audit.models import AuditEntry, AuditHead, AuditNode
from jigsaw.audit.reads import noted
from jigsaw.db import COMMITS_AT_END, STAGED_LISTS

_PENDING = "jigsaw.audit.pending"
HEAD_ID = 1
_ENTRIES = AuditEntry.metadata.tables[AuditEntry.__tablename__]
_ENTRY_COLUMNS = tuple(column.name for column in _ENTRIES.columns if column.name != "id")
_NODES = AuditNode.metadata.tables[AuditNode.__tablename__]
_HEAD = AuditHead.metadata.tables[AuditHead.__tablename__]


STAGED_LISTS.add(_PENDING)


def stage(session: Session, entry: AuditEntry) -> None:
    session.info.setdefault(_PENDING, []).append(entry)
    noted(entry, commits_with_request=bool(session.info.get(COMMITS_AT_END)))


def _row(entry: AuditEntry) -> dict[str, Any]:
    """The entry's columns as inserted, the id left to the database."""
    return {name: getattr(entry, name) for name in _ENTRY_COLUMNS}


def frontier_root(size: int, frontier: list[bytes | None]) -> bytes:
    """The tree head from its compact range: fold the perfect subtrees right to left."""
    if size == 0:
        return empty_root()
    result: bytes | None = None
    for level in range(size.bit_length()):
        if size >> level & 1:
            node = frontier[level] if level < len(frontier) else None
            if node is None:
                raise ProofError(f"The tree head for {size} entries is missing level {level}")
            result = node if result is None else node_hash(node, result)
    assert result is not None
    return result


def extend(
    size: int, frontier: list[bytes | None], leaves: list[bytes]
) -> tuple[int, list[bytes | None], list[dict[str, Any]]]:
    """Append leaf hashes to a compact range; return it with every node completed."""
    frontier = list(frontier)
    nodes: list[dict[str, Any]] = []
    for leaf in leaves:
        nodes.append({"level": 0, "idx": size, "hash": leaf})
        carry, level = leaf, 0
        while size >> level & 1:
            left = frontier[level]
            assert left is not None
            carry = node_hash(left, carry)
            frontier[level] = None
            level += 1
            nodes.append({"level": level, "idx": size >> level, "hash": carry})
        if level == len(frontier):
            frontier.append(carry)
        else:
            frontier[level] = carry
        size += 1
    return size, frontier, nodes


def decode_frontier(stored: list[str | None]) -> list[bytes | None]:
    return [bytes.fromhex(h) if h else None for h in stored]


def encode_frontier(frontier: list[bytes | None]) -> list[str | None]:
    return [h.hex() if h else None for h in frontier]


def _lock_head(session: Session) -> tuple[int, list[str | None]]:
    """The head's size and frontier as they are now, the row locked until commit.

    Columns, not the mapped row: an object cached earlier in the session could be
    stale, and the head is only read here to be moved at once."""
    query = select(AuditHead.size, AuditHead.frontier).where(AuditHead.id == HEAD_ID)
    if session.get_bind().dialect.name != "sqlite":
        query = query.with_for_update()
    size, frontier = session.connection().execute(query).one()
    return size, frontier


def _sequence(session: Session) -> None:
    pending: list[AuditEntry] = session.info.pop(_PENDING, [])
    if not pending:
        return
    head_size, head_frontier = _lock_head(session)
    for offset, entry in enumerate(pending):
        entry.seq = head_size + offset
    leaves = [entry_leaf_hash(e) for e in pending]
    size, frontier, nodes = extend(head_size, decode_frontier(head_frontier), leaves)
    # Core statements on the tables: entries are written once and never read back in
    # the session that wrote them, so the ORM's unit of work would only add cost (every
    # audited read pays it), and there are no objects to keep in step (the head is
    # expired below if it was loaded).
    connection = session.connection()
    connection.execute(insert(_ENTRIES), [_row(e) for e in pending])
    connection.execute(insert(_NODES), nodes)
    connection.execute(
        update(_HEAD)
        .where(_HEAD.c.id == HEAD_ID)
        .values(size=size, frontier=encode_frontier(frontier))
    )
    # Reads of the head through the ORM later in this session see the moved head.
    head = session.identity_map.get(session.identity_key(AuditHead, HEAD_ID))
    if head is not None:
        session.expire(head)


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    """Only the transaction's own commit sequences: a savepoint being released fires
    this too, and sequencing there would lock the head until the request ends and put
    entries into a savepoint an enclosing call may still roll back."""
    if session.in_nested_transaction():
        return
    _sequence(session)


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    """The whole transaction is over: what it staged is gone with it if it rolled back.

    A savepoint ending is not the end: the unit of work drops what a failed savepoint
    staged itself (``db.STAGED_LISTS``), and keeps the rest for the commit.
    """
    if transaction.parent is None:
        session.info.pop(_PENDING, None)
