"""Rows checked by worker processes (``jigsaw import --workers N``) come out exactly as
rows checked by the writer itself: the same records, problems, quarantine file and
report; and stopping such an import, by Ctrl-C or outright, leaves no worker running
and nothing half-imported."""

from __future__ import annotations

import csv
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from jigsaw.audit.models import AuditEntry
from jigsaw.cli import app as cli
from jigsaw.db import Database
from jigsaw.imports.pool import WORKER_STOPPED, row_pool
from jigsaw.imports.rows import STORED, Layout, Row
from jigsaw.people.models import AgencyRecord, AgencyRecordIdentifier
from jigsaw.policy.roles import AgencyKind
from tests.conftest import World
from tests.imports.helpers import cli_import, held_by, start_import

HEADER = [*STORED[1:], "identifier:upn", "identifier:police_reference"]
"""Every column a record holds but the agency (given on the command line), then two
identifiers."""
ROWS = 2_600
BATCH = 700
"""Several batches, each shared out between the workers, the last one short."""


def _row(n: int) -> dict[str, str]:
    """Row n: mostly good, with a bad one of some kind every few rows."""
    row = {
        "local_id": f"P-{n:05d}",
        "role": "child",
        "given_name": f"Sam{n % 13}",
        "family_name": f"Family{n % 17}",
        "date_of_birth": f"2012-0{1 + n % 9}-1{n % 10}",
        "sex": ("female", "male", "u", "")[n % 4],
        "address": f"{n} High Street" if n % 3 else "",
        "postcode": "OT1 2AB" if n % 2 else "",
        "nhs_number": "4010232137" if n % 5 == 0 else "",
        "identifier:upn": "P207000016049" if n % 7 == 0 else "",
        "identifier:police_reference": f"REF/{n}" if n % 11 == 0 else "",
    }
    match n % 37:
        case 1:
            row["date_of_birth"] = "20120101"
        case 2:
            row["nhs_number"] = "4010232138"
        case 3:
            row["sex"] = "sometimes"
        case 4:
            row["identifier:upn"] = "A801200005001"
        case 5:
            row["local_id"] = f"P-{n - 1000:05d}"  # already on an earlier line
        case 6:
            row["given_name"] = "Sam\x07"
        case 7:
            row["given_name"] = row["family_name"] = row["date_of_birth"] = ""
        case 8:
            row["role"] = "headteacher"
    return row


def _csv(path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for n in range(ROWS):
            if n % 97 == 50:
                writer.writerow([f"P-{n:05d}", "child", "too few"])
                continue
            writer.writerow(_row(n).values())


def _jsonl(path: Path) -> None:
    """JSON Lines meets its identifier fields as it goes: the police reference first
    appears in the second batch."""
    with path.open("w", encoding="utf-8") as handle:
        for n in range(ROWS):
            row: dict[str, Any] = {k: v for k, v in _row(n).items() if v}
            if n < BATCH:
                row.pop("identifier:police_reference", None)
            if n % 97 == 50:
                handle.write("{not json\n")
                continue
            if n % 89 == 10:
                row["favourite_colour"] = "blue"
            if n % 83 == 20:
                row["nhs_number"] = 4010232137
            handle.write(json.dumps(row) + "\n")


def _held(db: Database, agency: int) -> dict[str, tuple[Any, ...]]:
    """What the agency holds, by local id: every field and the identifiers."""
    with db.reading() as session:
        records = list(
            session.scalars(select(AgencyRecord).where(AgencyRecord.agency_id == agency))
        )
        identifiers: dict[int, set[tuple[str, str]]] = {r.id: set() for r in records}
        for record_id, scheme, value in session.execute(
            select(
                AgencyRecordIdentifier.agency_record_id,
                AgencyRecordIdentifier.scheme,
                AgencyRecordIdentifier.value,
            ).where(AgencyRecordIdentifier.agency_record_id.in_(identifiers))
        ):
            identifiers[record_id].add((str(scheme), value))
    return {
        r.local_id: (
            r.role,
            r.given_name,
            r.family_name,
            r.date_of_birth,
            r.sex,
            r.address,
            r.postcode,
            r.nhs_number,
            r.link_status,
            frozenset(identifiers[r.id]),
        )
        for r in records
    }


def _batch_entries(db: Database, import_id: int) -> list[dict[str, Any]]:
    """The import's audit entries, without the ids of the records they name (which two
    imports into two agencies cannot share), but with how many."""
    with db.reading() as session:
        entries = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.object_type == "record_import")
            .where(AuditEntry.object_id == str(import_id))
            .order_by(AuditEntry.id)
        )
        shown = []
        for entry in entries:
            refs = dict(entry.refs or {})
            refs.pop("agency", None)
            for key in ("records_created", "records_updated"):
                if key in refs:
                    refs[key] = len(refs[key])
            shown.append({"action": entry.action, **refs})
    return shown


