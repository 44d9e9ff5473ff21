"""Why a disclosure went ahead against the data sharing agreements is sealed at rest,
under the key of the child's agency record, and every reader still shows it; reasons
written before migration 0035 are sealed by it (or, on an erased record, shredded)."""

from __future__ import annotations

import json
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError

from jigsaw import migrate
from jigsaw.audit.actions import AuditAction
from jigsaw.clock import utcnow
from jigsaw.consent.models import SharingPurpose
from jigsaw.db import Database
from jigsaw.deadlines.timescales import load_profile
from jigsaw.deadlines.values import Rag
from jigsaw.interop import prov
from jigsaw.oversight import access_log
from jigsaw.oversight.register import build_register
from jigsaw.people import service as people
from jigsaw.policy.roles import AgencyKind, Role
from jigsaw.protection.keyring import (
    AGENCY_RECORD,
    PREFIX,
    Erased,
    Place,
    Subject,
    Unreadable,
    keyring,
    reveal,
)
from jigsaw.records.models import Category
from jigsaw.retention import service as retention
from jigsaw.retention.schedule import shipped_schedule
from jigsaw.sharing import disclosures, requests
from jigsaw.sharing.export import export_decisions
from jigsaw.sharing.schemas import DisclosureOut, RequestIn
from tests.agreed import agree
from tests.conftest import SYSTEM, World
from tests.interop.test_prov import check_structure, of_kind
from tests.scene import Scene, build_scene
from tests.singleview.helpers import link
from tests.test_migrations import test_models_and_migrations_agree as schema_agrees
from tests.web.helpers import entries_by

PROFILE = load_profile("default")
WHY = "Section 47 enquiry under way: the Children Act 1989 is the lawful basis, agreement or not."
GONE_WHY = "Police strategy discussion tomorrow; the hub needs the attendance record."
COLUMN = "agreement_override_reason"


def _stored(db: Database, disclosure_id: int) -> tuple[str | None, str | None]:
    """The reason and the seal as the database itself holds them, read without the ORM."""
    with db.engine.connect() as conn:
        row = conn.execute(
            text(f"SELECT {COLUMN}, seal_id FROM disclosures WHERE id = :id"),
            {"id": disclosure_id},
        ).one()
    return row[0], row[1]


def _override(out: DisclosureOut) -> str | None:
    assert out.agreement is not None and out.agreement.verdict == "deny"
    return out.agreement.override_reason


def _disclose_against_the_agreements(db: Database, scene: Scene, why: str) -> DisclosureOut:
    decision = scene.share(db)
    return disclosures.disclose(
        db, scene.dsl, scene.disclosure(decision.id, agreement_override_reason=why)
    )


def _disclose_under_an_agreement(db: Database, scene: Scene) -> DisclosureOut:
    both = [scene.school.id, scene.mash.id]
    agree(db, both, both)
    made = disclosures.disclose(db, scene.dsl, scene.disclosure(scene.share(db).id))
    assert made.agreement is not None and made.agreement.verdict == "permit"
    assert made.agreement.override_reason is None
    return made


def test_the_reason_is_stored_sealed_under_the_childs_record(db: Database, world: World) -> None:
    scene = build_scene(db, world, agreed=False)
    made = _disclose_against_the_agreements(db, scene, WHY)
    assert _override(made) == WHY

    stored, seal_id = _stored(db, made.id)
    assert stored is not None and stored.startswith(PREFIX)
    assert "Children Act" not in stored and "Section 47" not in stored
    assert seal_id is not None and len(seal_id) == 32
    with db.sessions() as session:
        ring = keyring(session)
        place = Place("disclosures", COLUMN, seal_id)
        assert reveal(ring, Subject(AGENCY_RECORD, scene.child_record_id), place, stored) == WHY
        with pytest.raises(Unreadable):  # bound to its row: moved to another, it does not open
            moved = Place("disclosures", COLUMN, "0" * 32)
            reveal(ring, Subject(AGENCY_RECORD, scene.child_record_id), moved, stored)

    permitted = _disclose_under_an_agreement(db, scene)
    assert _stored(db, permitted.id)[0] is None, "no reason, nothing sealed"


