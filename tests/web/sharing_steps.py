"""Driving the sharing pages through a TestClient, as a browser without JavaScript would."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlparse

from fastapi.testclient import TestClient
from httpx import Response

from jigsaw.consent.models import SharingPurpose
from jigsaw.db import Database
from jigsaw.identity import service as accounts
from jigsaw.policy.actor import Actor
from tests.conftest import World
from tests.scene import Scene
from tests.web.helpers import form_token, sign_in_through_the_page

REVIEW = {
    "not_told_review_on-day": "1",
    "not_told_review_on-month": "3",
    "not_told_review_on-year": "2099",
}
"""The review date page's three boxes, for a journey where the family is not told."""


def sign_in_as(client: TestClient, world: World, db: Database, actor: Actor) -> str:
    """Sign the actor in on the pages; returns the session's form token."""
    assert actor.practitioner_id is not None
    sign_in_through_the_page(client, world, accounts.get_practitioner(db, actor.practitioner_id))
    return form_token(client.get("/").text)


def post(
    client: TestClient, url: str, token: str, data: Mapping[str, object] | None = None
) -> Response:
    """Post a form as a browser would, with the session's token, and do not follow on."""
    body: dict[str, Any] = {"csrf_token": token, **(data or {})}
    response: Response = client.post(url, data=body, follow_redirects=False)
    return response


def moved_to(response: Response) -> str:
    assert response.status_code == 303, response.text[:2000]
    return urlparse(response.headers["location"]).path


def answer_questions(client: TestClient, token: str, url: str, answers: Mapping[str, str]) -> str:
    """Answer each question page the journey asks, from ``answers`` by question, until it
    moves past the questions.

    The journey, not the caller, chooses which questions come and in what order (it
    asks only what can still change the recommendation), so the answers are looked up by
    the question on the page. A question the caller has no answer for fails the test by
    name, with the questions asked so far: it means the journey needs an answer the
    test did not expect it to.
    """
    asked: list[str] = []
    while "/questions/" in url:
        question = url.rsplit("/", 1)[1]
        assert question in answers, (
            f"the journey asked {question!r}, which these answers do not answer "
            f"(asked so far: {asked})"
        )
        asked.append(question)
        url = moved_to(post(client, url, token, {"answer": answers[question]}))
    return url


def record_steps(
    client: TestClient, token: str, url: str, values: Mapping[str, Mapping[str, object]]
) -> str:
    """Fill each record page the journey shows, from ``values`` by step, until the check page."""
    while not url.endswith("/check"):
        step = url.rsplit("/share/", 1)[1]
        url = moved_to(post(client, url, token, values[step]))
    return url


def start_from_child(
    client: TestClient, token: str, record_id: int, agency_id: int, person: str, purpose: str
) -> str:
    base = f"/children/{record_id}/share"
    assert client.get(f"{base}/recipient").status_code == 200
    url = moved_to(post(client, f"{base}/recipient", token, {"recipient_agency_id": agency_id}))
    assert url == f"{base}/recipient-person"
    url = moved_to(post(client, url, token, {"recipient_practitioner_id": person}))
    assert url == f"{base}/purpose"
    return moved_to(post(client, url, token, {"purpose": purpose}))


def to_recommendation(
    client: TestClient, token: str, scene: Scene, answers: Mapping[str, str]
) -> str:
    """The scene's DSL asks to share with the MASH social worker and answers every question."""
    url = start_from_child(
        client,
        token,
        scene.child_record_id,
        scene.mash.id,
        str(scene.social_worker.practitioner_id),
        SharingPurpose.CHILD_PROTECTION_ENQUIRY.value,
    )
    url = answer_questions(client, token, url, answers)
    assert url.endswith("/recommendation")
    return url
