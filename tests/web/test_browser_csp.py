"""The Content-Security-Policy in a real browser: pages work and nothing is refused.

A policy that blocked one of the service's own scripts or styles would fail quietly
(a component that never starts, an unstyled tab), so Chromium reports every
violation and console error while a practitioner signs in, reads a child's record
and opens the API documentation.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect

from jigsaw.db import Database
from jigsaw.policy.roles import AgencyKind, Role
from tests.conftest import World, unique
from tests.web.helpers import add_item, add_record, sign_in_browser

pytestmark = pytest.mark.browser

RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


@pytest.fixture
def page(browser: Browser, live_server: str) -> Iterator[Page]:
    context = browser.new_context(base_url=live_server)
    context.add_init_script(RECORD_VIOLATIONS)
    tab = context.new_page()
    yield tab
    context.close()


def test_no_page_breaks_the_content_security_policy(
    page: Page, live_server: str, world: World, db: Database
) -> None:
    visitor = world.practitioner(world.agency(AgencyKind.HEALTH), Role.PRACTITIONER)
    actor = world.actor(visitor)
    family = unique("Marsh").replace(" ", "")
    child = add_record(db, actor, "Ada", family)
    add_item(db, actor, child.id, "Missed her 2-year review twice", subtype="missed_appointment")
    problems: list[str] = []

    def note_console(message: ConsoleMessage) -> None:
        expected_404 = message.location.get("url", "").endswith("/no-such-page")
        if message.type in ("error", "warning") and not expected_404:
            problems.append(f"{page.url}: console {message.type}: {message.text}")

    page.on("console", note_console)
    page.on("pageerror", lambda error: problems.append(f"{page.url}: {error}"))

    def check(name: str) -> None:
        page.wait_for_load_state("load")
        violations = page.evaluate("window.__violations")
        problems.extend(f"{name}: CSP refused {v}" for v in violations)
        classes = page.evaluate("document.body.className")
        assert "js-enabled" in classes and "govuk-frontend-supported" in classes, name

    page.goto("/sign-in")
    check("sign-in")
    sign_in_browser(page, live_server, visitor.email, code=lambda: world.totp_code(visitor))
    check("home")
    page.get_by_role("link", name=f"Ada {family}").click()
    expect(page.get_by_text("Missed her 2-year review twice")).to_be_visible()
    check("child")
    page.goto("/no-such-page")
    check("not found")

    page.goto("/api/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Jigsaw")
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()
    violations = page.evaluate("window.__violations")
    problems.extend(f"api docs: CSP refused {v}" for v in violations)

    assert problems == []
