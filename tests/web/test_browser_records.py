"""A designated safeguarding lead records a concern and corrects it, in Chromium, with axe
checking every page on the way (WCAG 2.2 A and AA, 0 violations)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from jigsaw.db import Database
from jigsaw.policy.roles import AgencyKind, Role
from jigsaw.records import service as records
from tests.conftest import World, unique
from tests.web.conftest import AccessibilityChecks
from tests.web.helpers import add_record, page_title, sign_in_browser

pytestmark = pytest.mark.browser


@pytest.fixture
def page(browser: Browser, live_server: str) -> Iterator[Page]:
    context = browser.new_context(base_url=live_server)
    tab = context.new_page()
    yield tab
    context.close()


def test_a_safeguarding_lead_records_a_concern_and_corrects_it(
    page: Page,
    live_server: str,
    world: World,
    db: Database,
    axe_check: AccessibilityChecks,
) -> None:
    dsl = world.practitioner(world.agency(AgencyKind.SCHOOL), Role.DSL)
    actor = world.actor(dsl)
    family = unique("Okafor").replace(" ", "")
    child = add_record(db, actor, "Maya", family)
    sign_in_browser(page, live_server, dsl.email, code=lambda: world.totp_code(dsl))

    page.goto(f"/children/{child.id}")
    page.get_by_role("button", name="Record a concern").click()
    expect(page).to_have_title(page_title("Record a concern"))
    axe_check(page, "record-concern")

    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_title(page_title("Error: Record a concern"))
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link", name="Enter a summary")).to_be_visible()
    axe_check(page, "record-concern-errors")

    page.get_by_label(f"Maya {family}").check()
    page.get_by_label("Child's welfare").check()
    page.get_by_label("What type of information is it?", exact=True).select_option("injury")
    page.get_by_label("Fact", exact=True).check()
    page.get_by_label("Day").fill("3")
    page.get_by_label("Month").fill("2")
    page.get_by_label("Year").fill("2026")
    page.get_by_label("Summary").fill("Bruise on left forearm, seen at drop-off")
    page.get_by_label("Where did the information come from?").fill("Seen by the class teacher")
    page.get_by_label("Checked", exact=True).check()
    page.get_by_label("Special category data").check()
    page.get_by_role("button", name="Continue").click()

    expect(page).to_have_title(page_title("Check your answers"))
    expect(page.get_by_text("Bruise on left forearm, seen at drop-off")).to_be_visible()
    axe_check(page, "record-concern-check")
    page.get_by_role("button", name="Record it").click()

    expect(page).to_have_title(page_title("Information recorded"))
    axe_check(page, "record-concern-recorded")
    page.get_by_role("link", name="View what you recorded").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Injury")
    axe_check(page, "item")

    page.get_by_role("button", name="Correct it").click()
    expect(page).to_have_title(page_title("Correct this information"))
    axe_check(page, "item-correct")
    page.get_by_label("Summary").fill("Bruise on right forearm, seen at drop-off")
    page.get_by_role("button", name="Record the correction").click()
    expect(page).to_have_title(page_title("Error: Correct this information"))
    page.get_by_label("Why are you correcting it?").fill("It was the right arm")
    page.get_by_role("button", name="Record the correction").click()

    expect(page.get_by_text("Correction recorded")).to_be_visible()
    expect(page.get_by_text("It was the right arm")).to_be_visible()
    expect(page.get_by_role("heading", name="Version 2 (latest)")).to_be_visible()
    axe_check(page, "item-corrected")
    (item,) = records.list_items_for_record(db, actor, child.id)
    assert (item.version, item.summary) == (2, "Bruise on right forearm, seen at drop-off")
    assert item.special_category is True

    page.get_by_role("button", name="Retract it").click()
    axe_check(page, "item-retract")

    page.goto(f"/children/{child.id}")
    link = page.get_by_role("link", name="Bruise on right forearm, seen at drop-off")
    expect(link).to_have_attribute("href", f"/items/{item.id}")
    axe_check(page, "child-with-items-to-open")

    for kind, title in [
        ("relationships", "Add someone linked to the child"),
        ("involvements", "Add who works with the child"),
        ("consent", "Record consent"),
        ("transparency", "Record what the family was told"),
    ]:
        page.goto(f"/children/{child.id}/{kind}/new")
        expect(page).to_have_title(page_title(title))
        axe_check(page, f"{kind}-new")
        page.get_by_role("button", name="Continue").click()
        expect(page.locator(".govuk-error-summary")).to_be_focused()
        axe_check(page, f"{kind}-new-errors")
