"""The claims the 2024 edition makes in its header (A to E), held over its answer space.

The answer space has 21 questions, too many to enumerate, so each claim is drawn by
Hypothesis over every question (answered or not, "not sure" or not; nothing held fixed
but what the claim is about), and enumerated in full over the small sub-spaces where the
claim is decided: the consent answers with no harm suspected, and the recipient, route
and consent answers with harm suspected. Each claim is checked through ``recommend`` and
through ``settle`` (what a journey that stops asking early shows).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping

import pytest
from hypothesis import example, given, note, settings
from hypothesis import strategies as st

from jigsaw.guidance import (
    NOT_SURE,
    Edition,
    Outcome,
    Recommendation,
    RecordField,
    engine,
    list_editions,
    load_edition,
    recommend,
    settle,
)
from tests.guidance.helpers import SHARE_WITH_CONSENT_2024 as BASE
from tests.guidance.helpers import (
    SURE_OUTCOMES_UNDER_HARM,
    answers,
    sure_answers,
    with_changes,
)

EDITION = load_edition("2024-05")
OVERRIDDEN = frozenset({Outcome.SHARE, Outcome.SHARE_IN_PART})
REFUSAL = ("refused", "withdrawn")
NOT_SOUGHT = ("not_sought_would_increase_risk", "not_sought_other", "not_applicable")
# Who refused, for claim B: everyone whose refusal is theirs to make. A child judged not
# competent is left out: the edition sends that refusal to a parent or carer instead.
REFUSED_BY = (
    {"consent_from": "parent_or_carer"},
    {"consent_from": "adult"},
    {"consent_from": "young_person_and_parent"},
    {"consent_from": "young_person", "young_person_competent": "yes"},
)

EXAMPLES = settings(max_examples=300, deadline=None)
SETTLE_EXAMPLES = settings(max_examples=120, deadline=None)
DOUBT_EXAMPLES = settings(max_examples=150, deadline=None)


def _both(answers: Mapping[str, str]) -> Iterator[tuple[str, Recommendation]]:
    """The recommendation as ``recommend`` gives it, and as a journey (``settle``) shows it."""
    yield "recommend", recommend(EDITION, answers)
    yield "settle", settle(EDITION, answers)


def _grid(**choices: tuple[str, ...]) -> Iterator[dict[str, str]]:
    names = list(choices)
    for picked in itertools.product(*(choices[name] for name in names)):
        yield dict(zip(names, picked, strict=True))


def _every(question: str) -> tuple[str, ...]:
    return EDITION.question(question).allowed


# A --------------------------------------------------------------------------------------


@EXAMPLES
@given(chosen=answers(EDITION))
def test_claim_a_suspected_harm_is_met_only_with_share_or_seek_advice(
    chosen: dict[str, str],
) -> None:
    """Whatever else is answered (no purpose, a refusal, nothing relevant, no Article 9
    condition, information unchecked, "not sure" anywhere), suspected significant harm
    never ends in "do not share" or "share in part"; and once the answers are complete,
    advice comes only where the recipient's role is absent or in doubt and no court
    order names them (a court order decides who receives it, so then it is "share")."""
    chosen = chosen | {"significant_harm": "yes"}

    for how, result in _both(chosen):
        assert result.outcome in SURE_OUTCOMES_UNDER_HARM, how
        if result.complete and "recipient_role" in chosen:
            shares = (
                chosen["recipient_role"] == "yes"
                or chosen.get("statutory_duty_or_court_order") == "yes"
            )
            assert (result.outcome is Outcome.SHARE) == shares, (how, result.decided_by.id)


def test_claim_a_holds_over_every_recipient_route_consent_and_purpose_answer() -> None:
    seen: set[tuple[Outcome, str]] = set()
    for changes in _grid(
        recipient_role=_every("recipient_role"),
        secure_and_timely=_every("secure_and_timely"),
        consent=_every("consent"),
        legitimate_purpose=_every("legitimate_purpose"),
        statutory_duty_or_court_order=_every("statutory_duty_or_court_order"),
        relevance=_every("relevance"),
    ):
        result = recommend(EDITION, BASE | changes | {"significant_harm": "yes"})
        assert result.outcome in SURE_OUTCOMES_UNDER_HARM, changes
        seen.add((result.outcome, result.decided_by.id))

    assert seen == {
        (Outcome.SHARE, "significant_harm"),
        (Outcome.SHARE, "harm_share_by_phone_first"),
        # A court order names the recipient, whatever their role.
        (Outcome.SHARE, "statutory_duty_or_court_order"),
        (Outcome.SEEK_ADVICE, "harm_recipient_without_role"),
        (Outcome.SEEK_ADVICE, "harm_recipient_in_doubt"),
        # No clear role and not sure of a court order: the order would decide, so advice.
        (Outcome.SEEK_ADVICE, "not_sure"),
    }


def test_claim_a_a_court_order_names_the_recipient_even_under_suspected_harm() -> None:
    """Under suspected harm, a recipient whose role is absent or in doubt gets the
    information where a court order requires it; without the order, advice."""
    for role in ("no", NOT_SURE):
        chosen = with_changes(
            BASE, significant_harm="yes", recipient_role=role, statutory_duty_or_court_order="yes"
        )
        for how, result in _both(chosen):
            assert (result.outcome, result.decided_by.id) == (
                Outcome.SHARE,
                "statutory_duty_or_court_order",
            ), (how, role)
        without_order = with_changes(chosen, statutory_duty_or_court_order="no")
        assert recommend(EDITION, without_order).outcome is Outcome.SEEK_ADVICE


# B --------------------------------------------------------------------------------------


def _refusal_may_be_overridden(answers: Mapping[str, str]) -> bool:
    """The only reasons the 2024 advice gives for sharing against a refusal:

    - significant harm is suspected: protecting the child comes first and consent is
      not needed where a child is at risk (golden rules 1 and 3);
    - a law or court order requires the disclosure: the legal obligation is the basis,
      not consent (UK GDPR Article 6(1)(c), DPA 2018 Schedule 2 paragraph 5);
    - the public interest in sharing outweighs the refusal: the common law public
      interest defence, weighed on the facts;
    - the information identifies nobody: it is not personal data, so there is no one
      whose refusal it is.
    """
    return (
        answers.get("significant_harm") == "yes"
        or answers.get("statutory_duty_or_court_order") == "yes"
        or answers.get("public_interest") == "yes"
        or answers.get("identifies_living_person") == "no"
    )


@EXAMPLES
@given(
    chosen=answers(EDITION),
    refusal=st.sampled_from(REFUSAL),
    by=st.sampled_from(REFUSED_BY),
)
def test_claim_b_a_refusal_is_never_overridden_without_one_of_the_advice_s_reasons(
    chosen: dict[str, str], refusal: str, by: dict[str, str]
) -> None:
    """A refusal or withdrawal by a parent or carer, an adult, the young person with a
    parent, or a young person judged competent, is never met with "share" or "share in
    part" unless:

    - significant_harm = yes: protecting the child comes first and consent is not
      needed where a child is at risk (golden rules 1 and 3);
    - statutory_duty_or_court_order = yes: the law, not consent, is the basis (UK GDPR
      Article 6(1)(c); DPA 2018 Schedule 2 paragraph 5);
    - public_interest = yes: the common law public interest defence, weighed on the
      facts, outweighs the refusal;
    - identifies_living_person = no: it is not personal data, so no one's refusal is at
      stake.

    A welfare concern below significant harm, an early help referral the family does
    not want, or the information not being confidential is not on its own enough."""
    chosen = chosen | {"consent": refusal} | by

    for how, result in _both(chosen):
        if result.outcome in OVERRIDDEN:
            assert _refusal_may_be_overridden(chosen), (how, result.decided_by.id)


def test_claim_b_and_d_hold_over_every_consent_answer_where_no_harm_is_suspected() -> None:
    """Every combination of the answers that decide between respecting a refusal, asking
    first and sharing: 7 x 5 x 3 x 3 x 3 x 3 x 3 sets, including "not sure"."""
    overridden_by: set[str] = set()
    for changes in _grid(
        consent=_every("consent"),
        consent_from=_every("consent_from"),
        young_person_competent=_every("young_person_competent"),
        child_in_need=_every("child_in_need"),
        confidential=_every("confidential"),
        public_interest=_every("public_interest"),
        other_lawful_basis=_every("other_lawful_basis"),
    ):
        chosen = BASE | changes
        result = recommend(EDITION, chosen)
        assert result.complete
        theirs = changes["consent_from"] != "young_person" or (
            changes["young_person_competent"] == "yes"
        )
        if changes["consent"] in REFUSAL and theirs and result.outcome in OVERRIDDEN:
            assert _refusal_may_be_overridden(chosen), changes
            overridden_by.add(result.decided_by.id)
        if changes["consent"] in NOT_SOUGHT and changes["child_in_need"] == "yes":
            assert result.outcome is not Outcome.DO_NOT_SHARE, (changes, result.decided_by.id)

    # The exception is real: the public interest does outweigh a refusal, and only it.
    assert overridden_by == {"refusal_outweighed_in_public_interest"}


@pytest.mark.parametrize(
    "reason",
    [
        {"significant_harm": "yes"},
        {"statutory_duty_or_court_order": "yes"},
        {"public_interest": "yes"},
        {"identifies_living_person": "no"},
    ],
    ids=lambda reason: next(iter(reason)),
)
def test_claim_b_each_reason_to_override_a_refusal_does_override_it(
    reason: dict[str, str],
) -> None:
    refused = with_changes(BASE, consent="refused")

    assert recommend(EDITION, refused).outcome is Outcome.DO_NOT_SHARE
    assert recommend(EDITION, refused | reason).outcome is Outcome.SHARE


# C --------------------------------------------------------------------------------------

# The one "not sure" the edition answers itself, whatever the sure answers would do:
# doubt about significant harm means advice today (Working Together 2023; golden rule
# 4), unless a court order or a law already requires the sharing.
HARM = "significant_harm"
COURT_ORDER = "statutory_duty_or_court_order"


def _sure_outcomes(chosen: Mapping[str, str], question: str) -> dict[str, Recommendation]:
    return {
        value: recommend(EDITION, {**chosen, question: value})
        for value in sure_answers(EDITION, question)
    }


def _doubted(chosen: Mapping[str, str]) -> list[str]:
    return [q for q, value in chosen.items() if value == NOT_SURE]


def _where_the_doubt_leads(chosen: Mapping[str, str], question: str) -> Outcome:
    """Claim C for one "not sure" in a complete answer set: advice where its sure
    readings disagree on the outcome, their outcome where they agree; doubt about harm
    is advice unless the court-order rule decides."""
    if question == HARM:
        return Outcome.SHARE if chosen[COURT_ORDER] == "yes" else Outcome.SEEK_ADVICE
    outcomes = {found.outcome for found in _sure_outcomes(chosen, question).values()}
    return outcomes.pop() if len(outcomes) == 1 else Outcome.SEEK_ADVICE


NOT_SURE_OF_HARM_OR_A_COURT_ORDER = with_changes(
    BASE, significant_harm=NOT_SURE, statutory_duty_or_court_order=NOT_SURE
)


@DOUBT_EXAMPLES
@example(chosen=NOT_SURE_OF_HARM_OR_A_COURT_ORDER)
@given(chosen=answers(EDITION, complete=True))
def test_claim_c_a_not_sure_leads_where_its_sure_readings_lead(chosen: dict[str, str]) -> None:
    """For a complete answer set, each "not sure" on its own: if its sure readings reach
    different outcomes the recommendation is "seek advice"; if they all reach one, it is
    that outcome; "not sure" to significant harm is advice unless a court order is
    answered "yes".

    ``NOT_SURE_OF_HARM_OR_A_COURT_ORDER`` is always tried: every reading of harm shares
    there, yet the doubt about harm must still mean advice (see the test below).
    """
    note(f"answers: {chosen}")
    for question in _doubted(chosen):
        expected = _where_the_doubt_leads(chosen, question)
        for how, result in _both(chosen):
            assert result.outcome is expected, (how, question, result.decided_by.id)


def test_claim_c_not_sure_of_harm_or_of_a_court_order_is_advice() -> None:
    """Harm and the court order both "not sure" (a recipient with a role, consent
    given): "yes" or "no" to harm would share, but doubt about harm is advice unless a
    court order is known to require the sharing, and "no" to the order leads there. The
    court-order rule names harm "not sure" itself, so that doubt is not read as "yes" or
    "no" (once it was, and all four readings shared)."""
    chosen = NOT_SURE_OF_HARM_OR_A_COURT_ORDER
    court = {v: r.outcome for v, r in _sure_outcomes(chosen, COURT_ORDER).items()}
    harm = {r.outcome for r in _sure_outcomes(chosen, HARM).values()}
    assert court == {"yes": Outcome.SHARE, "no": Outcome.SEEK_ADVICE}
    assert harm == {Outcome.SHARE}

    for how, result in _both(chosen):
        assert (result.outcome, result.decided_by.id) == (Outcome.SEEK_ADVICE, "not_sure"), how
        assert COURT_ORDER in result.in_doubt, how


# (changes to BASE, the question answered "not sure", the one outcome every sure answer
# to it reaches). Each of these once led to advice: the doubt kept a rule with the same
# outcome open before the deciding one.
# fmt: off
DOUBTS_THAT_CANNOT_MATTER: list[tuple[dict[str, str], str, Outcome]] = [
    ({}, "statutory_duty_or_court_order", Outcome.SHARE),
    ({}, "identifies_living_person", Outcome.SHARE),
    ({"recipient_role": "no"}, "legitimate_purpose", Outcome.DO_NOT_SHARE),
    ({"consent": "refused"}, "recipient_role", Outcome.DO_NOT_SHARE),
    ({"public_interest": "yes"}, "consent", Outcome.SHARE),
    ({"consent": "not_sought_would_increase_risk", "public_interest": "yes"}, "confidential",
     Outcome.SHARE),
    ({"consent": "refused", "other_lawful_basis": "no"}, "public_interest",
     Outcome.DO_NOT_SHARE),
    ({"relevance": "part"}, "special_category_data", Outcome.SHARE_IN_PART),
    ({"relevance": "part", "special_category_data": "yes"}, "art9_condition",
     Outcome.SHARE_IN_PART),
    ({"relevance": "part"}, "criminal_offence_data", Outcome.SHARE_IN_PART),
    ({"relevance": "part", "criminal_offence_data": "yes"}, "art10_condition",
     Outcome.SHARE_IN_PART),
]
# fmt: on


@pytest.mark.parametrize(
    ("changes", "doubt", "outcome"),
    DOUBTS_THAT_CANNOT_MATTER,
    ids=[case[1] for case in DOUBTS_THAT_CANNOT_MATTER],
)
def test_claim_c_a_doubt_that_cannot_change_the_outcome_leaves_it_and_cites_every_reading(
    changes: dict[str, str], doubt: str, outcome: Outcome
) -> None:
    """The outcome every sure answer reaches, citing the rule each of them is decided by
    (in the edition's order) and asking the record for all that any of them needs."""
    chosen = with_changes(BASE, **changes, **{doubt: NOT_SURE})
    sure = _sure_outcomes(chosen, doubt).values()
    assert {found.outcome for found in sure} == {outcome}
    order = [rule.id for rule in EDITION.rules]
    deciding = sorted({found.decided_by.id for found in sure}, key=order.index)
    needed = {field for found in sure for field in found.needed_fields}

    for how, result in _both(chosen):
        assert result.outcome is outcome, (how, result.decided_by.id, result.in_doubt)
        assert [rule.id for rule in result.rules][: len(deciding)] == deciding, how
        assert set(result.needed_fields) == needed, how
        assert result.in_doubt == ()


@pytest.mark.parametrize("harm", ["yes", NOT_SURE])
def test_claim_c_a_doubt_about_harm_gives_way_to_a_court_order(harm: str) -> None:
    """Harm suspected or in doubt, a court order, a recipient with no safeguarding role:
    the court order names the recipient, so "yes" and "no" to harm both share by it, and
    so does "not sure" (the one exception claim C names gives way to a court order)."""
    chosen = with_changes(
        BASE, significant_harm=harm, statutory_duty_or_court_order="yes", recipient_role="no"
    )
    sure = {v: (r.outcome, r.decided_by.id) for v, r in _sure_outcomes(chosen, HARM).items()}
    assert sure == {
        "yes": (Outcome.SHARE, COURT_ORDER),
        "no": (Outcome.SHARE, COURT_ORDER),
    }

    for how, result in _both(chosen):
        assert (result.outcome, result.decided_by.id) == (Outcome.SHARE, COURT_ORDER), how
    without_order = with_changes(chosen, statutory_duty_or_court_order="no")
    assert recommend(EDITION, without_order).outcome is Outcome.SEEK_ADVICE


@pytest.mark.parametrize(
    ("changes", "doubt"),
    [
        ({"legitimate_purpose": NOT_SURE}, "legitimate_purpose"),
        ({"recipient_role": NOT_SURE}, "recipient_role"),
        ({"consent": NOT_SURE}, "consent"),
        ({"consent": "refused", "public_interest": NOT_SURE}, "public_interest"),
        ({"consent": "not_sought_other", "child_in_need": NOT_SURE}, "child_in_need"),
        ({"accurate": NOT_SURE}, "accurate"),
        ({"relevance": NOT_SURE}, "relevance"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_claim_c_a_doubt_that_matters_is_advice_naming_the_question(
    changes: dict[str, str], doubt: str
) -> None:
    chosen = with_changes(BASE, **changes)
    sure = {found.outcome for found in _sure_outcomes(chosen, doubt).values()}

    for _, result in _both(chosen):
        assert (result.outcome, result.decided_by.id) == (Outcome.SEEK_ADVICE, "not_sure")
        assert result.in_doubt == (doubt,)
    assert len(sure) > 1


@pytest.mark.parametrize(
    "changes",
    [
        {"significant_harm": "yes", "relevance": NOT_SURE, "legitimate_purpose": NOT_SURE},
        {"significant_harm": "yes", "consent": NOT_SURE, "public_interest": NOT_SURE},
        {"child_in_need": NOT_SURE, "public_interest": NOT_SURE, "confidential": NOT_SURE},
        {"art9_condition": NOT_SURE, "art10_condition": NOT_SURE},
        {"consent_from": "adult", "young_person_competent": NOT_SURE},
    ],
)
def test_claim_c_a_doubt_that_cannot_matter_is_recorded_and_changes_nothing(
    changes: dict[str, str],
) -> None:
    chosen = with_changes(BASE, **changes)
    sure = {q: v for q, v in chosen.items() if v != NOT_SURE}
    expected = recommend(EDITION, BASE | sure)

    for _, result in _both(chosen):
        assert (result.outcome, result.decided_by.id) == (
            expected.outcome,
            expected.decided_by.id,
        )
        assert result.in_doubt == ()


@SETTLE_EXAMPLES
@given(partial=answers(EDITION))
def test_claim_c_a_settled_doubt_names_what_is_in_doubt(partial: dict[str, str]) -> None:
    """On partial answers too: advice for a doubt always names the questions, and only
    ones answered "not sure"."""
    note(f"answers: {partial}")
    for how, result in _both(partial):
        assert set(result.in_doubt) <= set(_doubted(partial)), how
        if result.decided_by.id == "not_sure":
            assert result.in_doubt, how
            assert result.outcome is Outcome.SEEK_ADVICE


DOUBT_EVERY_COMPLETION_AGREES_ON = {
    "recipient_role": "no",
    "statutory_duty_or_court_order": NOT_SURE,
    "identifies_living_person": NOT_SURE,
}


def test_settle_answers_a_doubt_every_completion_agrees_on() -> None:
    """A recipient without a role and no one sure of a court order: whatever else is
    answered, "yes" to the order shares and "no" does not, so every completion is advice
    for that doubt. ``settle`` stops asking and lists the rest as skipped (it once failed
    here, looking up the advice rule among the edition's rules: it is a fallback)."""
    assert not recommend(EDITION, DOUBT_EVERY_COMPLETION_AGREES_ON).complete

    result = settle(EDITION, DOUBT_EVERY_COMPLETION_AGREES_ON)

    assert (result.outcome, result.decided_by.id) == (Outcome.SEEK_ADVICE, "not_sure")
    assert result.complete
    assert result.in_doubt == (COURT_ORDER,)
    skipped = {s.question for s in result.skipped}
    assert skipped == {q.id for q in EDITION.questions} - set(DOUBT_EVERY_COMPLETION_AGREES_ON)
    assert RecordField.ADVICE_SOUGHT in result.needed_fields


# D --------------------------------------------------------------------------------------

WELFARE_CONCERN_NOT_SOUGHT = {
    "significant_harm": "no",
    "child_in_need": "yes",
    "legitimate_purpose": "yes",
    "recipient_role": "yes",
    "accurate": "yes",
}


@EXAMPLES
@given(chosen=answers(EDITION), consent=st.sampled_from(NOT_SOUGHT))
def test_claim_d_consent_not_sought_with_a_welfare_concern_never_ends_in_do_not_share(
    chosen: dict[str, str], consent: str
) -> None:
    """Consent not sought (for any reason) or not the basis, a concern for the child's
    welfare, a purpose, a recipient with a role and checked information: the
    practitioner is sent to share, to ask the family openly, or for advice, never told
    not to share."""
    chosen = chosen | WELFARE_CONCERN_NOT_SOUGHT | {"consent": consent}
    note(f"answers: {chosen}")

    for how, result in _both(chosen):
        assert result.outcome is not Outcome.DO_NOT_SHARE, (how, result.decided_by.id)


def test_claim_d_asking_first_is_the_answer_where_nothing_else_justifies_sharing() -> None:
    chosen = with_changes(BASE, consent="not_sought_other", child_in_need="yes")

    for _, result in _both(chosen):
        assert (result.outcome, result.decided_by.id) == (
            Outcome.SEEK_ADVICE,
            "ask_for_agreement_first",
        )
    # Without the welfare concern the same answers are a reason not to share.
    assert recommend(EDITION, chosen | {"child_in_need": "no"}).outcome is Outcome.DO_NOT_SHARE


# E --------------------------------------------------------------------------------------


def test_claim_e_every_golden_rule_quotes_the_advice_and_summarises_apart() -> None:
    cited = {g for q in EDITION.questions for g in q.golden_rules}
    cited |= {g for r in (*EDITION.rules, *EDITION.fallbacks) for g in r.golden_rules}
    cited |= {g for req in EDITION.record_requirements for g in req.golden_rules}

    assert cited == {rule.id for rule in EDITION.golden_rules}
    for number, rule in enumerate(EDITION.golden_rules, start=1):
        assert rule.quote, rule.id
        assert rule.citation.endswith(f"seven golden rules, rule {number}"), rule.id
        quote = " ".join(rule.quote.split())
        for summary in (rule.title, rule.explanation):
            words = " ".join(summary.split())
            assert words != quote, rule.id
            assert quote not in words, f"{rule.id}: the summary repeats the quote"


@settings(deadline=None)
@given(chosen=answers(EDITION))
def test_claim_e_every_golden_rule_a_recommendation_cites_carries_its_quote(
    chosen: dict[str, str],
) -> None:
    for _, result in _both(chosen):
        assert result.golden_rules
        for golden in result.golden_rules:
            assert golden.quote and golden.quote != golden.explanation


# Repeatable and order-independent, in both editions --------------------------------------

EDITIONS = [load_edition(edition_id) for edition_id in list_editions()]


def _citations(result: Recommendation) -> tuple[object, ...]:
    return (
        result.outcome,
        result.rules,
        result.golden_rules,
        result.still_needed,
        result.unanswered,
        result.in_doubt,
        result.skipped,
    )


@pytest.mark.parametrize("edition", EDITIONS, ids=lambda e: e.edition)
@SETTLE_EXAMPLES
@given(data=st.data())
def test_the_same_answers_always_give_the_same_outcome_and_citations(
    edition: Edition, data: st.DataObject
) -> None:
    chosen = data.draw(answers(edition))
    shuffled = dict(data.draw(st.permutations(list(chosen.items()))))

    first = recommend(edition, chosen)
    settled = settle(edition, chosen)
    engine._settle.cache_clear()

    assert _citations(recommend(edition, shuffled)) == _citations(first)
    assert _citations(recommend(edition, chosen)) == _citations(first)
    assert _citations(settle(edition, shuffled)) == _citations(settled)
    assert _citations(settle(edition, chosen)) == _citations(settled)


# settle ---------------------------------------------------------------------------------


@SETTLE_EXAMPLES
@given(partial=answers(EDITION), data=st.data())
def test_settle_never_changes_the_outcome_answering_everything_would_reach(
    partial: dict[str, str], data: st.DataObject
) -> None:
    """Partial answers, "not sure" included. Where settle stops asking, every completion
    of the unasked questions (with sure answers: a question never asked is never
    answered "not sure") reaches the same outcome and rule through ``recommend``."""
    settled = settle(EDITION, partial)
    if not settled.complete:
        assert settled == recommend(EDITION, partial)
        return
    for _ in range(5):
        rest = data.draw(answers(EDITION, complete=True, sure=True))
        full = recommend(EDITION, rest | partial)
        assert (full.outcome, full.decided_by.id) == (settled.outcome, settled.decided_by.id)
