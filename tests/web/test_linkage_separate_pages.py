"""Separating a record the matching linked into the wrong person, from the pages: the
person's records for a linkage reviewer, a reason asked before anything changes, the
same unmerge the API makes (audited, everyone working with either told), and refusals
for everyone else, for forms without their token and for made-up ids and reasons."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from jigsaw.audit.actions import AuditAction
from jigsaw.audit.models import AuditEntry
from jigsaw.db import Database
from jigsaw.identity.schemas import PractitionerOut
from jigsaw.linkage.schemas import MAX_REASON
from jigsaw.notifications.models import Notification, NotificationKind
from jigsaw.people.models import AgencyRecord, LinkStatus
from jigsaw.policy.roles import AgencyKind, Role
from tests.conftest import World, unique
from tests.singleview.helpers import involve, link, new_person
from tests.web.helpers import (
    add_record,
    agency_and_practitioner,
    entries_about,
    entries_by,
    form_token,
)


@dataclass
class Linked:
    person: int
    school_record: int
    health_record: int
    wrong_record: int
    reviewer: PractitionerOut
    dsl: PractitionerOut
    visitor: PractitionerOut
    officer: PractitionerOut
    police_reviewer_agency_dsl: PractitionerOut
    family: str
    stranger_family: str


@pytest.fixture
def linked(db: Database, world: World) -> Linked:
    """A school's and a health visitor's records of one child, and a police record of
    another child that the matching linked into them by mistake."""
    _school, dsl = agency_and_practitioner(world, AgencyKind.SCHOOL, Role.DSL)
    _health, visitor = agency_and_practitioner(world, AgencyKind.HEALTH)
    police, officer = agency_and_practitioner(world, AgencyKind.POLICE)
    family = unique("Abernethy").replace(" ", "").replace("-", "")
    stranger_family = unique("Tremlett").replace(" ", "").replace("-", "")
    born = date(2018, 6, 2)
    at_school = add_record(db, world.actor(dsl), "Isla", family, date_of_birth=born)
    at_health = add_record(db, world.actor(visitor), "Isla", family, date_of_birth=born)
    wrong = add_record(db, world.actor(officer), "Isla", stranger_family, date_of_birth=born)
    person = new_person(db)
    link(db, person, at_school.id, at_health.id, wrong.id, status=LinkStatus.AUTO)
    involve(db, world.actor(officer), wrong.id, officer.id, "Officer in the case")
    reviewer = world.practitioner(world.agency(AgencyKind.SOCIAL_CARE), Role.LINKAGE_REVIEWER)
    police_dsl = world.practitioner(police, Role.DSL)
    return Linked(
        person,
        at_school.id,
        at_health.id,
        wrong.id,
        reviewer,
        dsl,
        visitor,
        officer,
        police_dsl,
        family,
        stranger_family,
    )


def _person_of(db: Database, record_id: int) -> int | None:
    with db.sessions() as session:
        return session.scalar(select(AgencyRecord.person_id).where(AgencyRecord.id == record_id))


def _looks_at(db: Database, person_id: int) -> list[AuditEntry]:
    """Reviewers' looks at one person (the same action as a look at a pair, about a person)."""
    entries = entries_about(db, AuditAction.LINK_REVIEW_VIEWED, person_id)
    return [e for e in entries if e.object_type == "person"]


def _separate_url(linked: Linked, record_id: int | str | None = None) -> str:
    record = linked.wrong_record if record_id is None else record_id
    return f"/linked-people/{linked.person}/records/{record}/separate"


