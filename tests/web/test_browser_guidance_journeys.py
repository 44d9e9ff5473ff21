"""Two journeys through the 2024 guidance in Chromium that turn on how it weighs answers,
each checked with axe on every page it meets.

A careful practitioner who suspects significant harm but is not sure the information is
accurate is still told to share: that doubt cannot change the outcome, so it is kept in
the record and does not send them to advice. A parent's refusal of an early help
referral, with no suspicion of harm and no public interest that outweighs it, is
respected: the guidance says do not share, and nothing on the way offers to share
without consent.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from jigsaw.db import Database
from jigsaw.sharing import decisions
from tests.conftest import World
from tests.scene import HARM_ANSWERS, Scene
from tests.web.conftest import AccessibilityChecks
from tests.web.test_sharing_journeys import (  # noqa: F401 (signed_in is a fixture)
    OpenPage,
    _continue,
    _heading,
    _name,
    _reference,
    answer_questions,
    signed_in,
    start_from_child,
)

pytestmark = pytest.mark.browser

OVERRIDE_WORDS = ("Why are you sharing without consent?", "Share without consent")
"""What a page offering to share despite the refusal would say."""


def _main_text(page: Page) -> str:
    return page.locator("main").inner_text()


def test_a_not_sure_that_cannot_change_the_outcome_still_leads_to_share(
    signed_in: OpenPage,  # noqa: F811
    world: World,
    db: Database,
    scene: Scene,
    axe_check: AccessibilityChecks,
) -> None:
    """Significant harm suspected and the recipient has a safeguarding role: the
    guidance says share whatever the accuracy. "Not sure" about accuracy is recorded,
    asks for a note to the recipient, and neither sends the practitioner to advice nor
    stops the sharing."""
    page = signed_in(world, scene.dsl)
    start_from_child(
        page,
        scene,
        _name(db, scene.social_worker),
        "Child protection enquiry (section 47)",
        axe_check,
    )
    answer_questions(page, {**HARM_ANSWERS, "accurate": "not_sure"}, axe_check)

    _heading(page, "Share the information")
    expect(page.get_by_role("heading", name="Share to protect the child")).to_be_visible()
    shown = _main_text(page)
    assert "Seek advice before you decide" not in shown
    assert "Do not share" not in shown
    assert "What you were not sure about" not in shown, "the doubt cannot change the outcome"
    axe_check(page, "recommendation-share-not-sure-accurate")
    _continue(page, "Continue to record your decision")

    _heading(page, "What have you decided?")
    expect(page.get_by_label("Share", exact=True)).to_be_checked()
    _continue(page)
    page.get_by_label("Why have you made this decision?").fill(
        "Bruising seen twice in a week; the second has not been checked by a nurse."
    )
    _continue(page)
    page.get_by_label("Public task", exact=True).check()
    _continue(page)
    page.get_by_label("No", exact=True).check()
    _continue(page)
    page.get_by_label("Telling them would put the child at greater risk").check()
    _continue(page)
    page.get_by_label("Day").fill("1")
    page.get_by_label("Month").fill("3")
    page.get_by_label("Year").fill("2099")
    _continue(page)
    _heading(page, "What should the recipient know about the accuracy")
    axe_check(page, "accuracy")
    page.get_by_role("textbox").fill("The second bruise has not been seen by a nurse yet.")
    _continue(page)

    _heading(page, "Check your answers before recording your decision")
    axe_check(page, "check-answers-not-sure-accurate")
    _continue(page, "Record decision")
    decision_id = _reference(page, "Decision")

    decision = decisions.view_decision(db, scene.dsl, decision_id)
    assert decision.recommendation == "share" and decision.followed_recommendation
    assert decision.recommendation_rules[0] == "significant_harm"
    assert decision.answers["accurate"] == "not_sure", "the doubt is kept in the record"
    assert decision.advice_request_ids == [], "no advice was needed to record it"
    assert decision.accuracy_caveats == "The second bruise has not been seen by a nurse yet."


def test_a_parents_refusal_of_early_help_is_respected_and_never_overridden(
    signed_in: OpenPage,  # noqa: F811
    world: World,
    db: Database,
    scene: Scene,
    axe_check: AccessibilityChecks,
) -> None:
    """A parent refused consent to an early help referral for the child's anxiety. With
    no suspicion of significant harm, no legal duty, and a public interest that does not
    outweigh the refusal, the guidance says do not share; the journey never asks for a
    reason to share without consent nor offers it."""
    page = signed_in(world, scene.dsl)
    start_from_child(
        page,
        scene,
        _name(db, scene.social_worker),
        "Early help for the child or family",
        axe_check,
    )
    answers = {
        "significant_harm": "no",
        "statutory_duty_or_court_order": "no",
        "recipient_role": "yes",
        "secure_and_timely": "yes",
        "legitimate_purpose": "yes",
        "identifies_living_person": "yes",
        "consent": "refused",
        "consent_from": "parent_or_carer",
        "child_in_need": "yes",
        "confidential": "yes",
        "public_interest": "no",
        "other_lawful_basis": "yes",
        "special_category_data": "yes",
    }
    answer_questions(page, answers, axe_check)
    seen: list[str] = []

    _heading(page, "Do not share the information")
    expect(
        page.get_by_role(
            "heading", name="Respect the refusal where the public interest does not outweigh it"
        )
    ).to_be_visible()
    shown = _main_text(page)
    seen.append(shown)
    assert "Seek advice before you decide" not in shown
    axe_check(page, "recommendation-refusal-respected")
    _continue(page, "Continue to record your decision")

    _heading(page, "What have you decided?")
    expect(page.get_by_label("Do not share", exact=True)).to_be_checked()
    seen.append(_main_text(page))
    _continue(page)
    _heading(page, "Which information are you not sharing?")
    seen.append(_main_text(page))
    for item in scene.items:
        page.get_by_label(item.summary, exact=False).check()
    _continue(page)
    page.get_by_label("Why have you made this decision?").fill(
        "Her mother does not want the referral; we will keep offering support in school."
    )
    _continue(page)
    _heading(page, "Check your answers")
    seen.append(_main_text(page))
    axe_check(page, "check-answers-refusal-respected")
    _continue(page, "Record decision")
    decision_id = _reference(page, "Decision")
    seen.append(_main_text(page))

    overriding = [text for text in seen if any(words in text for words in OVERRIDE_WORDS)]
    assert overriding == [], "no page on the way offered to share without consent"
    decision = decisions.view_decision(db, scene.dsl, decision_id)
    assert decision.outcome.value == "do_not_share" and decision.followed_recommendation
    assert decision.recommendation_rules[0] == "refusal_respected"
    assert decision.consent_override_justification == ""
    assert decision.answers["public_interest"] == "no"
    assert sorted(decision.withheld_item_ids) == sorted(i.id for i in scene.items)
