"""The controlled list of item types: the shipped file, the service's refusal of anything
outside it, "other" with its description, and the item's history as its agency reads it."""

from __future__ import annotations

import re
from datetime import date
from importlib import resources

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from jigsaw.audit.actions import AuditAction
from jigsaw.audit.models import AuditEntry
from jigsaw.clock import today
from jigsaw.datafiles import DataProblems
from jigsaw.db import Database
from jigsaw.errors import Conflict, InvalidInput, NotFound
from jigsaw.policy.roles import AgencyKind, Role
from jigsaw.protection.keyring import PREFIX
from jigsaw.records import service as records
from jigsaw.records.models import Category, Nature
from jigsaw.records.schemas import CorrectionIn, ItemIn, RetractionIn
from jigsaw.records.types import OTHER, parse_types, shipped_types
from jigsaw.singleview.rules import shipped_rules
from jigsaw.synthetic.templates import TEMPLATES
from tests.conftest import World, unique
from tests.web.helpers import add_record


def _item(record_id: int, **changes: object) -> ItemIn:
    return ItemIn.model_validate(
        {
            "subject_record_id": record_id,
            "category": Category.CHILD_WELFARE,
            "subtype": "attendance",
            "occurred_on": date(2025, 1, 10),
            "summary": "Late three times",
            "nature": Nature.FACT,
            "source": "School register",
            **changes,
        }
    )


def test_every_type_the_demo_and_the_pattern_rules_use_is_listed() -> None:
    listed = shipped_types()
    assert listed.version
    generated = {t.subtype for t in TEMPLATES}
    assert generated <= listed.codes, sorted(generated - listed.codes)
    named = {
        s
        for indicator in shipped_rules().indicators.values()
        for s in (indicator.subtypes or frozenset()) | (indicator.exclude_subtypes or frozenset())
    }
    assert named <= listed.codes, sorted(named - listed.codes)
    assert OTHER not in listed.codes


def test_every_operation_encompass_type_can_be_recorded() -> None:
    """A police officer can record each type the shipped Encompass list acts on."""
    shipped = resources.files("jigsaw.encompass").joinpath("types.yaml")
    encompass = set(yaml.safe_load(shipped.read_text(encoding="utf-8"))["types"])
    assert encompass, "the Encompass list names its types"
    assert encompass <= shipped_types().codes, sorted(encompass - shipped_types().codes)


def test_the_list_reads_as_words() -> None:
    listed = shipped_types()
    assert listed.label("missed_appointment") == "Missed appointment"
    assert listed.label(OTHER, "Left alone in the car") == "Other: Left alone in the car"
    assert listed.label("an_old_code") == "An old code", "items from before the list still read"


def test_a_wrong_list_is_refused_naming_each_problem() -> None:
    text = """
version: "1"
categories:
  child_welfare: {injury: Injury, Bad Code: Bad}
  parent_capacity: {injury: Injury again}
  nobody: {x: X}
"""
    with pytest.raises(DataProblems) as raised:
        parse_types(text, origin="types.yaml")
    found = " | ".join(raised.value.problems)
    assert "types.yaml: categories.child_welfare.Bad Code" in found
    assert "categories.nobody" in found
    with pytest.raises(DataProblems, match="injury is listed under"):
        parse_types(
            'version: "1"\ncategories:\n  child_welfare: {injury: A}\n  risk_person: {injury: B}\n'
        )


def test_the_service_refuses_a_type_outside_the_list(world: World, db: Database) -> None:
    actor = world.actor(world.practitioner(world.agency(AgencyKind.SCHOOL), Role.DSL))
    child = add_record(db, actor, "Ava", unique("Moss"))
    with pytest.raises(InvalidInput) as raised:
        records.record_item(db, actor, _item(child.id, subtype="domestic_stuff"))
    assert [p.field for p in raised.value.problems] == ["subtype"]
    with pytest.raises(InvalidInput) as raised:
        records.record_item(db, actor, _item(child.id, subtype=OTHER))
    assert [p.field for p in raised.value.problems] == ["subtype_other"]
    assert records.list_items_for_record(db, actor, child.id) == []

    listed = records.record_item(db, actor, _item(child.id, subtype_other="ignored"))
    assert listed.subtype_other is None, "a listed type needs no description"
    other = records.record_item(
        db, actor, _item(child.id, subtype=OTHER, subtype_other="Left alone in the car")
    )
    assert (other.subtype, other.subtype_other) == (OTHER, "Left alone in the car")
    with pytest.raises(InvalidInput):
        records.correct_item(
            db,
            actor,
            listed.id,
            CorrectionIn(**_item(child.id, subtype="nope").model_dump(), reason="x"),
        )


