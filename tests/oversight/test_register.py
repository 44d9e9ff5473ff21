"""The disclosure register, the access log and the decisions export."""

from __future__ import annotations

import csv
import io
import json

import pytest
from typer.testing import CliRunner

from jigsaw.cli import app as cli
from jigsaw.db import Database
from jigsaw.errors import NotPermitted
from jigsaw.oversight import access_log
from jigsaw.oversight.register import build_register, register_csv
from jigsaw.people import service as people
from jigsaw.policy.actor import Actor
from jigsaw.policy.roles import Role
from jigsaw.sharing import disclosures
from jigsaw.sharing.models import DecisionOutcome
from jigsaw.sharing.schemas import DisclosedItemIn
from tests.conftest import World
from tests.scene import Scene, _item


def test_register_lists_shares_and_refusals_without_protected_detail(
    db: Database, scene: Scene, world: World
) -> None:
    protected = _item(
        db,
        scene.dsl,
        scene.child_record_id,
        protected_identity=True,
        detail="Reported by Mrs Neighbour at number 4",
        source="Neighbour",
    )
    shared = scene.share(db)
    made = disclosures.disclose(
        db,
        scene.dsl,
        scene.disclosure(
            shared.id, items=[DisclosedItemIn(item_id=protected.id, fields=["summary", "detail"])]
        ),
    )
    refused = scene.share(
        db, outcome=DecisionOutcome.DO_NOT_SHARE, departure_reason="Police already hold it."
    )
    dpo = world.actor(world.practitioner(scene.school, Role.DPO))
    register = build_register(db, dpo, record_id=scene.child_record_id)
    by_decision = {e.decision_id: e for e in register.entries}
    assert by_decision[shared.id].disclosure_id == made.id
    assert by_decision[shared.id].lawful_basis == "6(1)(e)"
    assert [i.item_id for i in by_decision[shared.id].items] == [protected.id]
    assert by_decision[refused.id].outcome == "do_not_share"
    assert by_decision[refused.id].disclosure_id is None
    text = json.dumps(register.model_dump(mode="json")) + register_csv(register)
    assert "Mrs Neighbour" not in text
    rows = list(csv.DictReader(io.StringIO(register_csv(register))))
    assert {r["outcome"] for r in rows} >= {"share", "do_not_share"}


def test_only_oversight_roles_see_the_register_and_access_log(db: Database, scene: Scene) -> None:
    with pytest.raises(NotPermitted):
        build_register(db, scene.dsl, record_id=scene.child_record_id)
    with pytest.raises(NotPermitted):
        access_log.access_log(db, scene.dsl)


def test_access_log_shows_who_looked_at_which_child(
    db: Database, scene: Scene, world: World
) -> None:
    people.view_agency_record(db, scene.dsl, scene.child_record_id)
    auditor = world.actor(world.practitioner(scene.school, Role.AUDITOR))
    seen = access_log.access_log(db, auditor, record_id=scene.child_record_id)
    assert any(
        e.actor_id == scene.dsl.practitioner_id and e.action == "agency_record.viewed" for e in seen
    )
    assert (
        access_log.access_log(db, auditor, practitioner_id=scene.social_worker.practitioner_id)
        == []
    )
    looked = access_log.access_log(db, auditor, practitioner_id=auditor.practitioner_id)
    assert looked and looked[0].action == "access_log.viewed"


def test_register_and_export_from_the_command_line(db: Database, scene: Scene) -> None:
    decision = scene.share(db)
    disclosures.disclose(db, scene.dsl, scene.disclosure(decision.id))
    runner = CliRunner()
    record = str(scene.child_record_id)
    as_csv = runner.invoke(
        cli, ["register", "--record", record, "--format", "csv", "--database", db.url]
    )
    assert as_csv.exit_code == 0, as_csv.output
    assert str(decision.id) in as_csv.stdout.splitlines()[1]
    exported = runner.invoke(cli, ["decisions", "export", "--child", record, "--database", db.url])
    assert exported.exit_code == 0, exported.output
    document = json.loads(exported.stdout)
    assert document["decisions"][0]["decision"]["id"] == decision.id
    assert document["decisions"][0]["disclosures"][0]["items"]
    assert Actor.system().is_system
