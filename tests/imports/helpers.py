"""Running ``jigsaw import`` as an agency's administrator would, shared by the tests of
every kind of import."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import func, select
from typer.testing import CliRunner

from jigsaw.cli import app as cli
from jigsaw.db import Database
from jigsaw.imports.rows import COLUMNS
from jigsaw.people.models import AgencyRecord, Relationship


def cli_import(database_url: str, agency: int, *files: Path, extra: tuple[str, ...] = ()) -> str:
    """Import the files for the agency without linking; what the command printed."""
    result = CliRunner().invoke(
        cli,
        [
            "import",
            "--agency",
            str(agency),
            "--database",
            database_url,
            "--no-link",
            *extra,
            *map(str, files),
        ],
    )
    assert result.exit_code == 0, (result.output, result.exception)
    return result.output


def held_by(db: Database, table: type[AgencyRecord] | type[Relationship], agency: int) -> int:
    """How many rows of the table the agency holds: how far an import of that kind got."""
    with db.reading() as session:
        return (
            session.scalar(select(func.count()).select_from(table).where(table.agency_id == agency))
            or 0
        )


def start_import(
    database_url: str,
    agency: int,
    source: Path,
    *,
    batch: int,
    written: Callable[[], int],
    extra: tuple[str, ...] = (),
    own_session: bool = False,
) -> subprocess.Popen[bytes]:
    """Start importing ``source`` in a process of its own and return it once ``written``
    counts a first batch in: an import caught part way, for a test to stop. With
    ``own_session`` the process leads a session of its own, so a Ctrl-C sent to its
    process group reaches it and its workers as a terminal's does."""
    command = [
        str(Path(sys.executable).parent / "jigsaw"),
        "import",
        "--agency",
        str(agency),
        "--database",
        database_url,
        *extra,
        "--batch-size",
        str(batch),
        str(source),
    ]
    process = subprocess.Popen(
        command,
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=own_session,
    )
    try:
        deadline = time.monotonic() + 120
        while written() < batch:
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert time.monotonic() < deadline
            time.sleep(0.01)
    except BaseException:
        process.kill()
        raise
    return process


def kill_after_first_batch(
    database_url: str,
    agency: int,
    source: Path,
    *,
    rows: int,
    batch: int,
    written: Callable[[], int],
    extra: tuple[str, ...] = (),
) -> int:
    """Import ``source`` in a process of its own and kill it outright once ``written``
    counts a first batch in, as a power cut would; how many rows it left, shown to be
    whole batches, neither none nor all."""
    process = start_import(database_url, agency, source, batch=batch, written=written, extra=extra)
    try:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == -signal.SIGKILL
    left = written()
    assert 0 < left < rows, "killed after the first batch and before the end"
    assert left % batch == 0, "only whole batches are in"
    return left


def write_children(path: Path, count: int, *, prefix: str, police_reference: bool = False) -> None:
    """A CSV of ``count`` children told apart only by family name (and, with
    ``police_reference``, a police reference each): a large file that every row of is
    new to an agency, for imports of a whole system."""
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([*COLUMNS, *(["identifier:police_reference"] if police_reference else [])])
        for n in range(count):
            reference = [f"P{n}"] if police_reference else []
            writer.writerow(
                [f"{prefix}-{n}", "Sam", f"Family{n}", "2015-01-01", "", "", "", "", *reference]
            )


def kill_records_import(db: Database, agency: int, source: Path, *, rows: int, batch: int) -> int:
    """``kill_after_first_batch`` for a file of records imported without linking; how many
    of its records the killed import left."""
    return kill_after_first_batch(
        db.url,
        agency,
        source,
        rows=rows,
        batch=batch,
        written=lambda: held_by(db, AgencyRecord, agency),
        extra=("--no-link",),
    )


def finish_records_import(
    db: Database, agency: int, source: Path, *, rows: int, written: int, batch: int | None = None
) -> str:
    """Import the file of ``rows`` records that an earlier import left ``written`` of:
    the rest are created, those are unchanged, and the agency holds them all. What the
    command printed."""
    extra = ("--batch-size", str(batch)) if batch is not None else ()
    output = cli_import(db.url, agency, source, extra=extra)
    assert f"created {rows - written}, updated 0, unchanged {written}, rejected 0" in output
    assert held_by(db, AgencyRecord, agency) == rows
    return output
