"""``jigsaw import``: an agency's file in, good rows written, bad ones reported and kept,
the same file twice changing nothing, and a run killed mid-way finished by the next."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

from sqlalchemy import func, select
from typer.testing import CliRunner

from jigsaw.audit.actions import AuditAction
from jigsaw.audit.models import AuditEntry
from jigsaw.cli import app as cli
from jigsaw.db import Database
from jigsaw.imports.models import ImportState, RecordImport
from jigsaw.people.identifiers import IdentifierScheme
from jigsaw.people.models import AgencyRecord, AgencyRecordIdentifier, Sex
from jigsaw.policy.actor import Actor
from jigsaw.policy.roles import AgencyKind
from jigsaw.retention import service as retention
from jigsaw.retention.schedule import shipped_schedule
from tests.conftest import World
from tests.imports.helpers import (
    cli_import,
    finish_records_import,
    kill_records_import,
    write_children,
)

EXAMPLES = Path(__file__).parents[2] / "examples"
HEADER = (
    "local_id,role,given_name,family_name,date_of_birth,sex,address,postcode,nhs_number,"
    "identifier:upn"
)


def _records(db: Database, agency: int) -> dict[str, AgencyRecord]:
    with db.reading() as session:
        return {
            r.local_id: r
            for r in session.scalars(select(AgencyRecord).where(AgencyRecord.agency_id == agency))
        }


def _identifiers(db: Database, record_id: int) -> set[tuple[IdentifierScheme, str]]:
    with db.reading() as session:
        return {
            (scheme, value)
            for scheme, value in session.execute(
                select(AgencyRecordIdentifier.scheme, AgencyRecordIdentifier.value).where(
                    AgencyRecordIdentifier.agency_record_id == record_id
                )
            )
        }


def _copy(name: str, folder: Path) -> Path:
    target = folder / name
    target.write_text((EXAMPLES / name).read_text(encoding="utf-8"), encoding="utf-8")
    return target


def test_good_rows_go_in_and_bad_rows_are_reported_and_kept(
    db: Database, database_url: str, world: World, tmp_path: Path
) -> None:
    school = world.agency(AgencyKind.SCHOOL)
    source = _copy("agency-records.csv", tmp_path)
    output = cli_import(database_url, school.id, source)

    held = _records(db, school.id)
    assert sorted(held) == ["SCH-0001", "SCH-0002", "SCH-0003", "SCH-0004"]
    assert held["SCH-0001"].nhs_number == "4010232137"
    assert held["SCH-0003"].given_name == ""  # a missing name is stored empty
    assert held["SCH-0003"].family_name == "Okafor"
    assert held["SCH-0004"].role.value == "parent_carer"
    assert held["SCH-0002"].role.value == "child"
    assert held["SCH-0002"].recorded_by_id is None  # the service made it: confirmed
    assert _identifiers(db, held["SCH-0002"].id) == {
        (IdentifierScheme.UPN, "P207000016049"),
        (IdentifierScheme.LOCAL_CASE_NUMBER, "CASE-77"),
    }

    assert "created 4, updated 0, unchanged 0, rejected 3" in output
    assert "line 6 (local_id SCH-0005): date_of_birth: A date of birth cannot be" in output
    assert "line 7 (local_id SCH-0006): identifier:upn: This is not a valid UPN" in output
    assert "line 8 (local_id SCH-0007): sex:" in output
    report = json.loads((tmp_path / "agency-records.import-report.json").read_text())
    assert (report["rows"], report["created"], report["rejected"]) == (7, 4, 3)
    assert {(p["line"], p["local_id"], p["field"]) for p in report["problems"]} >= {
        (6, "SCH-0005", "date_of_birth"),
        (7, "SCH-0006", "nhs_number"),
        (7, "SCH-0006", "identifier:upn"),
        (8, "SCH-0007", "role"),
        (8, "SCH-0007", "date_of_birth"),
    }
    with (tmp_path / "agency-records.quarantine.csv").open(newline="") as handle:
        kept = list(csv.DictReader(handle))
    assert [(r["line"], r["local_id"]) for r in kept] == [
        ("6", "SCH-0005"),
        ("7", "SCH-0006"),
        ("8", "SCH-0007"),
    ]
    assert kept[1]["identifier:upn"] == "A801200005001"  # as the agency gave it
    # Nothing lost: every row is in or in quarantine.
    assert len(held) + len(kept) == 7

    with db.reading() as session:
        entries = list(
            session.scalars(
                select(AuditEntry)
                .where(AuditEntry.object_type == "record_import")
                .where(AuditEntry.object_id == str(report["import_id"]))
                .order_by(AuditEntry.id)
            )
        )
    assert [e.action for e in entries] == [
        AuditAction.RECORDS_IMPORT_STARTED.value,
        AuditAction.RECORDS_IMPORTED.value,
        AuditAction.RECORDS_IMPORT_FINISHED.value,
    ]
    assert entries[0].refs["sha256"] == report["sha256"]
    assert sorted(entries[1].refs["records_created"]) == sorted(r.id for r in held.values())
    logged = json.dumps([e.refs for e in entries])
    assert "Okafor" not in logged and "4010232137" not in logged


def test_the_same_file_twice_creates_nothing(
    db: Database, database_url: str, world: World, tmp_path: Path
) -> None:
    school = world.agency(AgencyKind.SCHOOL)
    source = _copy("agency-records.csv", tmp_path)
    cli_import(database_url, school.id, source)
    before = {k: r.id for k, r in _records(db, school.id).items()}
    again = cli_import(database_url, school.id, source)
    assert "created 0, updated 0, unchanged 4, rejected 3" in again
    assert {k: r.id for k, r in _records(db, school.id).items()} == before


def test_a_changed_row_updates_the_record_and_its_identifiers(
    db: Database, database_url: str, world: World, tmp_path: Path
) -> None:
    school = world.agency(AgencyKind.SCHOOL)
    source = tmp_path / "pupils.csv"
    source.write_text(
        f"{HEADER}\n"
        "P-1,child,Ava,Moss,2016-03-14,female,1 Elm Road,OT1 2AB,4010232137,B801200005001\n"
        "P-2,child,Noah,Byrne,2015-11-30,male,4 Mill Lane,OT4 7XY,,\n"
    )
    cli_import(database_url, school.id, source)
    first = _records(db, school.id)
    source.write_text(
        f"{HEADER}\n"
        "P-1,child,Ava,Moss-Hart,2016-03-14,f,9 New Street,OT9 9ZZ,4010232137,P207000016049\n"
        "P-2,child,Noah,Byrne,2015-11-30,male,4 Mill Lane,OT4 7XY,,\n"
    )
    output = cli_import(database_url, school.id, source)
    assert "created 0, updated 1, unchanged 1, rejected 0" in output
    now = _records(db, school.id)
    assert now["P-1"].id == first["P-1"].id
    assert (now["P-1"].family_name, now["P-1"].postcode, now["P-1"].sex) == (
        "Moss-Hart",
        "OT9 9ZZ",
        Sex.FEMALE,
    )
    assert _identifiers(db, now["P-1"].id) == {(IdentifierScheme.UPN, "P207000016049")}
    with db.reading() as session:
        batch = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == AuditAction.RECORDS_IMPORTED.value)
            .order_by(AuditEntry.id.desc())
            .limit(1)
        ).one()
    assert batch.refs["records_updated"] == [now["P-1"].id]
    assert batch.refs["unchanged"] == 1


def test_json_lines_are_read_like_csv(
    db: Database, database_url: str, world: World, tmp_path: Path
) -> None:
    surgery = world.agency(AgencyKind.HEALTH)
    source = _copy("agency-records.jsonl", tmp_path)
    output = cli_import(database_url, surgery.id, source)
    assert "created 3, updated 0, unchanged 0, rejected 3" in output
    held = _records(db, surgery.id)
    assert sorted(held) == ["GP-1001", "GP-1002", "GP-1003"]
    assert held["GP-1003"].date_of_birth is None
    assert _identifiers(db, held["GP-1002"].id) == {(IdentifierScheme.UPN, "P207000016049")}
    kept = [
        json.loads(line)
        for line in (tmp_path / "agency-records.quarantine.jsonl").read_text().splitlines()
    ]
    assert [k["line"] for k in kept] == [4, 5, 6]
    assert kept[0]["local_id"] == "GP-1004"
    assert kept[1] == {"line": 5, "unreadable": "not json at all"}
    assert "line 6 (local_id GP-1006): row: No field is called 'surname'" in output


def test_a_repeated_local_id_is_refused_not_merged(
    db: Database, database_url: str, world: World, tmp_path: Path
) -> None:
    school = world.agency(AgencyKind.SCHOOL)
    source = tmp_path / "twice.csv"
    source.write_text(
        f"{HEADER}\nT-1,child,Ava,Moss,2016-03-14,female,,,,\nT-1,child,Eva,Moss,2016-03-14,,,,,\n"
    )
    output = cli_import(database_url, school.id, source)
    assert "line 3 (local_id T-1): local_id: This local_id is already on line 2" in output
    assert _records(db, school.id)["T-1"].given_name == "Ava"


def _one_line_failure(database_url: str, words: list[str]) -> str:
    result = CliRunner().invoke(cli, ["import", "--database", database_url, *words])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    return lines[0]


def test_an_unknown_agency_is_refused(database_url: str, tmp_path: Path) -> None:
    source = _copy("agency-records.csv", tmp_path)
    line = _one_line_failure(database_url, ["--agency", "987654", str(source)])
    assert line == "Not found: No agency with id 987654"
    assert not (tmp_path / "agency-records.quarantine.csv").exists()


def test_a_bad_header_is_one_clear_line(
    db: Database, database_url: str, world: World, tmp_path: Path
) -> None:
    school = world.agency(AgencyKind.SCHOOL)
    source = tmp_path / "export.csv"
    source.write_text("local_id,forename,surname\nX-1,Ava,Moss\n")
    line = _one_line_failure(database_url, ["--agency", str(school.id), str(source)])
    assert line.startswith("Not accepted: export.csv: The header has no given_name, family_name")
    unknown = tmp_path / "extra.csv"
    unknown.write_text(f"{HEADER},identifier:passport\n")
    line = _one_line_failure(database_url, ["--agency", str(school.id), str(unknown)])
    assert "There is no identifier scheme 'passport'" in line
    assert _records(db, school.id) == {}


def test_an_import_killed_mid_way_is_finished_by_the_next(
    db: Database, world: World, tmp_path: Path
) -> None:
    school = world.agency(AgencyKind.SCHOOL)
    rows, batch = 60_000, 500
    source = tmp_path / "whole-school.csv"
    write_children(source, rows, prefix="K")
    written = kill_records_import(db, school.id, source, rows=rows, batch=batch)

    output = finish_records_import(db, school.id, source, rows=rows, written=written, batch=batch)
    with db.reading() as session:
        runs = list(
            session.scalars(
                select(RecordImport)
                .where(RecordImport.agency_id == school.id)
                .order_by(RecordImport.id)
            )
        )
        local_ids = session.scalar(
            select(func.count(func.distinct(AgencyRecord.local_id))).where(
                AgencyRecord.agency_id == school.id
            )
        )
    assert local_ids == rows
    assert [r.state for r in runs] == [ImportState.INTERRUPTED, ImportState.FINISHED]
    assert runs[0].last_line == written + 1  # the header is line 1
    assert f"completes import {runs[0].id}" in output


def test_imported_records_are_linked_so_who_knows_is_current(
    db: Database, database_url: str, world: World, tmp_path: Path
) -> None:
    school = world.agency(AgencyKind.SCHOOL)
    surgery = world.agency(AgencyKind.HEALTH)
    nhs = "4010232161"
    pupils = tmp_path / "pupils.csv"
    pupils.write_text(
        f"{HEADER}\nL-1,child,Ava,Moss,2016-03-14,female,12 Elm Road,OT1 2AB,{nhs},\n"
    )
    patients = tmp_path / "patients.jsonl"
    patients.write_text(
        json.dumps(
            {
                "local_id": "G-1",
                "given_name": "Ava",
                "family_name": "Moss",
                "date_of_birth": "2016-03-14",
                "sex": "female",
                "address": "12 Elm Road",
                "postcode": "OT1 2AB",
                "nhs_number": nhs,
            }
        )
        + "\n"
    )
    for agency, source in ((school.id, pupils), (surgery.id, patients)):
        result = CliRunner().invoke(
            cli, ["import", "--agency", str(agency), "--database", database_url, str(source)]
        )
        assert result.exit_code == 0, (result.output, result.exception)
        assert "linked 1" in result.output
    at_school = _records(db, school.id)["L-1"]
    at_surgery = _records(db, surgery.id)["G-1"]
    assert at_school.person_id is not None
    assert at_surgery.person_id == at_school.person_id


def test_an_erased_record_is_never_brought_back(
    db: Database, database_url: str, world: World, tmp_path: Path
) -> None:
    school = world.agency(AgencyKind.SCHOOL)
    source = tmp_path / "leavers.csv"
    row = "E-1,child,Ava,Moss,2001-03-14,female,1 Elm Road,OT1 2AB,4010232137,"
    source.write_text(f"{HEADER}\n{row}\nE-2,child,Noah,Byrne,2002-01-01,male,,,,\n")
    cli_import(database_url, school.id, source)
    erased = _records(db, school.id)["E-1"]
    retention.erase(
        db,
        Actor.system(),
        shipped_schedule(),
        retention.DueRecord(
            erased.id, school.id, school.name, "test", date(2026, 1, 1), date(2020, 1, 1)
        ),
    )
    output = cli_import(database_url, school.id, source)
    assert "created 0, updated 0, unchanged 1, rejected 1" in output
    assert "line 2 (local_id E-1): local_id: This record was erased" in output
    assert _records(db, school.id)["E-1"].given_name == "[erased]"


def test_the_quarantine_file_corrected_is_imported_as_it_is(
    db: Database, database_url: str, world: World, tmp_path: Path
) -> None:
    school = world.agency(AgencyKind.SCHOOL)
    cli_import(database_url, school.id, _copy("agency-records.csv", tmp_path))
    quarantine = tmp_path / "agency-records.quarantine.csv"
    fixed = tmp_path / "corrected.csv"
    fixed.write_text(
        quarantine.read_text()
        .replace("2031-01-01", "2013-01-01")
        .replace("4010232138,A801200005001", "4010232188,B801200005001")
        .replace("pupil,Ellie,Ward,2014-13-02,girl", "child,Ellie,Ward,2014-12-02,female")
    )
    output = cli_import(database_url, school.id, fixed)
    assert "created 3, updated 0, unchanged 0, rejected 0" in output
    assert len(_records(db, school.id)) == 7
