"""The single view pages: who knows, the chronology with filters, print and PDF, and
pattern flags, as a practitioner meets them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, expect

from jigsaw.db import Database
from jigsaw.policy.roles import AgencyKind, Role
from jigsaw.records.models import Category
from tests.conftest import PASSWORD, World
from tests.singleview.helpers import Family, build_family, involve, item, share
from tests.web.helpers import page_title
from tests.web.test_browser import check_accessibility


@pytest.fixture
def family(db: Database, world: World) -> Family:
    built = build_family(db, world, surname="Pemberton")
    rec = built.records
    involve(db, built.officer, rec["police"], built.officer.practitioner_id, "Officer in case")
    shared = item(
        db, built.dsl, rec["school"], "Bruise on upper arm", occurred_on=date(2026, 1, 12)
    )
    item(db, built.dsl, rec["school"], "Kept by the school", occurred_on=date(2026, 1, 13))
    police = item(
        db, built.officer, rec["police"], "Welfare call to the home",
        subtype="concern_for_welfare", occurred_on=date(2026, 2, 2),
    )  # fmt: skip
    item(
        db, built.social_worker, rec["mash"], "Contact received from school",
        subtype="mash_contact", category=Category.CHILD_WELFARE, occurred_on=date(2026, 2, 20),
    )  # fmt: skip
    share(db, built.dsl, rec["school"], [shared], to_agency=built.mash.id)
    share(db, built.officer, rec["police"], [police], to_agency=built.mash.id, fields=["summary"])
    return built


def _signed_in(client: TestClient, world: World, family: Family, who: str) -> TestClient:
    world.sign_in(client, family.accounts[who])
    return client


def test_child_page_leads_to_the_single_view(
    client: TestClient, world: World, family: Family
) -> None:
    _signed_in(client, world, family, "social_worker")
    html = client.get(f"/children/{family.records['mash']}").text
    assert f"/children/{family.records['mash']}/chronology" in html
    moved = client.get(f"/children/{family.records['mash']}/chronology", follow_redirects=False)
    assert moved.status_code == 303
    assert moved.headers["location"] == f"/people/{family.child}/chronology"
    # Another agency's record is not a way in.
    assert client.get(f"/children/{family.records['police']}/who-knows").status_code == 404


def test_chronology_page_shows_visible_items_with_their_shared_fields(
    client: TestClient, world: World, family: Family
) -> None:
    _signed_in(client, world, family, "social_worker")
    response = client.get(f"/people/{family.child}/chronology")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    html = response.text
    assert "<title>" + page_title("Chronology for Maisie Pemberton") + "</title>" in html
    for seen in ("Bruise on upper arm", "Welfare call to the home", "Contact received"):
        assert seen in html
    assert "Kept by the school" not in html
    assert "Date not shared" in html  # the police shared the summary only
    assert "Shared with you" in html
    assert html.index("Bruise on upper arm") < html.index("Contact received")


def test_chronology_filters_and_their_errors(
    client: TestClient, world: World, family: Family
) -> None:
    _signed_in(client, world, family, "social_worker")
    filtered = client.get(
        f"/people/{family.child}/chronology",
        params={"agency": str(family.mash.id), "order": "newest"},
    ).text
    assert "Contact received" in filtered and "Bruise on upper arm" not in filtered
    assert "(filtered)" in filtered
    ranged = client.get(
        f"/people/{family.child}/chronology",
        params={"since-day": "1", "since-month": "2", "since-year": "2026"},
    ).text
    assert "Contact received" in ranged and "Bruise on upper arm" not in ranged
    assert "Welfare call" not in ranged  # its date was not shared, so it cannot match
    wrong = client.get(
        f"/people/{family.child}/chronology",
        params={"since-day": "31", "since-month": "2", "since-year": "2026"},
    )
    assert wrong.status_code == 422
    assert '<a href="#since-day">The start date must be a real date</a>' in wrong.text
    too_late = client.get(
        f"/people/{family.child}/chronology",
        params={"until-day": "31", "until-month": "12", "until-year": "9999"},
    )
    assert too_late.status_code == 422
    assert '<a href="#until-day">The date cannot be after 2099</a>' in too_late.text


def test_print_view_and_pdf_download(client: TestClient, world: World, family: Family) -> None:
    _signed_in(client, world, family, "social_worker")
    printed = client.get(f"/people/{family.child}/chronology/print")
    assert printed.status_code == 200
    assert "OFFICIAL-SENSITIVE" in printed.text
    assert "Detail of: Bruise on upper arm" not in printed.text  # detail was not shared
    assert "Detail of: Contact received from school" in printed.text  # own detail is
    pdf = client.get(f"/people/{family.child}/chronology/download", params={"category": "x"})
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["cache-control"] == "no-store"
    assert pdf.content.startswith(b"%PDF-")


def test_who_knows_page_lists_contacts_not_content(
    client: TestClient, world: World, family: Family
) -> None:
    _signed_in(client, world, family, "dsl")
    html = client.get(f"/people/{family.child}/who-knows").text
    assert family.police.name in html and "Officer in case" in html
    assert family.accounts["officer"].name in html
    assert "Welfare call" not in html
    assert "(your agency)" in html


def test_flags_page_explains_each_flag_with_its_items(
    client: TestClient, world: World, family: Family
) -> None:
    _signed_in(client, world, family, "social_worker")
    html = client.get(f"/people/{family.child}/flags").text
    # Three agencies, but the police shared no date or type, so it cannot count.
    assert "Concerns from 3 or more agencies within 90 days" in html  # listed as a rule
    assert "No patterns found in the information you can see" in html
    assert "Rules checked" in html


def test_pages_refuse_without_a_legitimate_purpose(
    client: TestClient, world: World, family: Family
) -> None:
    outsider = world.practitioner(world.agency(AgencyKind.HOUSING), Role.PRACTITIONER)
    world.sign_in(client, outsider)
    for section in ("who-knows", "chronology", "flags"):
        response = client.get(f"/people/{family.child}/{section}")
        assert response.status_code == 403
        assert "Maisie" not in response.text


def test_api_answers_the_same(client: TestClient, world: World, family: Family) -> None:
    _signed_in(client, world, family, "social_worker")
    person = client.get(f"/api/agency-records/{family.records['mash']}/person").json()
    assert person == {"person_id": family.child}
    body = client.get(
        f"/api/people/{family.child}/chronology", params={"category": "child_welfare"}
    ).json()
    assert [e["summary"] for e in body["entries"]] == [
        "Bruise on upper arm",
        "Contact received from school",
    ]
    assert client.get(f"/api/people/{family.child}/who-knows").status_code == 200
    assert client.get(f"/api/people/{family.child}/flags").json()["rules_version"]
    bad = client.get(
        f"/api/people/{family.child}/chronology",
        params={"since": "2026-03-01", "until": "2026-01-01"},
    )
    assert bad.status_code == 422


# In a real browser, checked with axe


@pytest.fixture
def tab(request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh browser tab on the live app (the fixtures of ``test_browser``)."""
    chromium: Browser = request.getfixturevalue("browser")
    context = chromium.new_context(base_url=request.getfixturevalue("live_server"))
    yield context.new_page()
    context.close()


