"""Skipping questions that cannot change the recommendation never changes it.

``settle`` stops a journey early once every way of answering the open questions leads
to the same outcome, deciding rule and record fields. These properties hold it to that
over the whole answer space of every edition, by drawing the answers left unasked.
"""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jigsaw.guidance import (
    NOT_SURE,
    Edition,
    Outcome,
    Recommendation,
    engine,
    list_editions,
    load_edition,
    recommend,
    settle,
)
from tests.guidance.helpers import answers
from tests.scene import HARM_ANSWERS

EDITIONS = [load_edition(edition_id) for edition_id in list_editions()]
each_edition = pytest.mark.parametrize("edition", EDITIONS, ids=lambda e: e.edition)


def _what_counts(found: Recommendation) -> tuple[Outcome, str, frozenset[str]]:
    return (found.outcome, found.decided_by.id, frozenset(found.needed_fields))


def _journey(
    edition: Edition, full: Mapping[str, str], decide: object = settle
) -> tuple[dict[str, str], Recommendation]:
    """Answer, from ``full``, each question the engine asks next, until it asks no more."""
    asked: dict[str, str] = {}
    while True:
        found = decide(edition, asked)  # type: ignore[operator]
        if found.complete:
            return asked, found
        question = found.unanswered[0]
        asked[question] = full[question]


@each_edition
@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_a_settled_recommendation_is_what_every_way_of_answering_the_rest_gives(
    edition: Edition, data: st.DataObject
) -> None:
    partial = data.draw(answers(edition, sure=True))
    settled = settle(edition, partial)
    if not settled.complete:
        assert settled == recommend(edition, partial), "unsettled answers are left as they are"
        return
    rest = data.draw(answers(edition, complete=True, sure=True))

    assert _what_counts(recommend(edition, rest | partial)) == _what_counts(settled)
    assert [s.question for s in settled.skipped] == [
        q.id for q in edition.questions if q.id not in partial
    ]


@each_edition
@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_a_journey_that_skips_ends_where_answering_everything_would(
    edition: Edition, data: st.DataObject
) -> None:
    full = data.draw(answers(edition, complete=True, sure=True))

    asked, settled = _journey(edition, full)
    answered_all, cautious = _journey(edition, full, recommend)

    assert _what_counts(settled) == _what_counts(recommend(edition, full))
    assert asked.items() <= full.items()
    assert len(asked) <= len(answered_all), "skipping never adds a question"
    assert _what_counts(cautious) == _what_counts(settled)


@given(data=st.data())
def test_in_2018_not_sure_still_means_seek_advice_and_skips_the_rest(data: st.DataObject) -> None:
    edition = load_edition("2018-07")
    chosen = data.draw(answers(edition))
    unsure = data.draw(st.sampled_from([q.id for q in edition.questions if NOT_SURE in q.allowed]))

    settled = settle(edition, chosen | {unsure: NOT_SURE})

    assert settled.outcome is Outcome.SEEK_ADVICE
    assert settled.decided_by.id == edition.rules[0].id
    assert settled.complete


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_in_2024_a_settled_doubt_is_what_every_sure_way_of_answering_the_rest_gives(
    data: st.DataObject,
) -> None:
    """Partial answers with "not sure" in them: where settle stops asking, every way of
    answering the questions it did not ask (sure answers, since an unasked question
    cannot be answered "not sure") leads to the same outcome, rule and record."""
    edition = load_edition("2024-05")
    partial = data.draw(answers(edition))
    settled = settle(edition, partial)
    if not settled.complete:
        assert settled.outcome is Outcome.SEEK_ADVICE
        return
    rest = data.draw(answers(edition, complete=True, sure=True))

    assert _what_counts(recommend(edition, rest | partial)) == _what_counts(settled)
    assert settled.in_doubt == recommend(edition, rest | partial).in_doubt


def test_the_significant_harm_path_skips_what_cannot_matter_and_says_why() -> None:
    edition = load_edition("2024-05")

    asked, settled = _journey(edition, HARM_ANSWERS)
    cautious, _ = _journey(edition, HARM_ANSWERS, recommend)

    assert list(asked)[:3] == ["significant_harm", "recipient_role", "secure_and_timely"]
    assert not {"legitimate_purpose", "confidential", "relevance", "other_lawful_basis"} & set(
        asked
    ), "under suspected harm these cannot change the outcome"
    assert len(asked) <= len(cautious)
    # Whether telling the family increases the risk chooses what the record must say
    # (tell them, or record why not), so it is asked even though the outcome is known.
    assert "informing_family_increases_risk" in asked
    assert settled.outcome is Outcome.SHARE and settled.decided_by.id == "significant_harm"
    skipped = {s.question: s.reason for s in settled.skipped}
    assert set(skipped) == {q.id for q in edition.questions} - set(asked)
    assert all("Share to protect the child" in reason for reason in skipped.values())
    # The record still asks whether the family was told: only the question is skipped.
    assert "family_informed_or_reason" in settled.needed_fields


def test_a_search_too_long_to_finish_keeps_asking(monkeypatch: pytest.MonkeyPatch) -> None:
    """A recipient without a role and doubt about a court order: every completion is
    advice for that doubt, but only a search through them shows it."""
    edition = load_edition("2024-05")
    almost = {
        "recipient_role": "no",
        "statutory_duty_or_court_order": NOT_SURE,
        "identifies_living_person": NOT_SURE,
    }
    assert not recommend(edition, almost).complete
    engine._settle.cache_clear()
    try:
        with monkeypatch.context() as patched:
            patched.setattr(engine, "SEARCH_LIMIT", 1)
            assert not settle(edition, almost).complete
    finally:
        engine._settle.cache_clear()
    assert settle(edition, almost).complete
