"""From a school's concern to the MASH seeing it corrected, in Chromium, all on the pages.

The school's designated safeguarding lead records a concern, decides through the guided
questions to share it with the MASH, shares it, and then corrects its summary with a
reason. The MASH practitioner is told, in the navigation and in their notifications, that
shared information was corrected; opening the notice shows what changed and why, and the
notice is then read. axe checks the notice and the recipient's disclosure page (WCAG 2.2
A and AA, 0 violations).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from jigsaw.db import Database
from jigsaw.identity import service as accounts
from jigsaw.policy.actor import Actor
from tests.conftest import World
from tests.scene import HARM_ANSWERS, Scene
from tests.web.conftest import AccessibilityChecks
from tests.web.helpers import page_title, sign_in_browser
from tests.web.sharing_steps import REVIEW
from tests.web.test_sharing_journeys import answer_questions, start_from_child

pytestmark = pytest.mark.browser

FIRST_SUMMARY = "Bruise on the left cheek, seen at drop-off"
CORRECTED_SUMMARY = "Bruise on the right cheek, seen at drop-off"
REASON = "The class teacher checked her notes: it was the right cheek"
CORRECTED_NOTICE = "Information shared with you has been corrected"


@pytest.fixture
def contexts(browser: Browser) -> Iterator[list[Any]]:
    """Each practitioner gets their own browser context (their own cookies)."""
    opened: list[Any] = []
    yield opened
    for context in opened:
        context.close()


def _signed_in(
    browser: Browser,
    live_server: str,
    world: World,
    db: Database,
    actor: Actor,
    opened: list[Any],
) -> Page:
    assert actor.practitioner_id is not None
    person = accounts.get_practitioner(db, actor.practitioner_id)
    context = browser.new_context(base_url=live_server)
    opened.append(context)
    page = context.new_page()
    sign_in_browser(page, live_server, person.email, code=lambda: world.totp_code(person))
    return page


def _continue(page: Page, name: str = "Continue") -> None:
    """Press the button and wait for the page the form moves on to."""
    before = page.url
    with page.expect_navigation():
        page.get_by_role("button", name=name, exact=True).click()
    assert page.url != before, f"{name} stayed on {before}"


def _heading(page: Page, text: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_contain_text(text)


def _unread(page: Page) -> int:
    """The count of new notifications the navigation shows (0 when it shows none)."""
    nav = page.locator(".govuk-service-navigation").get_by_role(
        "link", name=re.compile(r"^Notifications")
    )
    expect(nav).to_have_count(1)
    found = re.search(r"\((\d+) new\)", nav.inner_text())
    return int(found.group(1)) if found else 0


def _record_concern(page: Page, scene: Scene) -> int:
    """The DSL records a concern about the child on the pages; returns the item's id."""
    page.goto(f"/children/{scene.child_record_id}")
    page.get_by_role("button", name="Record a concern").click()
    expect(page).to_have_title(page_title("Record a concern"))
    page.get_by_label("Lily Barnes").check()
    page.get_by_label("Child's welfare").check()
    page.get_by_label("What type of information is it?", exact=True).select_option("injury")
    page.get_by_label("Fact", exact=True).check()
    page.get_by_label("Day").fill("3")
    page.get_by_label("Month").fill("2")
    page.get_by_label("Year").fill("2026")
    page.get_by_label("Summary").fill(FIRST_SUMMARY)
    page.get_by_label("Where did the information come from?").fill("Seen by the class teacher")
    page.get_by_label("Checked", exact=True).check()
    _continue(page)

    expect(page).to_have_title(page_title("Check your answers"))
    expect(page.get_by_text(FIRST_SUMMARY)).to_be_visible()
    _continue(page, "Record it")
    expect(page).to_have_title(page_title("Information recorded"))
    page.get_by_role("link", name="View what you recorded").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Injury")
    found = re.search(r"/items/(\d+)$", page.url)
    assert found, page.url
    return int(found.group(1))


def _decide_to_share(page: Page, scene: Scene, db: Database, axe: AccessibilityChecks) -> None:
    """The guided questions, the recommendation to share, and the decision recorded."""
    assert scene.social_worker.practitioner_id is not None
    worker = accounts.get_practitioner(db, scene.social_worker.practitioner_id)
    start_from_child(page, scene, worker.name, "Child protection enquiry (section 47)", axe)
    answer_questions(page, HARM_ANSWERS, axe)
    _heading(page, "Share the information")
    _continue(page, "Continue to record your decision")
    _heading(page, "What have you decided?")
    expect(page.get_by_label("Share", exact=True)).to_be_checked()
    _continue(page)
    page.get_by_label("Why have you made this decision?").fill(
        "A bruise to the face of a young child, with no explanation given."
    )
    _continue(page)
    page.get_by_label("Public task", exact=True).check()
    _continue(page)
    page.get_by_label("No", exact=True).check()
    _continue(page)
    page.get_by_label("Telling them would put the child at greater risk").check()
    _continue(page)
    _heading(page, "When will you review not telling the child or family?")
    page.get_by_label("Day").fill(REVIEW["not_told_review_on-day"])
    page.get_by_label("Month").fill(REVIEW["not_told_review_on-month"])
    page.get_by_label("Year").fill(REVIEW["not_told_review_on-year"])
    _continue(page)
    _heading(page, "Check your answers before recording your decision")
    _continue(page, "Record decision")
    expect(page.locator(".govuk-panel")).to_contain_text("Decision")


