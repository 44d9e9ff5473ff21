"""Every answer to every question of the 2024 edition, each reaching its outcome.

Each case starts from a complete, unremarkable set of answers (no harm suspected,
consent given, everything relevant) and changes only what the case is about, so the
rule named is the one that answer brings into play.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from jigsaw.guidance import (
    NOT_SURE,
    Outcome,
    Recommendation,
    RecordField,
    load_edition,
    recommend,
)
from tests.guidance.helpers import SHARE_WITH_CONSENT_2024 as BASE
from tests.guidance.helpers import with_changes

EDITION = load_edition("2024-05")


@dataclass(frozen=True)
class Case:
    name: str
    changes: dict[str, str]
    outcome: Outcome
    rule: str
    needs: tuple[RecordField, ...] = ()
    does_not_need: tuple[RecordField, ...] = ()
    also: tuple[str, ...] = field(default=())


SHARE, PART, NO, ADVICE = (
    Outcome.SHARE,
    Outcome.SHARE_IN_PART,
    Outcome.DO_NOT_SHARE,
    Outcome.SEEK_ADVICE,
)
F = RecordField

# fmt: off
CASES = [
    Case("consent given, nothing else of note", {}, SHARE, "consent_given",
         needs=(F.REASONS, F.LAWFUL_BASIS, F.FAMILY_INFORMED_OR_REASON),
         does_not_need=(F.CONSENT_OVERRIDE_JUSTIFICATION, F.ITEMS_AND_FIELDS)),
    Case("no legitimate purpose", {"legitimate_purpose": "no"}, NO, "no_legitimate_purpose",
         needs=(F.REASONS,), does_not_need=(F.LAWFUL_BASIS,)),
    Case("identifies nobody", {"identifies_living_person": "no", "consent": "refused"},
         SHARE, "not_personal_data",
         does_not_need=(F.LAWFUL_BASIS, F.FAMILY_INFORMED_OR_REASON)),
    Case("not confidential, consent not sought",
         {"confidential": "no", "consent": "not_sought_other"}, SHARE, "not_confidential",
         also=("other_lawful_basis",)),
    Case("not confidential, refused, no welfare concern",
         {"confidential": "no", "consent": "refused"}, SHARE, "not_confidential",
         needs=(F.CONSENT_OVERRIDE_JUSTIFICATION,)),
    Case("significant harm, consent refused",
         {"significant_harm": "yes", "consent": "refused"}, SHARE, "significant_harm",
         needs=(F.CONSENT_OVERRIDE_JUSTIFICATION, F.LAWFUL_BASIS)),
    Case("significant harm, consent withdrawn, no other lawful basis",
         {"significant_harm": "yes", "consent": "withdrawn", "other_lawful_basis": "no"},
         SHARE, "significant_harm"),
    Case("significant harm, consent not sought as it would increase risk",
         {"significant_harm": "yes", "consent": "not_sought_would_increase_risk",
          "informing_family_increases_risk": "yes"},
         SHARE, "significant_harm", needs=(F.FAMILY_INFORMED_OR_REASON,)),
    Case("refused, but a welfare concern and a lawful basis",
         {"consent": "refused", "child_in_need": "yes"}, SHARE, "consent_overridden_for_welfare",
         needs=(F.CONSENT_OVERRIDE_JUSTIFICATION,)),
    Case("refused, no welfare concern", {"consent": "refused"}, NO, "refusal_respected"),
    Case("withdrawn, but a welfare concern and a lawful basis",
         {"consent": "withdrawn", "child_in_need": "yes"}, SHARE,
         "consent_overridden_for_welfare", needs=(F.CONSENT_OVERRIDE_JUSTIFICATION,)),
    Case("withdrawn, no welfare concern", {"consent": "withdrawn"}, NO, "refusal_respected"),
    Case("refused, welfare concern, but no lawful basis",
         {"consent": "refused", "child_in_need": "yes", "other_lawful_basis": "no"},
         NO, "no_lawful_basis"),
    Case("court order despite refusal and a recipient outside safeguarding",
         {"statutory_duty_or_court_order": "yes", "consent": "refused",
          "other_lawful_basis": "no", "recipient_role": "no"},
         SHARE, "statutory_duty_or_court_order", needs=(F.CONSENT_OVERRIDE_JUSTIFICATION,)),
    Case("not sought because it would increase risk, lawful basis",
         {"consent": "not_sought_would_increase_risk", "informing_family_increases_risk": "yes"},
         SHARE, "other_lawful_basis", needs=(F.FAMILY_INFORMED_OR_REASON,),
         does_not_need=(F.CONSENT_OVERRIDE_JUSTIFICATION,)),
    Case("not sought for another reason, lawful basis", {"consent": "not_sought_other"},
         SHARE, "other_lawful_basis"),
    Case("not sought, no lawful basis",
         {"consent": "not_sought_other", "other_lawful_basis": "no"}, NO, "no_lawful_basis"),
    Case("consent not applicable, lawful basis", {"consent": "not_applicable"},
         SHARE, "other_lawful_basis"),
    Case("consent not applicable, no lawful basis",
         {"consent": "not_applicable", "other_lawful_basis": "no"}, NO, "no_lawful_basis"),
    Case("recipient without a role", {"recipient_role": "no"}, NO, "recipient_without_role"),
    Case("significant harm, recipient without a role",
         {"significant_harm": "yes", "recipient_role": "no"}, ADVICE,
         "harm_recipient_without_role", needs=(F.ADVICE_SOUGHT,)),
    Case("only part relevant", {"relevance": "part"}, PART, "only_part_relevant",
         needs=(F.ITEMS_AND_FIELDS,)),
    Case("special category data with a condition",
         {"special_category_data": "yes", "art9_condition": "yes"}, SHARE, "consent_given",
         needs=(F.ART9_CONDITION,)),
    Case("special category data without a condition",
         {"special_category_data": "yes", "art9_condition": "no"}, PART,
         "special_category_without_condition",
         needs=(F.ITEMS_AND_FIELDS,), does_not_need=(F.ART9_CONDITION,)),
    Case("criminal offence data with a condition",
         {"criminal_offence_data": "yes", "art10_condition": "yes"}, SHARE, "consent_given",
         needs=(F.ART10_CONDITION,)),
    Case("criminal offence data without a condition",
         {"criminal_offence_data": "yes", "art10_condition": "no"}, PART,
         "criminal_offence_without_condition", does_not_need=(F.ART10_CONDITION,)),
    Case("several reasons to share only part",
         {"relevance": "part", "special_category_data": "yes", "art9_condition": "no"}, PART,
         "special_category_without_condition", also=("only_part_relevant",)),
    Case("not yet accurate", {"accurate": "no"}, NO, "information_not_checked"),
    Case("significant harm, not yet accurate",
         {"significant_harm": "yes", "accurate": "no"}, SHARE, "significant_harm",
         needs=(F.ACCURACY_CAVEATS,)),
    Case("court order, not yet accurate",
         {"statutory_duty_or_court_order": "yes", "accurate": "no"}, SHARE,
         "statutory_duty_or_court_order", needs=(F.ACCURACY_CAVEATS,)),
    Case("protected identities", {"protected_identities": "yes"}, SHARE, "consent_given",
         needs=(F.PROTECTED_IDENTITIES,)),
    Case("telling the family would increase risk",
         {"informing_family_increases_risk": "yes"}, SHARE, "consent_given",
         needs=(F.FAMILY_INFORMED_OR_REASON,)),
]
# fmt: on


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_each_branch_reaches_its_outcome_with_its_rule(case: Case) -> None:
    result = recommend(EDITION, with_changes(BASE, **case.changes))

    assert (result.outcome, result.decided_by.id) == (case.outcome, case.rule)
    assert result.complete
    assert {rule.id for rule in result.rules[1:]} >= set(case.also)
    assert set(case.needs) <= set(result.needed_fields)
    assert not set(case.does_not_need) & set(result.needed_fields)
    cited = {rule.id for rule in result.golden_rules}
    assert cited == {g for rule in result.rules for g in rule.golden_rules}


@pytest.mark.parametrize("question", [q.id for q in EDITION.questions])
def test_not_sure_to_any_question_means_seek_advice(question: str) -> None:
    result = recommend(EDITION, with_changes(BASE, **{question: NOT_SURE}))

    assert result.outcome is Outcome.SEEK_ADVICE
    assert result.decided_by.id == "not_sure"
    assert [rule.id for rule in result.golden_rules] == ["GR4"]
    assert RecordField.ADVICE_SOUGHT in result.needed_fields


def test_the_cases_cover_every_answer_to_every_question() -> None:
    exercised = {(q, a) for case in CASES for q, a in case.changes.items()}
    exercised |= set(BASE.items())
    every = {
        (question.id, value)
        for question in EDITION.questions
        for value in question.allowed
        if value != NOT_SURE
    }

    assert every - exercised == set()


def test_telling_the_family_or_not_is_worded_for_the_situation() -> None:
    tell = recommend(EDITION, BASE)
    withhold = recommend(EDITION, with_changes(BASE, informing_family_increases_risk="yes"))

    def family(result: Recommendation) -> str:
        fields = {needed.field: needed.explanation for needed in result.still_needed}
        return fields[RecordField.FAMILY_INFORMED_OR_REASON]

    assert family(tell).startswith("Tell the child or family")
    assert family(withhold).startswith("Do not tell the child or family")


def test_consent_given_also_cites_the_other_lawful_basis() -> None:
    result = recommend(EDITION, BASE)

    assert [rule.id for rule in result.rules] == ["consent_given", "other_lawful_basis"]
    assert [rule.id for rule in result.golden_rules] == ["GR2", "GR3"]
