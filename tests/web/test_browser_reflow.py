"""Reflow at 320 CSS pixels (WCAG 2.2, 1.4.10): no page scrolls sideways on a narrow phone.

Each page the other browser tests visit, filled with real content through the services
(items, shares, a decision not to share, a request, emergency access), is opened at
320 by 800 and its document must be no wider than the window.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from jigsaw.breakglass import service as breakglass
from jigsaw.breakglass.models import EmergencyGround
from jigsaw.breakglass.schemas import BreakGlassIn
from jigsaw.consent.models import SharingPurpose
from jigsaw.db import Database
from jigsaw.deadlines.timescales import load_profile
from jigsaw.deadlines.values import Rag
from jigsaw.identity.schemas import PractitionerOut
from jigsaw.policy.roles import AgencyKind, Role
from jigsaw.records.models import Category
from jigsaw.sharing import requests
from jigsaw.sharing.schemas import RequestIn
from jigsaw.singleview import service as singleview
from tests.conftest import World
from tests.singleview.helpers import Family, build_family, household_concerns, item, share
from tests.web.conftest import AccessibilityChecks
from tests.web.helpers import sign_in_browser

pytestmark = pytest.mark.browser

NARROW = {"width": 320, "height": 800}

WIDER_THAN_THE_WINDOW = """() => {
  const root = document.documentElement;
  const wide = [...document.querySelectorAll('body *')]
    .filter((e) => e.getBoundingClientRect().right > root.clientWidth + 1)
    .filter((e) => !e.closest('.govuk-visually-hidden, .govuk-skip-link'))
    .slice(0, 3)
    .map((e) => e.tagName.toLowerCase() + '.' + [...e.classList].join('.'));
  return {scroll: root.scrollWidth, client: root.clientWidth, wide};
}"""


@pytest.fixture
def narrow(browser: Browser, live_server: str, world: World) -> Iterator[Any]:
    """A fresh 320-pixel-wide browser signed in as the given account."""
    contexts: list[Any] = []

    def open_as(person: PractitionerOut, *, scripts: bool = True) -> Page:
        context = browser.new_context(
            base_url=live_server, viewport=NARROW, java_script_enabled=scripts
        )
        contexts.append(context)
        page = context.new_page()
        sign_in_browser(page, live_server, person.email, code=lambda: world.totp_code(person))
        return page

    yield open_as
    for context in contexts:
        context.close()


def _busy_family(db: Database, world: World) -> tuple[Family, dict[str, Any]]:
    family = build_family(db, world, surname="Featherstonehaugh")
    rec = family.records
    bruise = item(
        db, family.dsl, rec["school"], "Bruise on the upper arm, said she fell on the stairs",
        occurred_on=date(2026, 1, 12),
    )  # fmt: skip
    incident, _mood, _drink = household_concerns(db, family)
    shared = share(db, family.dsl, rec["school"], [bruise], to_agency=family.mash.id)
    received = share(db, family.officer, rec["police"], [incident], to_agency=family.school.id)
    asked = requests.make_request(
        db,
        family.social_worker,
        RequestIn(
            subject_record_id=rec["mash"],
            recipient_agency_id=family.school.id,
            purpose=SharingPurpose.MASH_SCREENING,
            categories=[Category.CHILD_WELFARE],
            question="What has the school seen this term, and who collects her?",
            rag=Rag.RED,
        ),
        load_profile("default"),
    )
    outsider_agency = world.agency(AgencyKind.SOCIAL_CARE)
    outsider = world.actor(world.practitioner(outsider_agency, Role.MASH))
    breakglass.start(
        db,
        outsider,
        family.child,
        BreakGlassIn(
            category=EmergencyGround.MISSING_CHILD,
            reason="Child found alone at the station late at night; police asking what is known.",
        ),
        60,
    )
    singleview.chronology(db, outsider, family.child)
    return family, {
        "shared": shared,
        "received": received,
        "request": asked,
        "dpo": world.practitioner(family.school, Role.DPO),
    }


def _offenders(page: Page, paths: list[str], axe: AccessibilityChecks) -> list[str]:
    found = []
    for path in paths:
        response = page.goto(path)
        assert response is not None and response.status < 400, f"{path}: {response}"
        axe(page, "320px " + re.sub(r"\d+", "N", path))
        found += _measured(page, path)
    return found


def _measured(page: Page, path: str) -> list[str]:
    """The page, if it is wider than the window, with the first elements that stick out."""
    measured = page.evaluate(WIDER_THAN_THE_WINDOW)
    if measured["scroll"] <= measured["client"]:
        return []
    return [
        f"{path}: {measured['scroll']}px wide in {measured['client']}px",
        f"  widest: {', '.join(measured['wide'])}",
    ]


def test_no_page_scrolls_sideways_at_320_pixels(
    narrow: Any, db: Database, world: World, axe_check: AccessibilityChecks
) -> None:
    family, made = _busy_family(db, world)
    rec = family.records
    school = rec["school"]
    child = family.child
    dsl_pages = [
        "/",
        f"/children/{school}",
        f"/people/{child}/chronology",
        f"/people/{child}/who-knows",
        f"/people/{child}/flags",
        "/shared-by-us",
        f"/shared-by-us/{made['shared'].id}",
        "/shared-with-me",
        "/requests",
        f"/requests/{made['request'].id}",
        f"/requests/{made['request'].id}/decide",
        f"/decisions/{made['shared'].decision_id}",
        "/notifications",
    ]
    dpo_pages = [
        "/access-log",
        "/access-log/alerts",
        f"/register?record={school}",
    ]
    found = _offenders(narrow(family.accounts["dsl"]), dsl_pages, axe_check)
    dpo = narrow(made["dpo"])
    found += _offenders(dpo, dpo_pages, axe_check)

    dpo.goto("/register")
    dpo.get_by_label("Child's name").fill("Maisie")
    with dpo.expect_navigation():
        dpo.get_by_role("button", name="Find a child").click()
    expect(dpo.locator("#children-found")).to_contain_text("Maisie Featherstonehaugh")
    axe_check(dpo, "320px register search results")
    found += _measured(dpo, "/register (search results)")
    assert found == [], "pages scroll sideways at 320px:\n" + "\n".join(found)


STACKED_CELLS = """() => {
  const cells = [...document.querySelectorAll('table.govuk-table > tbody > tr > td')];
  return {
    cells: cells.length,
    unlabelled: cells.filter((c) => !c.dataset.label).length,
    notStacked: cells.filter((c) => getComputedStyle(c).display !== 'block').length,
  };
}"""


def test_tables_stack_at_320_pixels_with_scripts_off(
    narrow: Any, db: Database, world: World
) -> None:
    """The server labels every cell with its column, so a phone with scripts off (or a
    script that failed) still gets each row as a block under its headings."""
    family, _made = _busy_family(db, world)
    page = narrow(family.accounts["dsl"], scripts=False)
    paths = [
        f"/people/{family.child}/chronology",
        "/requests",
        "/notifications",
        f"/children/{family.records['school']}",
    ]
    found = []
    for path in paths:
        response = page.goto(path)
        assert response is not None and response.status < 400, f"{path}: {response}"
        cells = page.evaluate(STACKED_CELLS)
        assert cells["cells"] > 0, f"{path} has no table to check"
        assert cells["unlabelled"] == 0, f"{path}: {cells}"
        assert cells["notStacked"] == 0, f"{path}: {cells}"
        found += _measured(page, path)
    assert found == [], "pages scroll sideways at 320px with scripts off:\n" + "\n".join(found)
