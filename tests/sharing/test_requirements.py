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
from jigsaw.sharing.requirements import (
    NEEDED_FROM_GUIDANCE,
    NO_ADVICE,
    Draft,
    Requirements,
    requirements,
)
from jigsaw.web.decision_journey import CHECK, FIELD_STEPS, Journey, question_step
from jigsaw.web.drafts import DecisionDraft
from tests.scene import HARM_ANSWERS, REVIEW_ON

SHARE = DecisionOutcome.SHARE
RISK = ConsentPosition.NOT_SOUGHT_WOULD_INCREASE_RISK
SAFE_TO_TELL = {**HARM_ANSWERS, "informing_family_increases_risk": "no"}
UNSURE = {**HARM_ANSWERS, "significant_harm": "not_sure"}
"""Not sure whether a child is at risk of significant harm: the guidance says seek advice."""


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
    harm = requirements(_draft(answers={**special, "art9_condition": "no"}))
    still = harm.get("art9_condition")
    assert still is not None and still.required, "where harm is suspected, a condition is named"
    no_harm = {
        **SAFE_TO_TELL,
        "significant_harm": "no",
        "consent": "given",
        "consent_from": "parent_or_carer",
        "special_category_data": "yes",
        "art9_condition": "no",
    }
    optional = requirements(
        _draft(
            answers=no_harm,
            outcome=DecisionOutcome.SHARE_IN_PART,
            consent_position=ConsentPosition.GIVEN,
        )
    )
    assert optional.recommendation.outcome.value == "share_in_part"
    blank = optional.get("art9_condition")
    assert blank is not None and not blank.required and not blank.missing
    assert not requirements(_draft()).asks("art9_condition"), "no special category data"


def test_telling_the_family_or_saying_why_not() -> None:
    told = requirements(_draft(answers=SAFE_TO_TELL, family_informed=True, not_told_reason=None))
    assert not told.asks("not_told_reason") and told.problems == ()
    untold = requirements(_draft(not_told_reason=None))
    reason = untold.get("not_told_reason")
    assert reason is not None and reason.missing
    assert [f for f, _ in untold.problems] == ["not_told_reason"]


def test_not_telling_the_family_needs_a_date_to_review_it() -> None:
    told = requirements(_draft(answers=SAFE_TO_TELL, family_informed=True, not_told_review_on=None))
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


def test_telling_the_family_after_answering_it_would_increase_the_risk_is_refused() -> None:
    told = requirements(_draft(family_informed=True, not_told_reason=None))
    assert told.problems == (
        (
            "family_informed",
            "You answered that telling the child or family would increase the risk to the "
            "child: do not tell them, or change that answer",
        ),
    )
    family = told.get("family_informed")
    assert family is not None and family.answered and family.problem is not None
    unsure = requirements(
        _draft(
            answers={**HARM_ANSWERS, "informing_family_increases_risk": "not_sure"},
            family_informed=True,
            not_told_reason=None,
        )
    )
    assert unsure.problems == (), "only a yes to the risk question stands in the way"


def test_a_seek_advice_recommendation_needs_advice_linked_or_why_it_could_not_wait() -> None:
    """Whatever the outcome: recording "do not share" does not step past the advice."""
    for outcome in DecisionOutcome:
        needs = requirements(
            _draft(answers=UNSURE, outcome=outcome, departure_reason="The DPO is away.")
        )
        assert needs.recommendation.outcome.value == "seek_advice"
        advice = needs.get("advice_request_ids")
        assert advice is not None and not advice.required and not advice.answered
        urgent = needs.get("urgent_reason")
        assert urgent is not None and urgent.missing, outcome
        assert ("advice_request_ids", NO_ADVICE) in needs.problems, outcome
    refusal = {
        "answers": UNSURE,
        "outcome": DecisionOutcome.DO_NOT_SHARE,
        "departure_reason": "Nothing new to add to the MASH's picture.",
    }
    linked = requirements(_draft(**refusal, advice_request_ids=(3,)))
    assert linked.problems == () and linked.missing == ()
    assert not linked.asks("urgent_reason"), "advice linked: nothing more to say"
    hurried = requirements(
        _draft(**refusal, urgent_reason="Out of hours; the DSL and duty team were unreachable.")
    )
    assert hurried.problems == () and hurried.missing == ()
    assert [r.field for r in hurried.applying][-2:] == ["advice_request_ids", "urgent_reason"]
    blank = requirements(_draft(**refusal, urgent_reason="   "))
    assert [f for f, _ in blank.problems] == ["advice_request_ids"]


def test_why_it_could_not_wait_is_only_for_a_decision_the_guidance_said_to_seek_advice_on() -> None:
    needs = requirements(_draft(urgent_reason="No one was reachable."))
    assert not needs.asks("urgent_reason") and not needs.asks("advice_request_ids")
    assert [f for f, _ in needs.problems] == ["urgent_reason"]