def test_every_reader_still_shows_the_reason_to_those_allowed(
    db: Database, world: World, client: TestClient
) -> None:
    scene = build_scene(db, world, agreed=False)
    mash_child = scene.mash_child(db).id
    link(db, people.create_person(db, SYSTEM, None).id, scene.child_record_id, mash_child)
    asked = requests.make_request(
        db,
        scene.social_worker,
        RequestIn(
            subject_record_id=mash_child,
            recipient_agency_id=scene.school.id,
            purpose=SharingPurpose.CHILD_PROTECTION_ENQUIRY,
            categories=[Category.CHILD_WELFARE],
            question="Attendance and any injuries this term?",
            rag=Rag.AMBER,
            agreement_override_reason="Asking is lawful under section 47.",
        ),
        PROFILE,
    )
    decision = scene.share(db, request_id=asked.id)
    made = disclosures.disclose(
        db, scene.dsl, scene.disclosure(decision.id, agreement_override_reason=WHY)
    )
    assert _stored(db, made.id)[0] != WHY

    # The disclosing agency: its list, the item's page, one disclosure, the JSON export.
    (listed,) = [d for d in disclosures.made_by_agency(db, scene.dsl) if d.id == made.id]
    assert _override(listed) == WHY
    (carrying,) = disclosures.made_carrying_item(db, scene.dsl, scene.items[0].id)
    assert _override(carrying) == WHY
    (one,) = disclosures.made_by_agency(db, scene.dsl, disclosure_id=made.id)
    assert _override(one) == WHY
    exported = export_decisions(db, scene.dsl, scene.child_record_id)
    shared = [d for e in exported["decisions"] for d in e["disclosures"]]
    assert [d["agreement"]["override_reason"] for d in shared] == [WHY]

    # The recipient: their inbox, the disclosure itself, and what came about their child.
    (inbox,) = [d for d in disclosures.received(db, scene.social_worker) if d.id == made.id]
    assert _override(inbox) == WHY
    assert _override(disclosures.view_received(db, scene.social_worker, made.id)) == WHY
    about = disclosures.received_about(db, scene.social_worker, mash_child)
    assert [_override(d) for d in about if d.id == made.id] == [WHY]

    # Over the API, to another DSL of the disclosing agency; not to another agency.
    world.sign_in(client, world.practitioner(scene.school, Role.DSL))
    answered = client.get("/api/disclosures/made")
    assert answered.status_code == 200, answered.text
    (over_api,) = [d for d in answered.json() if d["id"] == made.id]
    assert over_api["agreement"]["override_reason"] == WHY
    world.sign_in(client, world.practitioner(world.agency(AgencyKind.POLICE), Role.MASH))
    for url in ("/api/disclosures/made", "/api/disclosures/received"):
        assert WHY not in client.get(url).text
    assert client.get(f"/api/disclosures/received/{made.id}").status_code == 404

    # The register and the request's provenance read the sealed row and, as before, carry
    # what the agreements said but never the free text; nor do the DPO's alert and log.
    dpo = world.actor(world.practitioner(scene.school, Role.DPO))
    entries = build_register(db, dpo, record_id=scene.child_record_id).entries
    assert made.id in {e.disclosure_id for e in entries}
    graph = prov.export_provenance(db, scene.social_worker, asked.id, system="urn:jigsaw:test")
    nodes = check_structure(graph)
    verdicts = [n["verdict"] for n in of_kind(nodes, "agreement_evaluation")]
    assert verdicts.count("deny") == 2, "the request's and the disclosure's"
    assert WHY not in json.dumps(graph)
    [alert] = entries_by(db, AuditAction.SHARED_AGAINST_AGREEMENTS, scene.dsl.practitioner_id or 0)
    assert alert.object_id == str(made.id) and WHY not in json.dumps(alert.refs)
    listed_alerts = access_log.alerts(db, dpo)
    assert any(e.seq == alert.seq for e in listed_alerts)
    assert WHY not in json.dumps([e.model_dump(mode="json") for e in listed_alerts])


