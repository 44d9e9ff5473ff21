"""``jigsaw import`` of relationships, involvements and information items: rows that name
an agency's people by its own local ids, checked as a practitioner's entries are, the
same file twice changing nothing, a changed item becoming its next version, and a run
killed mid-way finished by the next."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from sqlalchemy import func, select

from jigsaw.audit.actions import AuditAction
from jigsaw.audit.models import AuditEntry
from jigsaw.db import Database
from jigsaw.identity.schemas import AgencyOut
from jigsaw.imports.kinds import ImportKind, kind_of_columns
from jigsaw.imports.models import ImportedRow, ImportState, RecordImport
from jigsaw.people.models import AgencyRecord, Involvement, Relationship, RelationshipKind
from jigsaw.policy.roles import AgencyKind
from jigsaw.records import service as records
from jigsaw.records.models import InformationItem
from tests.conftest import World
from tests.imports.helpers import cli_import, held_by, kill_after_first_batch, write_children

EXAMPLES = Path(__file__).parents[2] / "examples"


def _copy(name: str, folder: Path) -> Path:
    target = folder / name
    target.write_text((EXAMPLES / name).read_text(encoding="utf-8"), encoding="utf-8")
    return target


def _school_with_records(database_url: str, world: World, tmp_path: Path) -> AgencyOut:
    school = world.agency(AgencyKind.SCHOOL)
    cli_import(database_url, school.id, _copy("agency-records.csv", tmp_path))
    return school


def _record_ids(db: Database, agency: int) -> dict[str, int]:
    with db.reading() as session:
        return dict(
            session.execute(
                select(AgencyRecord.local_id, AgencyRecord.id).where(
                    AgencyRecord.agency_id == agency
                )
            ).all()
        )


def _report(folder: Path, stem: str) -> dict[str, object]:
    data: dict[str, object] = json.loads((folder / f"{stem}.import-report.json").read_text())
    return data


def _problems(report: dict[str, object]) -> set[tuple[int, str, str]]:
    listed = report["problems"]
    assert isinstance(listed, list)
    return {(p["line"], p["local_id"], p["field"]) for p in listed}


def test_the_kind_is_read_from_the_header() -> None:
    assert kind_of_columns(["local_id", "person_local_id", "related_local_id", "relationship"]) is (
        ImportKind.RELATIONSHIPS
    )
    assert kind_of_columns(["local_id", "person_local_id", "description", "started_on"]) is (
        ImportKind.INVOLVEMENTS
    )
    assert kind_of_columns(["local_id", "person_local_id", "summary", "subtype"]) is (
        ImportKind.ITEMS
    )
    assert kind_of_columns(["local_id", "given_name", "family_name"]) is ImportKind.RECORDS


def test_relationships_good_rows_go_in_and_bad_ones_are_reported_and_kept(
    db: Database, database_url: str, world: World, tmp_path: Path
) -> None:
    agency = _school_with_records(database_url, world, tmp_path).id
    ids = _record_ids(db, agency)
    output = cli_import(database_url, agency, _copy("relationships.csv", tmp_path))
    assert "import " in output and "of relationships" in output
    assert "created 2, updated 0, unchanged 0, rejected 3" in output
    with db.reading() as session:
        made = {
            (r.from_record_id, r.to_record_id, r.kind)
            for r in session.scalars(select(Relationship).where(Relationship.agency_id == agency))
        }
    assert made == {
        (ids["SCH-0004"], ids["SCH-0002"], RelationshipKind.PARENT),
        (ids["SCH-0001"], ids["SCH-0002"], RelationshipKind.ASSOCIATE),
    }
    report = _report(tmp_path, "relationships")
    assert _problems(report) == {
        (4, "REL-3", "related_local_id"),
        (5, "REL-4", "related_local_id"),
        (6, "REL-5", "relationship"),
    }
    assert "line 4 (local_id REL-3): related_local_id: Your agency has no record" in output
    with (tmp_path / "relationships.quarantine.csv").open(newline="") as handle:
        kept = list(csv.DictReader(handle))
    assert [(k["line"], k["local_id"]) for k in kept] == [
        ("4", "REL-3"),
        ("5", "REL-4"),
        ("6", "REL-5"),
    ]
    assert kept[2]["relationship"] == "cousin"  # as the agency gave it

    again = cli_import(database_url, agency, tmp_path / "relationships.csv")
    assert "created 0, updated 0, unchanged 2, rejected 3" in again
    with db.reading() as session:
        count = session.scalar(
            select(func.count()).select_from(Relationship).where(Relationship.agency_id == agency)
        )
    assert count == 2


def test_involvements_good_rows_go_in_and_bad_ones_are_reported(
    db: Database, database_url: str, world: World, tmp_path: Path
) -> None:
    agency = _school_with_records(database_url, world, tmp_path).id
    ids = _record_ids(db, agency)
    output = cli_import(
        database_url, agency, _copy("involvements.csv", tmp_path), extra=("--kind", "involvements")
    )
    assert "created 2, updated 0, unchanged 0, rejected 2" in output
    with db.reading() as session:
        held = list(
            session.scalars(
                select(Involvement)
                .where(Involvement.agency_record_id.in_(ids.values()))
                .order_by(Involvement.id)
            )
        )
    assert [(i.agency_record_id, i.description) for i in held] == [
        (ids["SCH-0002"], "Pastoral support from the head of year"),
        (ids["SCH-0001"], "School nurse drop-in"),
    ]
    assert held[0].ended_on is None and held[1].ended_on is not None
    assert held[0].contact_email == "pastoral@oldtown-school.example"
    assert _problems(_report(tmp_path, "involvements")) == {
        (4, "INV-3", "ended_on"),
        (5, "INV-4", "person_local_id"),
    }
    assert "An involvement cannot end before it starts" in output

    changed = tmp_path / "involvements.csv"
    changed.write_text(changed.read_text().replace("2025-07-18", "2025-07-25"), encoding="utf-8")
    again = cli_import(database_url, agency, changed)
    assert "created 0, updated 0, unchanged 1, rejected 3" in again
    assert "line 3 (local_id INV-2): local_id: This involvement was imported before" in again


def test_items_are_checked_against_the_list_of_types_and_sealed(
    db: Database, database_url: str, world: World, tmp_path: Path
) -> None:
    agency = _school_with_records(database_url, world, tmp_path).id
    ids = _record_ids(db, agency)
    output = cli_import(database_url, agency, _copy("items.csv", tmp_path))
    assert "created 3, updated 0, unchanged 0, rejected 2" in output
    assert _problems(_report(tmp_path, "items")) == {
        (5, "ITM-4", "subtype"),
        (6, "ITM-5", "occurred_on"),
        (6, "ITM-5", "special_category"),
    }
    with db.reading() as session:
        items = {
            i.summary: i
            for i in session.scalars(
                select(InformationItem).where(InformationItem.agency_id == agency)
            )
        }
        sealed = (
            session.execute(
                select(InformationItem.__table__.c.summary).where(
                    InformationItem.agency_id == agency
                )
            )
            .scalars()
            .all()
        )
    assert set(items) == {
        "Missed the school nurse review",
        "Collected two hours late",
        "Said there was shouting at home at night",
    }
    told = items["Said there was shouting at home at night"]
    assert told.protected_identity is True
    assert told.subject_record_id == ids["SCH-0002"]
    assert told.author_id is None
    assert items["Collected two hours late"].subtype_other == "Late collection"
    assert not any("shouting" in text for text in sealed), "the summary is sealed at rest"
    with db.reading() as session:
        logged = session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(
                AuditEntry.action == AuditAction.ITEM_RECORDED.value,
                AuditEntry.object_id.in_([str(i.id) for i in items.values()]),
            )
        )
    assert logged == 3


def test_the_same_items_twice_create_nothing_and_a_changed_one_is_a_new_version(
    db: Database, database_url: str, world: World, tmp_path: Path
) -> None:
    school = _school_with_records(database_url, world, tmp_path)
    agency = school.id
    source = _copy("items.jsonl", tmp_path)
    first = cli_import(database_url, agency, source)
    assert "of items" in first
    assert "created 2, updated 0, unchanged 0, rejected 1" in first
    assert "line 3 (local_id ITM-6): row: No field is called 'colour' in items" in first
    assert "created 0, updated 0, unchanged 2, rejected 1" in cli_import(
        database_url, agency, source
    )

    source.write_text(
        source.read_text().replace("Collected two hours late", "Collected three hours late"),
        encoding="utf-8",
    )
    changed = cli_import(database_url, agency, source)
    assert "created 0, updated 1, unchanged 1, rejected 1" in changed
    with db.reading() as session:
        rows = list(
            session.scalars(
                select(InformationItem)
                .where(InformationItem.agency_id == agency)
                .order_by(InformationItem.id)
            )
        )
        key = session.scalars(
            select(ImportedRow).where(
                ImportedRow.agency_id == agency, ImportedRow.local_id == "ITM-2"
            )
        ).one()
    late = [r for r in rows if "late" in r.summary]
    assert [(r.summary, r.version) for r in late] == [
        ("Collected two hours late", 1),
        ("Collected three hours late", 2),
    ]
    assert late[1].supersedes_id == late[0].id and late[1].root_id == late[0].id
    assert late[1].correction_reason is not None
    assert key.object_id == late[1].id
    history = records.item_history(db, world.actor(world.practitioner(school)), late[0].id)
    assert [v.summary for v in history.versions] == [
        "Collected three hours late",
        "Collected two hours late",
    ]
    assert "created 0, updated 0, unchanged 2, rejected 1" in cli_import(
        database_url, agency, source
    )


def test_each_import_has_one_entry_with_its_counts_and_the_files_hash(
    db: Database, database_url: str, world: World, tmp_path: Path
) -> None:
    agency = _school_with_records(database_url, world, tmp_path).id
    cli_import(database_url, agency, _copy("relationships.csv", tmp_path))
    report = _report(tmp_path, "relationships")
    with db.reading() as session:
        finished = session.scalars(
            select(AuditEntry).where(
                AuditEntry.action == AuditAction.RECORDS_IMPORT_FINISHED.value,
                AuditEntry.object_id == str(report["import_id"]),
            )
        ).one()
        run = session.get(RecordImport, report["import_id"])
    assert finished.refs["sha256"] == report["sha256"]
    assert (finished.refs["created"], finished.refs["rejected"], finished.refs["rows"]) == (2, 3, 5)
    assert run is not None and run.kind == "relationships" and run.state is ImportState.FINISHED
    assert "SCH-0004" not in json.dumps(finished.refs)


def test_a_relationships_import_killed_mid_way_is_finished_by_the_next(
    db: Database, database_url: str, world: World, tmp_path: Path
) -> None:
    school = world.agency(AgencyKind.SCHOOL)
    people = tmp_path / "people.csv"
    write_children(people, 200, prefix="K")
    cli_import(database_url, school.id, people)
    rows, batch = 8_000, 100
    source = tmp_path / "family-links.csv"
    with source.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["local_id", "person_local_id", "related_local_id", "relationship"])
        for n in range(rows):
            writer.writerow(
                [f"R-{n}", f"K-{n % 200}", f"K-{(n + 1 + n // 200) % 200}", "associate"]
            )
    written = kill_after_first_batch(
        database_url,
        school.id,
        source,
        rows=rows,
        batch=batch,
        written=lambda: held_by(db, Relationship, school.id),
    )

    output = cli_import(database_url, school.id, source, extra=("--batch-size", str(batch)))
    assert f"created {rows - written}, updated 0, unchanged {written}, rejected 0" in output
    assert held_by(db, Relationship, school.id) == rows
    with db.reading() as session:
        runs = list(
            session.scalars(
                select(RecordImport)
                .where(RecordImport.agency_id == school.id, RecordImport.kind == "relationships")
                .order_by(RecordImport.id)
            )
        )
    assert [r.state for r in runs] == [ImportState.INTERRUPTED, ImportState.FINISHED]
    assert f"completes import {runs[0].id}" in output
