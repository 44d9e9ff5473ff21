"""Drafts kept on the server: sealed at rest, read only by the practitioner writing them,
gone when they expire or the journey ends, and never in the cookie beyond an id."""

from __future__ import annotations

import base64
import json
import random
import string
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from itsdangerous import TimestampSigner
from sqlalchemy import func, select, text
from starlette.requests import Request

from jigsaw import clock
from jigsaw.config import Settings
from jigsaw.consent.models import SharingPurpose
from jigsaw.db import Database
from jigsaw.drafts.models import PageDraft
from jigsaw.drafts.service import Owner
from jigsaw.errors import NotSignedIn
from jigsaw.guidance import load_edition
from jigsaw.identity import sessions
from jigsaw.identity.dependencies import SESSION_COOKIE
from jigsaw.policy.roles import Role
from jigsaw.protection.keyring import PREFIX
from jigsaw.sharing import decisions
from jigsaw.web import drafts
from jigsaw.web.drafts import DECISION_KEY, DecisionDraft, DisclosureDraft
from tests.conftest import SECRET_KEY, World
from tests.scene import HARM_ANSWERS, Scene
from tests.web.sharing_steps import (
    REVIEW,
    moved_to,
    post,
    record_steps,
    sign_in_as,
    to_recommendation,
)

REASONS = "Bruising on her left arm, seen twice this week by the class teacher."
SHARE_RECORD = {
    "outcome": {"outcome": "share"},
    "reasons": {"reasons": REASONS},
    "lawful-basis": {"lawful_basis": "6(1)(e)"},
    "family": {"family_informed": "no"},
    "not-told": {"not_told_reason": "risk_to_child"},
    "review": REVIEW,
}


def _cookie(client: TestClient) -> str:
    value = client.cookies.get(SESSION_COOKIE)
    assert isinstance(value, str) and value, "the journey keeps a session cookie"
    return value


def _session(client: TestClient) -> dict[str, Any]:
    """The session cookie's contents as Starlette signs them: base64 JSON, then the signature."""
    payload = _cookie(client).rsplit(".", 2)[0]
    session: dict[str, Any] = json.loads(base64.b64decode(payload))
    return session


def _signed(session: dict[str, Any]) -> str:
    """A session cookie as the app would sign it, for planting a draft id in another session."""
    payload = base64.b64encode(json.dumps(session).encode())
    return TimestampSigner(SECRET_KEY).sign(payload).decode()


def _owner(scene_actor: Any) -> Owner:
    assert scene_actor.practitioner_id is not None and scene_actor.agency_id is not None
    return Owner(scene_actor.practitioner_id, scene_actor.agency_id)


def _start(client: TestClient, token: str, scene: Scene) -> str:
    """From the child's record to the recommendation page, answering every question."""
    return to_recommendation(client, token, scene, HARM_ANSWERS)


def _to_check(client: TestClient, token: str, scene: Scene) -> str:
    url = moved_to(post(client, _start(client, token, scene), token))
    return record_steps(client, token, url, SHARE_RECORD)


def _draft(scene: Scene, reasons: str = REASONS) -> DecisionDraft:
    return DecisionDraft(
        subject_record_id=scene.child_record_id,
        edition="2024",
        answers=dict(HARM_ANSWERS),
        reasons=reasons,
    )


def _stored(db: Database, ident: int) -> dict[str, Any] | None:
    """The row as the database holds it, bypassing the ORM (and so the unsealing)."""
    with db.engine.connect() as conn:
        row = conn.execute(
            text("SELECT body, expires_at, practitioner_id FROM page_drafts WHERE id = :id"),
            {"id": ident},
        ).one_or_none()
    return None if row is None else dict(row._mapping)


def _exists(db: Database, ident: int) -> bool:
    with db.sessions() as session:
        count = session.scalar(select(func.count()).where(PageDraft.id == ident))
    return bool(count)


@pytest.fixture(autouse=True)
def _clock_runs(db: Database) -> Any:
    yield
    db.clock.hold(None)


# Through the web app


def test_the_cookie_holds_only_the_drafts_id_and_the_row_holds_it_sealed(
    client: TestClient, world: World, db: Database, scene: Scene
) -> None:
    token = sign_in_as(client, world, db, scene.dsl)
    url = _start(client, token, scene)
    record_steps(client, token, moved_to(post(client, url, token)), SHARE_RECORD)
    session = _session(client)
    ident = session[DECISION_KEY]
    assert isinstance(ident, int), "the cookie carries the draft's id and nothing of the draft"
    in_cookie = json.dumps(session)
    assert REASONS not in in_cookie
    for question in HARM_ANSWERS:
        assert question not in in_cookie
    assert SharingPurpose.CHILD_PROTECTION_ENQUIRY.value not in in_cookie

    stored = _stored(db, ident)
    assert stored is not None and stored["practitioner_id"] == scene.dsl.practitioner_id
    assert stored["body"].startswith(PREFIX), "the body is sealed at rest"
    assert REASONS not in stored["body"] and "child_protection" not in stored["body"]
    opened = drafts.read(db, _owner(scene.dsl), DecisionDraft, ident)
    assert opened is not None and opened.reasons == REASONS
    assert opened.answers.items() <= HARM_ANSWERS.items() and opened.answers


