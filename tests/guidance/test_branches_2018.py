"""The 2018 edition, kept as history, still answers through the same engine."""

from __future__ import annotations

import pytest

from jigsaw.guidance import NOT_SURE, Outcome, RecordField, load_edition, recommend
from tests.guidance.helpers import SHARE_WITH_CONSENT_2018 as BASE
from tests.guidance.helpers import with_changes

EDITION = load_edition("2018-07")

# fmt: off
CASES: list[tuple[str, dict[str, str], Outcome, str]] = [
    ("consent given", {}, Outcome.SHARE, "consent_given"),
    ("no legitimate purpose", {"legitimate_purpose": "no"},
     Outcome.DO_NOT_SHARE, "no_legitimate_purpose"),
    ("significant harm overrides refusal", {"significant_harm": "yes", "consent": "refused"},
     Outcome.SHARE, "significant_harm"),
    ("identifies nobody", {"identifies_living_person": "no", "consent": "refused"},
     Outcome.SHARE, "not_personal_data"),
    ("not confidential", {"confidential": "no", "consent": "refused"},
     Outcome.SHARE, "not_confidential"),
    ("refused, no duty, no public interest", {"consent": "refused"},
     Outcome.DO_NOT_SHARE, "no_reason_to_share"),
    ("not sought, no duty, no public interest", {"consent": "not_sought"},
     Outcome.DO_NOT_SHARE, "no_reason_to_share"),
    ("statutory duty", {"consent": "refused", "statutory_duty_or_court_order": "yes"},
     Outcome.SHARE, "statutory_duty_or_court_order"),
    ("public interest", {"consent": "not_sought", "public_interest": "yes"},
     Outcome.SHARE, "public_interest"),
    ("only part relevant", {"relevance": "part"}, Outcome.SHARE_IN_PART, "only_part_relevant"),
    ("telling the person would increase risk", {"informing_family_increases_risk": "yes"},
     Outcome.SHARE, "consent_given"),
]
# fmt: on


@pytest.mark.parametrize(
    ("changes", "outcome", "rule"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_each_branch_reaches_its_outcome_with_its_rule(
    changes: dict[str, str], outcome: Outcome, rule: str
) -> None:
    result = recommend(EDITION, with_changes(BASE, **changes))

    assert (result.outcome, result.decided_by.id) == (outcome, rule)
    assert result.complete
    assert (result.edition, result.version) == ("2018-07", EDITION.version)


@pytest.mark.parametrize("question", [q.id for q in EDITION.questions])
def test_not_sure_to_any_question_means_seek_advice(question: str) -> None:
    result = recommend(EDITION, with_changes(BASE, **{question: NOT_SURE}))

    assert (result.outcome, result.decided_by.id) == (Outcome.SEEK_ADVICE, "not_sure")
    assert [rule.title for rule in result.golden_rules] == ["Seek advice"]


def test_the_cases_cover_every_answer_to_every_question() -> None:
    exercised = {pair for case in CASES for pair in case[1].items()} | set(BASE.items())
    every = {
        (question.id, value)
        for question in EDITION.questions
        for value in question.allowed
        if value != NOT_SURE
    }

    assert every - exercised == set()


def test_sharing_despite_refusal_needs_a_justification() -> None:
    result = recommend(EDITION, with_changes(BASE, consent="refused", public_interest="yes"))

    assert RecordField.CONSENT_OVERRIDE_JUSTIFICATION in result.needed_fields
    assert RecordField.LAWFUL_BASIS in result.needed_fields


def test_sharing_in_part_needs_the_items_and_fields() -> None:
    result = recommend(EDITION, with_changes(BASE, relevance="part"))

    assert RecordField.ITEMS_AND_FIELDS in result.needed_fields
