"""The timeline and the ecomap in Chromium: each picture checked against the table it
draws, mark by mark, and every page checked with axe."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

import pytest
from playwright.sync_api import Browser, Page, expect

from jigsaw.db import Database
from tests.conftest import PASSWORD, World
from tests.singleview.helpers import build_family, correct, involve, item, share
from tests.web.helpers import page_title
from tests.web.test_browser import check_accessibility
from tests.web.test_browser_csp import RECORD_VIOLATIONS

pytestmark = pytest.mark.browser


@pytest.fixture
def tab(browser: Browser, live_server: str) -> Iterator[Page]:
    context = browser.new_context(base_url=live_server)
    context.add_init_script(RECORD_VIOLATIONS)
    yield context.new_page()
    context.close()


def no_policy_violations(page: Page) -> None:
    """The strict Content-Security-Policy refused nothing on the page (no inline style)."""
    page.wait_for_load_state("load")
    assert page.evaluate("window.__violations") == [], page.url


def test_timeline_and_ecomap_match_the_data_they_draw(
    tab: Page, world: World, db: Database
) -> None:
    built = build_family(db, world, surname="Okonkwo")
    rec = built.records
    involve(db, built.officer, rec["police"], built.officer.practitioner_id, "Officer in case")
    involve(db, built.dsl, rec["school"], built.dsl.practitioner_id, "Designated safeguarding lead")
    first = item(db, built.dsl, rec["school"], "Bruise on cheek", occurred_on=date(2026, 1, 12))
    fixed = correct(db, built.dsl, first, "Bruise on left cheek", "Wrong side recorded")
    item(db, built.dsl, rec["school"], "Never shared", occurred_on=date(2026, 1, 14))
    police = item(
        db, built.officer, rec["police"], "Welfare call, child crying",
        subtype="concern_for_welfare", occurred_on=date(2026, 2, 2),
    )  # fmt: skip
    item(
        db, built.social_worker, rec["mash"], "Referral received", subtype="mash_contact",
        occurred_on=date(2026, 2, 20),
    )  # fmt: skip
    share(db, built.dsl, rec["school"], [fixed], to_agency=built.mash.id)
    share(db, built.officer, rec["police"], [police], to_agency=built.mash.id, fields=["summary"])
    worker = built.accounts["social_worker"]

    tab.goto("/sign-in")
    tab.get_by_label("Email address").fill(worker.email)
    tab.get_by_label("Password", exact=True).fill(PASSWORD)
    tab.get_by_role("button", name="Sign in").click()
    tab.get_by_label("Enter the 6-digit code").fill(world.totp_code(worker))
    tab.get_by_role("button", name="Continue").click()

    # The ecomap, from the child's page.
    tab.goto(f"/children/{rec['mash']}")
    tab.get_by_role("link", name="Ecomap: Maisie's family and the agencies around them").click()
    expect(tab).to_have_title(page_title("Ecomap for Maisie Okonkwo"))
    picture = tab.get_by_role("img", name="Ecomap of Maisie Okonkwo")
    expect(picture).to_be_visible()
    people = picture.locator(".app-ecomap__person")
    family_rows = tab.locator("#ecomap-family tbody tr")
    expect(people).to_have_count(family_rows.count())
    expect(people).to_have_count(2)
    expect(people.first).to_contain_text("Kerry Okonkwo")
    expect(family_rows.first).to_contain_text("Kerry Okonkwo")
    # The mother's partner, drawn beside her and joined to her rather than to the child.
    expect(people.nth(1)).to_contain_text("Partner of Kerry Okonkwo")
    expect(family_rows.nth(1)).to_contain_text("Partner of Kerry Okonkwo")
    expect(picture.locator(".app-ecomap__through")).to_have_count(1)
    agencies = picture.locator(".app-ecomap__agency")
    agency_rows = tab.locator("#ecomap-agencies tbody tr")
    expect(agencies).to_have_count(4)
    expect(agency_rows).to_have_count(4)
    for index in range(4):
        name = agency_rows.nth(index).locator("td").first.inner_text()
        expect(agencies.nth(index)).to_contain_text(name)
    workers = picture.locator(".app-ecomap__worker")
    listed = tab.locator("#ecomap-agencies li")
    expect(workers).to_have_count(listed.count())
    expect(workers).to_have_count(2)
    expect(picture).not_to_contain_text("Welfare call")
    check_accessibility(tab, "ecomap")
    no_policy_violations(tab)

    # The timeline, on the chronology.
    tab.goto(f"/children/{rec['mash']}")
    tab.get_by_role("link", name="Chronology from every agency you can see").click()
    timeline = tab.get_by_role("img", name="Timeline of 3 entries from 3 agencies")
    expect(timeline).to_be_visible()
    marks = timeline.locator(".app-timeline__mark")
    rows = tab.locator("#chronology-table tbody tr")
    expect(rows).to_have_count(3)
    expect(marks).to_have_count(3)
    for index in range(3):
        cells = rows.nth(index).locator("td")
        when, agency = cells.nth(0).inner_text(), cells.nth(1).inner_text()
        mark = marks.nth(index)
        drawn_on = mark.get_attribute("data-date") or ""
        assert when == (
            f"{date.fromisoformat(drawn_on):%-d %B %Y}" if drawn_on else "Date not shared"
        )
        lane = timeline.locator(
            f".app-timeline__lane[data-agency='{mark.get_attribute('data-agency')}']"
        )
        expect(lane).to_contain_text(agency[:20])
        status = cells.nth(4).inner_text()
        assert ("Corrected" in status) == (mark.get_attribute("data-corrected") == "true")
        assert ("Shared with you" in status) == (mark.get_attribute("data-kind") == "shared")
    # Dated marks run left to right in the table's date order.
    lefts = [
        marks.nth(i).bounding_box()["x"]  # type: ignore[index]
        for i in range(3)
        if marks.nth(i).get_attribute("data-date")
    ]
    assert len(lefts) == 2 and lefts == sorted(lefts)
    expect(timeline).not_to_contain_text("Never shared")
    tab.get_by_role("link", name="Go to the table of entries").click()
    expect(tab).to_have_url(re.compile(r"/chronology#chronology-table$"))
    check_accessibility(tab, "chronology-timeline")
    no_policy_violations(tab)

    # Filtered to one agency: the picture follows the table.
    tab.get_by_text("Filter the chronology").click()
    tab.get_by_label(built.police.name).check()
    tab.get_by_role("button", name="Apply filters").click()
    expect(tab.locator("#chronology-table tbody tr")).to_have_count(1)
    expect(tab.locator(".app-timeline__mark")).to_have_count(1)

    tab.goto(f"/people/{built.child}/chronology/print")
    expect(tab.locator(".app-timeline__mark")).to_have_count(3)
    expect(tab.locator("#chronology-table tbody tr")).to_have_count(3)
    check_accessibility(tab, "chronology-print-timeline")
    no_policy_violations(tab)

    # On a narrow phone the pictures shrink to fit: nothing scrolls sideways.
    tab.set_viewport_size({"width": 320, "height": 800})
    for path in (f"/people/{built.child}/chronology", f"/children/{rec['mash']}/ecomap"):
        tab.goto(path)
        wide = tab.evaluate("() => document.documentElement.scrollWidth")
        assert wide <= 320, f"{path} is {wide}px wide at 320px"
        box = tab.locator("svg.app-picture").bounding_box()
        assert box is not None and box["width"] <= 320
