"""Properties that hold for every set of answers an edition accepts, in every edition."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jigsaw.guidance import NOT_SURE, Edition, Outcome, list_editions, load_edition, recommend
from tests.guidance.helpers import SURE_OUTCOMES_UNDER_HARM, answers, sure_answers

EDITIONS = [load_edition(edition_id) for edition_id in list_editions()]
each_edition = pytest.mark.parametrize("edition", EDITIONS, ids=lambda e: e.edition)

CURRENT = load_edition("2024-05")
HISTORY = load_edition("2018-07")


def _consent_values(edition: Edition) -> list[str]:
    return [value for value in edition.question("consent").allowed if value != NOT_SURE]


@each_edition
@given(data=st.data())
def test_the_same_answers_in_any_order_give_the_same_recommendation(
    edition: Edition, data: st.DataObject
) -> None:
    chosen = data.draw(answers(edition))
    shuffled = dict(data.draw(st.permutations(list(chosen.items()))))

    first = recommend(edition, chosen)

    assert recommend(edition, shuffled) == first
    assert recommend(edition, dict(chosen)) == first


@given(chosen=answers(CURRENT))
def test_suspected_significant_harm_is_never_met_with_do_not_share_or_share_in_part(
    chosen: dict[str, str],
) -> None:
    """Nothing is held fixed but the harm answer: purpose, recipient, consent and every
    other answer, given or not, "not sure" or not, are drawn."""
    result = recommend(CURRENT, chosen | {"significant_harm": "yes"})

    assert result.outcome in SURE_OUTCOMES_UNDER_HARM


@given(chosen=answers(HISTORY))
def test_the_2018_edition_keeps_its_own_precedence_purpose_first(
    chosen: dict[str, str],
) -> None:
    """History, kept as it was: in 2018 a missing purpose was asked about first and
    decided before harm, which the 2024 edition corrects. Where a purpose is given, harm
    is never met with "do not share" there either."""
    with_purpose = recommend(
        HISTORY, chosen | {"significant_harm": "yes", "legitimate_purpose": "yes"}
    )
    without = recommend(HISTORY, {"significant_harm": "yes", "legitimate_purpose": "no"})

    assert with_purpose.outcome is not Outcome.DO_NOT_SHARE
    assert (without.outcome, without.decided_by.id) == (
        Outcome.DO_NOT_SHARE,
        "no_legitimate_purpose",
    )


@given(chosen=answers(CURRENT))
def test_lack_of_consent_never_blocks_sharing_where_harm_is_suspected(
    chosen: dict[str, str],
) -> None:
    chosen = chosen | {"significant_harm": "yes"}
    outcomes = {
        consent: recommend(CURRENT, chosen | {"consent": consent}).outcome
        for consent in _consent_values(CURRENT)
    }

    assert len(set(outcomes.values())) == 1, outcomes
    assert not set(outcomes.values()) - SURE_OUTCOMES_UNDER_HARM


@given(chosen=answers(HISTORY, sure=True))
def test_lack_of_consent_never_blocked_sharing_under_harm_in_2018_given_a_purpose(
    chosen: dict[str, str],
) -> None:
    chosen = chosen | {"significant_harm": "yes", "legitimate_purpose": "yes"}
    outcomes = {
        consent: recommend(HISTORY, chosen | {"consent": consent}).outcome
        for consent in _consent_values(HISTORY)
    }

    assert len(set(outcomes.values())) == 1, outcomes
    assert Outcome.DO_NOT_SHARE not in outcomes.values()


@given(data=st.data())
def test_in_2018_not_sure_to_anything_means_seek_advice(data: st.DataObject) -> None:
    """History: the 2018 flowchart sent every "not sure" to advice, whatever it was about."""
    chosen = data.draw(answers(HISTORY))
    unsure = data.draw(st.sampled_from([q.id for q in HISTORY.questions if NOT_SURE in q.allowed]))

    result = recommend(HISTORY, chosen | {unsure: NOT_SURE})

    assert result.outcome is Outcome.SEEK_ADVICE
    assert result.decided_by.id == HISTORY.rules[0].id


@given(data=st.data())
def test_in_2024_a_doubt_is_named_and_only_ever_leads_to_advice_or_a_sure_outcome(
    data: st.DataObject,
) -> None:
    """A "not sure" keeps its question unknown: the recommendation is advice naming the
    questions in doubt, or an outcome some sure answer to that question also reaches."""
    chosen = data.draw(answers(CURRENT))
    unsure = data.draw(st.sampled_from([q.id for q in CURRENT.questions]))
    if NOT_SURE not in CURRENT.question(unsure).allowed:
        return
    chosen[unsure] = NOT_SURE

    result = recommend(CURRENT, chosen)

    doubted = {q for q, value in chosen.items() if value == NOT_SURE}
    assert set(result.in_doubt) <= doubted
    if result.in_doubt:
        assert result.outcome is Outcome.SEEK_ADVICE
        assert result.decided_by.id == "not_sure"
        assert result.complete
    elif result.complete:
        sure = {
            recommend(CURRENT, chosen | {unsure: value}).outcome
            for value in sure_answers(CURRENT, unsure)
        }
        assert result.outcome is Outcome.SEEK_ADVICE or result.outcome in sure


@each_edition
@given(data=st.data())
def test_a_full_set_of_sure_answers_is_always_decided_by_a_real_rule(
    edition: Edition, data: st.DataObject
) -> None:
    result = recommend(edition, data.draw(answers(edition, complete=True, sure=True)))

    assert result.complete
    assert result.decided_by.id != edition.rules[-1].id


@each_edition
@given(data=st.data())
def test_missing_answers_mean_seek_advice_and_name_only_unanswered_questions(
    edition: Edition, data: st.DataObject
) -> None:
    chosen = data.draw(answers(edition))

    result = recommend(edition, chosen)

    if not result.complete:
        assert result.outcome is Outcome.SEEK_ADVICE
        assert result.decided_by.id == edition.when_incomplete.id
        assert not set(result.unanswered) & set(chosen)
        assert set(result.unanswered) <= {q.id for q in edition.questions}


@each_edition
@given(data=st.data())
def test_a_decided_outcome_does_not_change_when_more_questions_are_answered(
    edition: Edition, data: st.DataObject
) -> None:
    partial = data.draw(answers(edition))
    early = recommend(edition, partial)
    if not early.complete:
        return
    rest = data.draw(answers(edition, complete=True, sure=True))

    late = recommend(edition, rest | partial)

    assert (late.outcome, late.decided_by, late.still_needed) == (
        early.outcome,
        early.decided_by,
        early.still_needed,
    )


@each_edition
@settings(max_examples=50)
@given(data=st.data())
def test_every_recommendation_names_its_edition_and_cites_real_golden_rules(
    edition: Edition, data: st.DataObject
) -> None:
    result = recommend(edition, data.draw(answers(edition)))

    assert (result.edition, result.version) == (edition.edition, edition.version)
    assert all(edition.golden_rule(rule.id) == rule for rule in result.golden_rules)
    assert result.still_needed[0].field == "reasons"