def test_a_reviewer_separates_an_automatically_linked_record_through_the_pages(
    client: TestClient, world: World, db: Database, linked: Linked
) -> None:
    world.sign_in(client, linked.reviewer)
    queue = client.get("/link-reviews")
    assert 'href="/linked-people"' in queue.text
    found = client.get("/linked-people", params={"person": str(linked.person)})
    assert found.status_code == 200 and linked.stranger_family in found.text
    page = client.get(f"/linked-people/{linked.person}")
    assert page.status_code == 200
    assert "Records linked as one child" in page.text
    assert linked.family in page.text and linked.stranger_family in page.text
    assert "Linked by the matching" in page.text
    assert f'href="{_separate_url(linked)}"' in page.text
    looks = _looks_at(db, linked.person)
    assert len(looks) == 2, "the find's redirect and the page: each look is recorded"
    look = looks[-1]
    assert look.actor_id == linked.reviewer.id
    assert look.refs["records"] == sorted(
        [linked.school_record, linked.health_record, linked.wrong_record]
    )

    asked = client.get(_separate_url(linked))
    assert asked.status_code == 200
    assert f"Separate record {linked.wrong_record} from this child" in asked.text
    assert linked.stranger_family in asked.text and "Separate this record" in asked.text
    assert _person_of(db, linked.wrong_record) == linked.person, "asking changes nothing"

    done = client.post(
        _separate_url(linked),
        data={
            "reason": "Different surname and\nno shared address",
            "csrf_token": form_token(asked.text),
        },
    )
    assert done.status_code == 200, done.text
    assert str(done.url).endswith(f"/linked-people/{linked.person}")
    assert "Record separated" in done.text
    assert linked.family in done.text and linked.stranger_family not in done.text

    moved_to = _person_of(db, linked.wrong_record)
    assert moved_to is not None and moved_to != linked.person
    assert _person_of(db, linked.school_record) == linked.person
    assert _person_of(db, linked.health_record) == linked.person
    with db.sessions() as session:
        status = session.scalar(
            select(AgencyRecord.link_status).where(AgencyRecord.id == linked.wrong_record)
        )
    assert status is LinkStatus.REJECTED

    [change] = entries_by(db, AuditAction.LINK_UNMERGED, linked.reviewer.id)
    [entry] = entries_about(db, AuditAction.LINK_UNMERGED, int(change.object_id or 0))
    assert entry.refs["records"] == [linked.wrong_record]
    assert entry.refs["from_person"] == linked.person and entry.refs["to_person"] == moved_to
    assert int(entry.refs["told"]) > 0

    with db.sessions() as session:
        told = session.execute(
            select(Notification.agency_id, Notification.practitioner_id).where(
                Notification.kind == NotificationKind.RECORDS_UNLINKED,
                Notification.dedupe_key.like(f"records_unlinked:unmerge:{entry.object_id}:%"),
            )
        ).all()
    inboxes = {agency for agency, practitioner in told if practitioner is None}
    assert {linked.dsl.agency_id, linked.visitor.agency_id, linked.officer.agency_id} <= inboxes
    assert (linked.officer.agency_id, linked.officer.id) in told

    # The officer reads it on their notifications page, which leads to the record.
    world.sign_in(client, linked.officer)
    page = client.get("/notifications")
    assert page.status_code == 200
    assert "found not to be the person it was linked to" in page.text
    world.sign_in(client, linked.reviewer)
    again = client.get(_separate_url(linked))
    assert again.status_code == 404, "the record is no longer this child's"


def test_a_reason_is_asked_for_and_kept_within_bounds(
    client: TestClient, world: World, db: Database, linked: Linked
) -> None:
    world.sign_in(client, linked.reviewer)
    token = form_token(client.get(_separate_url(linked)).text)
    for reason, message in (
        ("", "Enter why this record is not this person&#39;s"),
        ("   ", "Enter why this record is not this person&#39;s"),
        ("x" * (MAX_REASON + 1), f"Keep the reason under {MAX_REASON} characters"),
        ("Bell\x07 in the note", "Remove the control characters"),
    ):
        refused = client.post(_separate_url(linked), data={"reason": reason, "csrf_token": token})
        assert refused.status_code == 422, (reason[:10], refused.status_code)
        assert message in refused.text
        assert "There is a problem" in refused.text
    assert _person_of(db, linked.wrong_record) == linked.person
    assert entries_by(db, AuditAction.LINK_UNMERGED, linked.reviewer.id) == []


def test_separating_without_the_form_token_changes_nothing(
    client: TestClient, world: World, db: Database, linked: Linked
) -> None:
    world.sign_in(client, linked.reviewer)
    for data in ({"reason": "Not her"}, {"reason": "Not her", "csrf_token": "forged"}):
        refused = client.post(_separate_url(linked), data=data)
        assert refused.status_code in (400, 403), refused.status_code
    assert _person_of(db, linked.wrong_record) == linked.person
    assert entries_by(db, AuditAction.LINK_UNMERGED, linked.reviewer.id) == []


