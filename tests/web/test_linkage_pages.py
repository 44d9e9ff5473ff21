"""Finding a child (ranked matches, shown only as far as the searcher may see), recording a
new one that links through the online match, and the link review queue."""

from __future__ import annotations

import itertools
import json
import os
import random
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from jigsaw.audit.actions import AuditAction
from jigsaw.db import Database
from jigsaw.errors import NotPermitted
from jigsaw.identity.schemas import AgencyOut, PractitionerOut
from jigsaw.linkage import service as linking
from jigsaw.linkage.index import index_records
from jigsaw.linkage.models import LinkChange, ReviewStatus
from jigsaw.people.models import AgencyRecord, LinkStatus
from jigsaw.people.nhs_number import check_digit
from jigsaw.policy.actor import Actor
from jigsaw.policy.roles import AgencyKind, Role
from tests.conftest import PASSWORD, World
from tests.linkage.helpers import NOTHING_TO_TELL, open_review, review_status
from tests.singleview.helpers import involve, link, new_person
from tests.web.helpers import add_record, entries_by, form_token

_letters = itertools.count(1)


def surname(stem: str) -> str:
    """A family name no other test uses: the matcher ignores digits, so the suffix is letters."""
    suffix = f"{os.getpid()}{next(_letters):03d}".translate(
        str.maketrans("0123456789", "bcdfghjklm")
    )
    return f"{stem}{suffix}"


def nhs_number() -> str:
    """A valid NHS number of this test's own, so no other test's child shares it."""
    while True:
        first = "".join(random.choice("0123456789") for _ in range(9))
        digit = check_digit(first)
        if digit is not None and not first.startswith(("0", "999")):  # 999: test numbers
            return first + str(digit)


BORN = date(2016, 5, 1)


@dataclass
class Known:
    """A child known to a school and a health visitor, linked as one person and indexed."""

    family_name: str
    nhs_number: str
    person_id: int
    school: AgencyOut
    health: AgencyOut
    school_record: int
    health_record: int
    dsl: PractitionerOut
    officer: PractitionerOut
    officer_agency: AgencyOut


@pytest.fixture
def known(db: Database, world: World) -> Known:
    school = world.agency(AgencyKind.SCHOOL)
    health = world.agency(AgencyKind.HEALTH)
    police = world.agency(AgencyKind.POLICE)
    dsl = world.practitioner(school, Role.DSL)
    visitor = world.practitioner(health, Role.PRACTITIONER)
    officer = world.practitioner(police, Role.PRACTITIONER)
    family = surname("Pennyfeather")
    number = nhs_number()
    details: dict[str, Any] = {"date_of_birth": BORN, "postcode": "LS6 2AB"}
    at_school = add_record(db, world.actor(dsl), "Maisie", family, **details)
    at_health = add_record(db, world.actor(visitor), "Maisie", family, nhs_number=number, **details)
    person = new_person(db)
    link(db, person, at_school.id, at_health.id, status=LinkStatus.AUTO)
    index_records(db)
    return Known(
        family, number, person, school, health, at_school.id, at_health.id, dsl, officer, police
    )


def _search(client: TestClient, **fields: str) -> Any:
    token = form_token(client.get("/find-a-child").text)
    body = {
        "given_name": "Maisie",
        "family_name": "",
        "date_of_birth-day": str(BORN.day),
        "date_of_birth-month": str(BORN.month),
        "date_of_birth-year": str(BORN.year),
        "postcode": "LS6 2AB",
        "nhs_number": "",
        "csrf_token": token,
        **fields,
    }
    return client.post("/find-a-child", data=body)


