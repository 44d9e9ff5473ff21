"""Recomputing the whole log and saying exactly what, if anything, is wrong with it.

One pass over the entries in sequence order, in batches, with O(log n) memory for
the tree: each entry's leaf hash is recomputed from its fields and compared with the
stored leaf, gaps and strays are named, ids must rise with sequence numbers (they are
assigned under the head lock), and the recomputed tree must give the root of every
checkpoint — each of which must carry a valid signature from the trusted key. The
stored nodes catch a careless edit; the signed checkpoints catch a careful one.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from jigsaw.audit.canonical import canonical_bytes, entry_document
from jigsaw.audit.log import frontier_root
from jigsaw.audit.merkle import ProofError, leaf_hash, node_hash
from jigsaw.audit.models import AuditCheckpoint, AuditEntry, AuditNode
from jigsaw.audit.signing import CheckpointError, VerifierKey, open_note
from jigsaw.audit.tree import StoredTree

BATCH = 20_000
MAX_REPORTED = 1000


class ProblemKind(StrEnum):
    ALTERED = "altered"
    DELETED = "deleted"
    INSERTED = "inserted"
    REORDERED = "reordered"
    TRUNCATED = "truncated"
    BAD_SIGNATURE = "bad_signature"
    INCONSISTENT = "inconsistent"
    TREE_ALTERED = "tree_altered"


@dataclass(frozen=True)
class Problem:
    kind: ProblemKind
    seq: int | None
    message: str


@dataclass
class Report:
    size: int = 0
    root: bytes = b""
    checkpoints_checked: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, kind: ProblemKind, seq: int | None, message: str) -> None:
        if len(self.problems) < MAX_REPORTED:
            self.problems.append(Problem(kind, seq, message))

    def kinds(self) -> set[ProblemKind]:
        return {p.kind for p in self.problems}


def _batches(session: Session, column: Any, query: Any) -> Iterator[list[Any]]:
    last = -1
    while True:
        page = query.where(column > last).order_by(column).limit(BATCH)
        rows = list(session.connection().execute(page))  # Core rows: no ORM loading cost
        if not rows:
            return
        yield rows
        last = getattr(rows[-1], column.key)


def _entries(session: Session) -> Iterator[Any]:
    query = select(
        AuditEntry.id,
        AuditEntry.seq,
        AuditEntry.occurred_at,
        AuditEntry.actor_id,
        AuditEntry.actor_agency_id,
        AuditEntry.action,
        AuditEntry.object_type,
        AuditEntry.object_id,
        AuditEntry.purpose,
        AuditEntry.refs,
    )
    for rows in _batches(session, AuditEntry.seq, query):
        yield from rows


def _stored_leaves(session: Session) -> Iterator[tuple[int, bytes]]:
    query = select(AuditNode.idx, AuditNode.hash).where(AuditNode.level == 0)
    for rows in _batches(session, AuditNode.idx, query):
        for idx, h in rows:
            yield idx, bytes(h)


def _with_seq(row: Any, seq: int) -> bytes:
    document = entry_document(row)
    document["seq"] = seq
    return leaf_hash(canonical_bytes(document))


class _Checkpoints:
    """Trusted checkpoints by size, checked as the recomputed tree reaches each size."""

    def __init__(self, report: Report, trusted: VerifierKey, notes: list[tuple[str, str]]):
        self.by_size: dict[int, list[tuple[str, bytes]]] = {}
        for label, note in notes:
            try:
                checkpoint = open_note(note, trusted)
            except CheckpointError as exc:
                report.add(ProblemKind.BAD_SIGNATURE, None, f"{label}: {exc}")
                continue
            self.by_size.setdefault(checkpoint.size, []).append((label, checkpoint.root))
        self.report = report

    def check(self, size: int, root: bytes) -> None:
        for label, expected in self.by_size.pop(size, []):
            self.report.checkpoints_checked += 1
            if root != expected:
                self.report.add(
                    ProblemKind.INCONSISTENT,
                    None,
                    f"{label} (size {size}) does not match the log: an entry before "
                    f"{size} was changed after it was signed",
                )

    def unchecked(self, size: int) -> None:
        """Checkpoints the recomputed log never reached: truncation, or a gap before them."""
        for checkpoint_size, found in sorted(self.by_size.items()):
            for label, _ in found:
                if checkpoint_size > size:
                    lost = checkpoint_size - size
                    self.report.add(
                        ProblemKind.TRUNCATED,
                        size,
                        f"{label} covers {checkpoint_size} entries but the log now has {size}: "
                        f"the log is behind this checkpoint, and entries {size}-"
                        f"{checkpoint_size - 1} ({lost} entr{'y' if lost == 1 else 'ies'}, "
                        "and the work they recorded) are not in this database",
                    )
                else:
                    self.report.add(
                        ProblemKind.INCONSISTENT,
                        None,
                        f"{label} (size {checkpoint_size}) cannot be matched: entries are missing",
                    )


def verify_log(
    session: Session, trusted: VerifierKey, external_notes: list[tuple[str, str]] | None = None
) -> Report:
    report = Report()
    kept = list(session.execute(select(AuditCheckpoint.id, AuditCheckpoint.note)))
    notes = [(f"checkpoint {cid}", note) for cid, note in kept] + list(external_notes or [])
    checkpoints = _Checkpoints(report, trusted, notes)
    tree = StoredTree(session)
    try:
        head_size, head_root = tree.head_root()
    except ProofError as exc:
        report.add(ProblemKind.TREE_ALTERED, None, f"The stored tree head is corrupt: {exc}")
        head_size, head_root = tree.size(), b""

    mismatched: dict[int, tuple[Any, bytes]] = {}  # seq -> (row, stored leaf)
    stored = _Tree()
    recomputed: _Tree | None = _Tree()  # None once a gap makes recomputing impossible
    leaves = _LeafCursor(_stored_leaves(session))
    expected_seq, last_id = 0, -1

    for row in _entries(session):
        if row.seq >= head_size:
            report.add(ProblemKind.INSERTED, row.seq, f"Entry {row.seq} is beyond the log's head")
            continue
        if row.seq > expected_seq:
            _report_gap(report, expected_seq, row.seq)
            for missing in range(expected_seq, row.seq):
                stored.add(leaves.at(missing))
            recomputed = None
        if row.id <= last_id:
            report.add(ProblemKind.REORDERED, row.seq, f"Entry {row.seq} is out of order")
        last_id, expected_seq = row.id, row.seq + 1
        mine = leaf_hash(canonical_bytes(entry_document(row)))
        stored_leaf = leaves.at(row.seq)
        stored.add(stored_leaf)
        if stored_leaf is None:
            report.add(ProblemKind.TREE_ALTERED, row.seq, f"Entry {row.seq} has no stored leaf")
        elif stored_leaf != mine:
            mismatched[row.seq] = (row, stored_leaf)
        if recomputed is not None:
            recomputed.add(mine)
            if recomputed.size in checkpoints.by_size:
                checkpoints.check(recomputed.size, recomputed.root())

    if expected_seq < head_size:
        _report_gap(report, expected_seq, head_size)
        recomputed = None
    _classify_mismatches(report, mismatched)
    if stored.complete and stored.size == head_size and stored.root() != head_root:
        report.add(ProblemKind.TREE_ALTERED, None, "The stored tree head does not match its leaves")
    checkpoints.unchecked(head_size)
    report.size, report.root = head_size, head_root
    return report


def _report_gap(report: Report, first: int, end: int) -> None:
    span = f"{first}" if end == first + 1 else f"{first}-{end - 1}"
    report.add(ProblemKind.DELETED, first, f"Entries {span} are missing")


class _Tree:
    """A compact range that grows one leaf at a time."""

    def __init__(self) -> None:
        self.size = 0
        self.frontier: list[bytes | None] = []
        self.complete = True

    def add(self, leaf: bytes | None) -> None:
        """Fold one leaf into the compact range in place (the hot loop of verification)."""
        if leaf is None:
            self.complete = False
            return
        if not self.complete:
            return
        frontier, size, level = self.frontier, self.size, 0
        while size >> level & 1:
            leaf = node_hash(frontier[level], leaf)  # type: ignore[arg-type]
            frontier[level] = None
            level += 1
        if level == len(frontier):
            frontier.append(leaf)
        else:
            frontier[level] = leaf
        self.size = size + 1

    def root(self) -> bytes:
        return frontier_root(self.size, self.frontier)


class _LeafCursor:
    """Walks the stored leaves in order alongside the entries."""

    def __init__(self, leaves: Iterator[tuple[int, bytes]]) -> None:
        self._leaves = leaves
        self._current = next(leaves, None)

    def at(self, seq: int) -> bytes | None:
        while self._current is not None and self._current[0] < seq:
            self._current = next(self._leaves, None)
        if self._current is not None and self._current[0] == seq:
            return self._current[1]
        return None


def _classify_mismatches(report: Report, mismatched: dict[int, tuple[Any, bytes]]) -> None:
    """Name swaps as reordering; anything else that differs is an altered entry."""
    swapped: set[int] = set()
    seqs = sorted(mismatched)
    if len(seqs) <= 200:
        for i in seqs:
            for j in seqs:
                if i < j and i not in swapped and j not in swapped:
                    row_i, leaf_i = mismatched[i]
                    row_j, leaf_j = mismatched[j]
                    if _with_seq(row_i, j) == leaf_j and _with_seq(row_j, i) == leaf_i:
                        swapped.update((i, j))
                        report.add(
                            ProblemKind.REORDERED, i, f"Entries {i} and {j} have been swapped"
                        )
    for seq in seqs:
        if seq not in swapped:
            report.add(ProblemKind.ALTERED, seq, f"Entry {seq} has been altered")
