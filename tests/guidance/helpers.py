"""Answer sets and strategies shared by the guidance tests."""

from __future__ import annotations

from hypothesis import strategies as st

from jigsaw.guidance import NOT_SURE, Edition

SHARE_WITH_CONSENT_2024: dict[str, str] = {
    "legitimate_purpose": "yes",
    "identifies_living_person": "yes",
    "confidential": "yes",
    "significant_harm": "no",
    "child_in_need": "no",
    "statutory_duty_or_court_order": "no",
    "consent": "given",
    "other_lawful_basis": "yes",
    "recipient_role": "yes",
    "relevance": "all",
    "special_category_data": "no",
    "criminal_offence_data": "no",
    "accurate": "yes",
    "protected_identities": "no",
    "informing_family_increases_risk": "no",
}
"""A complete, unremarkable 2024 case: no harm suspected, consent given, all relevant."""

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
