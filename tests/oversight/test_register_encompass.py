"""Operation Encompass notices in the disclosure register: the police agency's DPO (and a
subject access export) sees each notice as a disclosure to the school, with only the
incident's date and the police contact shared; another agency's DPO does not."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest
from fastapi.testclient import TestClient
from fhir.resources.R4B.auditevent import AuditEvent
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.provenance import Provenance

from jigsaw.db import Database
from jigsaw.encompass.models import EncompassDisclosure
from jigsaw.interop.fhir.resources import ENCOMPASS_SYSTEM
from jigsaw.interop.fhir.service import What, export_bundle
from jigsaw.oversight.register import (
    ENCOMPASS,
    NOT_SHARED,
    RegisterEntry,
    build_register,
    register_csv,
)
from jigsaw.oversight.subject_access import subject_access_export
from jigsaw.policy.actor import Actor
from jigsaw.policy.roles import AgencyKind, Role
from jigsaw.records.schemas import ItemOut
from jigsaw.retention import service as retention
from jigsaw.retention.schedule import shipped_schedule
from jigsaw.retention.service import DueRecord
from tests.conftest import SYSTEM, World
from tests.oversight.test_sar import _pdf_text
from tests.singleview.helpers import Family, build_family, item
from tests.web.sharing_steps import sign_in_as

SUMMARY = "Officers attended the home; Dean Rourke arrested"
"""What the police recorded, which the school was never told."""


@pytest.fixture
def family(db: Database, world: World) -> Family:
    return build_family(db, world)


@pytest.fixture
def incident(db: Database, family: Family) -> ItemOut:
    return item(
        db, family.officer, family.records["police"], SUMMARY,
        subtype="domestic_abuse_incident", occurred_on=date(2026, 3, 14),
    )  # fmt: skip


def _police_dpo(world: World, family: Family) -> Actor:
    return world.actor(world.practitioner(family.police, Role.DPO))


def _notice_id(db: Database, incident: ItemOut) -> int:
    with db.sessions() as session:
        row = session.query(EncompassDisclosure).filter_by(item_chain_id=incident.id).one()
        return row.id


def _encompass_entries(entries: list[RegisterEntry]) -> list[RegisterEntry]:
    return [e for e in entries if e.kind == ENCOMPASS]


def test_the_police_dpo_sees_the_notice_as_a_disclosure_to_the_school(
    db: Database, world: World, family: Family, incident: ItemOut
) -> None:
    register = build_register(db, _police_dpo(world, family), record_id=family.records["police"])
    (entry,) = register.entries
    assert entry.kind == ENCOMPASS
    assert entry.decision_id is None and entry.disclosure_id is None
    assert entry.encompass_notice_id == _notice_id(db, incident)
    assert (entry.sharing_agency, entry.recipient_agency) == (
        family.police.name,
        family.school.name,
    )
    assert entry.purpose == "domestic_abuse_notification"
    assert entry.lawful_basis == "6(1)(e)"
    assert entry.consent_position == "not_applicable"
    assert entry.decided_by == family.accounts["officer"].name
    (shared,) = entry.items
    assert (shared.item_id, shared.version) == (incident.id, 1)
    assert shared.occurred_on == "2026-03-14"
    officer = family.accounts["officer"]
    assert shared.police_contact == f"{officer.name}, {family.police.name}"
    parts = dict(shared.parts())
    assert {f for f, said in parts.items() if said != NOT_SHARED} == {
        "occurred_on",
        "police_contact",
    }
    assert set(parts) == {
        "occurred_on", "category", "subtype", "summary", "detail", "nature", "source",
        "verification", "police_contact",
    }  # fmt: skip
    text = json.dumps(register.model_dump(mode="json")) + register_csv(register)
    assert "Dean Rourke" not in text and "Detail of" not in text


def test_another_agencys_dpo_does_not_see_the_police_notice(
    db: Database, world: World, family: Family, incident: ItemOut
) -> None:
    for agency in (family.school, family.mash):
        dpo = world.actor(world.practitioner(agency, Role.DPO))
        for record in (family.records["police"], family.records["school"]):
            found = build_register(db, dpo, record_id=record)
            assert _encompass_entries(found.entries) == []


def test_the_register_page_and_csv_show_the_notice(
    client: TestClient, db: Database, world: World, family: Family, incident: ItemOut
) -> None:
    notice = _notice_id(db, incident)
    sign_in_as(client, world, db, _police_dpo(world, family))
    page = client.get(f"/register?record={family.records['police']}")
    assert page.status_code == 200
    assert f"Operation Encompass notice</strong> (notice {notice})" in page.text
    assert "Told to the school's designated safeguarding leads" in page.text
    assert f"Police contact: {family.accounts['officer'].name}" in page.text
    assert "Summary: Not shared" in page.text and "Dean Rourke" not in page.text
    assert "Not acknowledged" not in page.text, "a notice has no receipt to wait for"

    download = client.get(f"/register.csv?record={family.records['police']}")
    assert download.status_code == 200
    (row,) = csv.DictReader(io.StringIO(download.text))
    assert row["decision_id"] == f"Operation Encompass notice {notice}"
    assert row["recipient_agency"] == family.school.name
    assert row["purpose"] == "domestic_abuse_notification" and row["lawful_basis"] == "6(1)(e)"
    assert row["items"].startswith(f"item {incident.id} version 1: date: 2026-03-14; ")
    assert f"summary: {NOT_SHARED}" in row["items"]
    assert f"police contact: {family.accounts['officer'].name}" in row["items"]
    assert not row["disclosure_id"] and "Dean Rourke" not in download.text


def test_a_subject_access_export_includes_the_notice(
    db: Database, family: Family, incident: ItemOut
) -> None:
    export = subject_access_export(db, SYSTEM, family.child)
    (entry,) = _encompass_entries(export.register.entries)
    assert entry.reasons.startswith("Operation Encompass"), "fixed words, not withheld"
    rows = list(csv.DictReader(io.StringIO(export.csv)))
    notice = _notice_id(db, incident)
    (row,) = [r for r in rows if r["decision_id"] == f"Operation Encompass notice {notice}"]
    assert f"category: {NOT_SHARED}" in row["items"] and "Dean Rourke" not in export.csv
    drawn = _pdf_text(export.pdf)
    assert f"Operation Encompass notice {notice}," in drawn
    assert f"From {family.police.name} to {family.school.name}." in drawn
    assert "Dean Rourke" not in drawn


def test_the_fhir_register_carries_the_notice(
    db: Database, world: World, family: Family, incident: ItemOut
) -> None:
    notice = _notice_id(db, incident)
    bundle = Bundle.model_validate_json(
        export_bundle(db, _police_dpo(world, family), family.child, What.REGISTER).model_dump_json()
    )
    found = [e.resource for e in bundle.entry or []]
    (event,) = [r for r in found if isinstance(r, AuditEvent)]
    assert event.id == f"encompass-{notice}"
    assert event.subtype[0].code == ENCOMPASS
    assert any(
        e.what.identifier is not None
        and (e.what.identifier.system, e.what.identifier.value) == (ENCOMPASS_SYSTEM, str(notice))
        for e in event.entity or []
    )
    (provenance,) = [r for r in found if isinstance(r, Provenance)]
    assert provenance.id == f"provenance-encompass-{notice}"
    assert "Dean Rourke" not in bundle.model_dump_json()


def test_the_notice_outlives_the_police_records_erasure_and_names_no_child(
    db: Database, world: World, family: Family, incident: ItemOut
) -> None:
    """Erasure keeps the notice's row (ids, codes, times): the register still says the
    school was told, and of the child names nothing, nor the school's record of them."""
    police_dpo = _police_dpo(world, family)
    schedule = shipped_schedule()
    retention.erase(
        db,
        SYSTEM,
        schedule,
        DueRecord(
            agency_record_id=family.records["police"],
            agency_id=family.police.id,
            agency_name=family.police.name,
            rule="test",
            due_on=date(2026, 4, 1),
            last_activity=date(2026, 3, 14),
        ),
    )
    register = build_register(db, police_dpo, record_id=family.records["police"])
    (entry,) = _encompass_entries(register.entries)
    assert entry.encompass_notice_id == _notice_id(db, incident)
    assert entry.recipient_agency == family.school.name
    (shared,) = entry.items
    assert shared.occurred_on == "2026-03-14" and shared.summary == NOT_SHARED
    text = json.dumps(register.model_dump(mode="json")) + register_csv(register)
    assert "Ashworth" not in text and "Dean Rourke" not in text
    # The family's register is their linked records: the erased one has left the person.
    exported = subject_access_export(db, SYSTEM, family.child)
    assert _encompass_entries(exported.register.entries) == []


