"""Disclosures: only from a share decision, the minimum fields, lawful conditions, and
corrections, revocation and expiry reaching the recipient."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, text

from jigsaw.db import Database
from jigsaw.errors import Conflict, InvalidInput, NotFound, NotPermitted
from jigsaw.notifications import service as notifications
from jigsaw.notifications.models import NotificationKind
from jigsaw.policy.actor import Actor
from jigsaw.policy.roles import Role
from jigsaw.records import service as records
from jigsaw.records.models import Nature
from jigsaw.records.schemas import CorrectionIn, RetractionIn
from jigsaw.sharing import disclosures
from jigsaw.sharing.models import DecisionOutcome, DisclosedItem, Disclosure
from jigsaw.sharing.schemas import DisclosedItemIn, ReceivedItem, RevocationIn
from tests.scene import Scene, _item


def _count(db: Database) -> int:
    with db.sessions() as session:
        return session.scalar(select(func.count()).select_from(Disclosure)) or 0


def test_disclosure_without_a_share_decision_is_refused(db: Database, scene: Scene) -> None:
    refusal = scene.share(
        db,
        outcome=DecisionOutcome.DO_NOT_SHARE,
        departure_reason="The MASH already holds this from the GP.",
    )
    before = _count(db)
    with pytest.raises(InvalidInput) as caught:
        disclosures.disclose(db, scene.dsl, scene.disclosure(refusal.id))
    assert caught.value.problems[0].field == "decision_id"
    with pytest.raises(InvalidInput):
        disclosures.disclose(db, scene.dsl, scene.disclosure(10**9))
    assert _count(db) == before


def test_disclosures_need_a_decision_row_at_the_database_too(db: Database) -> None:
    with pytest.raises(Exception), db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO disclosures (decision_id, disclosing_agency_id, disclosed_by_id, "
                "recipient_agency_id, purpose, onward_sharing_allowed, expires_at, created_at) "
                "VALUES (999999999, 1, 1, 1, 'mash_screening', false, :t, :t)"
            ),
            {"t": "2030-01-01 00:00:00+00:00"},
        )


def test_recipient_sees_exactly_the_disclosed_fields(db: Database, scene: Scene) -> None:
    decision = scene.share(db)
    made = disclosures.disclose(db, scene.dsl, scene.disclosure(decision.id, ["summary"]))
    inbox = disclosures.received(db, scene.social_worker)
    got = next(d for d in inbox if d.id == made.id)
    for item in got.items:
        assert item.fields == ["summary", "nature"], "fact or opinion always goes with it"
        assert item.summary is not None
        assert item.detail is None and item.source is None and item.occurred_on is None
    assert all(d.id != made.id for d in disclosures.received(db, scene.colleague)), (
        "a disclosure to a named practitioner is not for their colleagues"
    )


def test_whether_it_is_fact_or_opinion_goes_with_any_fields_chosen(
    db: Database, scene: Scene
) -> None:
    opinion = _item(db, scene.dsl, scene.child_record_id, nature=Nature.OPINION)
    decision = scene.share(db)
    wanted = [
        DisclosedItemIn(item_id=opinion.id, fields=["occurred_on", "summary"]),
        DisclosedItemIn(item_id=scene.items[0].id, fields=["detail"]),
    ]
    made = disclosures.disclose(db, scene.dsl, scene.disclosure(decision.id, items=wanted))
    with db.sessions() as session:
        stored = {
            row.item_chain_id: row.fields
            for row in session.scalars(
                select(DisclosedItem).where(DisclosedItem.disclosure_id == made.id)
            )
        }
    assert stored == {
        opinion.id: ["occurred_on", "summary", "nature"],
        scene.items[0].id: ["detail", "nature"],
    }
    seen = disclosures.view_received(db, scene.social_worker, made.id)
    by_item = {i.item_chain_id: i for i in seen.items}
    assert by_item[opinion.id].nature == Nature.OPINION
    assert by_item[scene.items[0].id].nature == Nature.FACT
    assert all("nature" in i.fields for i in seen.items)
    [sharer_view] = disclosures.made_by_agency(db, scene.dsl, disclosure_id=made.id)
    assert {i.item_chain_id: i.nature for i in sharer_view.items} == {
        opinion.id: Nature.OPINION,
        scene.items[0].id: Nature.FACT,
    }


def test_a_disclosure_stored_without_the_marking_shows_it_when_read(
    db: Database, scene: Scene
) -> None:
    """Disclosures made before the marking always went kept only the ticked fields; the
    rows are write-once, so such a row is added as it was stored then."""
    item = _item(db, scene.dsl, scene.child_record_id, nature=Nature.FACT)
    made = disclosures.disclose(db, scene.dsl, scene.disclosure(scene.share(db).id))
    with db.transaction() as session:
        session.add(
            DisclosedItem(
                disclosure_id=made.id,
                item_chain_id=item.id,
                fields=["summary"],
                reveal_protected=False,
                version_id=item.id,
            )
        )

    def shown_now() -> ReceivedItem:
        seen = disclosures.view_received(db, scene.social_worker, made.id).items
        return next(i for i in seen if i.item_chain_id == item.id)

    shown = shown_now()
    assert shown.fields == ["summary", "nature"] and shown.nature == Nature.FACT

    body = CorrectionIn(
        **{
            **item.model_dump(include=set(CorrectionIn.model_fields) - {"reason"}),
            "nature": Nature.OPINION,
            "reason": "This was the teacher's view, not something seen",
        },
    )
    records.correct_item(db, scene.dsl, item.id, body)
    shown = shown_now()
    assert shown.nature == Nature.OPINION, "the marking belongs to the version shown"
    [correction] = shown.corrections
    assert [(c.field, c.before, c.after) for c in correction.changes] == [
        ("nature", Nature.FACT, Nature.OPINION)
    ]


def test_protected_identities_are_withheld_unless_the_decision_says_why(
    db: Database, scene: Scene
) -> None:
    protected = _item(db, scene.dsl, scene.child_record_id, protected_identity=True)
    decision = scene.share(db)
    wanted = [DisclosedItemIn(item_id=protected.id, fields=["summary", "detail", "source"])]
    made = disclosures.disclose(db, scene.dsl, scene.disclosure(decision.id, items=wanted))
    shown = made.items[0]
    assert shown.detail == disclosures.WITHHELD and shown.source == disclosures.WITHHELD
    assert shown.summary == protected.summary
    reveal = [DisclosedItemIn(item_id=protected.id, fields=["detail"], reveal_protected=True)]
    with pytest.raises(InvalidInput, match="reason to reveal"):
        disclosures.disclose(db, scene.dsl, scene.disclosure(decision.id, items=reveal))
    reasoned = scene.share(
        db, reveal_protected_reason="The police need the witness to take a statement."
    )
    revealed = disclosures.disclose(db, scene.dsl, scene.disclosure(reasoned.id, items=reveal))
    assert revealed.items[0].detail == protected.detail


@pytest.mark.parametrize(
    ("flag", "condition", "phrase"),
    [
        ("special_category", "art9_condition", "Article 9"),
        ("criminal_offence", "art10_condition", "Article 10"),
    ],
)
def test_special_and_criminal_data_need_their_condition(
    db: Database, scene: Scene, flag: str, condition: str, phrase: str
) -> None:
    sensitive = _item(db, scene.dsl, scene.child_record_id, **{flag: True})
    bare = scene.share(db)
    wanted = [DisclosedItemIn(item_id=sensitive.id, fields=["summary"])]
    before = _count(db)
    with pytest.raises(InvalidInput, match=phrase) as caught:
        disclosures.disclose(db, scene.dsl, scene.disclosure(bare.id, items=wanted))
    assert caught.value.problems[0].field == "items.0.item_id"
    assert _count(db) == before
    value = (
        "9(2)(g)+DPA2018 Sch1 para18"
        if condition == "art9_condition"
        else "Art10+DPA2018 Sch1 para18"
    )
    covered = scene.share(db, **{condition: value})
    assert disclosures.disclose(db, scene.dsl, scene.disclosure(covered.id, items=wanted)).items


def test_naming_an_older_version_does_not_skip_the_newest_versions_condition(
    db: Database, scene: Scene
) -> None:
    """Recipients see the newest version, so its flags decide what the decision needs."""
    plain = _item(db, scene.dsl, scene.child_record_id)
    body = CorrectionIn(
        **{
            **plain.model_dump(include=set(CorrectionIn.model_fields) - {"reason", "summary"}),
            "summary": "Attended the sexual health clinic",
            "special_category": True,
            "reason": "The nature of the appointment was recorded wrongly",
        },
    )
    records.correct_item(db, scene.dsl, plain.id, body)
    bare = scene.share(db)
    stale = [DisclosedItemIn(item_id=plain.id, fields=["summary"])]
    before = _count(db)
    with pytest.raises(InvalidInput, match="Article 9") as caught:
        disclosures.disclose(db, scene.dsl, scene.disclosure(bare.id, items=stale))
    assert caught.value.problems[0].field == "items.0.item_id"
    assert _count(db) == before


def test_only_front_line_roles_disclose_or_see_what_their_agency_disclosed(
    db: Database, scene: Scene
) -> None:
    disclosures.disclose(db, scene.dsl, scene.disclosure(scene.share(db).id))
    assert disclosures.made_by_agency(db, scene.dsl)
    for role in (Role.AUDITOR, Role.ADMIN):
        other = Actor(10_000 + len(role.value), scene.dsl.agency_id, role, mfa_verified=True)
        with pytest.raises(NotPermitted):
            disclosures.made_by_agency(db, other)
        with pytest.raises(NotPermitted):
            disclosures.disclose(db, other, scene.disclosure(scene.share(db).id))


def test_unknown_fields_and_past_expiry_are_refused(db: Database, scene: Scene) -> None:
    decision = scene.share(db)
    with pytest.raises(InvalidInput) as caught:
        disclosures.disclose(
            db,
            scene.dsl,
            scene.disclosure(
                decision.id,
                ["summary", "home_address"],
                expires_on=date.today() - timedelta(days=1),
            ),
        )
    fields = {p.field for p in caught.value.problems}
    assert {"items.0.fields", "expires_on"} <= fields


def test_corrections_and_retractions_reach_every_recipient(
    db: Database, scene: Scene, world
) -> None:  # type: ignore[no-untyped-def]
    first = disclosures.disclose(db, scene.dsl, scene.disclosure(scene.share(db).id))
    to_agency = disclosures.disclose(
        db, scene.dsl, scene.disclosure(scene.share(db, recipient_practitioner_id=None).id)
    )
    item = scene.items[0]
    body = CorrectionIn(
        **{
            **item.model_dump(include=set(CorrectionIn.model_fields) - {"reason"}),
            "summary": "Bruise on forearm",
            "reason": "Location corrected",
        },
    )
    records.correct_item(db, scene.dsl, item.id, body)
    for actor, disclosure_id in ((scene.social_worker, first.id), (scene.colleague, to_agency.id)):
        seen = disclosures.view_received(db, actor, disclosure_id)
        corrected = next(i for i in seen.items if i.item_chain_id == item.id)
        assert corrected.summary == "Bruise on forearm" and corrected.version == 2
    told = [n for n in notifications.inbox(db, scene.social_worker) if n.object_id == first.id]
    assert [n.kind for n in told] == [
        NotificationKind.DISCLOSED_ITEM_CORRECTED,
        NotificationKind.DISCLOSURE_RECEIVED,
    ]
    agency_told = [
        n for n in notifications.inbox(db, scene.colleague) if n.object_id == to_agency.id
    ]
    assert NotificationKind.DISCLOSED_ITEM_CORRECTED in {n.kind for n in agency_told}

    records.retract_item(db, scene.dsl, scene.items[1].id, RetractionIn(reason="Wrong child"))
    seen = disclosures.view_received(db, scene.social_worker, first.id)
    assert next(i for i in seen.items if i.item_chain_id == scene.items[1].id).retracted
    kinds = [
        n.kind for n in notifications.inbox(db, scene.social_worker) if n.object_id == first.id
    ]
    assert kinds.count(NotificationKind.DISCLOSED_ITEM_RETRACTED) == 1


def test_revocation_removes_access_and_tells_the_recipient(db: Database, scene: Scene) -> None:
    made = disclosures.disclose(db, scene.dsl, scene.disclosure(scene.share(db).id))
    assert disclosures.view_received(db, scene.social_worker, made.id).id == made.id
    disclosures.revoke(db, scene.dsl, made.id, RevocationIn(reason="Sent in error"))
    with pytest.raises(NotFound):
        disclosures.view_received(db, scene.social_worker, made.id)
    assert all(d.id != made.id for d in disclosures.received(db, scene.social_worker))
    with pytest.raises(Conflict):
        disclosures.revoke(db, scene.dsl, made.id, RevocationIn(reason="again"))
    kinds = {n.kind for n in notifications.inbox(db, scene.social_worker) if n.object_id == made.id}
    assert NotificationKind.DISCLOSURE_REVOKED in kinds


def test_expiry_removes_access(db: Database, scene: Scene) -> None:
    made = disclosures.disclose(db, scene.dsl, scene.disclosure(scene.share(db).id))
    assert disclosures.view_received(db, scene.social_worker, made.id).id == made.id
    after_expiry = made.expires_at + timedelta(seconds=1)
    db.clock.hold(after_expiry)
    with pytest.raises(NotFound):
        disclosures.view_received(db, scene.social_worker, made.id)
    assert all(d.id != made.id for d in disclosures.received(db, scene.social_worker))


def test_acknowledgement_once_by_the_recipient(db: Database, scene: Scene) -> None:
    made = disclosures.disclose(db, scene.dsl, scene.disclosure(scene.share(db).id))
    with pytest.raises(NotFound):
        disclosures.acknowledge(db, scene.colleague, made.id)
    acknowledged = disclosures.acknowledge(db, scene.social_worker, made.id)
    assert acknowledged.acknowledged_at is not None
    with pytest.raises(Conflict):
        disclosures.acknowledge(db, scene.social_worker, made.id)


def test_recipients_are_told_which_child_a_disclosure_is_about(db: Database, scene: Scene) -> None:
    made = disclosures.disclose(db, scene.dsl, scene.disclosure(scene.share(db).id))
    seen = disclosures.view_received(db, scene.social_worker, made.id)
    assert seen.subject is not None
    assert (seen.subject.given_name, seen.subject.family_name) == ("Lily", "Barnes")
