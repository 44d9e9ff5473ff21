"""What needs a practitioner, on every page and on the home page: the unread count in the
navigation, opening a notice marks it read, and "Needs you today" soonest deadline first."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select

from jigsaw.clock import utcnow
from jigsaw.consent.models import SharingPurpose
from jigsaw.db import Database
from jigsaw.deadlines.timescales import load_profile
from jigsaw.deadlines.values import Rag
from jigsaw.encompass import service as encompass
from jigsaw.errors import NotFound
from jigsaw.notifications import service as notifications
from jigsaw.notifications.models import Notification, NotificationKind
from jigsaw.policy import authorize as policy
from jigsaw.policy.authorize import Permission
from jigsaw.policy.roles import Role
from jigsaw.records.models import Category
from jigsaw.sharing import advice, reminders, requests
from jigsaw.sharing.models import AdviceRole
from jigsaw.sharing.schemas import AdviceIn, RequestIn, RequestOut
from tests.conftest import World
from tests.singleview.helpers import Family, build_family, item
from tests.web.helpers import form_token, sign_in_through_the_page


@pytest.fixture
def family(db: Database, world: World) -> Family:
    return build_family(db, world)


@pytest.fixture
def held(db: Database) -> Iterator[None]:
    yield
    db.clock.hold(None)


def _request(db: Database, family: Family, rag: Rag) -> RequestOut:
    return requests.make_request(
        db,
        family.social_worker,
        RequestIn(
            subject_record_id=family.records["mash"],
            recipient_agency_id=family.school.id,
            purpose=SharingPurpose.MASH_SCREENING,
            categories=[Category.CHILD_WELFARE],
            question="Attendance and any injuries this term, please",
            rag=rag,
        ),
        load_profile("default"),
    )


def _encompass_notice(db: Database, family: Family) -> int:
    item(
        db, family.officer, family.records["police"], "Officers attended the home",
        subtype="domestic_abuse_incident",
    )  # fmt: skip
    with db.sessions() as session:
        return session.scalars(
            select(Notification.id).where(
                Notification.kind == NotificationKind.OPERATION_ENCOMPASS,
                Notification.practitioner_id == family.dsl.practitioner_id,
            )
        ).one()


def _open(client: TestClient, notification_id: int, page: str) -> Response:
    """Open a notice as its form does: a POST carrying the page's form token."""
    return client.post(
        f"/notifications/{notification_id}/open",
        data={"csrf_token": form_token(page)},
        follow_redirects=False,
    )


def _needs_you_links(html: str) -> list[str]:
    section = html.split('id="needs-you"', 1)[1].split("</ul>", 1)[0]
    return re.findall(r'(?:href|action)="([^"]+)"', section)


def test_the_home_page_lists_what_needs_you_soonest_deadline_first(
    client: TestClient, db: Database, world: World, family: Family, held: None
) -> None:
    # Two requests made ten days ago, so both are overdue now: Red fell due first.
    db.clock.hold(utcnow() - timedelta(days=10))
    amber = _request(db, family, Rag.AMBER)
    red = _request(db, family, Rag.RED)
    db.clock.hold(None)
    encompass_id = _encompass_notice(db, family)
    asked = advice.ask(
        db,
        family.teacher,
        AdviceIn(
            to_role=AdviceRole.DSL,
            case_summary="A pupil has bruises on both arms",
            question="Should I share this with the MASH today?",
        ),
    )

    sign_in_through_the_page(client, world, family.accounts["dsl"])
    home = client.get("/")
    assert home.status_code == 200
    assert _needs_you_links(home.text) == [
        f"/requests/{red.id}",
        f"/requests/{amber.id}",
        f"/notifications/{encompass_id}/open",
        f"/advice/{asked.id}",
    ]
    assert "Overdue" in home.text
    # Two requests received, the Encompass notice and the advice asked: four unread.
    assert "Notifications (4 new)" in home.text
    assert [n.due_at for n in reminders.needs_you(db, family.dsl)][:2] == [
        red.rating.due_at,
        amber.rating.due_at,
    ]


def test_opening_a_notice_marks_it_read_and_shows_the_encompass_notice(
    client: TestClient, db: Database, world: World, family: Family
) -> None:
    encompass_id = _encompass_notice(db, family)
    sign_in_through_the_page(client, world, family.accounts["dsl"])
    listed = client.get("/notifications").text
    assert "Notifications (1 new)" in listed
    assert f'<form method="post" action="/notifications/{encompass_id}/open"' in listed

    opened = _open(client, encompass_id, listed)
    assert opened.status_code == 303
    assert opened.headers["location"] == f"/encompass/{encompass_id}"
    # Not yet read: only the notice's own page, once it has opened, marks it read.
    assert notifications.unread_count(db, family.dsl) == 1

    page = client.get(opened.headers["location"])
    assert page.status_code == 200
    assert "2 March 2026" in page.text  # the incident's date
    assert family.accounts["officer"].name in page.text  # the police contact
    assert family.police.name in page.text
    assert f'href="/children/{family.records["school"]}"' in page.text
    assert "Notifications (1 new)" not in page.text
    # Once read, it no longer needs them today.
    assert f"/notifications/{encompass_id}/open" not in client.get("/").text


