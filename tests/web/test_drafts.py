"""Drafts in the session cookie: encrypted for the practitioner writing them, unreadable
to anyone holding the cookie, and no draft at all when they do not open."""

from __future__ import annotations

import base64
import json
import os
import random
import string
import zlib
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from itsdangerous import TimestampSigner
from starlette.requests import Request

from jigsaw.access.keys import AccountKeys
from jigsaw.agencies.roles import Role
from jigsaw.app import SESSION_COOKIE
from jigsaw.consent.models import SharingPurpose
from jigsaw.db import Database
from jigsaw.errors import NotSignedIn
from jigsaw.protection.keys import LocalMasterKey
from jigsaw.web import drafts
from jigsaw.web.drafts import (
    BUDGET,
    DECISION_KEY,
    DISCLOSURE_KEY,
    DecisionDraft,
    DraftTooLarge,
    Owner,
    seal,
    unseal,
)
from jigsaw.web.record_pages import TOO_LONG
from tests.conftest import ACCOUNTS, SECRET_KEY, World
from tests.scene import HARM_ANSWERS, Scene
from tests.web.sharing_steps import (
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
}


def _session(client: TestClient) -> dict[str, Any]:
    """The session cookie's contents as Starlette signs them: base64 JSON, then the signature."""
    value = client.cookies.get(SESSION_COOKIE)
    assert value, "the journey keeps a session cookie"
    payload = value.rsplit(".", 2)[0]
    session: dict[str, Any] = json.loads(base64.b64decode(payload))
    return session


def _signed(session: dict[str, Any]) -> str:
    """A session cookie as the app would sign it, for moving a draft between sessions."""
    payload = base64.b64encode(json.dumps(session).encode())
    return TimestampSigner(SECRET_KEY).sign(payload).decode()


def _owner(practitioner_id: int | None) -> Owner:
    assert practitioner_id is not None
    return Owner(practitioner_id, ACCOUNTS.keys)


def _start(client: TestClient, token: str, scene: Scene) -> str:
    """From the child's record to the recommendation page, answering every question."""
    return to_recommendation(client, token, scene, HARM_ANSWERS)


def _to_check(client: TestClient, token: str, scene: Scene) -> str:
    url = moved_to(post(client, _start(client, token, scene), token))
    return record_steps(client, token, url, SHARE_RECORD)


def _draft(scene: Scene) -> DecisionDraft:
    return DecisionDraft(
        subject_record_id=scene.child_record_id,
        edition="2024",
        answers=dict(HARM_ANSWERS),
        reasons=REASONS,
    )


# Through the web app


def test_the_cookie_holds_the_draft_encrypted_not_the_answers_or_reasons(
    client: TestClient, world: World, db: Database, scene: Scene
) -> None:
    token = sign_in_as(client, world, db, scene.dsl)
    url = _start(client, token, scene)
    session = _session(client)
    assert DECISION_KEY in session
    in_cookie = json.dumps(session)
    for question in HARM_ANSWERS:
        assert question not in in_cookie
    assert SharingPurpose.CHILD_PROTECTION_ENQUIRY.value not in in_cookie

    record_steps(client, token, moved_to(post(client, url, token)), SHARE_RECORD)
    session = _session(client)
    raw = base64.urlsafe_b64decode(session[DECISION_KEY])
    assert REASONS not in json.dumps(session) and REASONS.encode() not in raw
    with pytest.raises(zlib.error):
        zlib.decompress(raw)  # the old format was only compressed: anyone could inflate it
    opened = unseal(DecisionDraft, _owner(scene.dsl.practitioner_id), session[DECISION_KEY])
    assert opened is not None, "what the cookie holds is the practitioner's sealed draft"
    assert opened.reasons == REASONS
    assert opened.answers.items() <= HARM_ANSWERS.items() and opened.answers


def test_the_draft_still_carries_the_answers_from_page_to_page(
    client: TestClient, world: World, db: Database, scene: Scene
) -> None:
    token = sign_in_as(client, world, db, scene.dsl)
    check = client.get(_to_check(client, token, scene))
    assert check.status_code == 200
    assert REASONS in check.text
    assert "Public task" in check.text


def test_a_draft_moved_into_another_practitioners_session_is_no_draft(
    app: FastAPI, client: TestClient, world: World, db: Database, scene: Scene
) -> None:
    token = sign_in_as(client, world, db, scene.dsl)
    check = _to_check(client, token, scene)
    sealed = _session(client)[DECISION_KEY]
    other_dsl = world.actor(world.practitioner(scene.school, Role.DSL))

    with TestClient(app) as other:
        sign_in_as(other, world, db, other_dsl)
        assert other.get(check, follow_redirects=False).status_code == 303, "no draft of theirs"
        session = _session(other)
        session[DECISION_KEY] = sealed
        other.cookies.clear()
        other.cookies.set(SESSION_COOKIE, _signed(session))
        response = other.get(check, follow_redirects=False)
        assert response.status_code == 303
        assert moved_to(response) == f"/children/{scene.child_record_id}/share/recipient"

    assert client.get(check).status_code == 200, "it still opens for the one who wrote it"