@pytest.mark.parametrize("write", [_csv, _jsonl], ids=["csv", "jsonl"])
def test_rows_checked_by_workers_come_out_exactly_as_checked_by_the_writer(
    write: Any, db: Database, database_url: str, world: World, tmp_path: Path
) -> None:
    suffix = ".csv" if write is _csv else ".jsonl"
    source = tmp_path / f"records{suffix}"
    write(source)
    outcomes = []
    for workers in ("0", "2"):
        agency = world.agency(AgencyKind.SCHOOL)
        out = tmp_path / f"workers-{workers}"
        out.mkdir()
        extra = ("--workers", workers, "--batch-size", str(BATCH), "--out-dir", str(out))
        printed = cli_import(database_url, agency.id, source, extra=extra)
        report = json.loads((out / "records.import-report.json").read_text())
        quarantine = (out / f"records.quarantine{suffix}").read_bytes()
        entries = _batch_entries(db, report["import_id"])
        summary = (
            printed.replace(f"import {report['import_id']} of", "import of")
            .replace(f"for agency {agency.id},", "for the agency,")
            .replace(str(out), "OUT")
        )
        for varies in ("import_id", "agency_id", "quarantine"):
            report.pop(varies)
        outcomes.append((_held(db, agency.id), report, quarantine, entries, summary))

    in_process, by_workers = outcomes
    held, report, quarantine, entries, summary = in_process
    # The file really is mixed: good rows in, bad ones of several kinds refused.
    assert 0.7 * ROWS < len(held) < ROWS
    assert report["rejected"] > 100 and report["rejected"] + len(held) == ROWS
    assert len({p["message"] for p in report["problems"]}) >= 8
    assert quarantine.count(b"\n") == report["rejected"] + (1 if suffix == ".csv" else 0)
    assert len(entries) == 2 + -(-ROWS // BATCH)
    assert summary.count("\n  line ") == len(report["problems"])
    if suffix == ".jsonl":
        assert ("police_reference", "REF/1210") in held["P-01210"][-1]
    assert by_workers[0] == held
    assert by_workers[1] == report
    assert by_workers[2] == quarantine
    assert by_workers[3] == entries
    assert by_workers[4] == summary


def _children(pid: int) -> set[int]:
    """The processes ``pid`` started (Linux)."""
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found.update(int(c) for c in (task / "children").read_text().split())
    return found


def _running(pid: int) -> bool:
    """Whether the process is still there and not merely waiting to be reaped."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    state = next(line for line in status.splitlines() if line.startswith("State:"))
    return "Z" not in state.split()[1]


def _start_with_two_workers(
    db: Database,
    database_url: str,
    school: int,
    source: Path,
    batch: int,
    *,
    own_session: bool = False,
) -> subprocess.Popen[bytes]:
    """``start_import`` of the school's file, its rows checked in two worker processes:
    running, a first batch in."""
    return start_import(
        database_url,
        school,
        source,
        batch=batch,
        written=lambda: held_by(db, AgencyRecord, school),
        extra=("--no-link", "--workers", "2"),
        own_session=own_session,
    )


def _many(path: Path, rows: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for n in range(rows):
            writer.writerow([f"K-{n}", "child", "Sam", f"Family{n}", "2015-01-01", *[""] * 6])


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "kill-9"])
def test_an_import_stopped_leaves_no_worker_and_whole_batches_and_the_rerun_finishes(
    stop: signal.Signals, db: Database, database_url: str, world: World, tmp_path: Path
) -> None:
    school = world.agency(AgencyKind.SCHOOL)
    rows, batch = 60_000, 500
    source = tmp_path / "whole-school.csv"
    _many(source, rows)
    # A session of its own, so Ctrl-C reaches the command and its workers as a
    # terminal's does (the whole foreground process group).
    process = _start_with_two_workers(db, database_url, school.id, source, batch, own_session=True)
    try:
        deadline = time.monotonic() + 120
        workers = _children(process.pid)
        assert len(workers) == 2
        if stop is signal.SIGINT:
            os.killpg(process.pid, stop)
        else:
            process.send_signal(stop)
        process.wait(timeout=60)
        while any(_running(w) for w in workers):
            assert time.monotonic() < deadline, "a worker outlived its import"
            time.sleep(0.05)
    finally:
        if process.poll() is None:
            process.kill()
    left = held_by(db, AgencyRecord, school.id)
    assert left > 0 and left % batch == 0, "only whole batches are in"
    assert left < rows
    if stop is signal.SIGINT:
        # Never 0, even when the Ctrl-C lands in a finaliser (see the test below).
        assert process.returncode == 130

    output = cli_import(database_url, school.id, source, extra=("--batch-size", str(batch)))
    assert f"created {rows - left}, updated 0, unchanged {left}, rejected 0" in output
    assert process.stderr is not None
    assert "worker" not in process.stderr.read().decode().lower()
    assert held_by(db, AgencyRecord, school.id) == rows


def test_a_ctrl_c_that_a_finaliser_swallowed_still_stops_the_writer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """CPython runs the Ctrl-C handler wherever the writer is, a finaliser too, and
    drops what it raises there ("Exception ignored"); the import must stop all the same,
    at the next batch, and not carry on to the end and exit 0."""
    dropped: list[Any] = []
    monkeypatch.setattr(sys, "unraisablehook", dropped.append)
    found = signal.getsignal(signal.SIGINT)  # ignored where the tests run in the background

    class Finalised:
        def __del__(self) -> None:
            main = threading.main_thread().ident
            assert main is not None
            signal.pthread_kill(main, signal.SIGINT)
            time.sleep(5)  # the handler runs here, at once

    cells = ["K-1", "child", "Sam", "Family", "2015-01-01", *[""] * 6]
    batch = [Row(2, {}, cells, deferred=True)]
    layout = Layout("csv", HEADER)
    with pytest.raises(KeyboardInterrupt), row_pool(1) as pool:
        assert pool is not None
        assert len(pool.submit(batch, layout, 1).result()) == 1
        Finalised()  # dropped at once: its finaliser runs
        assert [d.exc_type for d in dropped] == [KeyboardInterrupt]
        pool.submit(batch, layout, 1).result()
    assert signal.getsignal(signal.SIGINT) is found


def test_a_worker_that_dies_stops_the_import_in_one_line_after_whole_batches(
    db: Database, database_url: str, world: World, tmp_path: Path
) -> None:
    school = world.agency(AgencyKind.SCHOOL)
    rows, batch = 30_000, 500
    source = tmp_path / "whole-school.csv"
    _many(source, rows)
    process = _start_with_two_workers(db, database_url, school.id, source, batch)
    try:
        os.kill(min(_children(process.pid)), signal.SIGKILL)  # as the out-of-memory killer
        # Read what it prints while waiting, so a full pipe can never hold it up.
        _, errors = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    printed = errors.decode()
    assert process.returncode == 1
    assert printed.splitlines() == [" ".join(WORKER_STOPPED.split())]
    left = held_by(db, AgencyRecord, school.id)
    assert 0 < left < rows and left % batch == 0, "only whole batches are in"

    output = cli_import(database_url, school.id, source, extra=("--batch-size", str(batch)))
    assert f"created {rows - left}, updated 0, unchanged {left}, rejected 0" in output


DIES_ANSWERING = """
import os, struct, sys
from jigsaw.errors import JigsawError
from jigsaw.imports.pool import row_pool
from jigsaw.imports.rows import Layout, Row

def dies_answering() -> None:
    # In the worker: begin sending answers (a length, then a first part of them), and
    # die there, as a worker killed at that moment.
    frame = sys._getframe()
    while "result_queue" not in frame.f_locals:
        frame = frame.f_back
    frame.f_locals["result_queue"]._writer._send(struct.pack("!i", 1_000_000) + bytes(1_000))
    os._exit(9)

cells = ["K-1", "child", "Sam", "Family", "2015-01-01", *[""] * 6]
try:
    with row_pool(1) as pool:
        pool.executor.submit(dies_answering)
        pool.submit([Row(2, {}, cells, deferred=True)], Layout("csv", HEADER), 1).result()
except JigsawError as error:
    print(error)
"""


def test_a_worker_that_dies_while_answering_still_stops_the_writer() -> None:
    """The executor's own thread waits for the rest of answers a worker began sending
    and never finished, for ever; the writer must notice the worker gone all the same,
    and stop, leaving no process or thread behind (its own process would not exit)."""
    code = f"HEADER = {HEADER!r}\n{DIES_ANSWERING}"
    ran = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert (ran.returncode, ran.stdout, ran.stderr) == (0, WORKER_STOPPED + "\n", "")


def test_a_ctrl_c_that_turns_into_another_error_still_exits_as_interrupted() -> None:
    """A Ctrl-C can reach the writer inside code that turns it into an error of its own
    (a database connection it broke, say): the import was interrupted all the same, and
    its command must exit 130, not 1 with that error's line."""
    found = signal.getsignal(signal.SIGINT)
    with pytest.raises(KeyboardInterrupt) as raised, row_pool(1):
        try:
            signal.raise_signal(signal.SIGINT)
        except KeyboardInterrupt:
            raise OSError("broken by the Ctrl-C") from None
    assert isinstance(raised.value.__cause__, OSError)
    assert signal.getsignal(signal.SIGINT) is found


def _good_cells(n: int, local_id: str | None = None) -> list[str]:
    return [local_id or f"G-{n}", "child", "Sam", f"Family{n}", "2015-01-01", *[""] * 6]


def _odd_file(name: str, path: Path) -> None:
    """Files whose oddness is in where the rows stop or what they all are."""
    header = ",".join(HEADER) + "\n"
    if name == "header-only":
        path.write_text(header, encoding="utf-8")
    elif name == "empty-jsonl":
        path.write_bytes(b"")
    elif name == "only-bad":
        bad = [[f"B-{n}", "child", "", "", "", "sometimes", *[""] * 5] for n in range(1_200)]
        path.write_text(header + "".join(",".join(c) + "\n" for c in bad), encoding="utf-8")
    elif name.startswith("not-utf8"):
        # Good rows, then a byte that is not UTF-8 some batches in, then more rows.
        lines = [",".join(_good_cells(n)) + "\n" for n in range(3_000)]
        data = (header + "".join(lines[:1_700])).encode() + b"G-x,child,\xff\n"
        data += "".join(lines[1_700:]).encode()
        if name.endswith("jsonl"):
            objects = [
                json.dumps(dict(zip(HEADER, _good_cells(n), strict=True))) for n in range(3_000)
            ]
            data = "\n".join(objects[:1_700]).encode() + b'\n{"local_id": "\xff"}\n'
            data += "\n".join(objects[1_700:]).encode() + b"\n"
        path.write_bytes(data)
    elif name == "quoted-ids":
        ids = ["O'Neil-1", 'say "hi"', "Zoë-3", "\U0001f600-4", "back\\slash", "a,b", "1e5", "007"]
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(HEADER)
            for n, local_id in enumerate(ids):
                writer.writerow(_good_cells(n, local_id))


ODD = ["header-only", "empty-jsonl", "only-bad", "not-utf8-csv", "not-utf8-jsonl", "quoted-ids"]


@pytest.mark.parametrize("name", ODD)
def test_odd_files_come_out_the_same_checked_by_workers(
    name: str, db: Database, database_url: str, world: World, tmp_path: Path
) -> None:
    suffix = ".jsonl" if name.endswith("jsonl") else ".csv"
    source = tmp_path / f"odd{suffix}"
    _odd_file(name, source)
    outcomes = []
    for workers in ("0", "2"):
        agency = world.agency(AgencyKind.SCHOOL)
        out = tmp_path / f"workers-{workers}"
        out.mkdir()
        printed = []
        for _ in range(2):  # the same file again: every record is found by its local id
            result = CliRunner().invoke(
                cli,
                [
                    "import", "--agency", str(agency.id), "--database", database_url,
                    "--no-link", "--workers", workers, "--batch-size", "500",
                    "--out-dir", str(out), str(source),
                ],
            )  # fmt: skip
            assert result.exception is None or isinstance(result.exception, SystemExit)
            printed.append(
                (
                    result.exit_code,
                    re.sub(r"import \d+ of|agency \d+|\S*workers-\d", "", result.output),
                )
            )
        quarantine = out / f"odd.quarantine{suffix}"
        outcomes.append(
            (
                printed,
                _held(db, agency.id),
                quarantine.read_bytes() if quarantine.exists() else None,
            )
        )
    assert outcomes[0] == outcomes[1]
    printed, held, _ = outcomes[0]
    if name == "quoted-ids":
        assert len(held) == 8 and "unchanged 8" in printed[1][1]
    if name.startswith("not-utf8"):
        assert printed[0][0] == 1 and "not UTF-8" in printed[0][1]
        assert 0 < len(held) < 3_000 and len(held) % 500 == 0
    if name == "only-bad":
        assert held == {} and "rejected 1200" in printed[0][1]
