"""What a decision must carry: the one list the service, the pages and check answers share."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from jigsaw.consent.models import SharingPurpose
from jigsaw.guidance import load_edition
from jigsaw.sharing.lawful_basis import Art6Basis, Art9Condition, Art10Condition
from jigsaw.sharing.models import ConsentPosition, DecisionOutcome, NotToldReason
from jigsaw.sharing.requirements import Draft, Requirements, requirements
from jigsaw.web.decision_journey import CHECK, FIELD_STEPS, Journey, question_step
from jigsaw.web.drafts import DecisionDraft
from tests.scene import HARM_ANSWERS, REVIEW_ON

SHARE = DecisionOutcome.SHARE
RISK = ConsentPosition.NOT_SOUGHT_WOULD_INCREASE_RISK


def _draft(**given: Any) -> Draft:
    """A share decision on the harm answers with everything filled in, changed by ``given``."""
    values: dict[str, Any] = {
        "answers": dict(HARM_ANSWERS),
        "edition": "2024-05",
        "recipient_agency_id": 1,
        "purpose": SharingPurpose.CHILD_PROTECTION_ENQUIRY,
        "outcome": SHARE,
        "reasons": "Bruising seen twice in a week.",
        "lawful_basis": Art6Basis.PUBLIC_TASK.value,
        "consent_position": RISK,
        "family_informed": False,
        "not_told_reason": NotToldReason.RISK_TO_CHILD,
        "not_told_review_on": REVIEW_ON,
    }
    values.update(given)
    return Draft(**values)


def _asked(needs: Requirements) -> list[str]:
    return [r.question or r.field for r in needs.applying]


def test_a_draft_with_nothing_asks_who_why_the_first_question_and_the_decision() -> None:
    needs = requirements(Draft(answers={}))
    first = load_edition(None).questions[0].id
    assert _asked(needs) == [
        "recipient_agency_id",
        "recipient_practitioner_id",
        "purpose",
        first,
        "outcome",
        "reasons",
        "consent_position",
    ]
    assert [r.field for r in needs.missing] == [
        "recipient_agency_id",
        "purpose",
        "outcome",
        "reasons",
        "consent_position",
    ]
    assert not needs.get("recipient_practitioner_id").required  # type: ignore[union-attr]
    assert needs.problems == (), "nothing given yet is nothing the service could refuse"


def test_answering_a_request_does_not_ask_who_or_why() -> None:
    needs = requirements(Draft(answers={}, request_id=7))
    assert not needs.asks("recipient_agency_id") and not needs.asks("purpose")
    assert _asked(needs)[0] == load_edition(None).questions[0].id


def test_a_complete_share_decision_asks_only_what_the_answers_call_for() -> None:
    needs = requirements(_draft())
    assert needs.recommendation.outcome.value == "share"
    assert [r.field for r in needs.applying if r.question is None] == [
        "recipient_agency_id",
        "recipient_practitioner_id",
        "purpose",
        "outcome",
        "reasons",
        "lawful_basis",
        "family_informed",
        "not_told_reason",
        "not_told_review_on",
    ]
    assert needs.missing == () and needs.problems == ()


def test_consent_given_as_an_answer_is_not_asked_again_but_an_unsure_answer_is() -> None:
    assert not requirements(_draft(answers={**HARM_ANSWERS, "consent": "given"})).asks(
        "consent_position"
    )
    unsure = requirements(_draft(answers={**HARM_ANSWERS, "consent": "not_sure"}))
    assert unsure.asks("consent_position")


def test_sharing_over_a_refusal_needs_the_facts_that_justify_it() -> None:
    refused = {**HARM_ANSWERS, "consent": "refused"}
    needs = requirements(_draft(answers=refused, consent_position=ConsentPosition.REFUSED))
    override = needs.get("consent_override_justification")
    assert override is not None and override.missing
    assert override.problem == (
        "Consent was refused or withdrawn: give the facts that justify sharing without it"
    )
    given = requirements(
        _draft(
            answers=refused,
            consent_position=ConsentPosition.REFUSED,
            consent_override_justification="Two injuries in a week.",
        )
    )
    assert given.missing == () and given.problems == ()
    not_sharing = requirements(
        _draft(
            answers=refused,
            consent_position=ConsentPosition.REFUSED,
            outcome=DecisionOutcome.DO_NOT_SHARE,
            departure_reason="Shared by the GP already.",
        )
    )
    assert not not_sharing.asks("consent_override_justification")


def test_not_sharing_asks_for_no_lawful_basis_or_family_but_a_departure_needs_a_reason() -> None:
    needs = requirements(
        _draft(outcome=DecisionOutcome.DO_NOT_SHARE, lawful_basis=None, family_informed=None)
    )
    for field in ("lawful_basis", "family_informed", "not_told_reason"):
        assert not needs.asks(field)
    departure = needs.get("departure_reason")
    assert departure is not None and departure.missing
    assert needs.problems == (
        ("departure_reason", "The guidance recommends 'share': say why you decided otherwise"),
    )


def test_the_lawful_basis_is_asked_only_about_a_living_person_and_consent_only_with_consent() -> (
    None
):
    anonymous = requirements(
        _draft(answers={**HARM_ANSWERS, "identifies_living_person": "no"}, lawful_basis=None)
    )
    assert not anonymous.asks("lawful_basis")
    missing = requirements(_draft(lawful_basis=None))
    assert missing.problems[0] == (
        "lawful_basis",
        "Name the UK GDPR Article 6 lawful basis for sharing",
    )
    consent = requirements(_draft(lawful_basis=Art6Basis.CONSENT.value))
    basis = consent.get("lawful_basis")
    assert basis is not None and basis.answered
    assert basis.problem == "Consent cannot be the lawful basis unless consent was given"
    invalid = requirements(
        _draft(outcome=DecisionOutcome.DO_NOT_SHARE, departure_reason="No.", lawful_basis="6(1)(z)")
    )
    assert not invalid.asks("lawful_basis")
    assert [f for f, _ in invalid.problems] == ["lawful_basis"], "given, so checked even so"


def test_an_article_9_condition_is_required_only_where_the_guidance_needs_one() -> None:
    special = {**HARM_ANSWERS, "special_category_data": "yes", "art9_condition": "yes"}
    needed = requirements(_draft(answers=special))
    condition = needed.get("art9_condition")
    assert condition is not None and condition.required and condition.missing
    assert [f for f, _ in needed.problems] == ["art9_condition"]
    chosen = requirements(
        _draft(answers=special, art9_condition=Art9Condition.SOCIAL_PROTECTION.value)
    )
    assert chosen.problems == ()
    optional = requirements(_draft(answers={**special, "art9_condition": "no"}))
    blank = optional.get("art9_condition")
    assert blank is not None and not blank.required and not blank.missing
    assert not requirements(_draft()).asks("art9_condition"), "no special category data"


def test_telling_the_family_or_saying_why_not() -> None:
    told = requirements(_draft(family_informed=True, not_told_reason=None))
    assert not told.asks("not_told_reason") and told.problems == ()
    untold = requirements(_draft(not_told_reason=None))
    reason = untold.get("not_told_reason")
    assert reason is not None and reason.missing
    assert [f for f, _ in untold.problems] == ["not_told_reason"]


def test_not_telling_the_family_needs_a_date_to_review_it() -> None:
    told = requirements(_draft(family_informed=True, not_told_review_on=None))
    assert not told.asks("not_told_review_on") and told.problems == ()
    undated = requirements(_draft(not_told_review_on=None))
    review = undated.get("not_told_review_on")
    assert review is not None and review.required and review.missing
    assert undated.problems == (
        (
            "not_told_review_on",
            "Say when you will review the decision not to tell the child or family",
        ),
    )


def test_only_a_decision_not_to_share_asks_which_items_were_held_back() -> None:
    refusal = requirements(
        _draft(outcome=DecisionOutcome.DO_NOT_SHARE, departure_reason="Shared by the GP.")
    )
    held = refusal.get("withheld_item_ids")
    assert held is not None and not held.answered
    assert not requirements(_draft()).asks("withheld_item_ids")
    named = requirements(_draft(withheld_item_ids=(9,)))
    assert named.problems == (
        ("withheld_item_ids", "Only a decision not to share names items held back"),
    )


def test_seek_advice_needs_the_advice_had_when_followed_or_departed_to_share() -> None:
    unsure = {**HARM_ANSWERS, "significant_harm": "not_sure"}
    needs = requirements(_draft(answers=unsure, departure_reason="The DPO said share."))
    assert needs.recommendation.outcome.value == "seek_advice"
    advice = needs.get("advice_request_ids")
    assert advice is not None and advice.missing
    assert [f for f, _ in needs.problems] == ["advice_request_ids"]
    linked = requirements(
        _draft(answers=unsure, departure_reason="The DPO said share.", advice_request_ids=(3,))
    )
    assert linked.problems == ()


def test_problems_come_in_the_order_the_pages_ask() -> None:
    needs = requirements(
        _draft(
            answers={**HARM_ANSWERS, "consent": "refused"},
            outcome=DecisionOutcome.SHARE_IN_PART,
            consent_position=ConsentPosition.REFUSED,
            lawful_basis=None,
            not_told_reason=None,
        )
    )
    assert [f for f, _ in needs.problems] == [
        "departure_reason",
        "lawful_basis",
        "consent_override_justification",
        "not_told_reason",
    ]


# The pages and the service agree -------------------------------------------------------

MARKS = (
    "recipient",
    "recipient-person",
    "purpose",
    "recommendation",
    "special-category",
    "criminal-offence",
    "protected",
    "advice",
    "held-back",
)
TEXT = st.sampled_from(["", "Some facts."])


def _maybe(values: st.SearchStrategy[Any], filled: bool) -> st.SearchStrategy[Any]:
    return values if filled else st.one_of(st.none(), values)


@st.composite
def drafts(draw: st.DrawFn) -> tuple[DecisionDraft, bool]:
    """Drafts as the pages could leave them; ``filled`` ones have an answer on every page,
    so many reach the check page, while the rest stop anywhere."""
    filled = draw(st.booleans())
    edition = load_edition(draw(st.sampled_from(["2024-05", "2018-07"])))
    answers: dict[str, str] = {}
    for question in edition.questions:
        options = question.allowed if filled else (None, *question.allowed)
        value = draw(st.sampled_from(options))
        if value is not None:
            answers[question.id] = value
    request_id = draw(st.sampled_from([None, 4]))
    known = filled or request_id is not None  # a request fills in who and why
    condition = st.sampled_from(["", *[c.value for c in Art9Condition]])
    offence = st.sampled_from(["", *[c.value for c in Art10Condition]])
    draft = DecisionDraft(
        subject_record_id=1,
        edition=edition.edition,
        request_id=request_id,
        recipient_agency_id=draw(_maybe(st.just(2), known)),
        recipient_practitioner_id=draw(st.sampled_from([None, 3])),
        purpose=draw(_maybe(st.sampled_from(SharingPurpose), known)),
        answers=answers,
        outcome=draw(_maybe(st.sampled_from(DecisionOutcome), filled)),
        departure_reason=draw(TEXT),
        reasons=draw(st.just("Some facts.") if filled else TEXT),
        lawful_basis=draw(_maybe(st.sampled_from([b.value for b in Art6Basis]), filled)),
        art9_condition=draw(_maybe(condition, filled)),
        art10_condition=draw(_maybe(offence, filled)),
        consent_position=draw(_maybe(st.sampled_from(ConsentPosition), filled)),
        consent_override_justification=draw(TEXT),
        family_informed=draw(_maybe(st.booleans(), filled)),
        not_told_reason=draw(st.one_of(st.none(), st.sampled_from(NotToldReason))),
        not_told_review_on=draw(st.sampled_from([None, REVIEW_ON])),
        withheld_item_ids=draw(st.sampled_from([[], [6]])),
        accuracy_caveats=draw(TEXT),
        reveal_protected_reason=draw(TEXT),
        advice_request_ids=draw(st.sampled_from([[], [5]])),
        done=list(MARKS) if filled else draw(st.lists(st.sampled_from(MARKS), unique=True)),
    )
    return draft, draw(st.booleans())


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(drafts())
def test_the_service_refuses_a_decision_exactly_when_the_pages_would_not_let_it_through(
    case: tuple[DecisionDraft, bool],
) -> None:
    """Finished pages never meet a refusal for something missing, only for answers that
    contradict each other, each with a page to change; unfinished ones are always refused."""
    draft, offered = case
    journey = Journey(draft, advice_on_offer=offered)
    asked = journey.requirements
    try:
        decision = journey.decision_in()
    except ValidationError:
        decision = None
    refused = (
        requirements(Draft.of(decision, decision.guidance_edition)).problems
        if decision is not None
        else None
    )
    if journey.next_step() == CHECK:
        assert refused is not None, "the check page builds a decision the service can read"
        steps = journey.steps()
        for field, _ in refused:
            requirement = asked.get(field)
            assert requirement is not None and requirement.answered, (field, refused)
            fix = FIELD_STEPS[field]
            if field == "consent_position" and fix not in steps:
                fix = question_step("consent")
            assert fix in steps
    if asked.missing:
        assert journey.next_step() != CHECK
        assert refused is None or refused, "a missing answer is always refused"
