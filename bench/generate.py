"""Time and peak memory of generating a synthetic population into a fresh database.

    .venv/bin/python bench/generate.py --children 100000 --seed 7

Prints one JSON object. Uses a new temporary SQLite file unless --database names
another (empty) database, which it migrates first.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

from jigsaw import migrate, subscriptions
from jigsaw.db import Database
from jigsaw.synthetic.service import generate_population

subscriptions.wire()


def peak_rss_mib() -> float:
    """Linux reports ru_maxrss in KiB, macOS in bytes."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--database", help="SQLAlchemy URL of an empty database")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        url = args.database or f"sqlite:///{Path(tmp) / 'generate.db'}"
        migrate.upgrade(url)
        db = Database(url)
        rss_before = peak_rss_mib()
        started = time.perf_counter()
        summary = generate_population(
            db, children=args.children, seed=args.seed, batch_size=args.batch_size, progress=False
        )
        seconds = time.perf_counter() - started
        db.dispose()
        size = Path(tmp, "generate.db").stat().st_size if not args.database else None
        print(
            json.dumps(
                {
                    "backend": db.engine.dialect.name,
                    "children": summary.children,
                    "adults": summary.adults,
                    "agency_records": summary.agency_records,
                    "relationships": summary.relationships,
                    "involvements": summary.involvements,
                    "items": summary.items,
                    "seed": args.seed,
                    "batch_size": args.batch_size,
                    "seconds": round(seconds, 1),
                    "children_per_second": round(summary.children / seconds),
                    "peak_rss_mib_before": round(rss_before, 1),
                    "peak_rss_mib": round(peak_rss_mib(), 1),
                    "database_mib": round(size / 2**20, 1) if size is not None else None,
                    "python": platform.python_version(),
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
