"""The DPO's view of emergency (break-glass) access: the child, the ground and reason, and
everything read under the session, on the alerts page and from ``GET /api/break-glass``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from jigsaw.audit.actions import AuditAction
from jigsaw.audit.models import AuditEntry
from jigsaw.breakglass import service as breakglass
from jigsaw.breakglass.models import EmergencyGround
from jigsaw.breakglass.schemas import BreakGlassIn
from jigsaw.db import Database
from jigsaw.identity.schemas import AgencyOut, PractitionerOut
from jigsaw.oversight import access_log
from jigsaw.policy.roles import AgencyKind, Role
from jigsaw.singleview import service as singleview
from tests.conftest import World
from tests.scene import Scene
from tests.singleview.helpers import Family, build_family, item
from tests.web.sharing_steps import sign_in_as

REASON = "Child found alone at the station late at night; police asking what is known."


@pytest.fixture
def family(db: Database, world: World) -> Family:
    built = build_family(db, world, surname="Pemberton")
    item(
        db, built.dsl, built.records["school"], "Bruise on upper arm", occurred_on=date(2026, 1, 12)
    )
    item(
        db, built.officer, built.records["police"], "Domestic incident at the home",
        occurred_on=date(2026, 2, 2),
    )  # fmt: skip
    return built


@dataclass(frozen=True)
class Looked:
    mash: AgencyOut
    worker: PractitionerOut
    session_id: int


def _break_glass_and_look(db: Database, world: World, family: Family) -> Looked:
    """A MASH worker from another area breaks the glass and reads the chronology and flags."""
    mash = world.agency(AgencyKind.SOCIAL_CARE)
    account = world.practitioner(mash, Role.MASH)
    worker = world.actor(account)
    started = breakglass.start(
        db,
        worker,
        family.child,
        BreakGlassIn(category=EmergencyGround.MISSING_CHILD, reason=REASON),
        60,
    )
    singleview.chronology(db, worker, family.child)
    singleview.pattern_flags(db, worker, family.child)
    return Looked(mash, account, started.id)


def test_the_alert_names_and_links_the_child_and_lists_everything_read(
    client: TestClient, db: Database, world: World, family: Family
) -> None:
    session_id = _break_glass_and_look(db, world, family).session_id
    school_dpo = world.practitioner(family.school, Role.DPO)
    world.sign_in(client, school_dpo)

    page = client.get("/access-log/alerts")
    assert page.status_code == 200
    html = page.text
    record = family.records["school"]
    assert f'<a class="govuk-link" href="/children/{record}">Maisie Pemberton</a>' in html
    assert "The child is missing, or has just been found" in html
    assert "Child found alone at the station late at night" in html
    assert "Looked at a child&#39;s chronology" in html or "Looked at a child's chronology" in html
    assert "Looked at the patterns flagged for a child" in html
    assert "person.chronology_viewed" not in html, "audit codes are shown in words"

    listed = client.get("/api/audit/alerts").json()
    alert = next(a for a in listed if a["break_glass_id"] == session_id)
    actions = [r["action"] for r in alert["reads"]]
    assert actions == [
        AuditAction.CHRONOLOGY_VIEWED.value,
        AuditAction.PATTERN_FLAGS_VIEWED.value,
    ]
    assert len(alert["reads"][0]["items"]) == 2, "both agencies' items were read"
    assert alert["child_record_id"] == record


def test_the_api_returns_the_sessions_a_dpo_reviews_with_what_was_read(
    client: TestClient, db: Database, world: World, family: Family
) -> None:
    looked = _break_glass_and_look(db, world, family)
    session_id = looked.session_id
    school_dpo = world.practitioner(family.school, Role.DPO)
    world.sign_in(client, school_dpo)

    answer = client.get("/api/break-glass")
    assert answer.status_code == 200, answer.text
    (review,) = [r for r in answer.json() if r["id"] == session_id]
    assert review["person_id"] == family.child
    assert review["child"] == "Maisie Pemberton"
    assert (review["category"], review["reason"]) == ("missing_child", REASON)
    assert review["practitioner_id"] == looked.worker.id
    assert review["active"] is True
    assert [r["action"] for r in review["reads"]] == [
        AuditAction.CHRONOLOGY_VIEWED.value,
        AuditAction.PATTERN_FLAGS_VIEWED.value,
    ]
    with db.sessions() as session:
        viewed = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.object_type == "break_glass_reviews")
            .order_by(AuditEntry.seq.desc())
        ).first()
    assert viewed is not None and viewed.refs["persons"] == [family.child], "the look is audited"


def test_an_agency_that_holds_no_record_sees_the_number_without_a_name_or_link(
    client: TestClient, db: Database, world: World, family: Family
) -> None:
    looked = _break_glass_and_look(db, world, family)
    session_id = looked.session_id
    own_dpo = world.actor(world.practitioner(looked.mash, Role.DPO))
    (review,) = [r for r in access_log.break_glass_reviews(db, own_dpo) if r.id == session_id]
    assert review.child == f"Person {family.child} in the person index"
    assert review.child_record_id is None
    assert review.reads is not None and len(review.reads) == 2


def test_an_agency_with_no_part_in_it_is_not_shown_the_session(
    db: Database, world: World, family: Family
) -> None:
    session_id = _break_glass_and_look(db, world, family).session_id
    housing_dpo = world.actor(world.practitioner(world.agency(AgencyKind.HOUSING), Role.DPO))
    assert all(r.id != session_id for r in access_log.break_glass_reviews(db, housing_dpo))


def test_the_practitioner_still_gets_their_own_active_session_and_a_dsl_nothing(
    client: TestClient, db: Database, world: World, family: Family
) -> None:
    world.sign_in(client, family.accounts["dsl"])
    assert client.get("/api/break-glass").json() == [], "a DSL reviews nothing"
    client.delete("/api/session")

    worker = world.practitioner(world.agency(AgencyKind.SOCIAL_CARE), Role.MASH)
    world.sign_in(client, worker)
    started = client.post(
        f"/api/people/{family.child}/break-glass",
        json={"category": "missing_child", "reason": REASON},
    )
    assert started.status_code == 201, started.text
    (mine,) = client.get("/api/break-glass").json()
    assert (mine["id"], mine["active"]) == (started.json()["id"], True)
    assert mine["reads"] is None, "their own session, not one they review"


def test_the_register_page_finds_a_child_by_name_and_opens_their_register(
    client: TestClient, db: Database, world: World, scene: Scene
) -> None:
    dpo = world.actor(world.practitioner(scene.school, Role.DPO))
    token = sign_in_as(client, world, db, dpo)
    page = client.get("/register").text
    assert "Find a child" in page

    empty = client.post("/register", data={"csrf_token": token})
    assert empty.status_code == 422
    assert "Enter the child&#39;s name, date of birth or your agency&#39;s ID" in empty.text

    found = client.post(
        "/register",
        data={
            "csrf_token": token,
            "name": "Lily",
            "date_of_birth-day": "1",
            "date_of_birth-month": "6",
            "date_of_birth-year": "2017",
        },
    )
    assert found.status_code == 200, found.text
    assert f'href="/register?record={scene.child_record_id}">Lily Barnes</a>' in found.text
    assert "Lily" not in str(found.url), "the name never goes into an address"

    bad_date = client.post(
        "/register",
        data={"csrf_token": token, "date_of_birth-day": "31", "date_of_birth-month": "2",
              "date_of_birth-year": "2017"},
    )  # fmt: skip
    assert bad_date.status_code == 422
    assert 'href="#date_of_birth-day"' in bad_date.text


def test_an_auditor_is_not_offered_the_search_by_name(
    client: TestClient, db: Database, world: World, scene: Scene
) -> None:
    auditor = world.actor(world.practitioner(scene.school, Role.AUDITOR))
    token = sign_in_as(client, world, db, auditor)
    page = client.get("/register")
    assert page.status_code == 200
    assert "Find a child" not in page.text
    assert client.post("/register", data={"csrf_token": token, "name": "Lily"}).status_code == 403