def test_text_too_long_for_the_cookie_asks_for_shorter_text(
    client: TestClient, world: World, db: Database, scene: Scene
) -> None:
    """Random text barely compresses, so a long departure reason and reasons overflow."""
    token = sign_in_as(client, world, db, scene.dsl)
    url = moved_to(post(client, _start(client, token, scene), token))
    assert url.endswith("/outcome")
    url = moved_to(post(client, url, token, {"outcome": "do_not_share"}))
    assert url.endswith("/departure")
    shuffle = random.Random(20240601)
    letters = string.ascii_letters + string.digits + string.punctuation
    url = moved_to(
        post(client, url, token, {"departure_reason": "".join(shuffle.choices(letters, k=1000))})
    )
    assert url.endswith("/reasons")
    response = post(client, url, token, {"reasons": "".join(shuffle.choices(letters, k=1500))})
    assert response.status_code == 422
    assert TOO_LONG in response.text
    kept = unseal(DecisionDraft, _owner(scene.dsl.practitioner_id), _session(client)[DECISION_KEY])
    assert kept is not None and kept.reasons == "", "the draft before the long text is kept"


# The sealing itself


def test_a_draft_sealed_for_one_practitioner_does_not_open_for_another(scene: Scene) -> None:
    draft = _draft(scene)
    sealed = seal(_owner(101), draft)
    assert unseal(DecisionDraft, _owner(101), sealed) == draft
    assert unseal(DecisionDraft, _owner(102), sealed) is None


def test_a_draft_sealed_as_one_kind_does_not_open_as_the_other(scene: Scene) -> None:
    packed = zlib.compress(_draft(scene).model_dump_json().encode())
    as_disclosure = ACCOUNTS.keys.seal_draft(101, DISCLOSURE_KEY, packed)
    as_decision = ACCOUNTS.keys.seal_draft(101, DECISION_KEY, packed)
    for sealed, opens in ((as_decision, True), (as_disclosure, False)):
        text = base64.urlsafe_b64encode(sealed).decode()
        assert (unseal(DecisionDraft, _owner(101), text) is not None) is opens


def test_an_altered_draft_is_no_draft(scene: Scene) -> None:
    sealed = bytearray(base64.urlsafe_b64decode(seal(_owner(101), _draft(scene))))
    for at in (0, 20, len(sealed) - 1):
        altered = bytearray(sealed)
        altered[at] ^= 0x01
        text = base64.urlsafe_b64encode(bytes(altered)).decode()
        assert unseal(DecisionDraft, _owner(101), text) is None
    for junk in ("", "not base64!", "é", "AAAA", None, 42, ["a"]):
        assert unseal(DecisionDraft, _owner(101), junk) is None


def test_a_draft_in_the_older_unencrypted_format_is_no_draft(scene: Scene) -> None:
    draft = _draft(scene)
    older = base64.urlsafe_b64encode(zlib.compress(draft.model_dump_json().encode(), 9)).decode()
    assert unseal(DecisionDraft, _owner(101), older) is None


def test_a_draft_needs_both_the_master_key_and_the_secret_key(scene: Scene) -> None:
    sealed = seal(_owner(101), _draft(scene))
    other_master = AccountKeys.from_secret(SECRET_KEY, LocalMasterKey(os.urandom(32)))
    other_secret = AccountKeys.from_secret("another-secret-key-that-is-long-enough-0123456789")
    assert unseal(DecisionDraft, Owner(101, other_master), sealed) is None
    assert unseal(DecisionDraft, Owner(101, other_secret), sealed) is None


def test_the_size_budget_applies_to_the_sealed_draft(scene: Scene) -> None:
    shuffle = random.Random(7)
    letters = string.ascii_letters + string.digits
    fits = _draft(scene).model_copy(update={"reasons": "".join(shuffle.choices(letters, k=1500))})
    assert len(seal(_owner(101), fits)) <= BUDGET
    too_big = _draft(scene).model_copy(
        update={"reasons": "".join(shuffle.choices(letters, k=BUDGET))}
    )
    with pytest.raises(DraftTooLarge):
        seal(_owner(101), too_big)


def test_saving_a_draft_needs_a_signed_in_practitioner(app: FastAPI, scene: Scene) -> None:
    """Without an owner there is nothing to bind the draft to, so nothing is kept."""
    request = Request({"type": "http", "app": app, "session": {}, "state": {}})
    assert drafts.load_decision(request, scene.child_record_id) is None
    with pytest.raises(NotSignedIn):
        drafts.save_decision(request, _draft(scene))
    assert request.session == {}
