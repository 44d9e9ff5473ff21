"""Files of relationships, involvements and items as other systems really export them:
a byte-order mark and Windows line ends, a header that repeats or lacks a column, bytes
that are not UTF-8, the same local id twice, NUL bytes in an id. Each is either read
as meant or refused with a reason, never half-read in silence or failed with a trace."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from jigsaw.cli import app as cli
from tests.conftest import World
from tests.imports.test_kinds import _problems, _report, _school_with_records

HEADER = "local_id,person_local_id,related_local_id,relationship"


def _run(database_url: str, agency: int, path: Path) -> tuple[int, str]:
    result = CliRunner().invoke(
        cli, ["import", "--agency", str(agency), "--database", database_url, "--no-link", str(path)]
    )
    return result.exit_code, " ".join(result.output.split())


def test_a_bom_and_windows_line_ends_are_read_as_meant(
    database_url: str, world: World, tmp_path: Path
) -> None:
    agency = _school_with_records(database_url, world, tmp_path).id
    path = tmp_path / "families.csv"
    path.write_bytes(("\ufeff" + HEADER + "\r\nREL-1,SCH-0004,SCH-0002,parent\r\n").encode("utf-8"))
    code, output = _run(database_url, agency, path)
    assert code == 0, output
    assert "created 1, updated 0, unchanged 0, rejected 0" in output


def test_a_header_that_repeats_or_lacks_a_column_is_refused_whole(
    database_url: str, world: World, tmp_path: Path
) -> None:
    agency = _school_with_records(database_url, world, tmp_path).id
    repeated = tmp_path / "repeated.csv"
    repeated.write_text(
        "local_id,person_local_id,related_local_id,relationship,relationship\n"
        "REL-1,SCH-0004,SCH-0002,parent,parent\n",
        encoding="utf-8",
    )
    code, output = _run(database_url, agency, repeated)
    assert code == 1
    assert "The header repeats relationship" in output
    missing = tmp_path / "missing.csv"
    missing.write_text(
        "local_id,person_local_id,related_local_id\nREL-1,SCH-0004,SCH-0002\n", encoding="utf-8"
    )
    code, output = _run(database_url, agency, missing)
    assert code == 1
    assert "The header has no relationship column" in output


def test_bytes_that_are_not_utf8_are_refused_with_a_reason(
    database_url: str, world: World, tmp_path: Path
) -> None:
    agency = _school_with_records(database_url, world, tmp_path).id
    path = tmp_path / "latin1.csv"
    path.write_bytes((HEADER + "\nREL-1,SCH-0004,SCH-0002,parent\n").encode() + b"REL-\xe9,x,y,z\n")
    code, output = _run(database_url, agency, path)
    assert code == 1
    assert "not UTF-8" in output
    assert "Traceback" not in output


def test_the_same_local_id_twice_and_a_nul_in_an_id_are_refused_by_line(
    database_url: str, world: World, tmp_path: Path
) -> None:
    agency = _school_with_records(database_url, world, tmp_path).id
    path = tmp_path / "twice.csv"
    path.write_bytes(
        (
            HEADER + "\nREL-1,SCH-0004,SCH-0002,parent\n"
            "REL-1,SCH-0001,SCH-0002,associate\n"
            "REL-2,SCH-00\x0001,SCH-0002,associate\n"
        ).encode()
    )
    code, output = _run(database_url, agency, path)
    assert code == 0, output
    assert "created 1, updated 0, unchanged 0, rejected 2" in output
    assert _problems(_report(tmp_path, "twice")) == {
        (3, "REL-1", "local_id"),
        (4, "REL-2", "person_local_id"),
    }