def test_sharing_without_consent_in_the_public_interest_asks_for_the_facts_too() -> None:
    """Not only over a refusal: the edition asks for them whenever consent is not the basis
    and confidential information is shared in the public interest."""
    public_interest = {
        **SAFE_TO_TELL,
        "significant_harm": "no",
        "consent": "not_sought_other",
        "confidential": "yes",
        "public_interest": "yes",
        "other_lawful_basis": "yes",
    }
    other = ConsentPosition.NOT_SOUGHT_OTHER
    needs = requirements(_draft(answers=public_interest, consent_position=other))
    assert needs.recommendation.decided_by.id == "shared_in_public_interest"
    override = needs.get("consent_override_justification")
    assert override is not None and override.missing
    assert [f for f, _ in needs.problems] == ["consent_override_justification"]
    given = requirements(
        _draft(
            answers=public_interest,
            consent_position=other,
            consent_override_justification="Domestic abuse disclosed; the child is in the home.",
        )
    )
    assert given.problems == () and given.missing == ()


def test_every_record_field_the_guidance_needs_is_asked_when_sharing() -> None:
    """A "not sure" keeps a requirement of the guidance: the page for it must be asked."""
    unsure = requirements(_draft(answers={**HARM_ANSWERS, "accurate": "not_sure"}))
    assert "accuracy_caveats" in unsure.recommendation.needed_fields
    caveats = unsure.get("accuracy_caveats")
    assert caveats is not None and caveats.required and caveats.missing
    for needed in unsure.recommendation.still_needed:
        if needed.field in NEEDED_FROM_GUIDANCE:
            assert unsure.asks(NEEDED_FROM_GUIDANCE[needed.field][0]), needed.field


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
        urgent_reason=draw(TEXT),
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


@st.composite
def answered(draw: st.DrawFn) -> dict[str, str]:
    """Every question of the current edition answered, any way it can be."""
    return {q.id: draw(st.sampled_from(q.allowed)) for q in load_edition("2024-05").questions}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(answered(), st.sampled_from(DecisionOutcome))
def test_whatever_the_guidance_needs_on_the_record_is_asked_for(
    answers: dict[str, str], outcome: DecisionOutcome
) -> None:
    """The service refuses a decision lacking a field the guidance needs, so the pages
    must ask for it: otherwise the practitioner meets a problem no page lets them fix."""
    needs = requirements(
        _draft(
            answers=answers,
            outcome=outcome,
            departure_reason="Decided otherwise.",
            lawful_basis=None,
            not_told_reason=None,
            not_told_review_on=None,
        )
    )
    guided = {field for field, _ in NEEDED_FROM_GUIDANCE.values()}
    for field, _ in needs.problems:
        if field in guided:
            assert needs.asks(field), (field, needs.problems)


def test_why_it_could_not_wait_must_say_something_in_words() -> None:
    """A dash, a full stop or characters nobody can see are not a reason: the decision is
    still missing the advice or why it could not wait, and the page asks again."""
    refusal = {
        "answers": UNSURE,
        "outcome": DecisionOutcome.DO_NOT_SHARE,
        "departure_reason": "Nothing new to add to the MASH's picture.",
    }
    for empty in ("\u200b", "-", ".", "\u00a0", " \t\n", "\u200b\u200d\u2060-\u200b", "\ufeffx"):
        needs = requirements(_draft(**refusal, urgent_reason=empty))
        fields = [f for f, _ in needs.problems]
        assert fields == ["advice_request_ids", "urgent_reason"][: len(fields)], repr(empty)
        assert "advice_request_ids" in fields, repr(empty)
        urgent = needs.get("urgent_reason")
        assert urgent is not None and urgent.missing, repr(empty)
    for said in ("DSL away", "No one could be reached", "Zu spät"):
        needs = requirements(_draft(**refusal, urgent_reason=said))
        assert needs.problems == () and needs.missing == (), said


def test_a_young_person_asking_that_parents_are_not_told_must_fit_the_answers() -> None:
    """Only a young person able to decide for themselves can ask it: an answer that they
    are not competent, or that consent was a parent's or an adult's to give, contradicts
    it and is refused on the reason, so the page to change is the one that shows it."""
    asked = NotToldReason.YOUNG_PERSON_ASKED
    fits = requirements(_draft(answers=SAFE_TO_TELL, not_told_reason=asked))
    assert "not_told_reason" not in dict(fits.problems)
    for contradiction in (
        {"young_person_competent": "no"},
        {"consent_from": "parent_or_carer"},
        {"consent_from": "adult"},
    ):
        needs = requirements(
            _draft(answers={**SAFE_TO_TELL, **contradiction}, not_told_reason=asked)
        )
        problems = dict(needs.problems)
        assert "not_told_reason" in problems, contradiction
        assert "choose another reason" in problems["not_told_reason"]
    for fitting in (
        {"young_person_competent": "yes", "consent_from": "young_person"},
        {"young_person_competent": "not_sure"},
        {"consent_from": "young_person_and_parent"},
    ):
        needs = requirements(_draft(answers={**SAFE_TO_TELL, **fitting}, not_told_reason=asked))
        assert "not_told_reason" not in dict(needs.problems), fitting
    other = requirements(
        _draft(
            answers={**SAFE_TO_TELL, "young_person_competent": "no"},
            not_told_reason=NotToldReason.RISK_TO_CHILD,
        )
    )
    assert "not_told_reason" not in dict(other.problems), "only that reason needs a competent one"