def test_the_draft_still_carries_the_answers_from_page_to_page(
    client: TestClient, world: World, db: Database, scene: Scene
) -> None:
    token = sign_in_as(client, world, db, scene.dsl)
    check = client.get(_to_check(client, token, scene))
    assert check.status_code == 200
    assert REASONS in check.text
    assert "Public task" in check.text


def test_a_huge_draft_survives_across_requests_without_growing_the_cookie(
    client: TestClient, world: World, db: Database, scene: Scene
) -> None:
    """Random text barely compresses: once this overflowed a draft kept in the cookie."""
    token = sign_in_as(client, world, db, scene.dsl)
    url = moved_to(post(client, _start(client, token, scene), token))
    assert url.endswith("/outcome")
    small = len(_cookie(client))
    url = moved_to(post(client, url, token, {"outcome": "do_not_share"}))
    assert url.endswith("/departure")
    shuffle = random.Random(20240601)
    letters = string.ascii_letters + string.digits
    departure = "".join(shuffle.choices(letters, k=1000))
    reasons = "".join(shuffle.choices(letters, k=1500))
    url = moved_to(post(client, url, token, {"departure_reason": departure}))
    assert url.endswith("/held-back")
    held = str(scene.items[0].id)
    url = moved_to(post(client, url, token, {"withheld_item_ids": held}))
    assert url.endswith("/reasons")
    check = moved_to(post(client, url, token, {"reasons": reasons}))
    assert check.endswith("/check")

    page = client.get(check)
    assert page.status_code == 200
    assert departure in page.text and reasons in page.text, "the whole draft came back"
    assert len(_cookie(client)) <= small + 16, "the cookie did not grow with the answers"
    assert len(_cookie(client)) < 600


def test_a_draft_id_planted_in_another_practitioners_session_is_no_draft(
    app: FastAPI, client: TestClient, world: World, db: Database, scene: Scene
) -> None:
    token = sign_in_as(client, world, db, scene.dsl)
    check = _to_check(client, token, scene)
    ident = _session(client)[DECISION_KEY]
    other_dsl = world.actor(world.practitioner(scene.school, Role.DSL))

    with TestClient(app) as other:
        sign_in_as(other, world, db, other_dsl)
        assert other.get(check, follow_redirects=False).status_code == 303, "no draft of theirs"
        session = _session(other)
        session[DECISION_KEY] = ident
        other.cookies.clear()
        other.cookies.set(SESSION_COOKIE, _signed(session))
        response = other.get(check, follow_redirects=False)
        assert response.status_code == 303
        assert moved_to(response) == f"/children/{scene.child_record_id}/share/recipient"
        assert REASONS not in response.text

    assert drafts.read(db, _owner(other_dsl), DecisionDraft, ident) is None
    assert client.get(check).status_code == 200, "it still opens for the one who wrote it"


def test_another_practitioner_cannot_read_or_overwrite_someones_draft(
    db: Database, world: World, scene: Scene
) -> None:
    mine, theirs = _owner(scene.dsl), _owner(world.actor(world.practitioner(scene.school)))
    ends = clock.utcnow() + timedelta(hours=1)
    ident = drafts.write(db, mine, _draft(scene), None, ends)

    assert drafts.read(db, theirs, DecisionDraft, ident) is None
    written = drafts.write(db, theirs, _draft(scene, "Not what was written"), ident, ends)
    assert written != ident, "writing to someone else's id makes a draft of one's own"
    kept = drafts.read(db, mine, DecisionDraft, ident)
    assert kept is not None and kept.reasons == REASONS
    assert drafts.read(db, mine, DisclosureDraft, ident) is None, "nor as another kind"


def test_a_draft_lasts_no_longer_than_the_session_that_started_it(
    client: TestClient, settings: Settings, world: World, db: Database, scene: Scene
) -> None:
    token = sign_in_as(client, world, db, scene.dsl)
    _start(client, token, scene)
    session = _session(client)
    state = sessions.read(session)
    assert state is not None
    ends = state.started_at + timedelta(seconds=settings.session_max_age_seconds)
    with db.sessions() as reading:
        row = reading.get(PageDraft, session[DECISION_KEY])
        assert row is not None
        assert abs((row.expires_at - ends).total_seconds()) < 1