def test_a_search_by_someone_with_no_purpose_shows_the_match_but_not_who_knows(
    client: TestClient, world: World, db: Database, known: Known
) -> None:
    world.sign_in(client, known.officer)
    response = _search(client, family_name=known.family_name)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    html = response.text
    assert "Very likely the same child" in html
    assert "Same date of birth" in html and "Agrees" in html
    assert "Another agency." in html
    assert known.school.name not in html and known.health.name not in html
    assert "This is the child" not in html
    assert "/who-knows" not in html
    # The search is audited with the persons found, and never the terms typed.
    [entry] = entries_by(db, AuditAction.PERSON_SEARCHED, known.officer.id)
    assert known.person_id in entry.refs["persons"]
    assert entry.refs["fields"] == "given_name,family_name,date_of_birth,postcode"
    assert entry.refs["who_knows"] == []
    kept = json.dumps([entry.refs, entry.object_type, entry.object_id, entry.purpose])
    assert known.family_name.lower() not in kept.lower()
    assert "maisie" not in kept.lower() and "LS6" not in kept


def test_a_search_by_an_agency_that_knows_the_child_offers_its_record_and_who_else_knows(
    client: TestClient, world: World, db: Database, known: Known
) -> None:
    world.sign_in(client, known.dsl)
    html = _search(client, family_name=known.family_name, nhs_number=known.nhs_number).text
    assert f'href="/children/{known.school_record}"' in html
    assert "This is the child" in html
    # That another agency knows the child, never which: the who-knows page decides that.
    assert "Another agency." in html
    assert known.health.name not in html
    assert f'href="/people/{known.person_id}/who-knows"' in html
    [entry] = entries_by(db, AuditAction.PERSON_SEARCHED, known.dsl.id)
    assert entry.refs["agency_records"] == [known.school_record]
    assert entry.refs["who_knows"] == [known.person_id]
    assert "nhs_number" in str(entry.refs["fields"])
    assert known.nhs_number not in json.dumps(entry.refs)


def test_bad_search_details_are_shown_as_errors_and_nothing_is_searched(
    client: TestClient, world: World, db: Database, known: Known
) -> None:
    world.sign_in(client, known.officer)
    response = _search(
        client,
        given_name="",
        family_name=known.family_name,
        nhs_number="485 777 3458",
        postcode="NOT A CODE",
        **{"date_of_birth-month": "13"},
    )
    assert response.status_code == 422
    html = response.text
    assert "<title>Error: Find a child" in html
    assert "Enter the child&#39;s first name" in html
    assert "its check digit does not match" in html
    assert "Enter a real postcode" in html
    assert "must be a real date" in html
    assert 'href="#date_of_birth-day"' in html
    assert entries_by(db, AuditAction.PERSON_SEARCHED, known.officer.id) == []


def test_only_frontline_roles_may_search(client: TestClient, world: World, known: Known) -> None:
    admin = world.practitioner(known.school, Role.ADMIN)
    world.sign_in(client, admin)
    assert _search(client, family_name=known.family_name).status_code == 403


def test_a_new_child_is_recorded_from_the_search_and_linked_by_the_online_match(
    client: TestClient, world: World, db: Database, known: Known
) -> None:
    world.sign_in(client, known.officer)
    carried = {
        "given_name": "Maisie",
        "family_name": known.family_name,
        "date_of_birth-day": "1",
        "date_of_birth-month": "5",
        "date_of_birth-year": "2016",
        "postcode": "LS6 2AB",
        "nhs_number": known.nhs_number,
    }
    token = form_token(client.get("/find-a-child").text)
    form = client.post("/find-a-child/new", data={**carried, "csrf_token": token})
    assert form.status_code == 200
    assert f'value="{known.family_name}"' in form.text
    assert f'value="{known.nhs_number}"' in form.text
    assert entries_by(db, AuditAction.AGENCY_RECORD_CREATED, known.officer.id) == []

    missing = client.post("/find-a-child/record", data={**carried, "csrf_token": token})
    assert missing.status_code == 422
    assert "Enter your agency&#39;s ID for the child" in missing.text
    assert "Select the child&#39;s sex" in missing.text

    assert "Say why your agency is working with this child" in missing.text

    local_id = surname("CASE")
    body = {
        **carried,
        "local_id": local_id,
        "sex": "female",
        "reason": "Arrested her father last night; she was in the house at the time",
        "csrf_token": token,
    }
    done = client.post("/find-a-child/record", data=body, follow_redirects=False)
    assert done.status_code == 303
    record_id = int(done.headers["location"].rsplit("/", 1)[1])
    with db.sessions() as session:
        record = session.get(AgencyRecord, record_id)
        assert record is not None
        assert record.person_id == known.person_id
        assert record.link_status is LinkStatus.AUTO
    [matched] = entries_by(db, AuditAction.LINK_MATCHED_ONLINE, known.officer.id)
    assert matched.refs["to_person"] == known.person_id
    assert matched.refs["records"] == [record_id]
    page = client.get(done.headers["location"]).text
    assert "Child recorded" in page
    assert "Other agencies know this child" in page
    assert "once your agency&#39;s safeguarding lead has confirmed the record" in page

    again = client.post("/find-a-child/record", data=body)
    assert again.status_code == 422
    assert "Your agency already has a child with this ID" in again.text


