"""A shorter decision journey: questions that cannot change the recommendation are skipped
and the record says so; a review date when the family is not told; the items a decision
not to share held back."""

from __future__ import annotations

from datetime import timedelta
from html import unescape

from fastapi.testclient import TestClient

from jigsaw.clock import today
from jigsaw.consent.models import SharingPurpose
from jigsaw.db import Database
from jigsaw.guidance import load_edition, recommend
from jigsaw.sharing import decisions
from tests.conftest import World
from tests.scene import HARM_ANSWERS, Scene
from tests.web.sharing_steps import (
    REVIEW,
    moved_to,
    post,
    record_steps,
    sign_in_as,
    start_from_child,
)

SHARE_RECORD = {
    "outcome": {"outcome": "share"},
    "reasons": {"reasons": "Bruising seen twice in a week; the MASH is screening a referral."},
    "lawful-basis": {"lawful_basis": "6(1)(e)"},
    "family": {"family_informed": "no"},
    "not-told": {"not_told_reason": "risk_to_child"},
    "review": REVIEW,
}


HARM_PATH_PAGES = 10
"""Question pages the harm answers meet on edition version 2024-05.2: significant harm,
whether the recipient has a safeguarding role and whether it can go securely in time
decide the outcome; the rest are only those the record depends on (its fields, and
whether to tell the family or record why not)."""

HARM_PATH_PAGES_BEFORE = 11
"""The same journey on version 2024-05.1, which asked significant harm after the
purpose, personal data and confidentiality questions."""


def _questions_until_decided() -> int:
    """How many questions the harm answers needed when every question the engine's
    three-valued logic named was asked, before skipping."""
    edition = load_edition("2024-05")
    asked: dict[str, str] = {}
    while (found := recommend(edition, asked)).unanswered:
        asked[found.unanswered[0]] = HARM_ANSWERS[found.unanswered[0]]
    return len(asked)


def _start(client: TestClient, token: str, scene: Scene) -> str:
    return start_from_child(
        client,
        token,
        scene.child_record_id,
        scene.mash.id,
        str(scene.social_worker.practitioner_id),
        SharingPurpose.CHILD_PROTECTION_ENQUIRY.value,
    )


def test_the_significant_harm_path_is_shorter_and_the_record_shows_what_was_skipped(
    client: TestClient, world: World, db: Database, scene: Scene
) -> None:
    token = sign_in_as(client, world, db, scene.dsl)
    url = _start(client, token, scene)
    pages: list[str] = []
    while "/questions/" in url:
        question = url.rsplit("/", 1)[1]
        pages.append(question)
        url = moved_to(post(client, url, token, {"answer": HARM_ANSWERS[question]}))
    assert url.endswith("/recommendation")
    assert len(pages) <= _questions_until_decided()
    assert len(pages) == HARM_PATH_PAGES < HARM_PATH_PAGES_BEFORE, pages
    assert pages[0] == "significant_harm", "harm is asked first, as it decides on its own"
    assert "informing_family_increases_risk" in pages, "it says whether to tell the family"
    cannot_matter = {"legitimate_purpose", "confidential", "child_in_need", "public_interest"}
    assert cannot_matter.isdisjoint(pages), "questions that cannot change sharing are skipped"

    check = record_steps(client, token, moved_to(post(client, url, token)), SHARE_RECORD)
    page = unescape(client.get(check).text)
    edition = load_edition("2024-05")
    skipped = [q for q in edition.questions if q.id not in pages]
    assert "Questions not asked" in page
    assert "your answers already lead to “Share to protect the child”" in page
    assert all(q.text in page for q in skipped)
    assert "When you will review not telling them" in page and "1 March 2099" in page

    decision_id = int(moved_to(post(client, check, token)).rsplit("/", 1)[1])
    decision = decisions.view_decision(db, scene.dsl, decision_id)
    assert list(decision.answers) == sorted(pages), "every answer given, and only those"
    assert [s.question for s in decision.skipped_questions] == [q.id for q in skipped]
    assert decision.recommendation == "share"
    assert decision.not_told_review_on is not None
    recorded = unescape(client.get(f"/decisions/{decision_id}").text)
    assert "What the record holds" in recorded and "Questions not asked" in recorded
    assert all(q.text in recorded for q in edition.questions)
    assert "When not telling the family will be reviewed" in recorded


def test_not_telling_the_family_needs_a_review_date_today_or_later(
    client: TestClient, world: World, db: Database, scene: Scene
) -> None:
    token = sign_in_as(client, world, db, scene.dsl)
    url = _start(client, token, scene)
    while "/questions/" in url:
        question = url.rsplit("/", 1)[1]
        url = moved_to(post(client, url, token, {"answer": HARM_ANSWERS[question]}))
    steps = {k: v for k, v in SHARE_RECORD.items() if k != "review"}
    url = moved_to(post(client, url, token))
    while not url.endswith("/review"):
        url = moved_to(post(client, url, token, steps[url.rsplit("/share/", 1)[1]]))

    blank = post(client, url, token)
    assert blank.status_code == 422
    assert "Enter the date you will review not telling them" in blank.text
    yesterday = today() - timedelta(days=1)
    past = post(
        client,
        url,
        token,
        {
            "not_told_review_on-day": yesterday.day,
            "not_told_review_on-month": yesterday.month,
            "not_told_review_on-year": yesterday.year,
        },
    )
    assert past.status_code == 422
    assert "The review date must be today or in the future" in past.text
    check = client.get(f"/children/{scene.child_record_id}/share/check", follow_redirects=False)
    assert moved_to(check).endswith("/review"), "the check page waits for the date"
    assert moved_to(post(client, url, token, REVIEW)).endswith("/check")