@pytest.mark.browser
def test_single_view_pages_in_a_browser_are_accessible(
    tab: Page, world: World, db: Database
) -> None:
    built = build_family(db, world, surname="Lindqvist")
    rec = built.records
    involve(db, built.officer, rec["police"], built.officer.practitioner_id, "Officer in case")
    school = item(db, built.dsl, rec["school"], "Bruise on cheek", occurred_on=date(2026, 1, 12))
    police = item(
        db, built.officer, rec["police"], "Welfare call, child crying",
        subtype="concern_for_welfare", occurred_on=date(2026, 2, 2), protected_identity=True,
    )  # fmt: skip
    item(
        db, built.social_worker, rec["mash"], "Referral received", subtype="mash_contact",
        occurred_on=date(2026, 2, 20),
    )  # fmt: skip
    share(db, built.dsl, rec["school"], [school], to_agency=built.mash.id)
    share(
        db, built.officer, rec["police"], [police], to_agency=built.mash.id,
        fields=["occurred_on", "category", "subtype", "summary", "source", "nature"],
    )  # fmt: skip
    worker = built.accounts["social_worker"]

    tab.goto("/sign-in")
    tab.get_by_label("Email address").fill(worker.email)
    tab.get_by_label("Password", exact=True).fill(PASSWORD)
    tab.get_by_role("button", name="Sign in").click()
    tab.get_by_label("Enter the 6-digit code").fill(world.totp_code(worker))
    tab.get_by_role("button", name="Continue").click()
    tab.goto(f"/children/{rec['mash']}")
    tab.get_by_role("link", name="Chronology from every agency you can see").click()

    expect(tab).to_have_title(page_title("Chronology for Maisie Lindqvist"))
    expect(tab.get_by_text("Welfare call, child crying")).to_be_visible()
    expect(tab.get_by_text("[withheld to protect someone's identity]")).to_have_count(0)
    check_accessibility(tab, "singleview-chronology")

    tab.get_by_text("Filter the chronology").click()
    tab.get_by_label("Opinions only").check()
    tab.get_by_role("button", name="Apply filters").click()
    expect(tab.get_by_text("Nothing you can see matches these filters.")).to_be_visible()
    check_accessibility(tab, "singleview-chronology-filtered")

    tab.locator("#since-day").fill("31")
    tab.locator("#since-month").fill("2")
    tab.locator("#since-year").fill("2026")
    tab.get_by_role("button", name="Apply filters").click()
    expect(tab.locator(".govuk-error-summary")).to_be_visible()
    check_accessibility(tab, "singleview-chronology-errors")

    tab.goto(f"/people/{built.child}/chronology/print")
    expect(tab.get_by_text("OFFICIAL-SENSITIVE")).to_be_visible()
    check_accessibility(tab, "singleview-chronology-print")

    tab.goto(f"/people/{built.child}/flags")
    flag = "Concerns from 3 or more agencies within 90 days"
    expect(tab.get_by_role("heading", name=flag)).to_be_visible()
    check_accessibility(tab, "singleview-flags")

    tab.get_by_role("link", name="Who knows this child").click()
    expect(tab.get_by_role("heading", name=built.police.name)).to_be_visible()
    expect(tab.get_by_text("Officer in case")).to_be_visible()
    check_accessibility(tab, "singleview-who-knows")