def test_a_notice_opens_only_for_its_addressee(
    client: TestClient, db: Database, world: World, family: Family
) -> None:
    encompass_id = _encompass_notice(db, family)
    with pytest.raises(NotFound):
        notifications.open_notice(db, family.teacher, encompass_id)
    sign_in_through_the_page(client, world, family.accounts["teacher"])
    assert _open(client, encompass_id, client.get("/notifications").text).status_code == 404
    assert client.get(f"/encompass/{encompass_id}").status_code == 404
    assert notifications.unread_count(db, family.dsl) == 1  # still unread for the DSL


def test_opening_a_notice_is_a_posted_form_never_a_link(
    client: TestClient, db: Database, world: World, family: Family
) -> None:
    """Opening marks read, so a link (from another site, too) cannot do it."""
    _request(db, family, Rag.AMBER)
    sign_in_through_the_page(client, world, family.accounts["dsl"])
    notice = notifications.inbox(db, family.dsl)[0]
    assert notice.kind is NotificationKind.REQUEST_RECEIVED
    assert client.get(f"/notifications/{notice.id}/open").status_code == 405
    forged = client.post(f"/notifications/{notice.id}/open", follow_redirects=False)
    assert forged.status_code == 403  # no form token
    assert notifications.unread_count(db, family.dsl) == 1

    opened = _open(client, notice.id, client.get("/notifications").text)
    assert opened.status_code == 303
    assert opened.headers["location"] == f"/requests/{notice.object_id}"
    assert notifications.unread_count(db, family.dsl) == 0


def _encompass_row(db: Database, family: Family, practitioner_id: int | None) -> int:
    """An Encompass notice as an older release made it: to the inbox, or to someone
    who is not a DSL. The policy, not only how notices are now sent, keeps it closed."""
    incident = item(
        db, family.officer, family.records["police"], "Missing from home",
        subtype="missing_episode",
    )  # fmt: skip
    with db.transaction() as session:
        row = Notification(
            practitioner_id=practitioner_id,
            agency_id=family.school.id,
            kind=NotificationKind.OPERATION_ENCOMPASS,
            object_type="information_item",
            object_id=incident.id,
            dedupe_key=f"test-encompass-{practitioner_id}-{incident.id}",
            created_at=utcnow(),
            due_at=utcnow() + timedelta(hours=12),
        )
        session.add(row)
        session.flush()
        return row.id


def test_an_encompass_notice_opens_only_for_the_dsl_it_is_addressed_to(
    client: TestClient, db: Database, world: World, family: Family
) -> None:
    administrator = world.actor(world.practitioner(family.school, Role.ADMIN))
    to_inbox = _encompass_row(db, family, None)
    to_teacher = _encompass_row(db, family, family.teacher.practitioner_id)
    for reader in (family.teacher, administrator, family.dsl):
        with pytest.raises(NotFound):
            encompass.notice(db, reader, to_inbox)
    with pytest.raises(NotFound):
        encompass.notice(db, family.teacher, to_teacher)
    to_dsl = _encompass_notice(db, family)
    with pytest.raises(NotFound):
        encompass.notice(db, administrator, to_dsl)
    assert policy.allowed(
        family.dsl,
        Permission.VIEW_ENCOMPASS_NOTICE,
        policy.notification(to_dsl, family.school.id, family.dsl.practitioner_id),
    )
    with db.sessions() as session:
        assert all(
            session.get_one(Notification, n).read_at is None for n in (to_inbox, to_teacher, to_dsl)
        )


def test_an_administrator_opening_a_school_notice_does_not_clear_it_for_the_dsl(
    client: TestClient, db: Database, world: World, family: Family
) -> None:
    """The administrator reaches the inbox notice but not the incident: nothing is read."""
    administrator = world.practitioner(family.school, Role.ADMIN)
    to_inbox = _encompass_row(db, family, None)
    sign_in_through_the_page(client, world, administrator)
    opened = _open(client, to_inbox, client.get("/notifications").text)
    assert opened.status_code == 303
    assert client.get(opened.headers["location"]).status_code == 404
    with db.sessions() as session:
        assert session.get_one(Notification, to_inbox).read_at is None