def _guarded(database: Database) -> None:
    for statement in ("UPDATE disclosures SET id = id", "DELETE FROM disclosures"):
        with pytest.raises(DBAPIError, match="append-only"), database.engine.begin() as conn:
            conn.execute(text(statement))


_COPIED = (
    "decision_id, disclosing_agency_id, disclosed_by_id, recipient_agency_id, "
    "recipient_practitioner_id, purpose, onward_sharing_allowed, expires_at, created_at, "
    "agreement_verdict, agreement_reasons, agreement_id, agreement_version, "
    "agreement_review_confirmed"
)


def _written_before_0035(database: Database, like: int, reason: str) -> int:
    """A disclosure as one made before 0035 is stored: the reason in clear, no seal."""
    with database.engine.begin() as conn:
        return int(
            conn.execute(
                text(
                    f"INSERT INTO disclosures ({_COPIED}, {COLUMN}) "
                    f"SELECT {_COPIED}, :reason FROM disclosures WHERE id = :id RETURNING id"
                ),
                {"reason": reason, "id": like},
            ).scalar_one()
        )


def test_0035_seals_reasons_already_written_and_shreds_an_erased_records(
    private_database: Database,
) -> None:
    db = private_database
    world = World(db)
    kept = build_scene(db, world, agreed=False)
    gone = build_scene(db, world, born=date(2000, 1, 1), agreed=False)
    kept_made = _disclose_against_the_agreements(db, kept, WHY)
    gone_made = _disclose_against_the_agreements(db, gone, GONE_WHY)
    permitted = _disclose_under_an_agreement(db, kept)
    erased = retention.run(db, SYSTEM, shipped_schedule(), date(2025, 1, 1))
    assert [e.agency_record_id for e in erased] == [gone.child_record_id]
    marker = Erased(utcnow().date()).marker

    # Down to 0034: the sealed reason is opened back into clear and the seal goes.
    db.dispose()
    migrate.downgrade(db.url, "0034", have_backup=True)
    with db.engine.connect() as conn:
        assert "seal_id" not in {c["name"] for c in inspect(conn).get_columns("disclosures")}
        clear = dict(conn.execute(text(f"SELECT id, {COLUMN} FROM disclosures")).all())
    assert clear[kept_made.id] == WHY
    assert clear[gone_made.id] == marker, "an erased record's reason stays shredded"
    assert clear[permitted.id] is None
    _guarded(db)
    # What 0031 to 0034 wrote: a reason in clear, on a record kept and on one since erased.
    kept_before = _written_before_0035(db, kept_made.id, "Written before sealing: s47 applies.")
    gone_before = _written_before_0035(db, gone_made.id, GONE_WHY)

    db.dispose()
    migrate.upgrade(db.url)
    schema_agrees(db)
    _guarded(db)
    for disclosure_id in (kept_made.id, kept_before):
        stored, seal_id = _stored(db, disclosure_id)
        assert stored is not None and stored.startswith(PREFIX)
        assert "s47" not in stored and "Children Act" not in stored
        assert seal_id is not None and len(seal_id) == 32
    for disclosure_id in (gone_made.id, gone_before):
        stored, seal_id = _stored(db, disclosure_id)
        assert stored == marker and seal_id is not None
    assert _stored(db, permitted.id) == (None, None), "no reason, nothing to seal"
    assert _stored(db, kept_made.id)[1] != _stored(db, kept_before)[1], "a seal per row"

    shown = {d.id: d for d in disclosures.made_by_agency(db, kept.dsl)}
    assert _override(shown[kept_made.id]) == WHY
    assert _override(shown[kept_before]) == "Written before sealing: s47 applies."
    assert shown[permitted.id].agreement is not None
    assert shown[permitted.id].agreement.override_reason is None
    shown = {d.id: d for d in disclosures.made_by_agency(db, gone.dsl)}
    assert {_override(shown[i]) for i in (gone_made.id, gone_before)} == {marker}