def _share(page: Page, item_id: int) -> int:
    """Choose the new item's date and summary, share them, and return the disclosure's id."""
    page.get_by_role("button", name="Choose what to share").click()
    _heading(page, "What will you share?")
    page.locator(f'input[name="fields-{item_id}"][value="occurred_on"]').check()
    page.locator(f'input[name="fields-{item_id}"][value="summary"]').check()
    _continue(page)
    _heading(page, "Until when may the recipient see this information?")
    _continue(page)
    expect(page.get_by_text(FIRST_SUMMARY)).to_be_visible()
    _continue(page, "Share information")
    banner = page.locator(".govuk-notification-banner")
    found = re.search(r"Disclosure (\d+) shared with", banner.inner_text())
    assert found, banner.inner_text()
    return int(found.group(1))


def _correct(page: Page, item_id: int) -> None:
    """Correct the summary on the item's correction page, giving the reason."""
    page.goto(f"/items/{item_id}")
    page.get_by_role("button", name="Correct it").click()
    expect(page).to_have_title(page_title("Correct this information"))
    assert page.url.endswith(f"/items/{item_id}/correct")
    expect(page.get_by_label("Summary")).to_have_value(FIRST_SUMMARY)
    page.get_by_label("Summary").fill(CORRECTED_SUMMARY)
    page.get_by_label("Why are you correcting it?").fill(REASON)
    _continue(page, "Record the correction")
    expect(page.get_by_text("Correction recorded")).to_be_visible()
    expect(page.get_by_role("heading", name="Version 2 (latest)")).to_be_visible()


def test_a_concern_recorded_shared_and_corrected_reaches_the_mash_with_what_changed(
    browser: Browser,
    live_server: str,
    world: World,
    db: Database,
    scene: Scene,
    contexts: list[Any],
    axe_check: AccessibilityChecks,
) -> None:
    school = _signed_in(browser, live_server, world, db, scene.dsl, contexts)
    item_id = _record_concern(school, scene)
    _decide_to_share(school, scene, db, axe_check)
    disclosure_id = _share(school, item_id)
    _correct(school, item_id)

    mash = _signed_in(browser, live_server, world, db, scene.social_worker, contexts)
    before = _unread(mash)
    # Told once that something was shared with them, and once that it was corrected.
    assert before == 2
    mash.get_by_role("link", name=re.compile(r"^Notifications")).click()
    _heading(mash, "Notifications")
    notice = mash.get_by_text(CORRECTED_NOTICE, exact=True)
    expect(notice).to_have_count(1)
    row = mash.locator("tr", has=notice)
    expect(row).to_contain_text("New")
    axe_check(mash, "notifications-correction-notice")

    with mash.expect_navigation():
        notice.click()
    assert mash.url.endswith(f"/shared-with-me#disclosure-{disclosure_id}"), mash.url
    _heading(mash, "Shared with you")
    shared = mash.locator(f"#disclosure-{disclosure_id}")
    expect(shared).to_contain_text(f"Disclosure {disclosure_id}")
    expect(shared).to_contain_text("Corrected")
    correction = shared.locator(".app-correction")
    expect(correction).to_have_count(1)
    expect(correction).to_contain_text(f"Why: {REASON}")
    expect(correction.locator("del")).to_have_text(f"Before: {FIRST_SUMMARY}")
    expect(correction.locator("ins")).to_have_text(f"Now: {CORRECTED_SUMMARY}")
    # The item as it now stands carries the corrected summary, not the first one.
    card = shared.locator(".govuk-summary-card")
    expect(card).to_contain_text(CORRECTED_SUMMARY)
    expect(card).not_to_contain_text(FIRST_SUMMARY)
    axe_check(mash, "shared-with-me-corrected")

    assert _unread(mash) == before - 1
    mash.get_by_role("link", name=re.compile(r"^Notifications")).click()
    row = mash.locator("tr", has=mash.get_by_text(CORRECTED_NOTICE, exact=True))
    expect(row).to_contain_text("Read")
    expect(row.get_by_role("button", name=re.compile("^Mark as read"))).to_have_count(0)
