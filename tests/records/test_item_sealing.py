"""An item's type and its special-category and criminal-offence flags are sealed like its
narrative: SQL sees ciphertext, the people entitled to the item see the values, and
erasing the record's key shreds them with the rest."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from jigsaw import migrate
from jigsaw.clock import utcnow
from jigsaw.db import Database
from jigsaw.people import service as people
from jigsaw.people.models import PersonRole
from jigsaw.people.schemas import AgencyRecordIn
from jigsaw.policy.actor import Actor
from jigsaw.policy.roles import AgencyKind, Role
from jigsaw.protection.keyring import PREFIX, Erased
from jigsaw.records import service as records
from jigsaw.retention import service as retention
from jigsaw.retention.schedule import shipped_schedule
from jigsaw.singleview import service as singleview
from tests.conftest import World, unique
from tests.singleview.helpers import Family, build_family, household_concerns, item, share

CLEAR = ("section_47", "coercive_control", "substance_misuse")


def _raw(db: Database, item_id: int) -> dict[str, Any]:
    with db.engine.connect() as conn:
        row = conn.execute(
            text("SELECT * FROM information_items WHERE id = :id"), {"id": item_id}
        ).one()
    return dict(row._mapping)


def _assert_sealed(row: dict[str, Any]) -> None:
    """Nothing in the stored row names the type or says whether a flag is set."""
    assert str(row["subtype"]).startswith(PREFIX)
    assert str(row["sensitivity"]).startswith(PREFIX)
    assert row["special_category"] is None and row["criminal_offence"] is None
    stored = " ".join(str(value) for value in row.values())
    assert not any(word in stored for word in CLEAR)
    assert "special_category=" not in stored and "criminal_offence=" not in stored


def test_a_section_47_item_is_stored_sealed_and_read_back_through_the_api(
    client: TestClient, world: World, db: Database
) -> None:
    police = world.agency(AgencyKind.POLICE)
    officer = world.practitioner(police)
    world.sign_in(client, officer)
    record = client.post(
        "/api/agency-records",
        json={
            "agency_id": police.id,
            "local_id": unique("P"),
            "role": "child",
            "given_name": "Tia",
            "family_name": "Marsh",
        },
    ).json()
    made = client.post(
        "/api/items",
        json={
            "subject_record_id": record["id"],
            "category": "child_welfare",
            "subtype": "section_47",
            "occurred_on": "2026-01-10",
            "summary": "Strategy discussion held",
            "nature": "fact",
            "source": "Strategy meeting",
            "special_category": True,
            "criminal_offence": False,
        },
    )
    assert made.status_code == 201, made.text
    shown = client.get(f"/api/items/{made.json()['id']}").json()
    assert (shown["subtype"], shown["special_category"], shown["criminal_offence"]) == (
        "section_47",
        True,
        False,
    )
    _assert_sealed(_raw(db, shown["id"]))


def test_flags_of_every_combination_seal_to_the_same_length(world: World, db: Database) -> None:
    """The flags are written out in full, so the ciphertext's length gives none away."""
    officer = world.actor(world.practitioner(world.agency(AgencyKind.POLICE)))
    record = _record(db, officer)
    lengths = set()
    for special in (False, True):
        for criminal in (False, True):
            made = item(
                db, officer, record, "Arrested at the address", subtype="coercive_control",
                special_category=special, criminal_offence=criminal,
            )  # fmt: skip
            assert (made.special_category, made.criminal_offence) == (special, criminal)
            lengths.add(len(str(_raw(db, made.id)["sensitivity"])))
    assert len(lengths) == 1


def test_the_chronology_and_pattern_flags_still_read_the_sealed_types(
    db: Database, world: World
) -> None:
    family: Family = build_family(db, world, surname="Ashdown")
    rec = family.records
    incident, mood, drink = household_concerns(db, family, drinking_special_category=True)
    for made in (incident, mood, drink):
        _assert_sealed(_raw(db, made.id))
    share(db, family.officer, rec["police"], [incident], to_agency=family.mash.id)
    share(db, family.gp, rec["health_mother"], [mood], to_agency=family.mash.id)

    seen = singleview.chronology(db, family.social_worker, family.child)
    assert {e.summary: e.subtype for e in seen.entries}[
        "Domestic abuse incident, child present"
    ] == "domestic_abuse_incident"
    raised = singleview.pattern_flags(db, family.social_worker, family.child)
    assert "domestic_abuse_mental_health_substance_misuse" in {f.id for f in raised.flags}


def test_erasure_shreds_the_type_and_flags_with_the_narrative(private_database: Database) -> None:
    db = private_database
    world = World(db)
    school = world.agency(AgencyKind.SCHOOL)
    dsl = world.actor(world.practitioner(school, Role.DSL))
    record = _record(db, dsl, born=date(2000, 1, 1))
    made = item(
        db, dsl, record, "Section 47 enquiry opened", subtype="section_47",
        special_category=True, occurred_on=date(2016, 3, 3),
    )  # fmt: skip
    before = _raw(db, made.id)

    retention.run(db, Actor.system(), shipped_schedule(), date(2025, 1, 1))

    after = _raw(db, made.id)
    assert after == before, "the row is write-once; only its key is destroyed"
    _assert_sealed(after)
    shown = records.view_item(db, dsl, made.id)
    marker = Erased(utcnow().date()).marker
    assert shown.subtype == marker and shown.summary == marker
    assert "section_47" not in shown.model_dump_json()


def _record(db: Database, actor: Actor, born: date | None = None) -> int:
    return people.create_agency_record(
        db,
        actor,
        AgencyRecordIn(
            agency_id=actor.agency_id or 0,
            local_id=unique("R"),
            role=PersonRole.CHILD,
            given_name="Noah",
            family_name="Pike",
            date_of_birth=born,
        ),
    ).id


def test_going_below_0014_puts_the_values_back_in_clear_and_loses_nothing(
    private_database: Database,
) -> None:
    db = private_database
    world = World(db)
    officer = world.actor(world.practitioner(world.agency(AgencyKind.POLICE)))
    made = item(
        db, officer, _record(db, officer), "Strategy discussion", subtype="section_47",
        special_category=True,
    )  # fmt: skip
    _assert_sealed(_raw(db, made.id))
    db.dispose()
    migrate.downgrade(db.url, "0013", have_backup=True)
    down = _raw(db, made.id)
    assert (down["subtype"], bool(down["special_category"]), bool(down["criminal_offence"])) == (
        "section_47",
        True,
        False,
    )
    assert "sensitivity" not in down
    with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as conn:
        conn.execute(text("UPDATE information_items SET id = id"))

    db.dispose()
    migrate.upgrade(db.url)
    shown = records.view_item(db, officer, made.id)
    assert (shown.subtype, shown.special_category, shown.criminal_offence) == (
        "section_47",
        True,
        False,
    ), "a row from before the seal is read as it is"
    again = item(db, officer, made.subject_record_id, "Follow-up", subtype="section_47")
    _assert_sealed(_raw(db, again.id))
