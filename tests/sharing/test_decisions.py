"""Sharing decisions: the record carries what the guidance and the law require."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from jigsaw.clock import today
from jigsaw.consent import service as consent
from jigsaw.consent.models import ConsentStatus, Party, SharingPurpose
from jigsaw.consent.schemas import ConsentIn
from jigsaw.db import Database
from jigsaw.errors import InvalidInput
from jigsaw.guidance import list_editions
from jigsaw.protection.keyring import is_sealed_text
from jigsaw.records import service as records
from jigsaw.records.schemas import CorrectionIn
from jigsaw.sharing import advice, decisions
from jigsaw.sharing.models import ConsentPosition, DecisionOutcome, NotToldReason, SharingDecision
from jigsaw.sharing.schemas import AdviceAnswerIn, AdviceIn
from tests.scene import HARM_ANSWERS, Scene, _item, school_child


def _decisions(db: Database) -> int:
    with db.sessions() as session:
        return session.scalar(select(func.count()).select_from(SharingDecision)) or 0


def _fields(caught: pytest.ExceptionInfo[InvalidInput]) -> set[str]:
    return {p.field for p in caught.value.problems}


def test_a_share_decision_records_recommendation_rules_and_edition(
    db: Database, scene: Scene
) -> None:
    decision = scene.share(db)
    assert decision.recommendation == "share"
    assert decision.followed_recommendation
    assert decision.recommendation_rules[0] == "significant_harm"
    assert decision.guidance_edition == "2024-05"
    assert decision.guidance_version


def test_sharing_needs_a_lawful_basis_and_a_reason_for_not_telling(
    db: Database, scene: Scene
) -> None:
    before = _decisions(db)
    with pytest.raises(InvalidInput) as caught:
        scene.share(db, lawful_basis=None, not_told_reason=None)
    assert {"lawful_basis", "not_told_reason"} <= _fields(caught)
    with pytest.raises(InvalidInput) as caught:
        scene.share(db, lawful_basis="6(1)(z)")
    assert _fields(caught) == {"lawful_basis"}
    assert _decisions(db) == before


def test_overriding_a_refusal_needs_a_factual_justification(db: Database, scene: Scene) -> None:
    answers = {**HARM_ANSWERS, "consent": "refused"}
    with pytest.raises(InvalidInput) as caught:
        scene.share(db, answers=answers, consent_position=ConsentPosition.REFUSED)
    assert "consent_override_justification" in _fields(caught)
    decision = scene.share(
        db,
        answers=answers,
        consent_position=ConsentPosition.REFUSED,
        consent_override_justification="Father refused; two injuries in a week point to harm.",
    )
    assert decision.outcome is DecisionOutcome.SHARE


def test_departing_from_the_recommendation_needs_a_reason(db: Database, scene: Scene) -> None:
    with pytest.raises(InvalidInput) as caught:
        scene.share(db, outcome=DecisionOutcome.DO_NOT_SHARE)
    assert _fields(caught) == {"departure_reason"}
    decision = scene.share(
        db, outcome=DecisionOutcome.DO_NOT_SHARE, departure_reason="Already shared by the GP today."
    )
    assert not decision.followed_recommendation


def test_not_sure_means_seek_advice_and_the_advice_is_linked(db: Database, scene: Scene) -> None:
    answers = {**HARM_ANSWERS, "significant_harm": "not_sure"}
    with pytest.raises(InvalidInput) as caught:
        scene.share(db, answers=answers)
    assert "departure_reason" in _fields(caught)
    asked = advice.ask(
        db,
        scene.dsl,
        AdviceIn(
            subject_record_id=scene.child_record_id,
            to_role="dpo",
            case_summary="Year 3 pupil, bruising twice in a week, parent's account inconsistent.",
            question="Is this enough to share with the MASH without consent?",
        ),
    )
    decision = scene.share(
        db,
        answers=answers,
        advice_request_ids=[asked.id],
        departure_reason="The DPO advised sharing: the threshold is met.",
    )
    assert decision.recommendation == "seek_advice"
    assert decision.advice_request_ids == [asked.id]


def test_consent_position_must_match_the_consent_record(db: Database, scene: Scene) -> None:
    consent.record_consent(
        db,
        scene.dsl,
        ConsentIn(
            subject_record_id=scene.child_record_id,
            purpose=SharingPurpose.EARLY_HELP,
            status=ConsentStatus.REFUSED,
            asked=Party.PARENT_CARER,
        ),
    )
    with pytest.raises(InvalidInput, match="says 'refused'"):
        scene.share(
            db,
            purpose=SharingPurpose.EARLY_HELP,
            answers={**HARM_ANSWERS, "consent": "given"},
            consent_position=ConsentPosition.GIVEN,
        )


def test_consent_basis_only_with_consent(db: Database, scene: Scene) -> None:
    with pytest.raises(InvalidInput) as caught:
        scene.share(db, lawful_basis="6(1)(a)")
    assert "lawful_basis" in _fields(caught)


def test_recipient_must_have_a_safeguarding_role(db: Database, scene: Scene, world) -> None:  # type: ignore[no-untyped-def]
    from jigsaw.policy.roles import AgencyKind, Role

    auditor = world.practitioner(scene.mash, Role.AUDITOR)
    with pytest.raises(InvalidInput) as caught:
        scene.share(db, recipient_practitioner_id=auditor.id)
    assert _fields(caught) == {"recipient_practitioner_id"}
    other = world.agency(AgencyKind.OTHER)
    with pytest.raises(InvalidInput) as caught:
        scene.share(db, recipient_agency_id=other.id, recipient_practitioner_id=None)
    assert _fields(caught) == {"recipient_agency_id"}


def test_reconsideration_links_to_the_earlier_decision_once(db: Database, scene: Scene) -> None:
    refused = scene.share(
        db, outcome=DecisionOutcome.DO_NOT_SHARE, departure_reason="Not enough to go on yet."
    )
    again = scene.share(db, reconsiders_id=refused.id, reasons="New bruising reported today.")
    assert again.reconsiders_id == refused.id
    assert decisions.view_decision(db, scene.dsl, refused.id).reconsidered_by_id == again.id
    with pytest.raises(InvalidInput) as caught:
        scene.share(db, reconsiders_id=refused.id)
    assert _fields(caught) == {"reconsiders_id"}


def test_anonymised_advice_must_not_name_the_child(db: Database, scene: Scene) -> None:
    with pytest.raises(InvalidInput, match="Lily"):
        advice.ask(
            db,
            scene.dsl,
            AdviceIn(
                subject_record_id=scene.child_record_id,
                to_role="dsl",
                case_summary="Lily has bruises",
                question="Share?",
            ),
        )
    asked = advice.ask(
        db,
        scene.dsl,
        AdviceIn(
            subject_record_id=scene.child_record_id,
            to_practitioner_id=scene.social_worker.practitioner_id,
            case_summary="A year 3 pupil with repeated bruising.",
            question="Would the MASH want this now?",
        ),
    )
    seen_by_adviser = next(
        a for a in advice.advice_inbox(db, scene.social_worker) if a.id == asked.id
    )
    assert seen_by_adviser.subject_record_id is None
    answered = advice.answer(
        db, scene.social_worker, asked.id, AdviceAnswerIn(answer="Yes, today.")
    )
    assert answered.answer == "Yes, today."
    mine = next(a for a in advice.advice_inbox(db, scene.dsl) if a.id == asked.id)
    assert mine.subject_record_id == scene.child_record_id and mine.answer == "Yes, today."


def test_not_telling_the_family_needs_a_review_date_kept_on_the_decision(
    db: Database, scene: Scene
) -> None:
    before = _decisions(db)
    with pytest.raises(InvalidInput) as caught:
        scene.share(db, not_told_review_on=None)
    assert _fields(caught) == {"not_told_review_on"}
    with pytest.raises(InvalidInput) as caught:
        scene.share(db, not_told_review_on=today() - timedelta(days=1))
    assert _fields(caught) == {"not_told_review_on"}
    assert _decisions(db) == before
    decision = scene.share(db, not_told_review_on=date(2099, 3, 1))
    assert decision.not_told_review_on == date(2099, 3, 1)
    told = scene.share(
        db,
        answers={**HARM_ANSWERS, "informing_family_increases_risk": "no"},
        family_informed=True,
        not_told_reason=None,
        not_told_review_on=None,
    )
    assert told.not_told_review_on is None


def test_telling_the_family_after_answering_it_would_increase_the_risk_is_refused(
    db: Database, scene: Scene
) -> None:
    before = _decisions(db)
    with pytest.raises(InvalidInput, match="do not tell them, or change that answer") as caught:
        scene.share(db, family_informed=True, not_told_reason=None, not_told_review_on=None)
    assert _fields(caught) == {"family_informed"}
    assert _decisions(db) == before


def test_a_competent_young_person_may_ask_that_their_parents_are_not_told(
    db: Database, scene: Scene
) -> None:
    decision = scene.share(
        db,
        answers={**HARM_ANSWERS, "informing_family_increases_risk": "no"},
        not_told_reason=NotToldReason.YOUNG_PERSON_ASKED,
    )
    assert decisions.view_decision(db, scene.dsl, decision.id).not_told_reason is (
        NotToldReason.YOUNG_PERSON_ASKED
    )


def _competence_on_record(db: Database, scene: Scene, competent: bool) -> None:
    consent.record_consent(
        db,
        scene.dsl,
        ConsentIn(
            subject_record_id=scene.child_record_id,
            purpose=SharingPurpose.EARLY_HELP,
            status=ConsentStatus.GIVEN,
            asked=Party.CHILD,
            child_competent=competent,
            competence_reason="Talked it through with her; she could weigh it up.",
        ),
    )


def test_the_young_persons_competence_must_match_the_consent_record(
    db: Database, scene: Scene
) -> None:
    _competence_on_record(db, scene, competent=False)
    said = {
        **HARM_ANSWERS,
        "consent": "given",
        "consent_from": "young_person",
        "young_person_competent": "yes",
    }
    given = {
        "purpose": SharingPurpose.EARLY_HELP,
        "consent_position": ConsentPosition.GIVEN,
    }
    before = _decisions(db)
    with pytest.raises(InvalidInput, match="says the young person is not competent") as caught:
        scene.share(db, answers=said, **given)
    assert _fields(caught) == {"young_person_competent"}
    assert _decisions(db) == before
    agreed = scene.share(db, answers={**said, "young_person_competent": "no"}, **given)
    assert agreed.answers["young_person_competent"] == "no"
    _competence_on_record(db, scene, competent=True)
    with pytest.raises(InvalidInput, match="says the young person is competent"):
        scene.share(db, answers={**said, "young_person_competent": "no"}, **given)
    unasked = {k: v for k, v in said.items() if k != "young_person_competent"}
    assert scene.share(db, answers=unasked, **given).id, "nothing claimed, nothing to check"


URGENT = "Out of hours: the DSL and the duty social worker could not be reached."
UNSURE = {**HARM_ANSWERS, "significant_harm": "not_sure"}
NOT_SHARING = {
    "answers": UNSURE,
    "outcome": DecisionOutcome.DO_NOT_SHARE,
    "departure_reason": "The MASH already holds this from the GP.",
    "family_informed": False,
    "not_told_reason": None,
    "not_told_review_on": None,
}


def test_a_decision_against_advice_to_seek_advice_needs_advice_or_why_it_could_not_wait(
    db: Database, scene: Scene
) -> None:
    """Whatever it decides: not sharing is no way round asking for advice."""
    before = _decisions(db)
    for outcome in DecisionOutcome:
        with pytest.raises(InvalidInput, match="could not wait for it") as caught:
            scene.share(db, **{**NOT_SHARING, "outcome": outcome})
        assert "advice_request_ids" in _fields(caught), outcome
    assert _decisions(db) == before
    urgent = scene.share(db, **NOT_SHARING, urgent_reason=URGENT)
    assert urgent.recommendation == "seek_advice" and urgent.advice_request_ids == []
    assert decisions.view_decision(db, scene.dsl, urgent.id).urgent_reason == URGENT
    with db.engine.connect() as conn:
        stored = conn.execute(
            select(SharingDecision.__table__.c.urgent_reason).where(
                SharingDecision.__table__.c.id == urgent.id
            )
        ).scalar_one()
    assert stored != URGENT and is_sealed_text(stored), "sealed like the other reasons"
    asked = advice.ask(
        db,
        scene.dsl,
        AdviceIn(
            subject_record_id=scene.child_record_id,
            to_role="dsl",
            case_summary="Year 3 pupil, bruising twice in a week.",
            question="Should we share with the MASH?",
        ),
    )
    linked = scene.share(db, **NOT_SHARING, advice_request_ids=[asked.id])
    assert linked.advice_request_ids == [asked.id] and linked.urgent_reason == ""


def test_why_a_decision_could_not_wait_is_refused_where_advice_was_not_recommended(
    db: Database, scene: Scene
) -> None:
    with pytest.raises(InvalidInput) as caught:
        scene.share(db, urgent_reason=URGENT)
    assert _fields(caught) == {"urgent_reason"}


def test_a_decision_not_to_share_records_the_items_it_held_back(db: Database, scene: Scene) -> None:
    first = scene.items[0]
    body = CorrectionIn(
        **{
            **first.model_dump(include=set(CorrectionIn.model_fields) - {"reason", "summary"}),
            "summary": "Two bruises on the upper arm",
            "reason": "A second bruise was seen",
        },
    )
    corrected = records.correct_item(db, scene.dsl, first.id, body)
    refusal = {
        "outcome": DecisionOutcome.DO_NOT_SHARE,
        "departure_reason": "The MASH already holds this from the GP.",
        "family_informed": False,
        "not_told_reason": None,
        "not_told_review_on": None,
    }
    decision = scene.share(db, withheld_item_ids=[corrected.id], **refusal)
    assert decision.withheld_item_ids == [first.id], "named by the item's chain"
    assert decisions.view_decision(db, scene.dsl, decision.id).withheld_item_ids == [first.id]

    other_child = school_child(db, scene.dsl, scene.school.id)
    elsewhere = _item(db, scene.dsl, other_child.id)
    with pytest.raises(InvalidInput) as caught:
        scene.share(db, withheld_item_ids=[elsewhere.id], **refusal)
    assert _fields(caught) == {"withheld_item_ids"}
    with pytest.raises(InvalidInput) as caught:
        scene.share(db, withheld_item_ids=[first.id])
    assert _fields(caught) == {"withheld_item_ids"}, "a share decision holds nothing back"


def test_a_decision_records_the_questions_it_did_not_ask(db: Database, scene: Scene) -> None:
    # Where significant harm is suspected, protecting the child is itself the purpose.
    answers = {k: v for k, v in HARM_ANSWERS.items() if k != "legitimate_purpose"}
    decision = scene.share(db, answers=answers)
    assert decision.recommendation == "share"
    skipped = [s.question for s in decision.skipped_questions]
    assert "legitimate_purpose" in skipped
    assert not set(skipped) & set(answers)
    assert all("Share to protect the child" in s.reason for s in decision.skipped_questions)


def test_a_new_decision_is_made_under_the_current_edition_only(db: Database, scene: Scene) -> None:
    """An older edition stays readable for the decisions made under it, but choosing it
    for a new decision would step round rules that have since changed."""
    current = list_editions()[0]
    older = [e for e in list_editions() if e != current]
    assert older, "an older edition is shipped to be refused"
    before = _decisions(db)
    for edition in [*older, "bogus", "../" + current]:
        with pytest.raises(InvalidInput, match="current guidance edition") as caught:
            scene.share(db, guidance_edition=edition)
        assert _fields(caught) == {"guidance_edition"}, edition
    assert _decisions(db) == before
    assert scene.share(db, guidance_edition=current).guidance_edition == current
    assert scene.share(db, guidance_edition=None).guidance_edition == current


def _advice_about(db: Database, scene: Scene, record_id: int | None) -> int:
    return advice.ask(
        db,
        scene.dsl,
        AdviceIn(
            subject_record_id=record_id,
            to_role="dsl",
            case_summary="Year 3 pupil, bruising twice in a week.",
            question="Should we share with the MASH?",
        ),
    ).id


def test_only_advice_about_this_child_meets_the_advice_to_seek_advice(
    db: Database, scene: Scene
) -> None:
    """Advice asked about another child, or about no child's record, is not advice on
    this decision; anonymised advice about this child still is, since it keeps the link."""
    other = school_child(db, scene.dsl, scene.school.id)
    before = _decisions(db)
    for record_id in (other.id, None):
        asked = _advice_about(db, scene, record_id)
        with pytest.raises(InvalidInput, match="not asked about this child") as caught:
            scene.share(db, **NOT_SHARING, advice_request_ids=[asked])
        assert _fields(caught) == {"advice_request_ids"}
    assert _decisions(db) == before
    mine = _advice_about(db, scene, scene.child_record_id)
    assert scene.share(db, **NOT_SHARING, advice_request_ids=[mine]).advice_request_ids == [mine]