def test_the_api_answers_a_type_outside_the_list_with_422(
    client: TestClient, world: World, db: Database
) -> None:
    practitioner = world.practitioner(world.agency(AgencyKind.SCHOOL))
    child = add_record(db, world.actor(practitioner), "Ava", unique("Moss"))
    world.sign_in(client, practitioner)
    body = _item(child.id, subtype="made_up").model_dump(mode="json")
    response = client.post("/api/items", json=body)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "subtype"
    body["subtype"] = "domestic_abuse_incident"
    assert client.post("/api/items", json=body).status_code == 201


def test_the_history_has_every_version_its_reason_and_the_retraction(
    world: World, db: Database
) -> None:
    dsl = world.practitioner(world.agency(AgencyKind.SCHOOL), Role.DSL)
    actor = world.actor(dsl)
    child = add_record(db, actor, "Ava", unique("Moss"))
    first = records.record_item(db, actor, _item(child.id, special_category=True))
    second = records.correct_item(
        db,
        actor,
        first.id,
        CorrectionIn(
            **_item(child.id, summary="Late four times", special_category=True).model_dump(),
            reason="Register counted again",
        ),
    )
    records.retract_item(db, actor, second.id, RetractionIn(reason="Wrong child"))
    history = records.item_history(db, actor, first.id)
    assert [v.version for v in history.versions] == [2, 1]
    assert history.latest.id == second.id
    assert [v.correction_reason for v in history.versions] == ["Register counted again", None]
    assert all(v.special_category for v in history.versions)
    assert history.retraction is not None
    assert (history.retraction.reason, history.retraction.retracted_by) == ("Wrong child", dsl.id)

    stranger = world.actor(world.practitioner(world.agency(AgencyKind.HEALTH), Role.DSL))
    with pytest.raises(NotFound):
        records.item_history(db, stranger, first.id)


def test_a_withdrawn_item_cannot_be_corrected(world: World, db: Database) -> None:
    dsl = world.practitioner(world.agency(AgencyKind.SCHOOL), Role.DSL)
    actor = world.actor(dsl)
    child = add_record(db, actor, "Ava", unique("Moss"))
    first = records.record_item(db, actor, _item(child.id))
    records.retract_item(db, actor, first.id, RetractionIn(reason="Wrong child"))
    correction = CorrectionIn(
        **_item(child.id, summary="Late four times").model_dump(), reason="Counted again"
    )
    day = today()
    refusal = f"This item was withdrawn on {day.day} {day:%B %Y}; it cannot be corrected"
    with pytest.raises(Conflict, match=re.escape(refusal)):
        records.correct_item(db, actor, first.id, correction)
    history = records.item_history(db, actor, first.id)
    assert [v.version for v in history.versions] == [1]
    with db.transaction() as session:
        corrected = session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == AuditAction.ITEM_CORRECTED.value)
            .where(AuditEntry.actor_id == dsl.id)
        )
    assert corrected == 0


def test_an_other_description_and_a_correction_reason_are_stored_sealed(
    world: World, db: Database
) -> None:
    actor = world.actor(world.practitioner(world.agency(AgencyKind.SCHOOL), Role.DSL))
    child = add_record(db, actor, "Ava", unique("Moss"))
    first = records.record_item(
        db, actor, _item(child.id, subtype=OTHER, subtype_other="Left alone in the car")
    )
    second = records.correct_item(
        db,
        actor,
        first.id,
        CorrectionIn(
            **_item(child.id, subtype=OTHER, subtype_other="Left alone in the car").model_dump(),
            reason="Register counted again",
        ),
    )
    with db.engine.connect() as conn:
        row = conn.execute(
            text("SELECT subtype_other, correction_reason FROM information_items WHERE id = :id"),
            {"id": second.id},
        ).one()
    assert str(row.subtype_other).startswith(PREFIX)
    assert str(row.correction_reason).startswith(PREFIX)
    assert "Left alone" not in str(row) and "Register" not in str(row)
    assert records.view_item(db, actor, second.id).correction_reason == "Register counted again"
