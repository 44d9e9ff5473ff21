"""In Chromium, with axe: a DPO reaches the agreements register from the navigation,
registers an agreement with a mistake in it, corrects it, approves it and reads it."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from jigsaw.db import Database
from jigsaw.policy.roles import AgencyKind, Role
from tests.agreements.helpers import by_id, document
from tests.conftest import World
from tests.web.conftest import AccessibilityChecks
from tests.web.helpers import sign_in_browser

pytestmark = pytest.mark.browser


@pytest.fixture
def page(browser: Browser, live_server: str) -> Iterator[Page]:
    context = browser.new_context(base_url=live_server)
    yield context.new_page()
    context.close()


def test_a_dpo_registers_corrects_and_approves_an_agreement(
    page: Page, live_server: str, world: World, db: Database, axe_check: AccessibilityChecks
) -> None:
    health, council = world.agency(AgencyKind.HEALTH), world.agency(AgencyKind.SOCIAL_CARE)
    dpo = world.practitioner(council, Role.DPO)
    body = document(provider=by_id(health.id), recipient=by_id(council.id))
    sign_in_browser(page, live_server, dpo.email, code=lambda: world.totp_code(dpo))

    page.goto("/")
    page.get_by_role("link", name="Agreements").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Data sharing agreements")
    axe_check(page, "agreements-list")

    page.get_by_role("button", name="Register an agreement").click()
    page.get_by_label("The agreement (JSON)").fill(json.dumps({**body, "tier": 9}, indent=2))
    page.get_by_role("button", name="Register as a draft").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("tier: must be one of: 1, 2, 3")
    axe_check(page, "agreement-form-errors")

    summary.get_by_role("link", name="tier: must be one of: 1, 2, 3").click()
    expect(page.get_by_label("The agreement (JSON)")).to_be_focused()
    page.get_by_label("The agreement (JSON)").fill(json.dumps(body, indent=2))
    page.get_by_role("button", name="Register as a draft").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("registered as a draft")
    axe_check(page, "agreement-draft")

    page.get_by_role("button", name="Approve and bring into force").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("approved and in force")
    expect(page.locator("main .govuk-tag").first).to_have_text("In force")
    page.get_by_text("The agreement as JSON").click()
    axe_check(page, "agreement-in-force")
