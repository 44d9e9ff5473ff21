"""The web shell as a practitioner meets it: sign in, find a child, read the record."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from jigsaw.app import create_app
from jigsaw.audit.models import AuditEntry
from jigsaw.config import Settings
from jigsaw.db import Database
from jigsaw.people import service as people
from jigsaw.people.models import PersonRole
from jigsaw.people.schemas import InvolvementIn, RelationshipIn
from jigsaw.policy.roles import AgencyKind, Role
from jigsaw.records import service as records
from jigsaw.records.models import Category, Nature
from jigsaw.records.schemas import CorrectionIn, RetractionIn
from tests.conftest import PASSWORD, World, unique
from tests.web.helpers import (
    add_item,
    add_record,
    form_token,
    page_title,
    sign_in_through_the_page,
)


def _audit_count(db: Database) -> int:
    with db.sessions() as session:
        return session.scalar(select(func.count()).select_from(AuditEntry)) or 0


def _title(html: str) -> str:
    match = re.search(r"<title>(.*?)</title>", html, re.S)
    assert match
    return match.group(1).strip()


def test_sign_in_with_blank_fields_lists_each_problem_linked_to_its_field(
    client: TestClient,
) -> None:
    token = form_token(client.get("/sign-in").text)
    response = client.post("/sign-in", data={"email": " ", "password": "", "csrf_token": token})
    assert response.status_code == 422
    page = response.text
    assert _title(page) == page_title("Error: Sign in")
    assert "govuk-error-summary" in page
    assert '<a href="#email">Enter your email address</a>' in page
    assert '<a href="#password">Enter your password</a>' in page
    assert page.index("#email") < page.index("#password")


def test_wrong_password_is_refused_without_saying_which_field_was_wrong(
    client: TestClient, world: World
) -> None:
    practitioner = world.practitioner()
    token = form_token(client.get("/sign-in").text)
    response = client.post(
        "/sign-in",
        data={"email": practitioner.email, "password": "not the password", "csrf_token": token},
    )
    assert response.status_code == 401
    assert '<a href="#email">The email address or password is not right</a>' in response.text
    assert f'value="{practitioner.email}"' in response.text
    assert client.get("/", follow_redirects=False).headers["location"] == "/sign-in"


def test_home_lists_only_the_signed_in_agencys_children(
    client: TestClient, world: World, db: Database
) -> None:
    school, police = world.agency(AgencyKind.SCHOOL), world.agency(AgencyKind.POLICE)
    teacher, officer = world.practitioner(school), world.practitioner(police)
    ours = add_record(db, world.actor(teacher), "Amelia", unique("Hart"))
    parent = add_record(
        db, world.actor(teacher), "Sam", unique("Hart"), role=PersonRole.PARENT_CARER
    )
    theirs = add_record(db, world.actor(officer), "Oliver", unique("Quinn"))

    assert client.get("/", follow_redirects=False).headers["location"] == "/sign-in"
    sign_in_through_the_page(client, world, teacher, teacher.email.upper())
    page = client.get("/").text

    assert f"Children known to {school.name}" in page
    assert _title(page) == page_title(f"Children known to {school.name}")
    assert f'href="/children/{ours.id}"' in page
    assert ours.family_name in page
    assert theirs.family_name not in page
    assert parent.family_name not in page  # a parent, not a child
    assert "1 child" in page


def test_home_searches_by_name_or_local_id_and_pages_long_lists(
    client: TestClient, world: World, db: Database
) -> None:
    school = world.agency()
    teacher = world.practitioner(school)
    actor = world.actor(teacher)
    family = unique("Okafor").replace(" ", "")
    made = [add_record(db, actor, f"Child{n:02d}", family) for n in range(27)]
    sign_in_through_the_page(client, world, teacher)

    first = client.get("/").text
    assert "27 children, showing 1 to 25" in first
    assert 'href="/?page=2"' in first
    assert made[26].given_name not in first
    second = client.get("/", params={"page": "2"}).text
    assert "showing 26 to 27" in second
    assert made[26].given_name in second
    past_the_end = client.get("/", params={"page": "99"}).text
    assert "showing 26 to 27" in past_the_end
    assert "showing 1 to 25" in client.get("/", params={"page": "nonsense"}).text

    def search(term: str) -> str:
        token = form_token(client.get("/").text)
        page: str = client.post("/", data={"q": term, "csrf_token": token}).text
        return page

    by_id = search(made[3].local_id)
    assert "1 child matching" in by_id
    assert made[3].given_name in by_id
    assert made[4].given_name not in by_id
    by_name = search("child1")
    assert "10 children matching" in by_name
    assert "No children match" in search("zzzz-nobody")


def test_child_page_shows_details_relationships_contacts_and_latest_items(
    client: TestClient, world: World, db: Database
) -> None:
    school = world.agency()
    teacher = world.practitioner(school, Role.DSL)
    actor = world.actor(teacher)
    child = add_record(db, actor, "Amelia", "Hart", nhs_number="9434765919")
    mother = add_record(
        db, actor, "Siobhan", "Hart", PersonRole.PARENT_CARER, date_of_birth=date(1988, 2, 1)
    )
    people.create_relationship(
        db, actor, RelationshipIn(from_record_id=mother.id, to_record_id=child.id, kind="parent")
    )
    people.create_involvement(
        db,
        actor,
        InvolvementIn(
            agency_record_id=child.id,
            practitioner_id=teacher.id,
            description="Designated safeguarding lead",
            contact_phone="01632 960123",
            started_on=date(2024, 9, 1),
        ),
    )
    add_item(db, actor, child.id, "Absent three days without explanation")
    worry = add_item(
        db,
        actor,
        child.id,
        "Mother seemed very low at pick-up",
        category=Category.PARENT_CAPACITY,
        subtype="parental_mental_health",
        nature=Nature.OPINION,
        occurred_on=date(2025, 2, 3),
    )
    records.correct_item(
        db,
        actor,
        worry.id,
        CorrectionIn(
            **{
                **worry.model_dump(include=set(CorrectionIn.model_fields) - {"reason"}),
                "summary": "Mother said she is struggling to cope",
            },
            reason="Recorded her own words",
        ),
    )
    wrong = add_item(db, actor, child.id, "Seen with an unknown adult", nature=Nature.OPINION)
    records.retract_item(db, actor, wrong.id, RetractionIn(reason="Wrong child"))
    sign_in_through_the_page(client, world, teacher)

    response = client.get(f"/children/{child.id}")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    page = response.text
    assert _title(page) == page_title("Amelia Hart")
    assert "4 March 2016" in page
    assert "943 476 5919" in page
    assert f'href="/children/{mother.id}"' in page
    assert "Siobhan Hart" in page
    assert ">Parent<" in page.replace("\n", "").replace("  ", "")
    assert teacher.name in page
    assert "01632 960123" in page
    assert "Child&#39;s welfare" in page
    assert "Parent or carer&#39;s capacity" in page
    assert "Parental mental health" in page
    assert "Absent three days without explanation" in page
    assert "Mother said she is struggling to cope" in page
    assert "Mother seemed very low" not in page
    for tag in ("Fact", "Opinion", "Corrected", "Retracted"):
        assert re.search(rf"govuk-tag[^>]*>\s*{tag}\s*<", page), tag
    assert "3 items, most recent first" in page

    mothers_page = client.get(f"/children/{mother.id}").text
    assert "Parent or carer known to" in mothers_page
    assert "Their child" in mothers_page


def test_another_agencys_child_is_page_not_found(
    client: TestClient, world: World, db: Database
) -> None:
    police = world.agency(AgencyKind.POLICE)
    theirs = add_record(db, world.actor(world.practitioner(police)), "Oliver", "Quinn")
    sign_in_through_the_page(client, world, world.practitioner(world.agency()))

    for path in (f"/children/{theirs.id}", "/children/999999999", "/children/not-a-number"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert page_title("Page not found") in response.text
        assert "Oliver" not in response.text
    assert client.get("/no-such-page").status_code == 404


@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_sign_in_without_the_forms_token_is_refused_and_changes_nothing(
    client: TestClient, world: World, db: Database, token: str | None
) -> None:
    practitioner = world.practitioner()
    client.get("/sign-in")
    before = _audit_count(db)
    data = {"email": practitioner.email, "password": PASSWORD}
    if token is not None:
        data["csrf_token"] = token
    response = client.post("/sign-in", data=data, follow_redirects=False)

    assert response.status_code == 403
    assert "Your form could not be sent" in response.text
    assert _audit_count(db) == before
    assert client.get("/", follow_redirects=False).status_code == 303


def test_sign_out_needs_the_forms_token_and_then_ends_the_session(
    client: TestClient, world: World
) -> None:
    sign_in_through_the_page(client, world, world.practitioner())
    page = client.get("/").text
    token = form_token(page)
    assert 'action="/sign-out"' in page

    refused = client.post("/sign-out", data={"csrf_token": "forged"}, follow_redirects=False)
    assert refused.status_code == 403
    assert client.get("/", follow_redirects=False).status_code == 200

    response = client.post("/sign-out", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in"
    assert "You have signed out" in client.get("/sign-in").text
    assert client.get("/", follow_redirects=False).headers["location"] == "/sign-in"
    assert client.post("/sign-out", data={"csrf_token": token}).status_code == 403


def test_signing_in_starts_a_new_session(client: TestClient, world: World) -> None:
    before = form_token(client.get("/sign-in").text)
    sign_in_through_the_page(client, world, world.practitioner())
    assert form_token(client.get("/").text) != before


def test_pages_carry_the_services_brand_not_gov_uk(client: TestClient) -> None:
    page = client.get("/sign-in").text
    assert '<html lang="en-GB"' in page
    assert "GOV.UK" not in page
    assert "crown" not in page.lower()
    assert "govuk-header__logo" not in page
    assert "Open Government Licence" not in page
    assert "govuk-generic-header" in page
    assert 'href="#main-content"' in page
    assert "Synthetic data only" not in page


@pytest.fixture
def demo_client(settings: Settings, db: Database) -> Iterator[TestClient]:
    demo = settings.model_copy(update={"demo_mode": True})
    with TestClient(create_app(demo, db)) as client:
        yield client


def test_demo_mode_says_the_data_is_synthetic(demo_client: TestClient) -> None:
    page = demo_client.get("/sign-in").text
    assert "govuk-phase-banner" in page
    assert "Synthetic data only" in page


def test_assets_are_served_from_govuk_frontend(client: TestClient) -> None:
    css = client.get("/assets/govuk-frontend.min.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert client.get("/assets/govuk-frontend.min.js").status_code == 200
    assert client.get("/assets/fonts/bold-b542beb274-v2.woff2").status_code == 200
    assert client.get("/static/jigsaw.css").status_code == 200
    assert client.get("/assets/index.scss").status_code == 404


def test_missing_assets_are_explained_and_the_api_still_works(
    settings: Settings, db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JIGSAW_ASSETS_DIR", str(tmp_path))
    with TestClient(create_app(settings, db)) as client:
        css = client.get("/assets/govuk-frontend.min.css")
        assert css.status_code == 503
        assert "npm ci" in css.text
        assert client.get("/api/me").status_code == 401
        page = client.get("/sign-in")
        assert page.status_code == 200
        assert "Page styles are missing" in page.text
