"""The pages for decisions not about one child's record: a question page, check answers,
then the decision's own page and the agency's list; errors on their fields, nothing
written before the practitioner confirms, and forms without their token refused."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from jigsaw.db import Database
from jigsaw.policy.roles import AgencyKind, Role
from jigsaw.sharing.models import StandaloneDecision, StandaloneKind
from tests.conftest import World, unique
from tests.web.helpers import add_record, form_token

NEW = "/other-decisions/new"
CHECK = NEW + "/check"
FIGURES = "Termly counts of children on child protection plans, by year group"
REFERRER_REASONS = "The referrer's identity is protected and telling could put them at risk."

ANSWERS: dict[StandaloneKind, dict[str, str]] = {
    StandaloneKind.ANONYMISED_SHARE: {
        "kind": "anonymised_share",
        "identifiability_checked": "yes",
        "requester_kind": "safeguarding_agency",
        "recipient_or_requester": "Safeguarding partnership data group",
        "information": FIGURES,
        "stated_purpose": "The partnership's termly review of demand",
        "reasons": "Counts only, and no group under five, so nobody can be picked out.",
    },
    StandaloneKind.REFUSED_NO_SAFEGUARDING_ROLE: {
        "kind": "refused_no_safeguarding_role",
        "requester_kind": "parent_or_carer",
        "recipient_or_requester": "The child's father",
        "information": "Who made the referral about his daughter",
        "stated_purpose": "He wants to speak to whoever reported him",
        "reasons": REFERRER_REASONS,
    },
    StandaloneKind.REFUSED_NO_PURPOSE: {
        "kind": "refused_no_purpose",
        "requester_kind": "journalist_or_media",
        "recipient_or_requester": "A reporter from a local paper",
        "information": "Whether the school had concerns about a family in the news",
        "reasons": "No purpose was given, and a journalist has no safeguarding role.",
    },
}


def _signed_in(client: TestClient, world: World, role: Role = Role.DSL) -> tuple[str, Any]:
    who = world.practitioner(world.agency(AgencyKind.SCHOOL), role)
    world.sign_in(client, who)
    return form_token(client.get("/account/password").text), who


def _post(client: TestClient, url: str, token: str, data: dict[str, str]) -> Any:
    return client.post(url, data={**data, "csrf_token": token}, follow_redirects=False)


def _count(db: Database) -> int:
    with db.sessions() as session:
        return session.scalar(select(func.count()).select_from(StandaloneDecision)) or 0


def _error_links(html: str) -> list[tuple[str, str]]:
    summary = html.split('class="govuk-error-summary"', 1)[1].split("</ul>", 1)[0]
    return [
        (href, unescape(text.strip()))
        for href, text in re.findall(r'<a href="([^"]+)">([^<]+)</a>', summary)
    ]


@pytest.mark.parametrize("kind", list(StandaloneKind))
def test_each_kind_is_recorded_through_question_check_and_confirm(
    client: TestClient, world: World, db: Database, kind: StandaloneKind
) -> None:
    token, who = _signed_in(client, world)
    shared = client.get("/shared-by-us").text
    assert f'href="{NEW}"' in shared
    assert "Record a decision that is not about one child's record" in unescape(shared)
    assert client.get(NEW).status_code == 200
    before = _count(db)
    answered = _post(client, NEW, token, ANSWERS[kind])
    assert (answered.status_code, answered.headers["location"]) == (303, CHECK)
    assert _count(db) == before, "nothing is written before the practitioner confirms"
    check = client.get(CHECK)
    assert check.status_code == 200
    assert unescape(ANSWERS[kind]["reasons"]) in unescape(check.text)
    confirmed = _post(client, CHECK, token, {})
    assert confirmed.status_code == 303
    where = confirmed.headers["location"]
    assert re.fullmatch(r"/other-decisions/\d+", where)
    assert _count(db) == before + 1
    page = unescape(client.get(where).text)
    assert ANSWERS[kind]["reasons"] in page and "Decision recorded" in page
    assert ("Share" if kind is StandaloneKind.ANONYMISED_SHARE else "Do not share") in page
    with db.sessions() as session:
        row = session.get(StandaloneDecision, int(where.rsplit("/", 1)[1]))
        assert row is not None
        assert (row.kind, row.agency_id, row.reasons) == (
            kind,
            who.agency_id,
            ANSWERS[kind]["reasons"],
        )
    listed = client.get("/other-decisions").text
    assert f'href="{where}"' in listed
    assert client.get(CHECK, follow_redirects=False).headers["location"] == NEW, "draft ended"


def test_a_blank_form_shows_each_problem_on_its_field(
    client: TestClient, world: World, db: Database
) -> None:
    token, _ = _signed_in(client, world)
    response = _post(client, NEW, token, {})
    assert response.status_code == 422
    assert [href for href, _ in _error_links(response.text)] == [
        "#kind",
        "#requester_kind",
        "#recipient_or_requester",
        "#information",
        "#reasons",
    ]


def test_what_each_kind_needs_is_asked_on_the_question_page(
    client: TestClient, world: World, db: Database
) -> None:
    token, _ = _signed_in(client, world)
    unchecked = {**ANSWERS[StandaloneKind.ANONYMISED_SHARE], "stated_purpose": ""}
    del unchecked["identifiability_checked"]
    response = _post(client, NEW, token, unchecked)
    assert response.status_code == 422
    links = _error_links(response.text)
    assert [href for href, _ in links] == ["#identifiability_checked", "#stated_purpose"]
    assert "what the recipient already knows" in links[0][1]
    assert FIGURES in unescape(response.text), "what was typed is shown again"

    agency = {
        **ANSWERS[StandaloneKind.REFUSED_NO_SAFEGUARDING_ROLE],
        "requester_kind": "safeguarding_agency",
    }
    response = _post(client, NEW, token, agency)
    assert [href for href, _ in _error_links(response.text)] == ["#requester_kind"]

    unknown = {**ANSWERS[StandaloneKind.REFUSED_NO_PURPOSE], "child_local_id": unique("NOPE")}
    response = _post(client, NEW, token, unknown)
    assert [href for href, _ in _error_links(response.text)] == ["#child_local_id"]
    assert client.get(CHECK, follow_redirects=False).status_code == 303, "no draft was kept"


def test_a_tick_left_behind_by_another_kind_is_not_an_answer(
    client: TestClient, world: World, db: Database
) -> None:
    token, _ = _signed_in(client, world)
    answers = {**ANSWERS[StandaloneKind.REFUSED_NO_PURPOSE], "identifiability_checked": "yes"}
    assert _post(client, NEW, token, answers).status_code == 303
    assert "Checked it cannot identify anyone" not in client.get(CHECK).text
    where = _post(client, CHECK, token, {}).headers["location"]
    with db.sessions() as session:
        row = session.get(StandaloneDecision, int(where.rsplit("/", 1)[1]))
        assert row is not None and row.identifiability_checked is False


def test_a_refusal_about_a_child_is_listed_on_the_childs_page(
    client: TestClient, world: World, db: Database
) -> None:
    token, who = _signed_in(client, world)
    child = add_record(db, world.actor(who), "Maya", unique("Okafor").replace(" ", ""))
    answers = {
        **ANSWERS[StandaloneKind.REFUSED_NO_SAFEGUARDING_ROLE],
        "child_local_id": child.local_id,
    }
    assert _post(client, NEW, token, answers).status_code == 303
    assert child.local_id in client.get(CHECK).text
    where = _post(client, CHECK, token, {}).headers["location"]
    child_page = client.get(f"/children/{child.id}").text
    assert f'href="{where}"' in child_page
    assert "Refuse a request from someone without a safeguarding role" in child_page


def test_another_agency_cannot_open_the_decision(
    client: TestClient, world: World, db: Database
) -> None:
    token, _ = _signed_in(client, world)
    _post(client, NEW, token, ANSWERS[StandaloneKind.REFUSED_NO_PURPOSE])
    where = _post(client, CHECK, token, {}).headers["location"]
    _signed_in(client, world)
    assert client.get(where).status_code == 404
    assert f'href="{where}"' not in client.get("/other-decisions").text


def test_an_administrator_is_refused_at_the_first_page(
    client: TestClient, world: World, db: Database
) -> None:
    token, _ = _signed_in(client, world, Role.ADMIN)
    assert client.get(NEW).status_code == 403
    before = _count(db)
    assert _post(client, NEW, token, ANSWERS[StandaloneKind.REFUSED_NO_PURPOSE]).status_code == 403
    assert _count(db) == before


def test_forms_without_the_token_are_refused_and_change_nothing(
    client: TestClient, world: World, db: Database
) -> None:
    token, _ = _signed_in(client, world)
    assert _post(client, NEW, token, ANSWERS[StandaloneKind.REFUSED_NO_PURPOSE]).status_code == 303
    before = _count(db)
    for url in (NEW, CHECK):
        response = client.post(url, data=ANSWERS[StandaloneKind.REFUSED_NO_PURPOSE])
        assert response.status_code == 403
        assert "Your form could not be sent" in response.text
        assert _post(client, url, "not-the-token", {}).status_code == 403
    assert _count(db) == before
    assert client.get(CHECK).status_code == 200, "the draft survived the refused posts"


def test_answers_that_contradict_the_kind_are_shown_on_their_fields(
    client: TestClient, world: World, db: Database
) -> None:
    """Anonymised information linked to a child, or a refusal for want of a purpose that
    records one, is refused on the question page, on the field to change."""
    token, who = _signed_in(client, world)
    child = add_record(db, world.actor(who), "Maya", unique("Okafor").replace(" ", ""))
    before = _count(db)
    linked = {**ANSWERS[StandaloneKind.ANONYMISED_SHARE], "child_local_id": child.local_id}
    response = _post(client, NEW, token, linked)
    assert response.status_code == 422
    links = _error_links(response.text)
    assert [href for href, _ in links] == ["#child_local_id"]
    assert "identifies no one" in links[0][1]

    purposed = {**ANSWERS[StandaloneKind.REFUSED_NO_PURPOSE], "stated_purpose": "A story"}
    response = _post(client, NEW, token, purposed)
    assert response.status_code == 422
    links = _error_links(response.text)
    assert [href for href, _ in links] == ["#stated_purpose"]
    assert "leave the purpose blank" in links[0][1]
    assert client.get(CHECK, follow_redirects=False).status_code == 303, "no draft was kept"
    assert _count(db) == before
