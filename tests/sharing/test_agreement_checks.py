"""Every request and disclosure is checked against the data sharing agreements in force:
the verdict, its reasons and the version relied on are kept on the row and in the
action's audit entry; a DENY goes ahead only with a reason, and alerts the DPO; a
disclosure ends no later than the agreement's delete-after."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from jigsaw.agreements.models import EventKind
from jigsaw.audit.actions import AuditAction
from jigsaw.consent.models import SharingPurpose
from jigsaw.db import Database
from jigsaw.deadlines.timescales import load_profile
from jigsaw.deadlines.values import Rag
from jigsaw.errors import InvalidInput, NotFound
from jigsaw.notifications import service as notifications
from jigsaw.notifications.models import NotificationKind
from jigsaw.oversight import access_log
from jigsaw.policy.roles import AgencyKind, Role
from jigsaw.records.models import Category
from jigsaw.sharing import disclosures, requests
from jigsaw.sharing.schemas import RequestIn, RequestOut
from tests.agreed import agree, close
from tests.conftest import World, unique
from tests.scene import Scene, build_scene
from tests.web.helpers import entries_by

PROFILE = load_profile("default")
WHY = "Section 47 enquiry: the Children Act 1989 lets us ask without an agreement."


@pytest.fixture
def unagreed(db: Database, world: World) -> Scene:
    """A school and a MASH that have signed nothing."""
    return build_scene(db, world, agreed=False)


def _ask(db: Database, scene: Scene, **fields: object) -> RequestOut:
    body: dict[str, object] = {
        "subject_record_id": scene.mash_child(db).id,
        "recipient_agency_id": scene.school.id,
        "purpose": SharingPurpose.MASH_SCREENING,
        "categories": [Category.CHILD_WELFARE],
        "question": "Attendance and any injuries this term?",
        "rag": Rag.AMBER,
        **fields,
    }
    return requests.make_request(db, scene.social_worker, RequestIn.model_validate(body), PROFILE)


def test_a_request_under_an_agreement_is_permitted_with_the_version_relied_on(
    db: Database, scene: Scene
) -> None:
    made = _ask(db, scene)
    assert made.agreement is not None
    assert made.agreement.verdict == "permit"
    assert [r.code for r in made.agreement.reasons] == ["covered"]
    assert made.agreement.agreement_version == 1
    entry = entries_by(db, AuditAction.REQUEST_MADE, scene.social_worker.practitioner_id or 0)[-1]
    assert entry.object_id == str(made.id)
    assert entry.refs["agreement_verdict"] == "permit"
    assert entry.refs["agreement"] == made.agreement.agreement_id
    assert entry.refs["agreement_version"] == 1


def test_a_request_no_agreement_covers_is_refused_without_a_reason(
    db: Database, unagreed: Scene
) -> None:
    for blank in ("", "   \n "):
        with pytest.raises(InvalidInput, match="lawful") as refused:
            _ask(db, unagreed, agreement_override_reason=blank)
        assert [p.field for p in refused.value.problems] == ["agreement_override_reason"]
    assert requests.outgoing_requests(db, unagreed.social_worker) == []


def test_a_denied_request_goes_ahead_with_a_reason_and_alerts_the_dpo(
    db: Database, world: World, unagreed: Scene
) -> None:
    dpo = world.actor(world.practitioner(unagreed.mash, Role.DPO))
    made = _ask(db, unagreed, agreement_override_reason=f"  {WHY}  ")
    assert made.agreement is not None
    assert made.agreement.verdict == "deny"
    assert [r.code for r in made.agreement.reasons] == ["no_agreement"]
    assert made.agreement.override_reason == WHY
    assert made.agreement.agreement_id is None
    with db.sessions() as session:
        stored = session.execute(
            text("SELECT agreement_override_reason FROM information_requests WHERE id = :id"),
            {"id": made.id},
        ).scalar_one()
    assert stored and WHY not in stored, "the reason is sealed with the request's question"
    worker = unagreed.social_worker.practitioner_id or 0
    made_entry = entries_by(db, AuditAction.REQUEST_MADE, worker)[-1]
    assert made_entry.refs["agreement_verdict"] == "deny"
    assert made_entry.refs["agreement_reasons"] == "no_agreement"
    assert WHY not in str(made_entry.refs)  # free text never goes in the log
    [alert] = entries_by(db, AuditAction.SHARED_AGAINST_AGREEMENTS, worker)
    assert alert.object_id == str(made.id)
    told = [n for n in notifications.inbox(db, dpo) if n.object_id == made.id]
    assert [n.kind for n in told] == [NotificationKind.SHARED_AGAINST_AGREEMENTS]
    assert told[0].object_type == "request_agreement_override"
    listed = access_log.alerts(db, dpo)
    assert any(e.action == AuditAction.SHARED_AGAINST_AGREEMENTS.value for e in listed)


def test_a_review_is_recorded_with_whether_it_was_considered(db: Database, world: World) -> None:
    scene = build_scene(db, world, agreed=False)
    agree(db, scene.school.id, scene.mash.id, purposes=[SharingPurpose.EARLY_HELP])
    made = _ask(db, scene, agreement_review_confirmed=True)
    assert made.agreement is not None
    assert made.agreement.verdict == "review"
    assert [r.code for r in made.agreement.reasons] == ["purpose_not_covered"]
    assert made.agreement.review_confirmed is True
    assert made.agreement.override_reason is None


def test_a_request_is_judged_by_the_version_in_force_when_it_was_made(
    db: Database, world: World
) -> None:
    scene = build_scene(db, world, agreed=False)
    reference = unique("DSA").replace(" ", "-")
    changes_on = date.today() + timedelta(days=10)
    first = agree(db, scene.school.id, scene.mash.id, reference=reference)
    second = agree(
        db,
        scene.school.id,
        scene.mash.id,
        reference=reference,
        version=2,
        supersedes_id=first.id,
        starts_on=changes_on,
        approved_on=changes_on,
        categories=[Category.PARENT_CAPACITY.value],
    )
    close(db, first.id, EventKind.SUPERSEDED, changes_on)

    before = _ask(db, scene)
    db.clock.hold(datetime.combine(changes_on, time(12), tzinfo=UTC))
    after = _ask(db, scene, agreement_review_confirmed=True)

    assert before.agreement is not None and after.agreement is not None
    assert (before.agreement.verdict, before.agreement.agreement_version) == ("permit", 1)
    # From the day it changes, the new version decides: it no longer names welfare.
    assert (after.agreement.verdict, after.agreement.agreement_id) == ("review", second.id)
    assert [r.code for r in after.agreement.reasons] == ["category_not_covered"]
    again = requests.view_request(db, scene.social_worker, before.id)
    assert again.agreement is not None
    assert (again.agreement.agreement_id, again.agreement.agreement_version) == (first.id, 1)


def test_another_agency_cannot_see_what_the_agreements_said(
    db: Database, world: World, client: TestClient, unagreed: Scene
) -> None:
    made = _ask(db, unagreed, agreement_override_reason=WHY)
    outsider = world.practitioner(world.agency(AgencyKind.POLICE), Role.MASH)
    with pytest.raises(NotFound):
        requests.view_request(db, world.actor(outsider), made.id)
    world.sign_in(client, outsider)
    answered = client.get(f"/api/requests/{made.id}")
    assert answered.status_code == 404
    assert WHY not in answered.text and "no_agreement" not in answered.text


def test_the_api_needs_the_same_reason(
    db: Database, world: World, client: TestClient, unagreed: Scene
) -> None:
    practitioner = world.practitioner(unagreed.mash, Role.MASH)
    world.sign_in(client, practitioner)
    body = {
        "subject_record_id": unagreed.mash_child(db).id,
        "recipient_agency_id": unagreed.school.id,
        "purpose": "mash_screening",
        "categories": ["child_welfare"],
        "question": "Anything this term?",
        "rag": "amber",
    }
    refused = client.post("/api/requests", json=body)
    assert refused.status_code == 422, refused.text
    assert "agreement_override_reason" in refused.text
    made = client.post("/api/requests", json={**body, "agreement_override_reason": WHY})
    assert made.status_code == 201, made.text
    assert made.json()["agreement"]["verdict"] == "deny"
    assert made.json()["agreement"]["override_reason"] == WHY


# Disclosures


def test_a_denied_disclosure_needs_a_reason_then_alerts_the_dpo(
    db: Database, world: World, unagreed: Scene
) -> None:
    dpo = world.actor(world.practitioner(unagreed.school, Role.DPO))
    decision = unagreed.share(db)
    with pytest.raises(InvalidInput, match="lawful"):
        disclosures.disclose(db, unagreed.dsl, unagreed.disclosure(decision.id))
    made = disclosures.disclose(
        db, unagreed.dsl, unagreed.disclosure(decision.id, agreement_override_reason=WHY)
    )
    assert made.agreement is not None
    assert (made.agreement.verdict, made.agreement.override_reason) == ("deny", WHY)
    dsl = unagreed.dsl.practitioner_id or 0
    entry = entries_by(db, AuditAction.DISCLOSURE_MADE, dsl)[-1]
    assert entry.object_id == str(made.id)
    assert entry.refs["agreement_verdict"] == "deny"
    [alert] = entries_by(db, AuditAction.SHARED_AGAINST_AGREEMENTS, dsl)
    assert alert.object_type == "disclosure"
    told = [n for n in notifications.inbox(db, dpo) if n.object_id == made.id]
    assert [n.kind for n in told] == [NotificationKind.SHARED_AGAINST_AGREEMENTS]


def test_a_permitted_disclosure_keeps_the_agreement_version_in_its_audit_entry(
    db: Database, scene: Scene
) -> None:
    decision = scene.share(db)
    made = disclosures.disclose(db, scene.dsl, scene.disclosure(decision.id))
    assert made.agreement is not None and made.agreement.verdict == "permit"
    entry = entries_by(db, AuditAction.DISCLOSURE_MADE, scene.dsl.practitioner_id or 0)[-1]
    assert entry.refs["agreement_version"] == 1
    assert entry.refs["agreement"] == made.agreement.agreement_id
    assert entry.refs["delete_after_days"] == 366


def test_a_disclosure_ends_no_later_than_the_agreements_delete_after(
    db: Database, world: World
) -> None:
    scene = build_scene(db, world, agreed=False)
    agree(db, scene.school.id, scene.mash.id, delete_after_days=7)
    decision = scene.share(db)
    too_late = date.today() + timedelta(days=30)
    with pytest.raises(InvalidInput, match="deleted after 7 days") as refused:
        disclosures.disclose(db, scene.dsl, scene.disclosure(decision.id, expires_on=too_late))
    assert [p.field for p in refused.value.problems] == ["expires_on"]
    now = datetime.now(UTC)
    last_day = (now + timedelta(days=7)).date()
    made = disclosures.disclose(db, scene.dsl, scene.disclosure(decision.id, expires_on=last_day))
    assert made.expires_at <= datetime.now(UTC) + timedelta(days=7)
    assert made.expires_at >= now + timedelta(days=7) - timedelta(minutes=5)
