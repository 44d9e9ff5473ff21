"""Helpers for page and API tests: records made through the services, forms filled like a
browser, and what the audit log holds of someone."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from jigsaw.audit.actions import AuditAction
from jigsaw.audit.models import AuditEntry
from jigsaw.db import Database
from jigsaw.identity import service as accounts
from jigsaw.identity.schemas import AgencyOut, PractitionerOut
from jigsaw.people import service as people
from jigsaw.people.models import PersonRole, Sex
from jigsaw.people.schemas import AgencyRecordIn, AgencyRecordOut
from jigsaw.policy.actor import Actor
from jigsaw.policy.roles import AgencyKind, Role
from jigsaw.records import service as records
from jigsaw.records.models import Category, Nature
from jigsaw.records.schemas import ItemIn, ItemOut
from tests.conftest import PASSWORD, World, unique

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def agency_and_practitioner(
    world: World, kind: AgencyKind, role: Role = Role.PRACTITIONER
) -> tuple[AgencyOut, PractitionerOut]:
    """A new agency of ``kind`` and one of its staff in ``role``, to add records as."""
    agency = world.agency(kind)
    return agency, world.practitioner(agency, role)


def add_record(
    db: Database,
    actor: Actor,
    given_name: str,
    family_name: str,
    role: PersonRole = PersonRole.CHILD,
    **fields: object,
) -> AgencyRecordOut:
    assert actor.agency_id is not None
    data = AgencyRecordIn.model_validate(
        {
            "agency_id": actor.agency_id,
            "local_id": unique("LOC").replace(" ", "-"),
            "role": role,
            "given_name": given_name,
            "family_name": family_name,
            "date_of_birth": date(2016, 3, 4),
            "sex": Sex.FEMALE,
            **fields,
        }
    )
    return people.create_agency_record(db, actor, data)


def add_item(db: Database, actor: Actor, record_id: int, summary: str, **fields: object) -> ItemOut:
    data = ItemIn.model_validate(
        {
            "subject_record_id": record_id,
            "category": Category.CHILD_WELFARE,
            "subtype": "school_attendance",
            "occurred_on": date(2025, 1, 10),
            "summary": summary,
            "nature": Nature.FACT,
            "source": "School register",
            **fields,
        }
    )
    return records.record_item(db, actor, data)


def entries_by(db: Database, action: AuditAction, practitioner_id: int) -> list[AuditEntry]:
    """The audit entries of one action a practitioner's requests left, oldest first."""
    with db.sessions() as session:
        return list(
            session.scalars(
                select(AuditEntry)
                .where(AuditEntry.action == action.value, AuditEntry.actor_id == practitioner_id)
                .order_by(AuditEntry.id)
            )
        )


def entries_about(db: Database, action: AuditAction, object_id: int) -> list[AuditEntry]:
    """The audit entries of one action about one object, oldest first."""
    with db.sessions() as session:
        return list(
            session.scalars(
                select(AuditEntry)
                .where(AuditEntry.action == action.value, AuditEntry.object_id == str(object_id))
                .order_by(AuditEntry.id)
            )
        )


def form_token(html: str) -> str:
    match = TOKEN.search(html)
    assert match, "the page has no form token"
    return match.group(1)


def sign_in_through_the_page(
    client: TestClient,
    world: World,
    practitioner: PractitionerOut,
    email: str | None = None,
    password: str = PASSWORD,
) -> None:
    """Password on the sign-in page, then the code from the practitioner's authenticator."""
    token = form_token(client.get("/sign-in").text)
    response = client.post(
        "/sign-in",
        data={"email": email or practitioner.email, "password": password, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/sign-in/code"
    token = form_token(client.get("/sign-in/code").text)
    response = client.post(
        "/sign-in/code",
        data={"code": world.totp_code(practitioner), "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/"


def page_title(name: str) -> str:
    """Page titles: the page, an en dash (as GOV.UK uses), then the service name."""
    return f"{name} \N{EN DASH} Jigsaw"


def sign_in_browser(
    page: Page,
    base_url: str,
    email: str,
    password: str = PASSWORD,
    code: Callable[[], str] | None = None,
) -> None:
    """Sign in on the pages as a person does: email and password, then, when the service
    asks for it, the code from their authenticator app (``code`` makes one).

    Every browser journey signs in through this one function, so a change to signing
    in is made here once.
    """
    page.goto(f"{base_url}/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    if page.url.endswith("/sign-in/code"):
        assert code is not None, "the service asked for an authenticator code"
        page.get_by_label("Enter the 6-digit code").fill(code())
        with page.expect_navigation():
            page.get_by_role("button", name="Continue").click()
    assert "/sign-in" not in page.url, f"signing in stopped at {page.url}"


def signed_in_as(
    browser: Browser, base_url: str, world: World, db: Database, actor: Actor, opened: list[Any]
) -> Page:
    """A page in a browser context of the actor's own (their own cookies), signed in as
    them; the context is added to ``opened`` for the test to close."""
    assert actor.practitioner_id is not None
    person = accounts.get_practitioner(db, actor.practitioner_id)
    context = browser.new_context(base_url=base_url)
    opened.append(context)
    page = context.new_page()
    sign_in_browser(page, base_url, person.email, code=lambda: world.totp_code(person))
    return page
