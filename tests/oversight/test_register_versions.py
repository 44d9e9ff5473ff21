"""The register says exactly what was shared: the version that went, only the fields that
went, and never a protected identity; on its pages, in its CSV and through its API alike."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

from fastapi.testclient import TestClient

from jigsaw.db import Database
from jigsaw.oversight.register import NOT_SHARED, WITHHELD, Register, build_register, register_csv
from jigsaw.oversight.subject_access import subject_access_export
from jigsaw.policy.actor import Actor
from jigsaw.policy.roles import Role
from jigsaw.records import service as records
from jigsaw.records.models import Nature
from jigsaw.records.schemas import CorrectionIn, ItemOut
from jigsaw.sharing import disclosures
from jigsaw.sharing.models import DisclosedItem
from jigsaw.sharing.schemas import DisclosedItemIn
from tests.conftest import World
from tests.scene import Scene, _item
from tests.singleview.helpers import link, new_person
from tests.web.sharing_steps import sign_in_as


def _dpo(world: World, scene: Scene) -> Actor:
    return world.actor(world.practitioner(scene.school, Role.DPO))


def _correct(db: Database, actor: Actor, item: ItemOut, **changes: object) -> ItemOut:
    body = {
        "subject_record_id": item.subject_record_id,
        "category": item.category,
        "subtype": item.subtype,
        "occurred_on": item.occurred_on,
        "summary": item.summary,
        "detail": item.detail,
        "nature": item.nature,
        "source": item.source,
        "reason": "The first account had the wrong day and the wrong arm.",
    }
    body.update(changes)
    return records.correct_item(db, actor, item.id, CorrectionIn.model_validate(body))


def _everything(register: Register) -> str:
    return json.dumps(register.model_dump(mode="json")) + register_csv(register)


def test_a_disclosure_of_date_and_category_shows_only_those_and_the_rest_not_shared(
    db: Database, scene: Scene, world: World, client: TestClient
) -> None:
    decision = scene.share(db)
    first = scene.items[0]
    made = disclosures.disclose(
        db,
        scene.dsl,
        scene.disclosure(
            decision.id,
            items=[DisclosedItemIn(item_id=first.id, fields=["occurred_on", "category"])],
        ),
    )
    dpo = _dpo(world, scene)
    register = build_register(db, dpo, record_id=scene.child_record_id)
    (entry,) = [e for e in register.entries if e.disclosure_id == made.id]
    (shared,) = entry.items
    assert shared.item_id == first.id and shared.version == 1
    assert shared.occurred_on == "2025-03-03"
    assert shared.category == "child_welfare"
    assert shared.nature == "fact", "fact or opinion always goes with an item"
    for field in ("subtype", "summary", "detail", "source", "verification"):
        assert getattr(shared, field) == NOT_SHARED, field
    assert shared.fields == ["occurred_on", "category", "nature"]

    text = _everything(register)
    assert first.summary not in text and "injury" not in text
    assert "Observed by class teacher" not in text
    (row,) = [
        r
        for r in csv.DictReader(io.StringIO(register_csv(register)))
        if r["disclosure_id"] == str(made.id)
    ]
    assert "date: 2025-03-03" in row["items"] and "summary: Not shared" in row["items"]

    sign_in_as(client, world, db, dpo)
    page = client.get(f"/register?record={scene.child_record_id}").text
    assert "Summary: Not shared" in page and "Date: 2025-03-03" in page
    assert first.summary not in page
    api = client.get(f"/api/audit/register?record_id={scene.child_record_id}")
    assert api.status_code == 200, api.text
    assert first.summary not in api.text and NOT_SHARED in api.text
    download = client.get(f"/api/audit/register.csv?record_id={scene.child_record_id}")
    assert download.status_code == 200 and first.summary not in download.text


def test_an_item_corrected_after_sharing_shows_the_version_that_went(
    db: Database, scene: Scene, world: World
) -> None:
    first = scene.items[0]
    decision = scene.share(db)
    made = disclosures.disclose(
        db,
        scene.dsl,
        scene.disclosure(
            decision.id,
            items=[DisclosedItemIn(item_id=first.id, fields=["occurred_on", "summary", "nature"])],
        ),
    )
    corrected = _correct(
        db,
        scene.dsl,
        first,
        summary="Bruise on lower arm, explained by a fall in the playground",
        occurred_on=date(2025, 3, 4),
        nature=Nature.OPINION,
    )
    register = build_register(db, _dpo(world, scene), record_id=scene.child_record_id)
    (entry,) = [e for e in register.entries if e.disclosure_id == made.id]
    (shared,) = entry.items
    assert (shared.item_id, shared.item_chain_id, shared.version) == (first.id, first.id, 1)
    assert shared.summary == first.summary
    assert shared.occurred_on == "2025-03-03" and shared.nature == "fact"
    text = _everything(register)
    assert corrected.summary not in text and "2025-03-04" not in text

    # Shared again after the correction: that disclosure names the new version.
    again = disclosures.disclose(
        db,
        scene.dsl,
        scene.disclosure(
            scene.share(db).id, items=[DisclosedItemIn(item_id=first.id, fields=["summary"])]
        ),
    )
    register = build_register(db, _dpo(world, scene), record_id=scene.child_record_id)
    (later,) = [e for e in register.entries if e.disclosure_id == again.id]
    assert (later.items[0].item_id, later.items[0].version) == (corrected.id, 2)
    assert later.items[0].summary == corrected.summary


def test_a_row_from_before_versions_were_named_shows_the_version_current_then(
    db: Database, scene: Scene, world: World
) -> None:
    """Disclosures made before ``version_id`` was kept: the time of the disclosure decides."""
    first, second = scene.items
    decision = scene.share(db)
    made = disclosures.disclose(
        db,
        scene.dsl,
        scene.disclosure(
            decision.id, items=[DisclosedItemIn(item_id=first.id, fields=["summary"])]
        ),
    )
    with db.transaction() as session:  # as migration 0022 left the older rows
        session.add(
            DisclosedItem(
                disclosure_id=made.id,
                item_chain_id=second.id,
                fields=["summary"],
                reveal_protected=False,
                version_id=None,
            )
        )
    corrected = _correct(db, scene.dsl, second, summary="Missed three days after half term")
    register = build_register(db, _dpo(world, scene), record_id=scene.child_record_id)
    (entry,) = [e for e in register.entries if e.disclosure_id == made.id]
    by_chain = {i.item_chain_id: i for i in entry.items}
    assert by_chain[second.id].version == 1
    assert by_chain[second.id].summary == second.summary
    assert corrected.summary not in _everything(register)


def test_a_protected_identity_is_withheld_even_where_the_recipient_was_shown_it(
    db: Database, scene: Scene, world: World
) -> None:
    protected = _item(
        db,
        scene.dsl,
        scene.child_record_id,
        protected_identity=True,
        detail="Reported by Mrs Neighbour at number 4",
        source="Neighbour at number 4",
    )
    decision = scene.share(
        db, reveal_protected_reason="The MASH must speak to the neighbour to assess risk."
    )
    made = disclosures.disclose(
        db,
        scene.dsl,
        scene.disclosure(
            decision.id,
            items=[
                DisclosedItemIn(
                    item_id=protected.id,
                    fields=["summary", "detail", "source"],
                    reveal_protected=True,
                )
            ],
        ),
    )
    register = build_register(db, _dpo(world, scene), record_id=scene.child_record_id)
    (entry,) = [e for e in register.entries if e.disclosure_id == made.id]
    (shared,) = entry.items
    assert shared.summary == protected.summary
    assert shared.detail == WITHHELD and shared.source == WITHHELD
    assert shared.identities_revealed
    assert shared.verification == NOT_SHARED
    assert "Neighbour" not in _everything(register)


def test_a_detail_marked_as_protecting_an_identity_after_it_was_shared_is_withheld(
    db: Database, scene: Scene, world: World
) -> None:
    """The marking says the detail and source could identify someone, which was as true
    of the version shared before it: the register withholds them from every version, and
    so does the subject access export built from it."""
    item = _item(
        db,
        scene.dsl,
        scene.child_record_id,
        detail="Reported by Mr Referrer, flat 3",
        source="Mr Referrer, flat 3",
    )
    made = disclosures.disclose(
        db,
        scene.dsl,
        scene.disclosure(
            scene.share(db).id,
            items=[DisclosedItemIn(item_id=item.id, fields=["summary", "detail", "source"])],
        ),
    )
    before = build_register(db, _dpo(world, scene), record_id=scene.child_record_id)
    assert "Mr Referrer" in _everything(before), "shown while nothing marks it protected"
    _correct(db, scene.dsl, item, protected_identity=True, reason="Protect the referrer.")

    register = build_register(db, _dpo(world, scene), record_id=scene.child_record_id)
    (entry,) = [e for e in register.entries if e.disclosure_id == made.id]
    (shared,) = entry.items
    assert (shared.item_id, shared.version) == (item.id, 1), "still the version that went"
    assert shared.summary == item.summary
    assert shared.detail == WITHHELD and shared.source == WITHHELD
    assert not shared.identities_revealed
    assert "Mr Referrer" not in _everything(register)

    person = new_person(db)
    link(db, person, scene.child_record_id)
    export = subject_access_export(db, Actor.system(), person)
    assert "Mr Referrer" not in export.csv and WITHHELD in export.csv
