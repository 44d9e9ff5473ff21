"""The DPO's agreement pages: list, register by pasting or uploading, approve, supersede.

Against the shared test database: every agreement names both agencies by id.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient

from jigsaw.agreements.terms import MAX_DOCUMENT_BYTES
from jigsaw.db import Database
from jigsaw.identity.schemas import AgencyOut
from jigsaw.policy.roles import AgencyKind, Role
from tests.agreements.helpers import by_id, document
from tests.conftest import World
from tests.web.sharing_steps import moved_to, post, sign_in_as

SCRIPT = "<script>alert('agreement')</script>"


def _parties(world: World) -> tuple[AgencyOut, AgencyOut]:
    return world.agency(AgencyKind.HEALTH), world.agency(AgencyKind.SOCIAL_CARE)


def _signed_in_dpo(client: TestClient, world: World, db: Database, agency: AgencyOut) -> str:
    return sign_in_as(client, world, db, world.actor(world.practitioner(agency, Role.DPO)))


def _body(parties: tuple[AgencyOut, AgencyOut], **more: Any) -> dict[str, Any]:
    return document(provider=by_id(parties[0].id), recipient=by_id(parties[1].id), **more)


def test_a_dpo_pastes_approves_and_supersedes_an_agreement(
    client: TestClient, world: World, db: Database
) -> None:
    parties = _parties(world)
    token = _signed_in_dpo(client, world, db, parties[1])
    listing = client.get("/agreements")
    assert listing.status_code == 200
    assert 'href="/agreements"' in client.get("/").text, "the DPO's navigation links to it"
    assert "Register an agreement" in listing.text
    body = _body(parties)
    made = post(client, "/agreements/new", token, {"document": json.dumps(body)})
    page = moved_to(made)
    shown = client.get(page)
    assert "is registered as a draft" in shown.text
    assert "Approve and bring into force" in shown.text
    assert parties[0].name in shown.text and "welfare (every type)" in shown.text
    assert "Passing the information on to anyone else" in shown.text
    assert "365 days" in shown.text
    approved = client.get(moved_to(post(client, f"{page}/approve", token)))
    assert "is approved and in force" in approved.text
    assert "Supersede with a new version" in approved.text
    form = client.get(f"{page}/supersede")
    assert form.status_code == 200
    assert body["reference"] in form.text
    later = {**body, "start_date": "2099-01-01", "title": "Health and MASH agreement, revised"}
    second = client.get(
        moved_to(post(client, f"{page}/supersede", token, {"document": json.dumps(later)}))
    )
    assert "Version 2 is in force from 1 January 2099" in second.text
    assert "revised" in second.text
    assert body["reference"] in client.get("/agreements").text


def test_problems_are_shown_field_by_field_on_the_page(
    client: TestClient, world: World, db: Database
) -> None:
    parties = _parties(world)
    token = _signed_in_dpo(client, world, db, parties[1])
    wrong = _body(parties, tier=5, purposes=[{"purpose": "early_help", "dpv": "dpv:Marketing"}])
    answer = post(client, "/agreements/new", token, {"document": json.dumps(wrong)})
    assert answer.status_code == 422
    assert "There is a problem" in answer.text
    assert "tier: must be one of: 1, 2, 3" in answer.text
    assert 'href="#document"' in answer.text
    # What was typed is kept, to be corrected.
    assert "dpv:Marketing" in answer.text
    empty = post(client, "/agreements/new", token, {"document": ""})
    assert empty.status_code == 422
    assert "Paste the agreement" in empty.text


def test_invalid_json_and_a_huge_document_are_refused_on_the_page(
    client: TestClient, world: World, db: Database
) -> None:
    parties = _parties(world)
    token = _signed_in_dpo(client, world, db, parties[1])
    broken = post(client, "/agreements/new", token, {"document": '{"tier": 1,'})
    assert broken.status_code == 422
    assert "document: is not valid JSON" in broken.text
    huge = post(
        client,
        "/agreements/new",
        token,
        {"document": '{"summary": "' + "x" * MAX_DOCUMENT_BYTES + '"}'},
    )
    assert huge.status_code == 422
    assert "may be at most" in huge.text


def test_a_script_in_the_title_is_shown_as_text(
    client: TestClient, world: World, db: Database
) -> None:
    parties = _parties(world)
    token = _signed_in_dpo(client, world, db, parties[1])
    made = post(
        client, "/agreements/new", token, {"document": json.dumps(_body(parties, title=SCRIPT))}
    )
    page = client.get(moved_to(made)).text
    assert SCRIPT not in page
    assert "&lt;script&gt;alert(" in page
    assert SCRIPT not in client.get("/agreements").text


def test_an_agreement_file_can_be_uploaded(client: TestClient, world: World, db: Database) -> None:
    parties = _parties(world)
    token = _signed_in_dpo(client, world, db, parties[1])
    upload = json.dumps(_body(parties, title="Uploaded agreement")).encode()
    answer = client.post(
        "/agreements/new",
        data={"csrf_token": token, "document": ""},
        files={"file": ("agreement.json", upload, "application/json")},
        follow_redirects=False,
    )
    assert "Uploaded agreement" in client.get(moved_to(answer)).text
    not_text = client.post(
        "/agreements/new",
        data={"csrf_token": token},
        files={"file": ("agreement.json", b"\xff\xfe\x00bad", "application/json")},
    )
    assert not_text.status_code == 422
    assert "The file is not text" in not_text.text


def test_others_cannot_register_or_approve(client: TestClient, world: World, db: Database) -> None:
    parties = _parties(world)
    token = _signed_in_dpo(client, world, db, parties[1])
    page = moved_to(
        post(client, "/agreements/new", token, {"document": json.dumps(_body(parties))})
    )
    client.cookies.clear()
    admin = world.actor(world.practitioner(parties[1], Role.ADMIN))
    token = sign_in_as(client, world, db, admin)
    assert client.get("/agreements").status_code == 403
    assert client.get("/agreements/new").status_code == 403
    assert post(client, f"{page}/approve", token).status_code == 403
    client.cookies.clear()
    other_dpo = world.actor(world.practitioner(parties[0], Role.DPO))
    token = sign_in_as(client, world, db, other_dpo)
    shown = client.get(page)
    assert shown.status_code == 200, "another agency's DPO reads it"
    assert "Approve and bring into force" not in shown.text
    assert post(client, f"{page}/approve", token).status_code == 403


def test_a_form_sent_without_its_token_changes_nothing(
    client: TestClient, world: World, db: Database
) -> None:
    parties = _parties(world)
    token = _signed_in_dpo(client, world, db, parties[1])
    page = moved_to(
        post(client, "/agreements/new", token, {"document": json.dumps(_body(parties))})
    )
    body = _body(parties)
    forged = client.post(
        "/agreements/new", data={"document": json.dumps(body)}, follow_redirects=False
    )
    assert forged.status_code == 403
    assert body["reference"] not in client.get("/agreements").text
    forged = client.post(f"{page}/approve", data={"csrf_token": "x"}, follow_redirects=False)
    assert forged.status_code == 403
    assert "Approve and bring into force" in client.get(page).text, "still a draft"


def test_another_agencys_dpo_cannot_supersede(
    client: TestClient, world: World, db: Database
) -> None:
    parties = _parties(world)
    token = _signed_in_dpo(client, world, db, parties[1])
    page = moved_to(
        post(client, "/agreements/new", token, {"document": json.dumps(_body(parties))})
    )
    post(client, f"{page}/approve", token)
    client.cookies.clear()
    token = _signed_in_dpo(client, world, db, parties[0])
    assert "Supersede with a new version" not in client.get(page).text
    assert client.get(f"{page}/supersede").status_code == 403
    later = {**_body(parties), "start_date": "2099-01-01"}
    assert (
        post(client, f"{page}/supersede", token, {"document": json.dumps(later)}).status_code == 403
    )
