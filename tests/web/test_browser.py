"""A practitioner's first journey in a real browser, checked for accessibility on each page.

Runs the actual app under uvicorn and drives Debian's Chromium with Playwright (the
server and browser fixtures live in ``tests/web/conftest.py``); axe-core checks every
page against WCAG 2.2 A and AA. Set ``JIGSAW_SCREENSHOT_DIR`` to keep a full-page
screenshot of each step.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, Request, Response, expect

from jigsaw.clock import utcnow
from jigsaw.db import Database
from jigsaw.identity import totp
from jigsaw.people import service as people
from jigsaw.people.models import PersonRole, RelationshipKind
from jigsaw.people.schemas import RelationshipIn
from jigsaw.policy.roles import AgencyKind, Role
from jigsaw.records.models import Category, Nature
from tests.conftest import PASSWORD, World, unique
from tests.web.conftest import AXE_OPTIONS
from tests.web.helpers import add_item, add_record, page_title, sign_in_browser

pytestmark = pytest.mark.browser


@pytest.fixture
def page(browser: Browser, live_server: str) -> Iterator[Page]:
    context = browser.new_context(base_url=live_server)
    tab = context.new_page()
    yield tab
    context.close()


def check_accessibility(page: Page, name: str) -> None:
    """Fail with axe's own report if the page breaks any WCAG 2.2 A or AA rule."""
    results = Axe().run(page, options=AXE_OPTIONS)
    shot_dir = os.environ.get("JIGSAW_SCREENSHOT_DIR")
    if shot_dir:
        page.screenshot(path=str(Path(shot_dir) / f"{name}.png"), full_page=True)
    if results.violations_count:
        report = results.generate_report()
        print(report)
        pytest.fail(f"{name}: {results.violations_count} accessibility violations\n{report}")


def test_practitioner_signs_in_finds_a_child_and_reads_the_record(
    page: Page, world: World, db: Database
) -> None:
    health = world.agency(AgencyKind.HEALTH)
    visitor = world.practitioner(health, Role.PRACTITIONER)
    actor = world.actor(visitor)
    family = unique("Whitfield").replace(" ", "")
    child = add_record(db, actor, "Isla", family, nhs_number="9434765919")
    parent = add_record(db, actor, "Dana", family, PersonRole.PARENT_CARER)
    people.create_relationship(
        db,
        actor,
        RelationshipIn(
            from_record_id=parent.id, to_record_id=child.id, kind=RelationshipKind.PARENT
        ),
    )
    add_item(db, actor, child.id, "Missed her 2-year review twice", subtype="missed_appointment")
    add_item(
        db,
        actor,
        child.id,
        "Home cold and little food in the cupboards",
        category=Category.PARENT_CAPACITY,
        subtype="home_conditions",
        nature=Nature.OPINION,
    )
    broken: list[str] = []

    def note_broken_asset(response: Response) -> None:
        if response.status >= 400 and response.request.resource_type != "document":
            broken.append(f"{response.status} {response.url}")

    page.on("response", note_broken_asset)

    page.goto("/")
    expect(page).to_have_url(re.compile(r"/sign-in$"))
    expect(page).to_have_title(page_title("Sign in"))
    expect(page.locator(".govuk-phase-banner")).to_contain_text("Synthetic data only")
    check_accessibility(page, "sign-in")

    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_title(page_title("Error: Sign in"))
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link", name="Enter your email address")).to_be_visible()
    check_accessibility(page, "sign-in-errors")

    page.get_by_label("Email address").fill(visitor.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_title(page_title("Enter the 6-digit code"))
    expect(page.get_by_role("navigation", name="Menu").get_by_role("link")).to_have_count(0)
    check_accessibility(page, "sign-in-code")

    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".govuk-error-summary")).to_be_focused()
    check_accessibility(page, "sign-in-code-errors")
    page.get_by_label("Enter the 6-digit code").fill(world.totp_code(visitor))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Children known to {health.name}")
    expect(page.get_by_role("link", name=f"Isla {family}")).to_be_visible()
    expect(page.get_by_role("link", name=f"Dana {family}")).to_have_count(0)
    check_accessibility(page, "home")

    page.get_by_role("link", name=f"Isla {family}").click()
    expect(page).to_have_title(page_title(f"Isla {family}"))
    expect(page.get_by_text("Missed her 2-year review twice")).to_be_visible()
    expect(page.get_by_text("Parent or carer's capacity")).to_be_visible()
    expect(page.get_by_role("link", name=f"Dana {family}")).to_be_visible()
    check_accessibility(page, "child")

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You have signed out")).to_be_visible()
    assert broken == [], "styles, scripts or fonts failed to load"


