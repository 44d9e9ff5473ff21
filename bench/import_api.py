"""``POST /api/imports/records`` end to end: one client pushing N seeded records to a
running ``jigsaw serve``, in requests of ``--chunk`` rows (JSON Lines), as another
agency system's feed would, on SQLite or PostgreSQL.

    .venv/bin/python bench/import_api.py --rows 100000
    .venv/bin/python bench/import_api.py --rows 100000 \
        --database postgresql+psycopg://postgres@127.0.0.1:5432/bench_import_api

It times the first push (every row created) and the same rows again (every one
unchanged), and writes one JSON document (``--out``, by default
bench/results/import-api.json); the table is in bench/results/import.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import socket
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import httpx
from sqlalchemy.engine import make_url

from jigsaw import migrate

sys.path.insert(0, str(Path(__file__).parent))
from import_records import FAMILY, GIVEN, _fresh, _nhs_number, _upn

RESULTS = Path(__file__).parent / "results" / "import-api.json"


def rows(count: int, seed: int) -> list[bytes]:
    """The records as JSON lines, seeded as ``import_records`` seeds its file."""
    rng = random.Random(seed)
    born = date(2008, 1, 1)
    lines = []
    for n in range(count):
        row = {
            "local_id": f"B-{n:08d}",
            "given_name": rng.choice(GIVEN),
            "family_name": rng.choice(FAMILY),
            "date_of_birth": (born + timedelta(days=rng.randrange(0, 6000))).isoformat(),
            "sex": rng.choice(("female", "male")),
            "address": f"{rng.randrange(1, 200)} {rng.choice(FAMILY)} Road, Oldtown",
            "postcode": f"OT{rng.randrange(1, 9)} {rng.randrange(1, 9)}{rng.choice('ABDEFGHJ')}Q",
            "nhs_number": _nhs_number(rng) if rng.random() < 0.8 else "",
        }
        if rng.random() < 0.6:
            row["identifier:upn"] = _upn(rng)
        lines.append(json.dumps(row).encode() + b"\n")
    return lines


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _jigsaw(*words: str) -> str:
    command = [str(Path(sys.executable).parent / "jigsaw"), *words]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of a running process (Linux): on a shared machine the wall time
    depends on the load, the server's CPU time much less."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _push(client: httpx.Client, chunks: list[bytes]) -> tuple[float, dict[str, int]]:
    totals = {"created": 0, "updated": 0, "unchanged": 0, "rejected": 0}
    started = time.perf_counter()
    for body in chunks:
        answer = client.post(
            "/api/imports/records",
            content=body,
            headers={"Content-Type": "application/x-ndjson"},
        )
        answer.raise_for_status()
        result = answer.json()
        for key in totals:
            totals[key] += result[key]
    return time.perf_counter() - started, totals


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--chunk", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database", default=None)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="jigsaw-bench-import-api-"))
    url = _fresh(args.database, folder)
    os.environ.update(
        {"JIGSAW_DEMO_MODE": "1", "JIGSAW_DATABASE_URL": url, "JIGSAW_SECURE_COOKIES": "0"}
    )
    migrate.upgrade(url)
    _jigsaw("admin", "agency", "add", "--name", "Bench School", "--kind", "school")
    token = _jigsaw(
        "admin", "token", "create", "--agency", "1", "--name", "Bench feed",
        "--scope", "records:write",
    ).strip().splitlines()[-1]  # fmt: skip
    lines = rows(args.rows, args.seed)
    chunks = [b"".join(lines[i : i + args.chunk]) for i in range(0, len(lines), args.chunk)]
    port = _free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "jigsaw"), "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base, headers=headers, timeout=600) as client:
            deadline = time.monotonic() + 60
            while True:
                try:
                    client.get("/sign-in")
                    break
                except httpx.TransportError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise
                    time.sleep(0.2)
            cpu_start = _cpu_seconds(server.pid)
            first, created = _push(client, chunks)
            cpu_first = _cpu_seconds(server.pid)
            again, unchanged = _push(client, chunks)
            cpu_again = _cpu_seconds(server.pid) - cpu_first
            cpu_first -= cpu_start
    finally:
        server.terminate()
        server.wait(timeout=30)
    result = {
        "backend": make_url(url).get_backend_name(),
        "rows": args.rows,
        "rows_per_request": args.chunk,
        "requests": len(chunks),
        "body_mb": round(sum(map(len, chunks)) / 1e6, 1),
        "first_push_s": round(first, 2),
        "first_rows_per_s": round(args.rows / first),
        "first_counts": created,
        "again_s": round(again, 2),
        "again_rows_per_s": round(args.rows / again),
        "again_counts": unchanged,
        "server_cpu_first_s": round(cpu_first, 2),
        "first_rows_per_server_cpu_s": round(args.rows / cpu_first),
        "server_cpu_again_s": round(cpu_again, 2),
        "again_rows_per_server_cpu_s": round(args.rows / cpu_again),
        "machine": f"{os.cpu_count()} CPU, {platform.python_implementation()} "
        f"{platform.python_version()}, {platform.system()} {platform.release()}",
        "load_average": os.getloadavg(),
    }
    text = json.dumps(result, indent=2)
    args.out.write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
