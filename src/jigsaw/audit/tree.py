"""Roots and proofs served from the stored tree nodes.

A proof needs O(log n) subtree hashes. Each is either a stored perfect subtree or a
right-edge subtree built from a few of them. The proof is planned once without
hashes to learn which stored nodes it needs, those are read in one query, and the
proof is then computed from them: one round trip whatever the size of the log.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from jigsaw.audit.log import HEAD_ID, decode_frontier, frontier_root
from jigsaw.audit.merkle import (
    ProofError,
    consistency_path,
    empty_root,
    inclusion_path,
    node_hash,
    split_point,
)
from jigsaw.audit.models import AuditHead

NodeKey = tuple[int, int]


def perfect_parts(start: int, end: int) -> list[NodeKey]:
    """The stored nodes whose hashes make up MTH(leaves[start:end])."""
    n = end - start
    if n & (n - 1) == 0 and start % n == 0:
        level = n.bit_length() - 1
        return [(level, start >> level)]
    k = split_point(n)
    return perfect_parts(start, start + k) + perfect_parts(start + k, end)


def _hash_from(nodes: dict[NodeKey, bytes], start: int, end: int) -> bytes:
    n = end - start
    if n & (n - 1) == 0 and start % n == 0:
        level = n.bit_length() - 1
        try:
            return nodes[(level, start >> level)]
        except KeyError as exc:
            raise ProofError(f"The log has no node for entries {start}..{end - 1}") from exc
    k = split_point(n)
    return node_hash(_hash_from(nodes, start, start + k), _hash_from(nodes, start + k, end))


class StoredTree:
    def __init__(self, session: Session) -> None:
        self.session = session

    def size(self) -> int:
        head = self.session.get(AuditHead, HEAD_ID)
        return head.size if head else 0

    def head_root(self) -> tuple[int, bytes]:
        head = self.session.get(AuditHead, HEAD_ID)
        if head is None or head.size == 0:
            return 0, empty_root()
        return head.size, frontier_root(head.size, decode_frontier(head.frontier))

    def _fetch(self, keys: set[NodeKey]) -> dict[NodeKey, bytes]:
        if not keys:
            return {}
        # A fixed, parameterised statement per number of keys, sent straight to the driver:
        # building a fresh SQLAlchemy expression per proof cost more than the lookups.
        # Equality pairs joined by OR use the primary key on both backends (SQLite scans
        # the whole table for a row-value IN).
        connection = self.session.connection()
        mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
        ordered = sorted(keys)
        where = " OR ".join([f"(level = {mark} AND idx = {mark})"] * len(ordered))
        params = tuple(value for key in ordered for value in key)
        rows = connection.exec_driver_sql(
            # Only placeholders are interpolated; every value is a bound parameter.
            f"SELECT level, idx, hash FROM audit_nodes WHERE {where}",  # noqa: S608
            params,
        )
        return {(level, idx): bytes(h) for level, idx, h in rows}

    def _run(self, compute: Callable[[Callable[[int, int], bytes]], list[bytes]]) -> list[bytes]:
        needed: set[NodeKey] = set()

        def plan(start: int, end: int) -> bytes:
            needed.update(perfect_parts(start, end))
            return b""

        compute(plan)
        nodes = self._fetch(needed)
        return compute(lambda start, end: _hash_from(nodes, start, end))

    def root(self, size: int) -> bytes:
        if size == 0:
            return empty_root()
        return self._run(lambda subtree: [subtree(0, size)])[0]

    def leaf(self, index: int) -> bytes:
        found = self._fetch({(0, index)})
        if (0, index) not in found:
            raise ProofError(f"The log has no entry {index}")
        return found[(0, index)]

    def inclusion(self, index: int, size: int) -> list[bytes]:
        self._check_size(size)
        return self._run(lambda subtree: inclusion_path(index, size, subtree))

    def consistency(self, old_size: int, new_size: int) -> list[bytes]:
        self._check_size(new_size)
        return self._run(lambda subtree: consistency_path(old_size, new_size, subtree))

    def _check_size(self, size: int) -> None:
        if size > self.size():
            raise ProofError(f"The log holds {self.size()} entries, not {size}")