def test_searching_for_a_child_keeps_their_name_out_of_every_address(
    page: Page, live_server: str, world: World, db: Database
) -> None:
    school = world.agency(AgencyKind.SCHOOL)
    teacher = world.practitioner(school, Role.PRACTITIONER)
    actor = world.actor(teacher)
    family = unique("Barnes").replace(" ", "")
    for n in range(26):
        add_record(db, actor, f"Lily{n:02d}", family)
    other = add_record(db, actor, "Oscar", unique("Abbott"))  # first in the full list
    sign_in_browser(page, live_server, teacher.email, code=lambda: world.totp_code(teacher))
    sent: list[str] = []

    def note_address(request: Request) -> None:
        sent.extend([request.url, request.headers.get("referer", "")])

    page.on("request", note_address)

    page.get_by_label("Search by name or local ID").fill(family)
    page.keyboard.press("Enter")
    expect(page.locator("caption")).to_contain_text("26 children matching")
    expect(page.get_by_role("link", name=f"Oscar {other.family_name}")).to_have_count(0)
    check_accessibility(page, "home-search")

    page.get_by_role("link", name="Next").click()
    expect(page).to_have_url(re.compile(r"/\?page=2$"))
    expect(page.locator("caption")).to_contain_text("26 children matching")
    expect(page.get_by_role("link", name=f"Lily25 {family}")).to_be_visible()

    page.get_by_role("button", name="Clear search").click()
    expect(page.locator("caption")).to_contain_text("27 children")
    expect(page.locator("caption")).not_to_contain_text("matching")
    expect(page.get_by_role("link", name=f"Oscar {other.family_name}")).to_be_visible()
    expect(page.get_by_label("Search by name or local ID")).to_have_value("")

    assert sent, "the browser made no requests"
    leaked = [a for a in sent if family.lower() in a.lower() or "q=" in a]
    assert leaked == [], "the child's name reached an address or a Referer header"


def test_skip_link_is_the_first_stop_for_keyboard_users(page: Page) -> None:
    page.goto("/sign-in")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#main-content")).to_be_focused()


def test_first_sign_in_sets_up_an_authenticator_then_confirms_it_is_them(
    page: Page, world: World
) -> None:
    newcomer = world.practitioner(world.agency(AgencyKind.SOCIAL_CARE), second_factor=False)
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(newcomer.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up your authenticator app")
    expect(
        page.get_by_role("img", name=re.compile("QR code to add your Jigsaw account"))
    ).to_be_visible()
    check_accessibility(page, "set-up-authenticator")

    secret = page.locator("#setup-key").inner_text().replace(" ", "")
    code = totp.code_for_step(secret, totp.step_at(utcnow()))
    page.get_by_label("Enter the 6-digit code from the app").fill(code)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Children known to")

    page.goto("/re-authenticate?next=/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Confirm it\N{RIGHT SINGLE QUOTATION MARK}s you"
    )
    check_accessibility(page, "re-authenticate")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    later = totp.code_for_step(secret, totp.step_at(utcnow()) + 1)
    page.get_by_label("Code from your authenticator app").fill(later)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Children known to")


def test_a_locked_account_is_told_when_to_try_again(page: Page, world: World) -> None:
    target = world.practitioner()
    page.goto("/sign-in")
    for _ in range(5):
        page.get_by_label("Email address").fill(target.email)
        page.get_by_label("Password", exact=True).fill("not the password")
        page.get_by_role("button", name="Sign in").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("too many attempts")
    expect(summary).to_contain_text(re.compile(r"Try again after \d{1,2}:\d\d[ap]m"))
    expect(summary).to_be_focused()
    check_accessibility(page, "sign-in-locked")