def test_recording_a_searched_child_shows_no_agency_or_worker_until_a_dsl_confirms(
    client: TestClient, world: World, db: Database, known: Known
) -> None:
    """The attack on the pages: search, record with a made-up id, then look."""
    visitor = world.practitioner(known.health, Role.PRACTITIONER)
    involve(db, world.actor(visitor), known.health_record, visitor.id, "Health visitor")
    involve(db, world.actor(known.dsl), known.school_record, known.dsl.id, "Safeguarding lead")
    secrets = [known.school.name, known.health.name, visitor.name, visitor.email, known.dsl.name]
    world.sign_in(client, known.officer)
    found = _search(client, family_name=known.family_name).text
    assert "Another agency." in found
    assert [s for s in secrets if s in found] == []
    token = form_token(found)
    body = {
        "given_name": "Maisie",
        "family_name": known.family_name,
        "date_of_birth-day": "1",
        "date_of_birth-month": "5",
        "date_of_birth-year": "2016",
        "postcode": "LS6 2AB",
        "nhs_number": known.nhs_number,
        "local_id": surname("MADEUP"),
        "sex": "female",
        "reason": "Need to see what is known about her for an enquiry",
        "csrf_token": token,
    }
    done = client.post("/find-a-child/record", data=body, follow_redirects=False)
    assert done.status_code == 303
    record_id = int(done.headers["location"].rsplit("/", 1)[1])
    assert _person(db, record_id) == known.person_id

    who = client.get(f"/people/{known.person_id}/who-knows")
    assert who.status_code == 200
    assert "has not been confirmed yet" in who.text
    assert "School" in who.text and "Health" in who.text  # kinds only
    chronology = client.get(f"/people/{known.person_id}/chronology")
    assert chronology.status_code == 200
    leaked = [s for s in secrets if s in who.text or s in chronology.text]
    assert leaked == []
    # The officer cannot confirm their own record.
    refused = client.post(f"/records-to-confirm/{record_id}", data={"csrf_token": token})
    assert refused.status_code == 403

    # The DPO sees the recording on the alert list, with the child and the reason.
    client.cookies.clear()
    world.sign_in(client, world.practitioner(known.officer_agency, Role.DPO))
    alerts = client.get("/access-log/alerts").text
    assert "Recorded a child they found by searching" in alerts
    assert "Need to see what is known about her for an enquiry" in alerts
    assert f"Maisie {known.family_name}" in alerts

    client.cookies.clear()
    police_dsl = world.practitioner(known.officer_agency, Role.DSL)
    world.sign_in(client, police_dsl)
    waiting = client.get("/records-to-confirm")
    assert waiting.status_code == 200
    assert "Need to see what is known about her for an enquiry" in waiting.text
    assert f'action="/records-to-confirm/{record_id}"' in waiting.text
    confirmed = client.post(
        f"/records-to-confirm/{record_id}",
        data={"csrf_token": form_token(waiting.text)},
        follow_redirects=False,
    )
    assert confirmed.status_code == 303
    assert "No records are waiting" in client.get("/records-to-confirm").text

    client.cookies.clear()
    world.sign_in(client, known.officer)
    opened = client.get(f"/people/{known.person_id}/who-knows").text
    assert known.school.name in opened and known.health.name in opened
    assert visitor.name in opened