@pytest.mark.parametrize("who", ["dsl", "officer", "police_reviewer_agency_dsl"])
def test_no_one_but_a_linkage_reviewer_sees_or_separates(
    client: TestClient, world: World, db: Database, linked: Linked, who: str
) -> None:
    """The same refusal the API gives, before anything is looked up: a practitioner of an
    agency holding one of the records learns no more than one of another agency."""
    someone: PractitionerOut = getattr(linked, who)
    world.sign_in(client, someone)
    urls = (
        "/linked-people",
        f"/linked-people/{linked.person}",
        f"/linked-people/{linked.person + 10_000_000}",
        _separate_url(linked),
    )
    for url in urls:
        refused = client.get(url)
        assert refused.status_code == 403, (url, refused.status_code)
        assert linked.family not in refused.text and linked.stranger_family not in refused.text
    token = form_token(client.get("/find-a-child").text)
    posted = client.post(_separate_url(linked), data={"reason": "Not her", "csrf_token": token})
    assert posted.status_code == 403
    api = client.post(
        "/api/link-unmerges", json={"record_ids": [linked.wrong_record], "reason": "Not her"}
    )
    assert api.status_code == posted.status_code
    assert _person_of(db, linked.wrong_record) == linked.person
    assert entries_by(db, AuditAction.LINK_UNMERGED, someone.id) == []
    assert _looks_at(db, linked.person) == []
    assert len(entries_by(db, AuditAction.ACCESS_REFUSED, someone.id)) >= len(urls) + 1


@pytest.mark.parametrize(
    "ident", ["abc", "-1", "0", "1.0", "99999999999", "2147483647", "%EF%BC%92", "1%00"]
)
def test_hostile_ids_are_not_found(
    client: TestClient, world: World, db: Database, linked: Linked, ident: str
) -> None:
    world.sign_in(client, linked.reviewer)
    token = form_token(client.get(_separate_url(linked)).text)
    data = {"reason": "Not her", "csrf_token": token}
    assert client.get(f"/linked-people/{ident}").status_code == 404, ident
    for url in (
        f"/linked-people/{ident}/records/{linked.wrong_record}/separate",
        _separate_url(linked, ident),
    ):
        assert client.get(url).status_code == 404, (url, ident)
        posted = client.post(url, data=data)
        if posted.status_code != 404:
            # An id that could name a record, but none in this person: the post is
            # refused as the service refuses it, on the person's page.
            assert str(posted.url).endswith(f"/linked-people/{linked.person}"), (url, ident)
            assert "Nothing changed" in posted.text and "Record separated" not in posted.text
    assert _person_of(db, linked.wrong_record) == linked.person
    assert entries_by(db, AuditAction.LINK_UNMERGED, linked.reviewer.id) == []


def test_a_record_of_another_person_is_not_found_under_this_one(
    client: TestClient, world: World, db: Database, linked: Linked
) -> None:
    elsewhere = add_record(db, world.actor(linked.visitor), "Noor", unique("Pask").replace(" ", ""))
    other_person = new_person(db)
    link(db, other_person, elsewhere.id, status=LinkStatus.AUTO)
    world.sign_in(client, linked.reviewer)
    token = form_token(client.get(_separate_url(linked)).text)
    url = _separate_url(linked, elsewhere.id)
    assert client.get(url).status_code == 404
    refused = client.post(url, data={"reason": "Not hers", "csrf_token": token})
    assert str(refused.url).endswith(f"/linked-people/{linked.person}")
    assert "Nothing changed" in refused.text and "Noor" not in refused.text
    assert _person_of(db, elsewhere.id) == other_person
    assert entries_by(db, AuditAction.LINK_UNMERGED, linked.reviewer.id) == []


