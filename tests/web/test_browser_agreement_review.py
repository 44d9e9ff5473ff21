"""A request from the MASH that the data sharing agreements leave to review, in Chromium.

The school and the MASH have an agreement, but it does not name MASH screening. The MASH
practitioner asks the school on the pages: before the request goes, the page says what
the agreements say and asks them to confirm they have considered it; sending without
confirming is refused with an error. Once sent, the request page shows the verdict to
both sides, and the school's decision journey shows it again where the outcome is chosen.
axe checks each of those pages (WCAG 2.2 A and AA, 0 violations).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from jigsaw.consent.models import SharingPurpose
from jigsaw.db import Database
from tests.agreed import agree
from tests.conftest import World
from tests.scene import HARM_ANSWERS, build_scene
from tests.web.conftest import AccessibilityChecks
from tests.web.helpers import page_title, signed_in_as
from tests.web.test_sharing_journeys import answer_questions

pytestmark = pytest.mark.browser

REVIEWED = "The data sharing agreements do not settle this"
NOT_NAMED = "does not name the purpose mash_screening"


@pytest.fixture
def contexts(browser: Browser) -> Iterator[list[Any]]:
    opened: list[Any] = []
    yield opened
    for context in opened:
        context.close()


def _press(page: Page, name: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=name, exact=True).click()


def test_a_mash_request_meets_a_review_and_goes_once_it_is_considered(
    browser: Browser,
    live_server: str,
    world: World,
    db: Database,
    contexts: list[Any],
    axe_check: AccessibilityChecks,
) -> None:
    scene = build_scene(db, world, agreed=False)
    agree(
        db,
        scene.school.id,
        scene.mash.id,
        purposes=[SharingPurpose.EARLY_HELP, SharingPurpose.CHILD_PROTECTION_ENQUIRY],
        title="School and MASH early help agreement",
    )
    mash_child = scene.mash_child(db)

    mash = signed_in_as(browser, live_server, world, db, scene.social_worker, contexts)
    mash.goto(f"/children/{mash_child.id}/request-information")
    expect(mash).to_have_title(page_title("Ask another agency for information"))
    mash.get_by_label("Which agency are you asking?").select_option(label=scene.school.name)
    mash.get_by_label("MASH screening of a referral", exact=True).check()
    mash.get_by_label("Child's welfare", exact=True).check()
    mash.get_by_label("What do you want to know?").fill("Attendance and any injuries this term?")
    mash.get_by_label("Amber", exact=True).check()
    _press(mash, "Send request")

    # Not sent yet: what the agreements say, and what going ahead needs.
    verdict = mash.locator("#agreement-check")
    expect(verdict).to_contain_text(REVIEWED)
    expect(verdict).to_contain_text(NOT_NAMED)
    expect(mash.locator(".govuk-error-summary")).to_have_count(0)
    axe_check(mash, "agreement-review-asking")
    _press(mash, "Send request")
    summary = mash.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Confirm that you have considered")
    axe_check(mash, "agreement-review-asking-error")
    mash.get_by_label(re.compile("I have considered what the data sharing agreements say")).check()
    _press(mash, "Send request")

    expect(mash.locator(".govuk-notification-banner")).to_contain_text("has been sent")
    found = re.search(r"/requests/(\d+)$", mash.url)
    assert found, mash.url
    request_id = int(found.group(1))
    sent = mash.locator("#agreement-check")
    expect(sent).to_contain_text("What the data sharing agreements said when it was asked")
    expect(sent).to_contain_text("Confirmed as considered before it went ahead.")
    axe_check(mash, "agreement-review-request")

    school = signed_in_as(browser, live_server, world, db, scene.dsl, contexts)
    school.goto(f"/requests/{request_id}")
    expect(school.locator("#agreement-check")).to_contain_text(NOT_NAMED)
    school.get_by_role("button", name="Decide whether to share").click()
    expect(school.get_by_role("heading", level=1)).to_contain_text("Which child")
    school.get_by_label(re.compile("Lily Barnes")).first.check()
    _press(school, "Continue")
    answer_questions(school, HARM_ANSWERS, axe_check)
    _press(school, "Continue to record your decision")
    expect(school.get_by_role("heading", level=1)).to_contain_text("What have you decided?")
    expect(school.locator("#agreement-check")).to_contain_text(REVIEWED)
    expect(
        school.get_by_text("you will be asked to confirm you have considered this")
    ).to_be_visible()
    axe_check(school, "agreement-review-outcome")