# The review queue


@dataclass
class Pair:
    review_id: int
    record: int
    candidate: int
    family_name: str
    mash: PractitionerOut
    teacher: PractitionerOut
    reviewer: PractitionerOut
    voluntary: AgencyOut
    school: AgencyOut
    local_ids: tuple[str, str]


@pytest.fixture
def pair(db: Database, world: World) -> Pair:
    """A school's child and a voluntary service's (a domestic-abuse service, say) the model
    was unsure about; a DSL and a MASH worker who are not reviewers, and a reviewer."""
    school = world.agency(AgencyKind.SCHOOL)
    voluntary = world.agency(AgencyKind.VOLUNTARY)
    mash_agency = world.agency(AgencyKind.SOCIAL_CARE)
    teacher = world.practitioner(school, Role.DSL)
    worker = world.practitioner(voluntary, Role.PRACTITIONER)
    mash = world.practitioner(mash_agency, Role.MASH)
    reviewer = world.practitioner(mash_agency, Role.LINKAGE_REVIEWER)
    family = surname("Oakenshaw")
    at_school = add_record(db, world.actor(teacher), "Elizabeth", family, date_of_birth=BORN)
    at_refuge = add_record(db, world.actor(worker), "Beth", family, date_of_birth=date(2016, 1, 5))
    link(db, new_person(db), at_school.id, status=LinkStatus.AUTO)
    link(db, new_person(db), at_refuge.id, status=LinkStatus.IN_REVIEW)
    review_id = open_review(db, at_refuge.id, at_school.id, 0.874)
    return Pair(
        review_id,
        at_refuge.id,
        at_school.id,
        family,
        mash,
        teacher,
        reviewer,
        voluntary,
        school,
        (at_refuge.local_id, at_school.local_id),
    )


def _person(db: Database, record_id: int) -> int | None:
    with db.sessions() as session:
        return session.scalar(select(AgencyRecord.person_id).where(AgencyRecord.id == record_id))


@pytest.mark.parametrize("who", ["teacher", "mash"])
def test_dsls_and_the_mash_are_not_reviewers_and_are_refused_the_queue_and_its_pairs(
    client: TestClient, world: World, db: Database, pair: Pair, who: str
) -> None:
    person: PractitionerOut = getattr(pair, who)
    world.sign_in(client, person)
    home = client.get("/").text
    assert 'href="/link-reviews"' not in home
    assert client.get("/link-reviews").status_code == 403
    refused = client.get(f"/link-reviews/{pair.review_id}")
    assert refused.status_code == 403
    assert pair.family_name not in refused.text
    token = form_token(client.get("/find-a-child").text)
    posted = client.post(
        f"/link-reviews/{pair.review_id}", data={"decision": "confirm", "csrf_token": token}
    )
    assert posted.status_code == 403
    assert review_status(db, pair.review_id) is ReviewStatus.OPEN
    assert entries_by(db, AuditAction.LINK_REVIEW_VIEWED, person.id) == []
    assert entries_by(db, AuditAction.LINK_QUEUE_VIEWED, person.id) == []
    assert len(entries_by(db, AuditAction.ACCESS_REFUSED, person.id)) == 3


def test_an_administrator_is_not_a_reviewer(
    client: TestClient, world: World, db: Database, pair: Pair
) -> None:
    admin = world.practitioner(pair.school, Role.ADMIN)
    world.sign_in(client, admin)
    assert client.get("/link-reviews").status_code == 403
    assert client.get(f"/link-reviews/{pair.review_id}").status_code == 403


