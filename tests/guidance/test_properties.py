"""Properties that hold for every set of answers an edition accepts, in every edition."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jigsaw.guidance import NOT_SURE, Edition, Outcome, list_editions, load_edition, recommend
from tests.guidance.helpers import answers

EDITIONS = [load_edition(edition_id) for edition_id in list_editions()]
each_edition = pytest.mark.parametrize("edition", EDITIONS, ids=lambda e: e.edition)

SUSPECTED_HARM = {"significant_harm": "yes", "legitimate_purpose": "yes"}


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


@each_edition
@given(data=st.data())
def test_suspected_significant_harm_is_never_met_with_do_not_share(
    edition: Edition, data: st.DataObject
) -> None:
    chosen = data.draw(answers(edition)) | SUSPECTED_HARM

    assert recommend(edition, chosen).outcome is not Outcome.DO_NOT_SHARE


@each_edition
@given(data=st.data())
def test_lack_of_consent_never_blocks_sharing_where_harm_is_suspected(
    edition: Edition, data: st.DataObject
) -> None:
    chosen = data.draw(answers(edition, sure=True)) | SUSPECTED_HARM
    outcomes = {
        consent: recommend(edition, chosen | {"consent": consent}).outcome
        for consent in _consent_values(edition)
    }

    assert len(set(outcomes.values())) == 1, outcomes
    assert Outcome.DO_NOT_SHARE not in outcomes.values()


@each_edition
@given(data=st.data())
def test_not_sure_to_anything_means_seek_advice(edition: Edition, data: st.DataObject) -> None:
    chosen = data.draw(answers(edition))
    unsure = data.draw(st.sampled_from([q.id for q in edition.questions if NOT_SURE in q.allowed]))

    result = recommend(edition, chosen | {unsure: NOT_SURE})

    assert result.outcome is Outcome.SEEK_ADVICE
    assert result.decided_by.id == edition.rules[0].id


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
    partial = data.draw(answers(edition, sure=True))
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
