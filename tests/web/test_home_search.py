"""The home page's search is posted and kept in the session: a child's name typed into it
never appears in an address, so it stays out of browser history, logs and Referer headers.
"""

from __future__ import annotations

import re
from urllib.parse import quote, quote_plus

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select

from jigsaw.app import SESSION_COOKIE
from jigsaw.audit.models import AuditEntry
from jigsaw.db import Database
from jigsaw.identity.schemas import PractitionerOut
from jigsaw.people.schemas import AgencyRecordOut
from jigsaw.web.routes import MAX_SEARCH_LENGTH
from tests.conftest import World, unique
from tests.web.helpers import add_record, form_token, sign_in_through_the_page

ADDRESSES = re.compile(r'(?:href|action|src)="([^"]*)"')


def _search(
    client: TestClient, term: str, *, follow_redirects: bool = True, **fields: str
) -> Response:
    token = form_token(client.get("/").text)
    data = {"q": term, "csrf_token": token, **fields}
    response: Response = client.post("/", data=data, follow_redirects=follow_redirects)
    return response


def _addresses(html: str) -> list[str]:
    return ADDRESSES.findall(html)


def _assert_kept_out_of_addresses(response: Response, term: str) -> None:
    """Neither the response's own address nor any link or form on it carries the term."""
    spellings = {term, quote(term), quote_plus(term), term.lower()}
    addresses = [str(response.url), *(r.headers.get("location", "") for r in response.history)]
    addresses += _addresses(response.text)
    assert addresses
    for address in addresses:
        assert "q=" not in address, address
        assert not any(s in address for s in spellings), address


class Pupils:
    """Children of one agency: a family that matches the search, and others who do not."""

    def __init__(self, world: World, db: Database, size: int = 3) -> None:
        self.teacher: PractitionerOut = world.practitioner(world.agency())
        actor = world.actor(self.teacher)
        self.family = unique("Barnes").replace(" ", "")
        self.matching: list[AgencyRecordOut] = [
            add_record(db, actor, f"Lily{n:02d}", self.family) for n in range(size)
        ]
        self.others = [
            add_record(db, actor, "Oscar", unique("Pemberton")),
            add_record(db, actor, "Maya", unique("Sutherland")),
        ]


@pytest.fixture
def pupils(client: TestClient, world: World, db: Database) -> Pupils:
    pupils = Pupils(world, db)
    sign_in_through_the_page(client, world, pupils.teacher)
    return pupils


def test_a_posted_search_lists_the_matching_children_and_no_others(
    client: TestClient, pupils: Pupils
) -> None:
    posted = _search(client, f"  {pupils.family}  ", follow_redirects=False)
    assert posted.status_code == 303
    assert posted.headers["location"] == "/"

    page = client.get("/")
    assert page.status_code == 200
    assert f"3 children matching “{pupils.family}”" in page.text
    for child in pupils.matching:
        assert f'href="/children/{child.id}"' in page.text
    for child in pupils.others:
        assert child.family_name not in page.text
        assert f'href="/children/{child.id}"' not in page.text
    assert f'value="{pupils.family}"' in page.text  # the box shows what was searched


def test_no_address_on_the_results_carries_the_name(client: TestClient, pupils: Pupils) -> None:
    results = _search(client, pupils.family)
    assert str(results.url) == "http://testserver/"
    assert [r.status_code for r in results.history] == [303]
    assert pupils.matching[0].given_name in results.text
    _assert_kept_out_of_addresses(results, pupils.family)
    assert re.search(r'<form method="post" action="/" role="search"', results.text)


