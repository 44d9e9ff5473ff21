"""Audit log benchmarks: append throughput with concurrent writers, verification speed,
and inclusion-proof latency on a large tree.

    .venv/bin/python bench/audit_log.py append --database URL --writers 1 4 8 --seconds 10
    .venv/bin/python bench/audit_log.py verify --entries 1000000
    .venv/bin/python bench/audit_log.py prove --leaves 10000000

Each prints one JSON document; results are kept in bench/results/audit.md.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert

from jigsaw import migrate, subscriptions
from jigsaw.audit import service as audit
from jigsaw.audit.actions import AuditAction
from jigsaw.audit.canonical import canonical_bytes
from jigsaw.audit.log import HEAD_ID, encode_frontier, extend
from jigsaw.audit.merkle import leaf_hash, verify_inclusion
from jigsaw.audit.models import AuditEntry, AuditHead, AuditNode
from jigsaw.audit.signing import Signer
from jigsaw.audit.tree import StoredTree
from jigsaw.db import Database
from jigsaw.policy.actor import Actor

subscriptions.wire()

SIGNER = Signer.from_seed("bench.invalid/audit", bytes(32))


def fresh_sqlite() -> str:
    return f"sqlite:///{tempfile.mkdtemp(prefix='jigsaw-bench-')}/audit.db"


def append_throughput(url: str, writers: int, seconds: float) -> dict[str, float]:
    """Each writer commits transactions of one audit entry as fast as it can."""
    db = Database(url)
    actor = Actor.system()
    stop = time.perf_counter() + seconds
    counts = [0] * writers

    def work(n: int) -> None:
        while time.perf_counter() < stop:
            with db.transaction() as session:
                audit.append(session, actor, AuditAction.ITEM_VIEWED, "information_item", n)
            counts[n] += 1

    threads = [threading.Thread(target=work, args=(n,)) for n in range(writers)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    db.dispose()
    return {"writers": writers, "entries": sum(counts), "entries_per_second": sum(counts) / elapsed}


def build_log(url: str, entries: int, batch: int = 50_000) -> None:
    """Write a log of synthetic entries straight into the tables (same hashing code)."""
    db = Database(url)
    size, frontier = 0, []
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with db.engine.begin() as conn:
        for first in range(0, entries, batch):
            rows, leaves = [], []
            for seq in range(first, min(first + batch, entries)):
                row = {
                    "seq": seq,
                    "occurred_at": start + timedelta(milliseconds=seq),
                    "actor_id": seq % 500,
                    "actor_agency_id": seq % 40,
                    "action": "item.viewed",
                    "object_type": "information_item",
                    "object_id": str(seq % 100_000),
                    "purpose": None,
                    "refs": {"agency_record": seq % 50_000},
                }
                document = dict(
                    row, occurred_at=row["occurred_at"].strftime("%Y-%m-%dT%H:%M:%S.%fZ")
                )
                leaves.append(leaf_hash(canonical_bytes(document)))
                rows.append(row)
            conn.execute(insert(AuditEntry), rows)
            size, frontier, nodes = extend(size, frontier, leaves)
            conn.execute(insert(AuditNode), nodes)
        conn.execute(
            AuditHead.__table__.update()
            .where(AuditHead.id == HEAD_ID)
            .values(size=size, frontier=encode_frontier(frontier))
        )
    db.dispose()


def build_tree_only(url: str, leaves: int, batch: int = 200_000) -> None:
    """Only the tree nodes (what a proof reads), for very large logs."""
    db = Database(url)
    size, frontier = 0, []
    with db.engine.begin() as conn:
        for first in range(0, leaves, batch):
            hashes = [
                leaf_hash(i.to_bytes(8, "big")) for i in range(first, min(first + batch, leaves))
            ]
            size, frontier, nodes = extend(size, frontier, hashes)
            conn.execute(insert(AuditNode), nodes)
        conn.execute(
            AuditHead.__table__.update()
            .where(AuditHead.id == HEAD_ID)
            .values(size=size, frontier=encode_frontier(frontier))
        )
    db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    a = sub.add_parser("append")
    a.add_argument("--database", default=None)
    a.add_argument("--writers", type=int, nargs="+", default=[1, 4, 8])
    a.add_argument("--seconds", type=float, default=10)
    v = sub.add_parser("verify")
    v.add_argument("--entries", type=int, default=1_000_000)
    v.add_argument("--database", default=None)
    p = sub.add_parser("prove")
    p.add_argument("--leaves", type=int, default=10_000_000)
    p.add_argument("--proofs", type=int, default=2000)
    p.add_argument("--database", default=None)
    args = parser.parse_args()

    url = args.database or fresh_sqlite()
    migrate.upgrade(url)
    result: dict[str, object] = {"command": args.command, "database": url.split(":")[0]}
    if args.command == "append":
        result["runs"] = [append_throughput(url, w, args.seconds) for w in args.writers]
    elif args.command == "verify":
        started = time.perf_counter()
        build_log(url, args.entries)
        result["build_seconds"] = time.perf_counter() - started
        db = Database(url)
        audit.make_checkpoint(db, SIGNER)
        started = time.perf_counter()
        report = audit.verify(db, SIGNER.verifier)
        elapsed = time.perf_counter() - started
        result.update(
            entries=report.size,
            ok=report.ok,
            verify_seconds=elapsed,
            entries_per_second=report.size / elapsed,
        )
    else:
        with Database(url).sessions() as session:
            existing = StoredTree(session).size()
        if existing != args.leaves:  # a database built by an earlier run is reused
            started = time.perf_counter()
            build_tree_only(url, args.leaves)
            result["build_seconds"] = time.perf_counter() - started
        db = Database(url)
        rng = random.Random(7)
        timings = []
        with db.sessions() as session:
            tree = StoredTree(session)
            size, root = tree.head_root()
            for _ in range(args.proofs):
                index = rng.randrange(size)
                started = time.perf_counter()
                path = tree.inclusion(index, size)
                timings.append(time.perf_counter() - started)
                verify_inclusion(index, size, leaf_hash(index.to_bytes(8, "big")), path, root)
        timings.sort()
        result.update(
            leaves=size,
            proofs=len(timings),
            median_ms=statistics.median(timings) * 1000,
            p95_ms=timings[int(len(timings) * 0.95)] * 1000,
            p99_ms=timings[int(len(timings) * 0.99)] * 1000,
        )
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
