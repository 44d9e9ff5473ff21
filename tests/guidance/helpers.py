"""Answer sets and strategies shared by the guidance tests."""

from __future__ import annotations

from hypothesis import strategies as st

from jigsaw.guidance import NOT_SURE, Edition, Outcome

SHARE_WITH_CONSENT_2024: dict[str, str] = {
    "significant_harm": "no",
    "statutory_duty_or_court_order": "no",
    "recipient_role": "yes",
    "secure_and_timely": "yes",
    "legitimate_purpose": "yes",
    "identifies_living_person": "yes",
    "consent": "given",
    "consent_from": "parent_or_carer",
    "young_person_competent": "no",
    "child_in_need": "no",
    "confidential": "yes",
    "public_interest": "no",
    "other_lawful_basis": "yes",
    "relevance": "all",
    "special_category_data": "no",
    "art9_condition": "no",
    "criminal_offence_data": "no",
    "art10_condition": "no",
    "accurate": "yes",
    "protected_identities": "no",
    "informing_family_increases_risk": "no",
}
"""A complete, unremarkable 2024 case: no harm suspected, a parent agreed, all relevant.

Every question is answered, so a case built from it by changing a few answers is
complete too, and the rule it reaches is the one those changes bring into play."""

SHARE_WITH_CONSENT_2018: dict[str, str] = {
    "legitimate_purpose": "yes",
    "significant_harm": "no",
    "identifies_living_person": "yes",
    "confidential": "yes",
    "consent": "given",
    "statutory_duty_or_court_order": "no",
    "public_interest": "no",
    "relevance": "all",
    "informing_family_increases_risk": "no",
}

LACK_OF_CONSENT = frozenset(
    {"refused", "withdrawn", "not_sought", "not_sought_would_increase_risk", "not_sought_other"}
)

SURE_OUTCOMES_UNDER_HARM = frozenset({Outcome.SHARE, Outcome.SEEK_ADVICE})
"""Where significant harm is suspected the 2024 advice allows only these: share, or (the
recipient's role in doubt or absent) share with children's social care now and ask."""


def sure_answers(edition: Edition, question_id: str) -> tuple[str, ...]:
    """The answers a practitioner who can say gives: every answer but "not sure"."""
    return tuple(value for value in edition.question(question_id).allowed if value != NOT_SURE)


def with_changes(base: dict[str, str], **changes: str) -> dict[str, str]:
    return {**base, **changes}


def answers(
    edition: Edition, *, complete: bool = False, sure: bool = False
) -> st.SearchStrategy[dict[str, str]]:
    """Any answers the edition accepts: some questions possibly unanswered or "not sure".

    Each question is drawn as an index into its answers, one past the end meaning
    unanswered; that is several times quicker to generate than a dict of choices.
    """
    choices = [
        (question.id, [v for v in question.allowed if not (sure and v == NOT_SURE)])
        for question in edition.questions
    ]
    indexes = st.tuples(
        *(st.integers(0, len(values) - (1 if complete else 0)) for _, values in choices)
    )
    return indexes.map(
        lambda picked: {
            question_id: values[index]
            for (question_id, values), index in zip(choices, picked, strict=True)
            if index < len(values)
        }
    )
