"""In Chromium, with axe: a school DSL's home page lists what needs them today, the
navigation counts their unread notices, and the Operation Encompass notice opens on the
incident's date and the police contact, marked read as it opens."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from jigsaw.consent.models import SharingPurpose
from jigsaw.db import Database
from jigsaw.deadlines.timescales import load_profile
from jigsaw.deadlines.values import Rag
from jigsaw.records.models import Category
from jigsaw.sharing import requests
from jigsaw.sharing.schemas import RequestIn
from tests.conftest import World
from tests.singleview.helpers import build_family, item
from tests.web.conftest import AccessibilityChecks
from tests.web.helpers import sign_in_browser

pytestmark = pytest.mark.browser


@pytest.fixture
def page(browser: Browser, live_server: str) -> Iterator[Page]:
    context = browser.new_context(base_url=live_server)
    yield context.new_page()
    context.close()


def test_a_dsl_sees_what_needs_them_and_opens_the_encompass_notice(
    page: Page, live_server: str, world: World, db: Database, axe_check: AccessibilityChecks
) -> None:
    family = build_family(db, world, surname="Penhaligon")
    requests.make_request(
        db,
        family.social_worker,
        RequestIn(
            subject_record_id=family.records["mash"],
            recipient_agency_id=family.school.id,
            purpose=SharingPurpose.MASH_SCREENING,
            categories=[Category.CHILD_WELFARE],
            question="Attendance and any injuries this term, please",
            rag=Rag.RED,
        ),
        load_profile("default"),
    )
    item(
        db, family.officer, family.records["police"], "Officers attended the home",
        subtype="domestic_violence",
    )  # fmt: skip
    dsl = family.accounts["dsl"]
    sign_in_browser(page, live_server, dsl.email, code=lambda: world.totp_code(dsl))

    page.goto("/")
    expect(page.get_by_role("link", name="Notifications (2 new)")).to_be_visible()
    needs = page.locator(".app-needs-you")
    # Opening marks it read, so it is a form's button drawn as a link, not a link.
    opens = needs.get_by_role("button", name="Operation Encompass", exact=False)
    expect(opens).to_be_visible()
    expect(opens).to_have_css("text-decoration-line", "underline")
    axe_check(page, "home-needs-you")

    opens.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("domestic abuse incident")
    summary = page.locator(".govuk-summary-list")
    expect(summary).to_contain_text("2 March 2026")
    expect(summary).to_contain_text(family.accounts["officer"].name)
    expect(summary).to_contain_text("Maisie Penhaligon")
    expect(page.get_by_role("link", name="Notifications (1 new)")).to_be_visible()
    axe_check(page, "encompass-notice")

    page.get_by_role("link", name="Notifications (1 new)").click()
    axe_check(page, "notifications-with-count")
    expect(
        page.get_by_role("button", name="Your agency has a new request for information", exact=True)
    ).to_be_visible()