def test_paging_through_results_keeps_the_search_and_the_name_out_of_the_links(
    client: TestClient, world: World, db: Database
) -> None:
    many = Pupils(world, db, size=27)
    sign_in_through_the_page(client, world, many.teacher)

    first = _search(client, many.family.lower())
    assert "27 children matching" in first.text
    assert "showing 1 to 25" in first.text
    assert 'href="/?page=2"' in first.text
    assert many.matching[26].given_name not in first.text
    _assert_kept_out_of_addresses(first, many.family)

    second = client.get("/", params={"page": "2"})
    assert "27 children matching" in second.text
    assert "showing 26 to 27" in second.text
    assert many.matching[26].given_name in second.text
    assert all(o.family_name not in second.text for o in many.others)
    assert 'href="/"' in second.text  # "Previous" leads back to page 1, still searched
    _assert_kept_out_of_addresses(second, many.family)

    # A new search starts again from the first page.
    again = _search(client, many.matching[26].given_name)
    assert str(again.url) == "http://testserver/"
    assert "1 child matching" in again.text


def test_clearing_the_search_shows_every_child_again(client: TestClient, pupils: Pupils) -> None:
    searched = _search(client, pupils.family).text
    assert 'name="clear"' in searched
    assert pupils.others[0].family_name not in searched

    cleared = _search(client, pupils.family, clear="yes")
    assert str(cleared.url) == "http://testserver/"
    assert "5 children" in cleared.text
    assert "matching" not in cleared.text
    assert 'name="clear"' not in cleared.text
    assert all(o.family_name in cleared.text for o in pupils.others)

    _search(client, pupils.family)
    emptied = _search(client, "   ").text
    assert "5 children" in emptied
    assert "matching" not in emptied


@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_a_search_without_the_forms_token_is_refused(
    client: TestClient, pupils: Pupils, token: str | None
) -> None:
    data = {"q": pupils.family}
    if token is not None:
        data["csrf_token"] = token
    refused = client.post("/", data=data, follow_redirects=False)
    assert refused.status_code == 403
    assert "Your form could not be sent" in refused.text
    assert pupils.matching[0].given_name not in refused.text

    page = client.get("/").text
    assert "5 children" in page
    assert "matching" not in page


def test_a_name_in_the_address_does_not_search(client: TestClient, pupils: Pupils) -> None:
    old = client.get("/", params={"q": pupils.family}, follow_redirects=False)
    assert old.status_code == 303
    assert old.headers["location"] == "/"
    page = client.get("/", params={"q": pupils.family})
    assert str(page.url) == "http://testserver/"
    assert "5 children" in page.text
    assert "matching" not in page.text

    paged = client.get("/", params={"q": pupils.family, "page": "3"}, follow_redirects=False)
    assert paged.headers["location"] == "/?page=3"

    # Nor does it replace a search already made.
    _search(client, pupils.others[0].family_name)
    page = client.get("/", params={"q": pupils.family})
    assert f"1 child matching “{pupils.others[0].family_name}”" in page.text


def test_the_search_is_not_audited_and_ends_with_the_session(
    client: TestClient, world: World, db: Database, pupils: Pupils
) -> None:
    with db.sessions() as session:
        before = session.scalar(select(AuditEntry.seq).order_by(AuditEntry.seq.desc()).limit(1))
    _search(client, pupils.family)
    client.get("/", params={"page": "2"})
    with db.sessions() as session:
        written = session.scalars(select(AuditEntry).where(AuditEntry.seq > (before or -1)))
        logged = [f"{e.action} {e.object_type} {e.object_id} {e.refs}" for e in written]
    assert not any(pupils.family in entry for entry in logged), logged

    token = form_token(client.get("/").text)
    client.post("/sign-out", data={"csrf_token": token})
    sign_in_through_the_page(client, world, pupils.teacher)
    page = client.get("/").text
    assert "5 children" in page
    assert "matching" not in page


def test_a_long_search_is_cut_short_enough_for_the_session_cookie(
    client: TestClient, pupils: Pupils
) -> None:
    _search(client, "")
    before = len(client.cookies[SESSION_COOKIE])

    ascii_page = _search(client, "x" * (MAX_SEARCH_LENGTH + 50)).text
    assert f"“{'x' * MAX_SEARCH_LENGTH}”" in ascii_page

    _search(client, "\N{GRINNING FACE}" * MAX_SEARCH_LENGTH)
    # The term costs at most a few hundred characters, not the 1,600 it would in full.
    assert len(client.cookies[SESSION_COOKIE]) - before < 400