def test_expired_drafts_are_no_draft_and_are_deleted_by_the_next_write(
    db: Database, world: World, scene: Scene
) -> None:
    mine = _owner(scene.dsl)
    now = clock.utcnow()
    expiring = drafts.write(db, mine, _draft(scene), None, now + timedelta(minutes=5))
    lasting = drafts.write(db, mine, _draft(scene), None, now + timedelta(hours=5))

    db.clock.hold(now + timedelta(minutes=6))
    assert drafts.read(db, mine, DecisionDraft, expiring) is None
    assert _exists(db, expiring), "nothing has been written since it expired"
    someone_else = _owner(world.actor(world.practitioner(scene.school)))
    drafts.write(db, someone_else, _draft(scene), None, now + timedelta(hours=1))
    assert not _exists(db, expiring), "any write clears every expired draft"
    assert drafts.read(db, mine, DecisionDraft, lasting) is not None


def test_recording_the_decision_deletes_its_draft(
    client: TestClient, world: World, db: Database, scene: Scene
) -> None:
    token = sign_in_as(client, world, db, scene.dsl)
    check = _to_check(client, token, scene)
    ident = _session(client)[DECISION_KEY]
    assert moved_to(post(client, check, token)).startswith("/decisions/")
    assert DECISION_KEY not in _session(client)
    assert not _exists(db, ident)


def test_signing_out_deletes_the_practitioners_drafts(
    client: TestClient, world: World, db: Database, scene: Scene
) -> None:
    token = sign_in_as(client, world, db, scene.dsl)
    _start(client, token, scene)
    ident = _session(client)[DECISION_KEY]
    assert _exists(db, ident)
    assert post(client, "/sign-out", token).status_code == 303
    assert not _exists(db, ident)


def test_a_draft_left_in_a_cookie_by_the_older_version_is_no_draft(
    app: FastAPI, world: World, db: Database, scene: Scene
) -> None:
    """Drafts once rode sealed in the cookie as text; after the upgrade they are not read."""
    with TestClient(app) as client:
        token = sign_in_as(client, world, db, scene.dsl)
        check = _to_check(client, token, scene)
        session = _session(client)
        session[DECISION_KEY] = base64.urlsafe_b64encode(b"\x00" * 64).decode()
        client.cookies.clear()
        client.cookies.set(SESSION_COOKIE, _signed(session))
        response = client.get(check, follow_redirects=False)
        assert moved_to(response) == f"/children/{scene.child_record_id}/share/recipient"


def test_saving_a_draft_needs_a_signed_in_practitioner(app: FastAPI, scene: Scene) -> None:
    """Without an owner there is nothing to bind the draft to, so nothing is kept."""
    request = Request({"type": "http", "app": app, "session": {}, "state": {}})
    assert drafts.load_decision(request, scene.child_record_id) is None
    with pytest.raises(NotSignedIn):
        drafts.save_decision(request, _draft(scene))
    assert request.session == {}


def test_a_draft_started_under_an_older_edition_moves_to_the_current_one(
    client: TestClient, world: World, db: Database, scene: Scene
) -> None:
    """A new edition may come out while a decision is half made: it is finished, and
    recorded, under the current edition, and an answer the current edition no longer
    offers (the 2018 "consent not sought") is asked again rather than carried over."""
    current = load_edition(None).edition
    token = sign_in_as(client, world, db, scene.dsl)
    check = _to_check(client, token, scene)
    ident = _session(client)[DECISION_KEY]
    owner = _owner(scene.dsl)
    draft = drafts.read(db, owner, DecisionDraft, ident)
    assert draft is not None and draft.edition == current
    older = draft.model_copy(
        update={
            "edition": "2018-07",
            "answers": {**draft.answers, "consent": "not_sought", "no_such_question": "yes"},
        }
    )
    drafts.write(db, owner, older, ident, clock.utcnow() + timedelta(hours=1))

    moved = drafts.on_current_edition(older)
    assert moved.edition == current
    assert "consent" not in moved.answers and "no_such_question" not in moved.answers
    assert moved.answers == {k: v for k, v in draft.answers.items() if k != "consent"}
    assert moved.reasons == draft.reasons, "the rest of the draft is kept"

    asked = moved_to(client.get(check, follow_redirects=False))
    assert asked.endswith("/questions/consent"), "the dropped answer is asked again"
    url = moved_to(post(client, asked, token, {"answer": HARM_ANSWERS["consent"]}))
    assert url.endswith("/recommendation")
    url = moved_to(post(client, url, token))
    assert url == check, "nothing else is asked again"
    recorded = moved_to(post(client, url, token))
    assert recorded.startswith("/decisions/")
    decision = decisions.view_decision(db, scene.dsl, int(recorded.rsplit("/", 1)[1]))
    assert decision.guidance_edition == current
