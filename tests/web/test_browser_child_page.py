"""In Chromium, with axe: the child's page with what was decided, shared and asked; the
sharer's list and one disclosure; the recipient seeing a correction; who knows the child
with each agency's safeguarding lead."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from jigsaw.db import Database
from jigsaw.identity.schemas import PractitionerOut
from jigsaw.records import service as records
from jigsaw.records.schemas import CorrectionIn
from jigsaw.sharing import decisions
from tests.conftest import World
from tests.singleview.helpers import build_family, item, share
from tests.web.conftest import AccessibilityChecks
from tests.web.helpers import sign_in_browser

pytestmark = pytest.mark.browser


@pytest.fixture
def contexts(browser: Browser) -> Iterator[list[Any]]:
    opened: list[Any] = []
    yield opened
    for context in opened:
        context.close()


def _open(
    browser: Browser, live_server: str, world: World, person: PractitionerOut, opened: list[Any]
) -> Page:
    context = browser.new_context(base_url=live_server)
    opened.append(context)
    page = context.new_page()
    sign_in_browser(page, live_server, person.email, code=lambda: world.totp_code(person))
    return page


def test_the_child_page_sharing_lists_and_a_correction_pass_axe(
    browser: Browser,
    live_server: str,
    world: World,
    db: Database,
    contexts: list[Any],
    axe_check: AccessibilityChecks,
) -> None:
    family = build_family(db, world, surname="Hartley")
    rec = family.records
    bruise = item(db, family.dsl, rec["school"], "Bruise on the upper arm")
    made = share(
        db, family.dsl, rec["school"], [bruise], to_agency=family.mash.id, fields=["summary"]
    )
    fields = set(CorrectionIn.model_fields) - {"reason"}
    records.correct_item(
        db,
        family.dsl,
        bruise.id,
        CorrectionIn.model_validate(
            {
                **bruise.model_dump(include=fields),
                "summary": "Two bruises on the upper arm",
                "reason": "A second bruise was seen at lunch",
            }
        ),
    )
    decision = decisions.view_decision(db, family.dsl, made.decision_id)

    school = _open(browser, live_server, world, family.accounts["dsl"], contexts)
    school.goto(f"/children/{rec['school']}")
    expect(school.locator(f'a[href="/decisions/{decision.id}"]')).to_be_visible()
    expect(school.locator(f'a[href="/shared-by-us/{made.id}"]')).to_contain_text(
        f"Disclosure {made.id}"
    )
    axe_check(school, "child-with-sharing")
    school.goto("/shared-by-us")
    expect(
        school.get_by_role("heading", name=f"Disclosure {made.id}: Maisie Hartley")
    ).to_be_visible()
    axe_check(school, "shared-by-us-cards")
    school.goto(f"/shared-by-us/{made.id}")
    expect(school.locator(".govuk-panel")).to_have_count(0)
    axe_check(school, "disclosure-detail")

    mash = _open(browser, live_server, world, family.accounts["social_worker"], contexts)
    mash.goto("/shared-with-me")
    shared = mash.locator(f"#disclosure-{made.id}")
    expect(shared).to_contain_text("A second bruise was seen at lunch")
    expect(shared.locator("del")).to_contain_text("Bruise on the upper arm")
    expect(shared.locator("ins")).to_contain_text("Two bruises on the upper arm")
    axe_check(mash, "inbox-corrected")
    mash.goto(f"/children/{rec['mash']}")
    expect(mash.locator(f'a[href="/shared-with-me#disclosure-{made.id}"]')).to_be_visible()
    axe_check(mash, "child-shared-with-you")
    mash.goto(f"/people/{family.child}/who-knows")
    expect(mash.get_by_text("Safeguarding lead").first).to_be_visible()
    expect(mash.get_by_text(family.accounts["dsl"].email)).to_be_visible()
    axe_check(mash, "who-knows-leads")
