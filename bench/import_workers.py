"""Checking rows in worker processes or in the writer: ``jigsaw import``'s service in
this process, A/B interleaved, CPU seconds beside wall seconds.

    .venv/bin/python bench/import_workers.py --rows 100000 --rounds 2
    .venv/bin/python bench/import_workers.py --rows 100000 \
        --database postgresql+psycopg://postgres@127.0.0.1:5432/bench_import

Each round imports the same seeded file (``import_records.write_rows``) into a fresh
database once per ``--workers`` setting, in turn, then imports it again (every row
unchanged). Start-up (imports of the command) is not in the figures; starting the pool
is. The writer's CPU is this process's; the workers' is theirs, counted when the pool
is closed (``RUSAGE_CHILDREN``). On a shared machine compare CPU seconds, and runs of
the same round, which saw about the same load.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

from import_records import _fresh, write_rows  # type: ignore[import-not-found]

from jigsaw import migrate
from jigsaw.clock import utcnow
from jigsaw.db import Database
from jigsaw.identity.models import Agency
from jigsaw.imports import service
from jigsaw.policy.roles import AgencyKind


def _children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def _timed(db: Database, source: Path, workers: int, folder: Path) -> dict[str, Any]:
    wall, cpu, children = time.perf_counter(), time.process_time(), _children_cpu()
    # Without workers the service is called as it was before there were any, so this
    # script also times earlier code run from a copy of it (PYTHONPATH).
    if workers == 0:
        report = service.import_records(db, 1, source, quarantine=folder / "q.csv", link=False)
    else:
        from jigsaw.imports.pool import row_pool

        with row_pool(workers) as pool:
            report = service.import_records(
                db, 1, source, quarantine=folder / "q.csv", link=False, pool=pool
            )
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    workers_cpu = _children_cpu() - children
    return {
        "wall_s": round(wall, 2),
        "writer_cpu_s": round(cpu, 2),
        "workers_cpu_s": round(workers_cpu, 2),
        "rows_per_writer_cpu_s": round(report.rows / cpu),
        "rows_per_wall_s": round(report.rows / wall),
        "created": report.created,
        "unchanged": report.unchanged,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workers", default="0,1", help="Settings to compare, e.g. 0,1,2.")
    parser.add_argument("--database", default=None)
    args = parser.parse_args()
    os.environ.setdefault("JIGSAW_DEMO_MODE", "1")
    folder = Path(tempfile.mkdtemp(prefix="jigsaw-bench-workers-"))
    source = folder / "records.csv"
    write_rows(source, args.rows, args.seed)
    runs = []
    for round_ in range(1, args.rounds + 1):
        for workers in (int(w) for w in args.workers.split(",")):
            if args.database is None:
                (folder / "import.db").unlink(missing_ok=True)
            url = _fresh(args.database, folder)
            migrate.upgrade(url)
            db = Database(url)
            with db.transaction() as session:
                session.add(
                    Agency(name="Bench School", kind=AgencyKind.SCHOOL, created_at=utcnow())
                )
            first = _timed(db, source, workers, folder)
            again = _timed(db, source, workers, folder)
            db.dispose()
            run = {"round": round_, "workers": workers, "first": first, "again": again}
            run["load_average"] = [round(x, 1) for x in os.getloadavg()]
            print(json.dumps(run), flush=True)
            runs.append(run)


if __name__ == "__main__":
    main()
