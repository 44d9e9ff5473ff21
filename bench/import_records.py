"""``jigsaw import`` end to end: N seeded rows of an agency's file, timed as an operator
runs it (a fresh process, `--no-link`), on SQLite or PostgreSQL.

    .venv/bin/python bench/import_records.py --rows 100000 [--workers N]
    .venv/bin/python bench/import_records.py --rows 100000 \
        --database postgresql+psycopg://postgres@127.0.0.1:5432/bench_import

It times a first import (every row created) and the same file again (every row
unchanged), and reports rows/s, the command's peak resident memory, and how long the
command takes to start (`jigsaw import --help`), which every run pays. Prints one JSON
document; results are kept in bench/results/import.md.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from jigsaw import migrate
from jigsaw.people.identifiers import upn_check_letter
from jigsaw.people.nhs_number import check_digit

GIVEN = ("Ava", "Noah", "Olivia", "Leo", "Amelia", "Oliver", "Isla", "Arlo", "Mia", "Theo")
FAMILY = ("Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Khan", "Patel", "Moss")
HEADER = (
    "local_id",
    "given_name",
    "family_name",
    "date_of_birth",
    "sex",
    "address",
    "postcode",
    "nhs_number",
    "identifier:upn",
)


def _nhs_number(rng: random.Random) -> str:
    while True:
        first = f"{rng.randrange(400_000_000, 998_999_999)}"
        digit = check_digit(first)
        if digit is not None:
            return first + str(digit)


def _upn(rng: random.Random) -> str:
    body = f"{rng.choice((201, 305, 812, 938))}{rng.randrange(1000, 9999)}{rng.randrange(10, 25)}"
    body += f"{rng.randrange(0, 999):03d}"
    return upn_check_letter(body) + body


def write_rows(path: Path, rows: int, seed: int) -> None:
    rng = random.Random(seed)
    born = date(2008, 1, 1)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for n in range(rows):
            writer.writerow(
                (
                    f"B-{n:08d}",
                    rng.choice(GIVEN),
                    rng.choice(FAMILY),
                    (born + timedelta(days=rng.randrange(0, 6000))).isoformat(),
                    rng.choice(("female", "male")),
                    f"{rng.randrange(1, 200)} {rng.choice(FAMILY)} Road, Oldtown",
                    f"OT{rng.randrange(1, 9)} {rng.randrange(1, 9)}{rng.choice('ABDEFGHJ')}Q",
                    _nhs_number(rng) if rng.random() < 0.8 else "",
                    _upn(rng) if rng.random() < 0.6 else "",
                )
            )


def _fresh(url: str | None, folder: Path) -> str:
    if url is None:
        return f"sqlite:///{folder / 'import.db'}"
    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()
    return url


CPU_SECONDS: list[float] = []
"""CPU time (user + system) of each command run, in order: on a shared machine the wall
time depends on the load; this does much less."""


def _jigsaw(*words: str) -> tuple[float, int, str]:
    """Run one command; its wall time, its peak RSS in KiB (Linux), and its output."""
    command = [str(Path(sys.executable).parent / "jigsaw"), *words]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=True, env=os.environ)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU_SECONDS.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return elapsed, max(after.ru_maxrss, before.ru_maxrss), done.stdout


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--batch-size", type=int, default=5_000)
    parser.add_argument("--database", default=None)
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="Passed to `jigsaw import --workers` (processes checking rows; 0 = none); "
        "by default the command's own default.",
    )
    args = parser.parse_args()
    os.environ.setdefault("JIGSAW_DEMO_MODE", "1")
    folder = Path(tempfile.mkdtemp(prefix="jigsaw-bench-import-"))
    source = folder / "records.csv"
    started = time.perf_counter()
    write_rows(source, args.rows, args.seed)
    generated = time.perf_counter() - started
    url = _fresh(args.database, folder)
    migrate.upgrade(url)
    _jigsaw(
        "admin", "agency", "add", "--name", "Bench School", "--kind", "school", "--database", url
    )
    words = ("import", "--agency", "1", "--no-link", "--database", url, "--out-dir", str(folder))
    words += ("--batch-size", str(args.batch_size), str(source))
    if args.workers is not None:
        words += ("--workers", str(args.workers))
    startup, _, _ = _jigsaw("import", "--help")
    first, peak_first, out_first = _jigsaw(*words)
    again, peak_again, out_again = _jigsaw(*words)
    result = {
        "backend": make_url(url).get_backend_name(),
        "rows": args.rows,
        "batch_size": args.batch_size,
        "workers": args.workers,
        "file_mb": round(source.stat().st_size / 1e6, 1),
        "generate_s": round(generated, 1),
        "startup_s": round(startup, 2),
        "first_import_s": round(first, 2),
        "first_rows_per_s": round(args.rows / first),
        "again_s": round(again, 2),
        "again_rows_per_s": round(args.rows / again),
        "first_rows_per_s_after_startup": round(args.rows / max(first - startup, 1e-9)),
        "startup_cpu_s": round(CPU_SECONDS[-3], 2),
        "first_cpu_s": round(CPU_SECONDS[-2], 2),
        "again_cpu_s": round(CPU_SECONDS[-1], 2),
        "first_rows_per_cpu_s": round(args.rows / CPU_SECONDS[-2]),
        "peak_rss_mib": round(max(peak_first, peak_again) / 1024),
        "first_summary": out_first.splitlines()[0],
        "again_summary": out_again.splitlines()[0],
        "machine": f"{os.cpu_count()} CPU, {platform.python_implementation()} "
        f"{platform.python_version()}, {platform.system()} {platform.release()}",
        "load_average": os.getloadavg(),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