def test_no_other_reader_gets_the_notice_over_the_pages_or_the_api(
    client: TestClient, db: Database, world: World, family: Family, incident: ItemOut
) -> None:
    """The school's DSL who was told, another force's DPO and the school's DPO: the register
    page, its CSV and the FHIR register either refuse them or leave the notice out."""
    notice = f"notice {_notice_id(db, incident)}"
    officer = family.accounts["officer"].name
    police = family.records["police"]
    dsl = world.practitioner(family.school, Role.DSL)
    world.sign_in(client, dsl)
    assert client.get(f"/api/people/{family.child}/fhir/register").status_code == 403
    sign_in_as(client, world, db, world.actor(dsl))
    for url in (f"/register?record={police}", f"/register.csv?record={police}"):
        refused = client.get(url)
        assert refused.status_code in (403, 404) and officer not in refused.text
    another_force = world.agency(AgencyKind.POLICE)
    for dpo in (
        world.practitioner(another_force, Role.DPO),
        world.practitioner(family.school, Role.DPO),
    ):
        world.sign_in(client, dpo)
        bundle = client.get(f"/api/people/{family.child}/fhir/register")
        assert bundle.status_code == 200, bundle.text
        assert ENCOMPASS_SYSTEM not in bundle.text and officer not in bundle.text
        sign_in_as(client, world, db, world.actor(dpo))
        for url in (f"/register?record={police}", f"/register.csv?record={police}"):
            shown = client.get(url)
            assert shown.status_code == 200
            assert notice not in shown.text and officer not in shown.text