def test_a_reviewer_without_a_second_factor_is_refused(
    client: TestClient, world: World, db: Database, pair: Pair
) -> None:
    started = client.post("/api/session", json={"email": pair.reviewer.email, "password": PASSWORD})
    assert started.status_code == 200
    moved = client.get("/link-reviews", follow_redirects=False)
    assert moved.status_code == 303
    assert moved.headers["location"] == "/sign-in/code"
    half = Actor(
        pair.reviewer.id, pair.reviewer.agency_id, Role.LINKAGE_REVIEWER, mfa_verified=False
    )
    with pytest.raises(NotPermitted):
        linking.review_queue(db, half)
    with pytest.raises(NotPermitted):
        linking.review_pair(db, half, pair.review_id)


def test_a_reviewer_sees_the_queue_then_the_pair_side_by_side_and_each_look_is_audited(
    client: TestClient, world: World, db: Database, pair: Pair
) -> None:
    world.sign_in(client, pair.reviewer)
    queue = client.get("/link-reviews")
    assert queue.status_code == 200
    assert 'href="/link-reviews"' in queue.text
    assert f'href="/link-reviews/{pair.review_id}"' in queue.text
    assert "Possibly the same child \N{EN DASH} 87.4%" in queue.text
    assert "A voluntary service and a school" in queue.text
    assert pair.family_name not in queue.text  # the list shows no one's details
    assert pair.voluntary.name not in queue.text and pair.school.name not in queue.text
    [listed] = entries_by(db, AuditAction.LINK_QUEUE_VIEWED, pair.reviewer.id)
    assert pair.review_id in listed.refs["reviews"]
    assert entries_by(db, AuditAction.LINK_REVIEW_VIEWED, pair.reviewer.id) == []

    html = client.get(f"/link-reviews/{pair.review_id}").text
    for shown in ("Elizabeth", "Beth", pair.family_name, "1 May 2016", "5 January 2016"):
        assert shown in html
    assert "A voluntary service" in html and "A school" in html
    for hidden in (pair.voluntary.name, pair.school.name, *pair.local_ids):
        assert hidden not in html
    for words in ("Agrees", "Partly agrees", "Not compared"):
        assert words in html
    assert "Day and month swapped" in html or "swapped" in html.lower()
    assert "Confirm link" in html and "Reject link" in html
    [viewed] = entries_by(db, AuditAction.LINK_REVIEW_VIEWED, pair.reviewer.id)
    assert viewed.object_id == str(pair.review_id)
    assert viewed.refs["records"] == [pair.record, pair.candidate]
    assert pair.family_name not in json.dumps(viewed.refs)


