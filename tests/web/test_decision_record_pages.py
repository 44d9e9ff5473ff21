"""The decision's record pages keep to practice: advice the guidance says to seek is linked
or the reason it could not wait is given, whatever is decided; the family is not told
after the practitioner said that would increase the risk; a competent young person may
ask that their parents are not told; and the recommendation quotes the advice's words."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta
from html import unescape

import pytest
from fastapi.testclient import TestClient

from jigsaw import clock
from jigsaw.db import Database
from jigsaw.errors import InvalidInput
from jigsaw.guidance import load_edition
from jigsaw.sharing import advice, decisions
from jigsaw.sharing.models import DecisionOutcome, NotToldReason
from jigsaw.sharing.requirements import NO_WORDS
from jigsaw.sharing.schemas import AdviceAnswerIn, AdviceIn
from jigsaw.web import drafts
from jigsaw.web.drafts import DECISION_KEY, DecisionDraft
from tests.conftest import World
from tests.scene import HARM_ANSWERS, Scene
from tests.web.sharing_steps import (
    REVIEW,
    answer_questions,
    moved_to,
    post,
    record_steps,
    sign_in_as,
    to_recommendation,
)
from tests.web.test_drafts import _owner, _session

UNSURE = {**HARM_ANSWERS, "significant_harm": "not_sure"}
"""Not sure whether a child is at risk of significant harm: seek advice today."""
URGENT = "Out of hours: the DSL and the duty social worker could not be reached."
REASONS = "The MASH already holds this from the GP; nothing here adds to it."
SHARE_RECORD = {
    "outcome": {"outcome": "share"},
    "reasons": {"reasons": "Bruising seen twice in a week; the MASH is screening a referral."},
    "lawful-basis": {"lawful_basis": "6(1)(e)"},
    "family": {"family_informed": "no"},
    "not-told": {"not_told_reason": "risk_to_child"},
    "review": REVIEW,
}


def _not_sharing(scene: Scene) -> dict[str, Mapping[str, object]]:
    return {
        "outcome": {"outcome": "do_not_share"},
        "departure": {"departure_reason": "The MASH already has this from the GP."},
        "held-back": {"withheld_item_ids": str(scene.items[0].id)},
        "reasons": {"reasons": REASONS},
        "consent": {"consent_position": "not_sought_would_increase_risk"},
    }


def _until(
    client: TestClient, token: str, url: str, step: str, values: Mapping[str, Mapping[str, object]]
) -> str:
    """Fill each record page from ``values`` until the journey reaches ``step``."""
    while not url.endswith(f"/{step}"):
        at = url.rsplit("/share/", 1)[1]
        assert at in values, f"the journey asked {at} before {step}"
        url = moved_to(post(client, url, token, values[at]))
    return url


def _text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def _error(html: str, field: str) -> str:
    found = re.search(rf'<p id="{field}-error" class="govuk-error-message">(.*?)</p>', html, re.S)
    assert found, f"no error shown on {field}"
    return _text(found.group(1)).removeprefix("Error:").strip()


def _answered_advice(db: Database, scene: Scene) -> int:
    asked = advice.ask(
        db,
        scene.dsl,
        AdviceIn(
            subject_record_id=scene.child_record_id,
            to_practitioner_id=scene.social_worker.practitioner_id,
            case_summary="A pupil with repeated bruising, account inconsistent.",
            question="Should the MASH have this tonight?",
        ),
    )
    advice.answer(db, scene.social_worker, asked.id, AdviceAnswerIn(answer="Not tonight."))
    return asked.id


def test_the_seek_advice_recommendation_puts_asking_first_and_says_what_the_record_needs(
    client: TestClient, world: World, db: Database, scene: Scene
) -> None:
    token = sign_in_as(client, world, db, scene.dsl)
    url = to_recommendation(client, token, scene, UNSURE)
    page = client.get(url).text
    buttons = re.findall(r'<a href="([^"]+)"[^>]*class="govuk-button( [^"]*)?"', page)
    assert buttons and buttons[0][0].endswith("/ask-advice") and not buttons[0][1], (
        "asking for advice is the main action"
    )
    assert "govuk-button--secondary" in page.split("Continue to record your decision")[0][-300:]
    said = _text(page)
    assert (
        "your record must link the advice you had, or say why your decision could not wait" in said
    )


def test_not_sharing_after_advice_to_seek_advice_needs_advice_or_why_it_could_not_wait(
    client: TestClient, world: World, db: Database, scene: Scene
) -> None:
    token = sign_in_as(client, world, db, scene.dsl)
    url = moved_to(post(client, to_recommendation(client, token, scene, UNSURE), token))
    base = f"/children/{scene.child_record_id}/share"
    url = _until(client, token, url, "advice", _not_sharing(scene))
    assert "you will be asked why it could not wait" in _text(client.get(url).text)
    assert moved_to(client.get(f"{base}/check", follow_redirects=False)) == f"{base}/advice"
    url = moved_to(post(client, url, token))
    assert url == f"{base}/could-not-wait"
    assert moved_to(client.get(f"{base}/check", follow_redirects=False)) == url, (
        "the check page is out of reach with neither advice nor a reason"
    )
    blank = post(client, url, token, {"urgent_reason": "  "})
    assert blank.status_code == 422
    assert _error(blank.text, "urgent_reason") == (
        "Say why this decision could not wait for advice, or link the advice you had"
    )
    for wordless in ("-", "\u200b"):
        dash = post(client, url, token, {"urgent_reason": wordless})
        assert dash.status_code == 422, "a dash or an invisible character is not a reason"
        assert _error(dash.text, "urgent_reason") == NO_WORDS
    check = moved_to(post(client, url, token, {"urgent_reason": URGENT}))
    assert check == f"{base}/check"
    assert "Why your decision could not wait for advice" in client.get(check).text
    recorded = moved_to(post(client, check, token))
    decision = decisions.view_decision(db, scene.dsl, int(recorded.rsplit("/", 1)[1]))
    assert decision.outcome is DecisionOutcome.DO_NOT_SHARE
    assert decision.recommendation == "seek_advice"
    assert decision.urgent_reason == URGENT and decision.advice_request_ids == []
    confirmation = _text(client.get(recorded).text)
    assert f"Why the decision could not wait for advice {URGENT}" in confirmation


def test_the_service_refuses_what_the_pages_refuse(db: Database, scene: Scene) -> None:
    refusal = {
        "answers": UNSURE,
        "outcome": DecisionOutcome.DO_NOT_SHARE,
        "departure_reason": "The MASH already has this from the GP.",
        "family_informed": False,
        "not_told_reason": None,
        "not_told_review_on": None,
    }
    with pytest.raises(InvalidInput) as caught:
        scene.share(db, **refusal)
    assert [p.field for p in caught.value.problems] == ["advice_request_ids"]
    assert scene.share(db, **refusal, urgent_reason=URGENT).urgent_reason == URGENT


def test_linked_advice_lets_a_decision_not_to_share_through_without_a_reason_to_hurry(
    client: TestClient, world: World, db: Database, scene: Scene
) -> None:
    advice_id = _answered_advice(db, scene)
    token = sign_in_as(client, world, db, scene.dsl)
    url = moved_to(post(client, to_recommendation(client, token, scene, UNSURE), token))
    url = _until(client, token, url, "advice", _not_sharing(scene))
    check = moved_to(post(client, url, token, {"advice_request_ids": str(advice_id)}))
    assert check.endswith("/check"), "no reason to hurry is asked once advice is linked"
    assert "Should the MASH have this tonight?" in client.get(check).text
    recorded = moved_to(post(client, check, token))
    decision = decisions.view_decision(db, scene.dsl, int(recorded.rsplit("/", 1)[1]))
    assert decision.advice_request_ids == [advice_id] and decision.urgent_reason == ""
    confirmation = client.get(recorded).text
    assert f'href="/advice/{advice_id}"' in confirmation
    assert "Advice linked" in confirmation


def test_telling_the_family_after_saying_it_would_increase_the_risk_is_refused_on_the_page(
    client: TestClient, world: World, db: Database, scene: Scene
) -> None:
    """The harm path settles without asking whether telling them would increase the risk,
    so the answer is put in the draft as an edition that asks it would leave it."""
    token = sign_in_as(client, world, db, scene.dsl)
    url = moved_to(post(client, to_recommendation(client, token, scene, HARM_ANSWERS), token))
    url = _until(client, token, url, "family", SHARE_RECORD)
    owner, ident = _owner(scene.dsl), _session(client)[DECISION_KEY]
    draft = drafts.read(db, owner, DecisionDraft, ident)
    assert draft is not None
    draft.answers = {**draft.answers, "informing_family_increases_risk": "yes"}
    drafts.write(db, owner, draft, ident, clock.utcnow() + timedelta(hours=1))
    told = post(client, url, token, {"family_informed": "yes"})
    assert told.status_code == 422
    assert _error(told.text, "family_informed") == (
        "You answered that telling the child or family would increase the risk to the "
        "child: do not tell them, or change that answer"
    )
    assert moved_to(post(client, url, token, {"family_informed": "no"})).endswith("/not-told")


def test_a_competent_young_person_asking_that_parents_are_not_told_is_a_reason(
    client: TestClient, world: World, db: Database, scene: Scene
) -> None:
    token = sign_in_as(client, world, db, scene.dsl)
    url = moved_to(post(client, to_recommendation(client, token, scene, HARM_ANSWERS), token))
    url = _until(client, token, url, "not-told", SHARE_RECORD)
    label = "A young person competent to decide asked that their parents are not told"
    page = client.get(url).text
    assert label in page and 'value="young_person_asked"' in page
    asked = {**SHARE_RECORD, "not-told": {"not_told_reason": "young_person_asked"}}
    check = record_steps(client, token, url, asked)
    assert label in client.get(check).text
    recorded = moved_to(post(client, check, token))
    decision = decisions.view_decision(db, scene.dsl, int(recorded.rsplit("/", 1)[1]))
    assert decision.not_told_reason is NotToldReason.YOUNG_PERSON_ASKED


def test_the_recommendation_quotes_each_golden_rule_and_calls_the_rest_a_summary(
    client: TestClient, world: World, db: Database, scene: Scene
) -> None:
    token = sign_in_as(client, world, db, scene.dsl)
    page = client.get(to_recommendation(client, token, scene, HARM_ANSWERS)).text
    said = _text(page)
    edition = load_edition("2024-05")
    for rule_id in ("GR1", "GR3", "GR6"):
        golden = edition.golden_rule(rule_id)
        assert golden.quote is not None
        assert f"“{golden.quote}”" in said, rule_id
        assert f"<cite>{golden.citation}</cite>" in page
        assert f"In short: {golden.title}. {golden.explanation}" in said
    assert page.count("<blockquote") == 3


def test_the_recommendation_lists_what_the_practitioner_was_not_sure_about(
    client: TestClient, world: World, db: Database, scene: Scene
) -> None:
    token = sign_in_as(client, world, db, scene.dsl)
    unsure = {
        **HARM_ANSWERS,
        "significant_harm": "no",
        "legitimate_purpose": "not_sure",
        "consent_from": "parent_or_carer",
        "young_person_competent": "no",
        "public_interest": "no",
    }
    page = client.get(to_recommendation(client, token, scene, unsure)).text
    question = load_edition("2024-05").question("legitimate_purpose")
    doubts = page.split('id="not-sure"', 1)[1].split("</ul>", 1)[0]
    assert question.text in unescape(doubts)
    change = f"/children/{scene.child_record_id}/share/questions/legitimate_purpose"
    assert f'href="{change}"' in doubts
    assert client.get(change).status_code == 200, "the answer can be changed from there"
    url = answer_questions(client, token, change, {**unsure, "legitimate_purpose": "no"})
    assert url.endswith("/recommendation")
    assert 'id="not-sure"' not in client.get(url).text, "sure now: nothing listed"


def test_under_significant_harm_no_page_steers_to_leaving_details_out(
    client: TestClient, world: World, db: Database, scene: Scene
) -> None:
    """Where significant harm is suspected the guidance names the condition that lets the
    health details showing the risk be shared; "none applies: leave it out" (sharing in
    part) is not offered, and sharing in full goes through."""
    token = sign_in_as(client, world, db, scene.dsl)
    special = {**HARM_ANSWERS, "special_category_data": "yes"}
    url = moved_to(post(client, to_recommendation(client, token, scene, special), token))
    values = {**SHARE_RECORD, "special-category": {"art9_condition": "9(2)(g)+DPA2018 Sch1 para18"}}
    url = _until(client, token, url, "special-category", values)
    page = client.get(url).text
    assert 'value="none"' not in page and "None applies" not in page
