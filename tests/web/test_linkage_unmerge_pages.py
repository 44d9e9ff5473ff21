"""Undoing a confirmed link on the review page, as the page promises: a form with its
CSRF token for a linkage reviewer, refused to everyone else and to made-up ids; and
adults' pairs asked about as people, not children."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from jigsaw.audit.actions import AuditAction
from jigsaw.db import Database
from jigsaw.identity.schemas import PractitionerOut
from jigsaw.linkage import service as linking
from jigsaw.notifications.models import Notification, NotificationKind
from jigsaw.people.models import AgencyRecord, LinkStatus, PersonRole
from jigsaw.policy.roles import AgencyKind, Role
from tests.conftest import World, unique
from tests.linkage.helpers import open_review
from tests.singleview.helpers import link, new_person
from tests.web.helpers import add_record, entries_by, form_token


@dataclass
class Confirmed:
    review_id: int
    moved: int
    stayed: int
    person: int
    reviewer: PractitionerOut
    dsl: PractitionerOut
    stranger: PractitionerOut
    family: str


@pytest.fixture
def confirmed(db: Database, world: World) -> Confirmed:
    """A school's child and a health visitor's, confirmed as one by a reviewer."""
    school = world.agency(AgencyKind.SCHOOL)
    health = world.agency(AgencyKind.HEALTH)
    dsl = world.practitioner(school, Role.DSL)
    visitor = world.practitioner(health)
    family = unique("Prothero").replace(" ", "").replace("-", "")
    stays = add_record(db, world.actor(dsl), "Esme", family, date_of_birth=date(2019, 3, 3))
    moves = add_record(db, world.actor(visitor), "Esmé", family, date_of_birth=date(2019, 3, 3))
    person = new_person(db)
    link(db, person, stays.id, status=LinkStatus.AUTO)
    link(db, new_person(db), moves.id, status=LinkStatus.IN_REVIEW)
    review_id = open_review(db, moves.id, stays.id, 0.97)
    reviewer = world.practitioner(world.agency(AgencyKind.SOCIAL_CARE), Role.LINKAGE_REVIEWER)
    linking.confirm_link(db, world.actor(reviewer), review_id)
    stranger = world.practitioner(world.agency(AgencyKind.POLICE), Role.DSL)
    return Confirmed(review_id, moves.id, stays.id, person, reviewer, dsl, stranger, family)


def _person_of(db: Database, record_id: int) -> int | None:
    with db.sessions() as session:
        return session.scalar(select(AgencyRecord.person_id).where(AgencyRecord.id == record_id))


def test_a_reviewer_undoes_a_confirmed_link_from_the_review_page(
    client: TestClient, world: World, db: Database, confirmed: Confirmed
) -> None:
    world.sign_in(client, confirmed.reviewer)
    url = f"/link-reviews/{confirmed.review_id}"
    page = client.get(url)
    assert page.status_code == 200
    assert "Undo this link" in page.text
    assert f'action="{url}/undo"' in page.text
    token = form_token(page.text)

    undone = client.post(
        f"{url}/undo", data={"note": "Different birth\nregistrations", "csrf_token": token}
    )
    assert undone.status_code == 200, undone.text
    assert "Link undone" in undone.text
    assert "the link has since been undone" in undone.text
    assert f'action="{url}/undo"' not in undone.text
    assert _person_of(db, confirmed.moved) != confirmed.person
    assert _person_of(db, confirmed.stayed) == confirmed.person
    [entry] = entries_by(db, AuditAction.LINK_UNMERGED, confirmed.reviewer.id)
    assert entry.refs["review"] == confirmed.review_id
    with db.sessions() as session:
        told = session.scalars(
            select(Notification.agency_id).where(
                Notification.kind == NotificationKind.RECORDS_UNLINKED,
                Notification.dedupe_key.like(f"records_unlinked:unmerge:{entry.object_id}:%"),
                Notification.practitioner_id.is_(None),
            )
        ).all()
    assert confirmed.dsl.agency_id in told

    again = client.post(f"{url}/undo", data={"note": "", "csrf_token": token})
    assert again.status_code == 200
    assert "Nothing changed" in again.text and "already been undone" in again.text


def test_undoing_without_the_form_token_changes_nothing(
    client: TestClient, world: World, db: Database, confirmed: Confirmed
) -> None:
    world.sign_in(client, confirmed.reviewer)
    url = f"/link-reviews/{confirmed.review_id}/undo"
    for data in ({"note": ""}, {"note": "", "csrf_token": "forged"}):
        refused = client.post(url, data=data)
        assert refused.status_code in (400, 403), refused.status_code
    assert _person_of(db, confirmed.moved) == confirmed.person
    assert entries_by(db, AuditAction.LINK_UNMERGED, confirmed.reviewer.id) == []


@pytest.mark.parametrize("who", ["dsl", "stranger"])
def test_someone_without_the_reviewer_role_of_either_agency_or_another_cannot_undo(
    client: TestClient, world: World, db: Database, confirmed: Confirmed, who: str
) -> None:
    person: PractitionerOut = getattr(confirmed, who)
    world.sign_in(client, person)
    url = f"/link-reviews/{confirmed.review_id}"
    refused = client.get(url)
    assert refused.status_code == 403
    assert confirmed.family not in refused.text and "Undo link" not in refused.text
    token = form_token(client.get("/find-a-child").text)
    posted = client.post(f"{url}/undo", data={"note": "", "csrf_token": token})
    assert posted.status_code == 403
    assert _person_of(db, confirmed.moved) == confirmed.person
    assert entries_by(db, AuditAction.LINK_UNMERGED, person.id) == []
    assert len(entries_by(db, AuditAction.ACCESS_REFUSED, person.id)) == 2


@pytest.mark.parametrize(
    "ident", ["abc", "-1", "0", "1.0", "99999999999", "2147483647", "%EF%BC%92", "1%00"]
)
def test_hostile_review_ids_are_not_found(
    client: TestClient, world: World, confirmed: Confirmed, ident: str
) -> None:
    world.sign_in(client, confirmed.reviewer)
    token = form_token(client.get(f"/link-reviews/{confirmed.review_id}").text)
    posted = client.post(f"/link-reviews/{ident}/undo", data={"note": "", "csrf_token": token})
    assert posted.status_code == 404, (ident, posted.status_code)


def test_an_adults_pair_is_asked_about_the_same_person_not_the_same_child(
    client: TestClient, world: World, db: Database
) -> None:
    police = world.agency(AgencyKind.POLICE)
    housing = world.agency(AgencyKind.HOUSING)
    family = unique("Lusk").replace(" ", "").replace("-", "")
    officer = world.actor(world.practitioner(police))
    officer_at_housing = world.actor(world.practitioner(housing))
    a = add_record(db, officer, "Glen", family, PersonRole.PARENT_CARER)
    b = add_record(db, officer_at_housing, "Glenn", family, PersonRole.PARENT_CARER)
    link(db, new_person(db), a.id, status=LinkStatus.AUTO)
    link(db, new_person(db), b.id, status=LinkStatus.IN_REVIEW)
    review_id = open_review(db, b.id, a.id, 0.87)
    reviewer = world.practitioner(police, Role.LINKAGE_REVIEWER)
    world.sign_in(client, reviewer)

    page = client.get(f"/link-reviews/{review_id}")
    assert page.status_code == 200
    assert "Are these records the same person?" in page.text
    assert "a confirmed link can be undone from this page" in page.text
    assert "Possibly the same person" in page.text
    assert "same child" not in page.text and "the possible match&#39;s child" not in page.text
    queue = client.get("/link-reviews?page=1").text
    assert "same child" in queue or "same person" in queue
    pair = client.get(f"/api/link-reviews/{review_id}").json()
    assert pair["question"] == "Are these records the same person?"

    token = form_token(page.text)
    done = client.post(
        f"/link-reviews/{review_id}", data={"decision": "confirm", "note": "", "csrf_token": token}
    )
    assert done.status_code == 200
    assert "now one person" in done.text and "one child" not in done.text
