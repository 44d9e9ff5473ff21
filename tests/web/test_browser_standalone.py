"""A designated safeguarding lead records a refused request and anonymised figures, in
Chromium, with axe checking each page on the way (WCAG 2.2 A and AA, 0 violations)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from jigsaw.db import Database
from jigsaw.policy.roles import AgencyKind, Role
from tests.conftest import World
from tests.web.conftest import AccessibilityChecks
from tests.web.helpers import page_title, sign_in_browser

pytestmark = pytest.mark.browser

TITLE = "Record a decision that is not about one child's record"


@pytest.fixture
def page(browser: Browser, live_server: str) -> Iterator[Page]:
    context = browser.new_context(base_url=live_server)
    tab = context.new_page()
    yield tab
    context.close()


def test_anonymised_figures_are_recorded_with_the_identifiability_check(
    page: Page,
    live_server: str,
    world: World,
    db: Database,
    axe_check: AccessibilityChecks,
) -> None:
    dsl = world.practitioner(world.agency(AgencyKind.SCHOOL), Role.DSL)
    sign_in_browser(page, live_server, dsl.email, code=lambda: world.totp_code(dsl))

    page.goto("/shared-by-us")
    page.get_by_role("link", name=TITLE).click()
    expect(page).to_have_title(page_title(TITLE))
    axe_check(page, "standalone-new")

    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_title(page_title(f"Error: {TITLE}"))
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link", name="Select what you decided")).to_be_visible()
    axe_check(page, "standalone-new-errors")

    page.get_by_label("Share anonymised information").check()
    checked = page.get_by_label("I have checked that it cannot identify anyone", exact=False)
    expect(checked).to_be_visible()
    page.get_by_label("A safeguarding agency or partnership").check()
    page.get_by_label("Describe them").fill("Safeguarding partnership data group")
    page.get_by_label("What was asked for, or what did you share?").fill(
        "Termly counts of children on child protection plans"
    )
    page.get_by_label("What purpose did they give?").fill("Termly review of demand")
    page.get_by_label("Why did you decide this?").fill("Counts only, no group under five.")
    page.get_by_role("button", name="Continue").click()
    expect(summary.get_by_role("link", name="Confirm you checked")).to_be_visible()
    axe_check(page, "standalone-new-check-needed")

    page.get_by_label("I have checked that it cannot identify anyone", exact=False).check()
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_title(page_title("Check your answers"))
    axe_check(page, "standalone-check")
    page.get_by_role("button", name="Record the decision").click()

    expect(page.locator(".govuk-notification-banner")).to_contain_text("Decision recorded")
    expect(page.get_by_text("Counts only, no group under five.")).to_be_visible()
    axe_check(page, "standalone-decision")

    page.get_by_role("link", name="Back").click()
    expect(page).to_have_title(page_title("Decisions not about one child's record"))
    axe_check(page, "standalone-list")