def test_a_persons_only_record_is_not_offered_and_cannot_be_separated(
    client: TestClient, world: World, db: Database
) -> None:
    alone = add_record(
        db,
        world.actor(world.practitioner(world.agency(AgencyKind.SCHOOL))),
        "Rosa",
        unique("Venn").replace(" ", ""),
    )
    person = new_person(db)
    link(db, person, alone.id, status=LinkStatus.AUTO)
    reviewer = world.practitioner(world.agency(AgencyKind.SOCIAL_CARE), Role.LINKAGE_REVIEWER)
    world.sign_in(client, reviewer)
    page = client.get(f"/linked-people/{person}")
    assert page.status_code == 200
    assert "only one record" in page.text and "/separate" not in page.text
    url = f"/linked-people/{person}/records/{alone.id}/separate"
    asked = client.get(url)
    assert asked.status_code == 200 and str(asked.url).endswith(f"/linked-people/{person}")
    assert "Nothing changed" in asked.text and "Separate this record" not in asked.text
    token = form_token(client.get("/find-a-child").text)
    posted = client.post(url, data={"reason": "Not hers", "csrf_token": token})
    assert posted.status_code == 200
    assert "Nothing changed" in posted.text and "nothing would stay behind" in posted.text
    assert _person_of(db, alone.id) == person
    assert entries_by(db, AuditAction.LINK_UNMERGED, reviewer.id) == []


def test_a_number_that_is_not_a_person_number_is_asked_for_again(
    client: TestClient, world: World, linked: Linked
) -> None:
    world.sign_in(client, linked.reviewer)
    for typed in ("", "abc", "-3", "12a"):
        asked = client.get("/linked-people", params={"person": typed})
        assert asked.status_code == 422, typed
        assert "Enter the person&#39;s number" in asked.text
    missing = client.get("/linked-people", params={"person": "2147483000"})
    assert missing.status_code == 404


@pytest.mark.parametrize("role", [Role.ADMIN, Role.DPO, Role.MASH])
def test_an_administrator_or_other_senior_role_is_not_a_reviewer(
    client: TestClient, world: World, db: Database, linked: Linked, role: Role
) -> None:
    """Administering an agency (even one holding a record) does not make someone a
    linkage reviewer: the pages refuse them as they refuse a front-line practitioner."""
    police = world.agency(AgencyKind.POLICE)
    someone = world.practitioner(police, role)
    world.sign_in(client, someone)
    for url in ("/linked-people", f"/linked-people/{linked.person}", _separate_url(linked)):
        refused = client.get(url)
        assert refused.status_code == 403, (role, url, refused.status_code)
        assert linked.stranger_family not in refused.text
    token = form_token(client.get("/").text)
    posted = client.post(_separate_url(linked), data={"reason": "Not her", "csrf_token": token})
    assert posted.status_code == 403
    assert _person_of(db, linked.wrong_record) == linked.person
    assert _looks_at(db, linked.person) == []


def test_a_second_submit_changes_nothing_more_and_says_so(
    client: TestClient, world: World, db: Database, linked: Linked
) -> None:
    """Sending the form twice (or after another reviewer separated the record) is not a
    missing page: the reviewer is told nothing changed, on the person's page."""
    world.sign_in(client, linked.reviewer)
    token = form_token(client.get(_separate_url(linked)).text)
    data = {"reason": "Different surname", "csrf_token": token}
    first = client.post(_separate_url(linked), data=data)
    assert "Record separated" in first.text
    moved_to = _person_of(db, linked.wrong_record)
    again = client.post(_separate_url(linked), data=data)
    assert again.status_code == 200, again.status_code
    assert str(again.url).endswith(f"/linked-people/{linked.person}")
    assert "Nothing changed" in again.text and "moved to another person" in again.text
    assert _person_of(db, linked.wrong_record) == moved_to
    assert len(entries_by(db, AuditAction.LINK_UNMERGED, linked.reviewer.id)) == 1


def test_separating_records_one_change_and_no_look_that_showed_nothing(
    client: TestClient, world: World, db: Database, linked: Linked
) -> None:
    """The form's post is a change, audited once with the change; only the pages that
    show the person's records are looks at them."""
    world.sign_in(client, linked.reviewer)
    token = form_token(client.get(_separate_url(linked)).text)
    before = len(_looks_at(db, linked.person))
    done = client.post(_separate_url(linked), data={"reason": "Not her", "csrf_token": token})
    assert "Record separated" in done.text
    assert len(_looks_at(db, linked.person)) == before + 1, "only the page redirected to"
    [change] = entries_by(db, AuditAction.LINK_UNMERGED, linked.reviewer.id)
    assert linked.stranger_family not in str(change.refs) and linked.family not in str(change.refs)
