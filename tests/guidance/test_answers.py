"""Answers the engine refuses, and answers it cannot yet decide on."""

from __future__ import annotations

import pytest

from jigsaw.errors import InvalidInput
from jigsaw.guidance import (
    InvalidAnswers,
    Outcome,
    Recommendation,
    RecordField,
    load_edition,
    recommend,
)
from tests.guidance.helpers import SHARE_WITH_CONSENT_2024 as BASE
from tests.guidance.helpers import with_changes

EDITION = load_edition("2024-05")


def test_an_unknown_question_is_refused_by_name() -> None:
    with pytest.raises(InvalidAnswers) as refused:
        recommend(EDITION, with_changes(BASE, gut_feeling="yes"))

    [problem] = refused.value.problems
    assert problem.field == "gut_feeling"
    assert "no question 'gut_feeling' in guidance edition 2024-05" in problem.message
    assert refused.value.edition == "2024-05"


def test_an_answer_the_question_does_not_offer_is_refused_with_the_choices() -> None:
    with pytest.raises(InvalidAnswers) as refused:
        recommend(EDITION, with_changes(BASE, consent="maybe"))

    [problem] = refused.value.problems
    assert problem.field == "consent"
    assert problem.message == (
        "'maybe' is not an answer to this question; choose one of: given, refused, withdrawn, "
        "not_sought_would_increase_risk, not_sought_other, not_applicable, not_sure"
    )


def test_every_problem_is_reported_at_once_in_the_order_of_the_questions() -> None:
    answers = with_changes(BASE, relevance="yes", zzz="no", legitimate_purpose="Yes")

    with pytest.raises(InvalidAnswers) as refused:
        recommend(EDITION, answers)

    assert [p.field for p in refused.value.problems] == ["legitimate_purpose", "relevance", "zzz"]
    assert str(refused.value).startswith("legitimate_purpose: 'Yes' is not an answer")


def test_answers_that_are_not_text_are_refused() -> None:
    answers: dict[str, object] = {**BASE, "legitimate_purpose": True}

    with pytest.raises(InvalidAnswers) as refused:
        recommend(EDITION, answers)  # type: ignore[arg-type]

    assert refused.value.problems[0].field == "legitimate_purpose"


def test_refused_answers_are_an_input_error_for_the_web_edge() -> None:
    with pytest.raises(InvalidInput):
        recommend(EDITION, {"nope": "yes"})


def test_no_answers_means_seek_advice_starting_with_significant_harm() -> None:
    """Significant harm dominates every other answer, so it is asked first; the
    recipient's role next, since under suspected harm a court order matters only where
    that role is absent or in doubt."""
    result = recommend(EDITION, {})

    assert result.outcome is Outcome.SEEK_ADVICE
    assert result.decided_by.id == "questions_unanswered"
    assert result.unanswered[:3] == (
        "significant_harm",
        "recipient_role",
        "statutory_duty_or_court_order",
    )
    assert EDITION.questions[0].id == "significant_harm"
    assert not result.complete


def test_missing_answers_are_listed_in_the_order_the_edition_asks_them() -> None:
    answers = {k: v for k, v in BASE.items() if k not in {"accurate", "relevance"}}

    result = recommend(EDITION, answers)

    assert result.outcome is Outcome.SEEK_ADVICE
    assert result.unanswered == ("relevance", "accurate")
    assert RecordField.ADVICE_SOUGHT in result.needed_fields


NO_HARM_NO_DUTY = {"significant_harm": "no", "statutory_duty_or_court_order": "no"}


def test_no_purpose_decides_once_harm_and_a_legal_duty_are_ruled_out() -> None:
    alone = recommend(EDITION, {"legitimate_purpose": "no"})
    result = recommend(EDITION, NO_HARM_NO_DUTY | {"legitimate_purpose": "no"})

    assert alone.outcome is Outcome.SEEK_ADVICE
    assert alone.unanswered[:3] == (
        "significant_harm",
        "recipient_role",
        "statutory_duty_or_court_order",
    )
    assert (result.outcome, result.complete) == (Outcome.DO_NOT_SHARE, True)
    assert result.decided_by.id == "no_legitimate_purpose"


def test_information_identifying_nobody_needs_only_four_answers() -> None:
    result = recommend(
        EDITION, NO_HARM_NO_DUTY | {"legitimate_purpose": "yes", "identifies_living_person": "no"}
    )

    assert (result.outcome, result.decided_by.id) == (Outcome.SHARE, "not_personal_data")
    assert result.needed_fields == (RecordField.REASONS,)


def test_an_answer_needed_only_for_the_record_is_still_asked_for() -> None:
    answers = {k: v for k, v in BASE.items() if k != "protected_identities"}

    result = recommend(EDITION, answers)

    assert result.outcome is Outcome.SEEK_ADVICE
    assert result.unanswered == ("protected_identities",)


def test_significant_harm_asks_only_what_the_outcome_and_record_need() -> None:
    answers = {"significant_harm": "yes", "recipient_role": "yes", "secure_and_timely": "yes"}

    first = recommend(EDITION, answers)
    answers |= {
        "identifies_living_person": "yes",
        "consent": "not_sought_would_increase_risk",
        "special_category_data": "no",
        "criminal_offence_data": "no",
        "accurate": "yes",
        "protected_identities": "yes",
        "informing_family_increases_risk": "yes",
    }
    second = recommend(EDITION, answers)

    # Only what the record must carry is still asked: purpose, confidentiality, the
    # family's wishes and how much is relevant cannot change the outcome any more.
    assert first.unanswered == (
        "identifies_living_person",
        "consent",
        "special_category_data",
        "criminal_offence_data",
        "accurate",
        "protected_identities",
        "informing_family_increases_risk",
    )
    assert first.outcome is Outcome.SEEK_ADVICE
    assert (second.outcome, second.decided_by.id) == (Outcome.SHARE, "significant_harm")
    assert second.complete
    assert RecordField.PROTECTED_IDENTITIES in second.needed_fields


def test_answers_to_questions_that_do_not_apply_are_accepted_and_change_nothing() -> None:
    plain = recommend(EDITION, BASE)
    extra = recommend(EDITION, with_changes(BASE, art9_condition="no", art10_condition="no"))

    assert extra == plain


def test_a_recommendation_survives_a_round_trip_through_json() -> None:
    result = recommend(EDITION, with_changes(BASE, relevance="part"))

    stored = result.model_dump_json()

    assert Recommendation.model_validate_json(stored) == result
    assert '"edition":"2024-05"' in stored
    assert f'"version":"{EDITION.version}"' in stored
