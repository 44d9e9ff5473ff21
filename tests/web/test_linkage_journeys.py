"""Finding and recording a child, and reviewing a link, in Chromium, with axe on every page.

The data is made through the services and the linkage test helpers (a person linked
by hand and indexed, a review opened as a run would), not by a full linkage run.
Set ``JIGSAW_SCREENSHOT_DIR`` to keep screenshots.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from jigsaw.db import Database
from jigsaw.identity.schemas import PractitionerOut
from jigsaw.linkage.index import index_records
from jigsaw.people.models import AgencyRecord, LinkStatus
from jigsaw.policy.roles import AgencyKind, Role
from tests.conftest import World
from tests.linkage.helpers import open_review
from tests.singleview.helpers import link, new_person
from tests.web.conftest import AccessibilityChecks
from tests.web.helpers import add_record, agency_and_practitioner, page_title, sign_in_browser
from tests.web.test_linkage_pages import nhs_number, surname

pytestmark = pytest.mark.browser

OpenPage = Callable[[PractitionerOut], Page]


@pytest.fixture
def signed_in(browser: Browser, live_server: str, world: World) -> Iterator[OpenPage]:
    """A fresh browser (its own cookies) signed in as the given practitioner."""
    contexts: list[Any] = []

    def open_as(person: PractitionerOut) -> Page:
        context = browser.new_context(base_url=live_server)
        contexts.append(context)
        page = context.new_page()
        sign_in_browser(page, live_server, person.email, code=lambda: world.totp_code(person))
        return page

    yield open_as
    for context in contexts:
        context.close()


def test_a_practitioner_finds_a_match_then_records_the_child_for_their_agency(
    signed_in: OpenPage, world: World, db: Database, axe_check: AccessibilityChecks
) -> None:
    school = world.agency(AgencyKind.SCHOOL)
    health = world.agency(AgencyKind.HEALTH)
    teacher = world.actor(world.practitioner(school, Role.DSL))
    visitor = world.practitioner(health, Role.PRACTITIONER)
    family = surname("Hollingbrook")
    number = nhs_number()
    born = date(2017, 3, 27)
    known = add_record(
        db, teacher, "Isla", family, date_of_birth=born, postcode="BD7 1AB", nhs_number=number
    )
    person = new_person(db)
    link(db, person, known.id, status=LinkStatus.AUTO)
    index_records(db)

    page = signed_in(visitor)
    page.get_by_role("button", name="Find or record a child").click()
    expect(page).to_have_title(page_title("Find a child"))
    axe_check(page, "find-a-child")

    page.get_by_role("button", name="Search").click()
    expect(page).to_have_title(page_title("Error: Find a child"))
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link", name="Enter the child's first name")).to_be_visible()
    axe_check(page, "find-a-child-errors")

    page.get_by_label("First name").fill("Isla")
    page.get_by_label("Last name").fill(family)
    page.get_by_label("Day").fill("27")
    page.get_by_label("Month").fill("3")
    page.get_by_label("Year").fill("2017")
    page.get_by_label("Postcode (optional)").fill("BD7 1AB")
    page.get_by_label("NHS number (optional)").fill(number)
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_title(page_title("Possible matches"))
    card = page.locator(".govuk-summary-card").first
    expect(card).to_contain_text("Very likely the same child")
    expect(card).to_contain_text("Same date of birth")
    expect(card).to_contain_text("Another agency.")
    expect(page.get_by_text(school.name)).to_have_count(0)
    axe_check(page, "find-a-child-results")

    page.get_by_role("button", name="Record a new child").click()
    expect(page).to_have_title(page_title("Record a new child"))
    expect(page.get_by_label("Last name")).to_have_value(family)
    expect(page.get_by_label("NHS number (optional)")).to_have_value(number)
    axe_check(page, "record-a-new-child")

    local_id = surname("HV")
    page.get_by_label("Your agency's ID for the child").fill(local_id)
    page.get_by_label("Female").check()
    page.get_by_label("Why is your agency working with this child?").fill(
        "New birth notification: family moved into the area last week"
    )
    page.get_by_role("button", name="Record child").click()
    expect(page).to_have_title(page_title("Child recorded"))
    expect(page.locator(".govuk-panel")).to_contain_text(local_id)
    expect(page.get_by_text("Other agencies know this child")).to_be_visible()
    axe_check(page, "child-recorded")

    with db.sessions() as session:
        recorded = session.scalars(
            select(AgencyRecord).where(
                AgencyRecord.agency_id == health.id, AgencyRecord.local_id == local_id
            )
        ).one()
    assert recorded.person_id == person

    # Until a colleague confirms the record, other agencies are shown by kind only.
    page.get_by_role("link", name="See who else knows Isla").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Who knows")
    expect(page.get_by_text("has not been confirmed yet")).to_be_visible()
    expect(page.get_by_text(school.name)).to_have_count(0)
    axe_check(page, "who-knows-unconfirmed")


def test_a_reviewer_compares_a_pair_and_confirms_the_link(
    signed_in: OpenPage, world: World, db: Database, axe_check: AccessibilityChecks
) -> None:
    school, teacher = agency_and_practitioner(world, AgencyKind.SCHOOL)
    mash, social_worker = agency_and_practitioner(world, AgencyKind.SOCIAL_CARE, Role.MASH)
    reviewer = world.practitioner(mash, Role.LINKAGE_REVIEWER)
    family = surname("Thistlewood")
    at_school = add_record(
        db, world.actor(teacher), "Elizabeth", family, date_of_birth=date(2015, 2, 3)
    )
    at_mash = add_record(
        db, world.actor(social_worker), "Beth", family, date_of_birth=date(2015, 3, 2)
    )
    link(db, new_person(db), at_school.id, status=LinkStatus.AUTO)
    link(db, new_person(db), at_mash.id, status=LinkStatus.IN_REVIEW)
    review_id = open_review(db, at_mash.id, at_school.id, 0.9993)

    page = signed_in(reviewer)
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Link reviews").click()
    expect(page).to_have_title(page_title("Link reviews"))
    axe_check(page, "link-reviews")

    page.get_by_role("link", name=f"Review pair {review_id}").click()
    expect(page).to_have_title(page_title(f"Review pair {review_id}"))
    table = page.get_by_role("table")
    expect(table).to_contain_text("Elizabeth")
    expect(table).to_contain_text("Beth")
    expect(table).to_contain_text("Partly agrees")
    expect(table).to_contain_text("Children's social care")
    expect(table).not_to_contain_text(school.name)
    axe_check(page, "link-review")

    page.get_by_label("Note (optional)").fill("Same child: the school confirmed the nickname")
    page.get_by_role("button", name="Confirm link").click()
    expect(page).to_have_title(page_title("Link reviews"))
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Link confirmed")
    expect(page.get_by_role("link", name=f"Review pair {review_id}")).to_have_count(0)
    axe_check(page, "link-reviews-after")

    with db.sessions() as session:
        persons = set(
            session.scalars(
                select(AgencyRecord.person_id).where(
                    AgencyRecord.id.in_([at_school.id, at_mash.id])
                )
            )
        )
    assert len(persons) == 1


def test_a_reviewer_separates_a_record_the_matching_linked_by_mistake(
    signed_in: OpenPage, world: World, db: Database, axe_check: AccessibilityChecks
) -> None:
    _school, teacher = agency_and_practitioner(world, AgencyKind.SCHOOL)
    police, officer = agency_and_practitioner(world, AgencyKind.POLICE)
    reviewer = world.practitioner(world.agency(AgencyKind.SOCIAL_CARE), Role.LINKAGE_REVIEWER)
    family, other_family = surname("Quarrie"), surname("Lindqvist")
    at_school = add_record(
        db, world.actor(teacher), "Maren", family, date_of_birth=date(2016, 8, 9)
    )
    wrong = add_record(
        db, world.actor(officer), "Maren", other_family, date_of_birth=date(2016, 8, 9)
    )
    person = new_person(db)
    link(db, person, at_school.id, wrong.id, status=LinkStatus.AUTO)

    page = signed_in(reviewer)
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Link reviews").click()
    page.get_by_role("link", name="find a person's linked records").click()
    expect(page).to_have_title(page_title("Find a person's linked records"))
    axe_check(page, "find-linked-person")
    page.get_by_label("Person's number").fill("not a number")
    page.get_by_role("button", name="Find linked records").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the person's number")
    axe_check(page, "find-linked-person-errors")
    page.get_by_label("Person's number").fill(str(person))
    page.get_by_role("button", name="Find linked records").click()
    expect(page).to_have_title(page_title("Records linked as one child"))
    expect(page.get_by_role("main")).to_contain_text(other_family)
    expect(page.get_by_role("main")).not_to_contain_text(police.name)
    axe_check(page, "linked-person")

    page.get_by_role("link", name=f"Separate record {wrong.id} from this child").click()
    expect(page).to_have_title(page_title("Separate this record"))
    axe_check(page, "separate-record")
    page.get_by_role("button", name="Separate this record").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter why this record")
    axe_check(page, "separate-record-errors")
    page.get_by_label("Why this record is not this child's").fill(
        "Different surname, police checked"
    )
    page.get_by_role("button", name="Separate this record").click()
    expect(page).to_have_title(page_title("Records linked as one child"))
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Record separated")
    expect(page.get_by_role("main")).not_to_contain_text(other_family)
    axe_check(page, "linked-person-after")

    with db.sessions() as session:
        rows = session.execute(
            select(AgencyRecord.id, AgencyRecord.person_id).where(
                AgencyRecord.id.in_([at_school.id, wrong.id])
            )
        ).all()
    persons = {record_id: person_id for record_id, person_id in rows}
    assert persons[at_school.id] == person and persons[wrong.id] not in (None, person)