def test_confirming_links_the_records_and_takes_the_pair_off_the_queue(
    client: TestClient, world: World, db: Database, pair: Pair
) -> None:
    world.sign_in(client, pair.reviewer)
    token = form_token(client.get(f"/link-reviews/{pair.review_id}").text)
    done = client.post(
        f"/link-reviews/{pair.review_id}",
        data={"decision": "confirm", "note": "", "csrf_token": token},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/link-reviews"
    queue = client.get("/link-reviews").text
    assert "Link confirmed" in queue
    assert f'href="/link-reviews/{pair.review_id}"' not in queue
    assert review_status(db, pair.review_id) is ReviewStatus.CONFIRMED
    assert _person(db, pair.record) == _person(db, pair.candidate)
    [confirmed] = entries_by(db, AuditAction.LINK_CONFIRMED, pair.reviewer.id)
    assert confirmed.object_id == str(pair.review_id)
    assert confirmed.refs["records"] == [pair.record]
    decided = client.get(f"/link-reviews/{pair.review_id}").text
    assert "already been confirmed" in decided
    assert "Confirm link" not in decided


def test_rejecting_with_a_note_keeps_the_records_apart(
    client: TestClient, world: World, db: Database, pair: Pair
) -> None:
    world.sign_in(client, pair.reviewer)
    token = form_token(client.get(f"/link-reviews/{pair.review_id}").text)
    url = f"/link-reviews/{pair.review_id}"
    too_long = client.post(url, data={"decision": "reject", "note": "x" * 501, "csrf_token": token})
    assert too_long.status_code == 422
    assert "Keep the reason under 500 characters" in too_long.text
    unchosen = client.post(url, data={"note": "", "csrf_token": token})
    assert unchosen.status_code == 422
    assert review_status(db, pair.review_id) is ReviewStatus.OPEN

    note = "Different school years; checked with the school office"
    done = client.post(url, data={"decision": "reject", "note": note, "csrf_token": token})
    assert done.status_code == 200
    assert "Link rejected" in done.text
    assert review_status(db, pair.review_id) is ReviewStatus.REJECTED
    assert _person(db, pair.record) != _person(db, pair.candidate)
    with db.sessions() as session:
        reason = session.scalar(
            select(LinkChange.reason).where(LinkChange.review_id == pair.review_id)
        )
    assert reason == note
    assert entries_by(db, AuditAction.LINK_REJECTED, pair.reviewer.id)
    again = client.post(url, data={"decision": "confirm", "csrf_token": token})
    assert "Nothing changed" in again.text
    assert review_status(db, pair.review_id) is ReviewStatus.REJECTED


def test_a_note_with_control_characters_is_refused_and_nothing_is_stored(
    client: TestClient, world: World, db: Database, pair: Pair
) -> None:
    """The page's note meets the API's rules: a NUL or a terminal escape is asked again
    for; line breaks, which the page's text box allows, are kept."""
    world.sign_in(client, pair.reviewer)
    url = f"/link-reviews/{pair.review_id}"
    token = form_token(client.get(url).text)
    for note in ("bad\x00note", "bad\x1b[31mnote"):
        refused = client.post(url, data={"decision": "reject", "note": note, "csrf_token": token})
        assert refused.status_code == 422
        assert "Remove the control characters" in refused.text
    assert review_status(db, pair.review_id) is ReviewStatus.OPEN
    note = "Different school years.\nChecked with the school office"
    done = client.post(url, data={"decision": "reject", "note": note, "csrf_token": token})
    assert done.status_code == 200
    with db.sessions() as session:
        stored = session.scalar(
            select(LinkChange.reason).where(LinkChange.review_id == pair.review_id)
        )
    assert stored == note


def test_a_page_number_in_other_digits_shows_the_first_page(
    client: TestClient, world: World, pair: Pair
) -> None:
    world.sign_in(client, pair.reviewer)
    for raw in ("%C2%B2", "%D9%A3", "%EF%BC%92"):
        assert client.get(f"/link-reviews?page={raw}").status_code == 200, raw


def test_a_pair_with_nothing_to_tell_the_children_apart_says_so_to_the_reviewer(
    client: TestClient, world: World, db: Database, pair: Pair
) -> None:
    """The guard holds such a pair at a probability the page calls likely; the page says
    what the agreeing details cannot tell."""
    nameless = add_record(db, world.actor(pair.teacher), "", pair.family_name)
    link(db, new_person(db), nameless.id, status=LinkStatus.IN_REVIEW)
    held = open_review(db, nameless.id, pair.record, 0.969, weight=5.0, evidence=NOTHING_TO_TELL)
    world.sign_in(client, pair.reviewer)
    html = client.get(f"/link-reviews/{held}").text
    assert "Likely the same child" in html
    assert "nothing recorded tells this child from a brother or sister" in html
    assert "govuk-warning-text" in html
    ordinary = client.get(f"/link-reviews/{pair.review_id}").text
    assert "govuk-warning-text" not in ordinary
