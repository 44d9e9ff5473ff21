"""Break-glass: who may use it, what it asks, who is told, what it shows, and when it stops."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from jigsaw.audit.actions import ALERTS, AuditAction
from jigsaw.audit.models import AuditEntry
from jigsaw.breakglass import service as breakglass
from jigsaw.breakglass.models import BreakGlassSession, EmergencyGround
from jigsaw.breakglass.schemas import BreakGlassIn
from jigsaw.breakglass.service import EmergencyAccessOffered
from jigsaw.clock import utcnow
from jigsaw.db import Database
from jigsaw.errors import Conflict, InvalidInput, NotFound, NotPermitted
from jigsaw.notifications.models import Notification, NotificationKind
from jigsaw.oversight import access_log
from jigsaw.policy.authorize import Purpose
from jigsaw.policy.roles import AgencyKind, Role
from jigsaw.sharing.disclosures import WITHHELD
from jigsaw.singleview import service
from jigsaw.singleview.purposes import establish
from tests.conftest import World
from tests.singleview.helpers import Family, build_family, item
from tests.web.helpers import form_token

REASON = "Child found alone at the station late at night; police asking what is known."
GROUND = EmergencyGround.MISSING_CHILD
LIMIT = 60


@pytest.fixture
def family(db: Database, world: World) -> Family:
    built = build_family(db, world, surname="Hollingsworth")
    rec = built.records
    item(db, built.dsl, rec["school"], "Bruise on upper arm", occurred_on=date(2026, 1, 12))
    item(
        db, built.officer, rec["police"], "Domestic incident at the home",
        occurred_on=date(2026, 2, 2), protected_identity=True,
        detail="Reported by the neighbour at number 4", source="Neighbour",
    )  # fmt: skip
    return built


@pytest.fixture
def outside_mash(db: Database, world: World) -> tuple[World, object]:
    """A MASH in another authority area with no record of the child: no purpose at all."""
    mash = world.agency(AgencyKind.SOCIAL_CARE)
    account = world.practitioner(mash, Role.MASH)
    dpo = world.practitioner(mash, Role.DPO)
    return world, (mash, account, dpo)


def _glass(db: Database, actor: object, person_id: int, reason: str = REASON) -> int:
    started = breakglass.start(
        db, actor, person_id, BreakGlassIn(category=GROUND, reason=reason), LIMIT
    )  # type: ignore[arg-type]
    return started.id


def _count(db: Database, model: type, *where: object) -> int:
    with db.sessions() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "reason", ["", "urgent", "aaaaaaaaaaaaaaaaaaaaaaaaaaaa", "help help help help help help"]
)
def test_a_reason_in_real_words_is_required_and_nothing_is_written_without_one(
    db: Database, world: World, family: Family, reason: str
) -> None:
    mash = world.actor(world.practitioner(world.agency(AgencyKind.SOCIAL_CARE), Role.MASH))
    with pytest.raises(InvalidInput) as refused:
        _glass(db, mash, family.child, reason)
    assert refused.value.problems[0].field == "reason"
    assert _count(db, BreakGlassSession, BreakGlassSession.person_id == family.child) == 0


def test_longer_than_the_authority_allows_is_refused(db: Database, family: Family) -> None:
    with pytest.raises(InvalidInput) as refused:
        breakglass.start(
            db,
            family.social_worker,
            family.child,
            BreakGlassIn(category=GROUND, reason=REASON, minutes=61),
            LIMIT,
        )
    assert refused.value.problems[0].field == "minutes"


@pytest.mark.parametrize("role", [Role.PRACTITIONER, Role.DSL, Role.DPO, Role.AUDITOR, Role.ADMIN])
def test_roles_the_policy_does_not_trust_with_it_are_refused(
    db: Database, world: World, family: Family, role: Role
) -> None:
    someone = world.actor(world.practitioner(family.school, role))
    with pytest.raises(NotPermitted):
        _glass(db, someone, family.child)
    assert _count(db, BreakGlassSession, BreakGlassSession.person_id == family.child) == 0


def test_starting_is_audited_as_an_alert_and_each_dpo_is_told_exactly_once(
    db: Database, world: World, family: Family
) -> None:
    mash = world.agency(AgencyKind.SOCIAL_CARE)
    caldicott = world.actor(world.practitioner(mash, Role.CALDICOTT))
    own_dpo = world.actor(world.practitioner(mash, Role.DPO))
    school_dpo = world.actor(world.practitioner(family.school, Role.DPO))
    housing_dpo = world.actor(world.practitioner(world.agency(AgencyKind.HOUSING), Role.DPO))

    session_id = _glass(db, caldicott, family.child)

    with db.sessions() as session:
        told = session.execute(
            select(Notification.practitioner_id, func.count())
            .where(
                Notification.kind == NotificationKind.BREAK_GLASS_STARTED,
                Notification.object_id == session_id,
            )
            .group_by(Notification.practitioner_id)
        ).all()
        entry = session.scalar(
            select(AuditEntry).where(
                AuditEntry.action == AuditAction.BREAK_GLASS_STARTED.value,
                AuditEntry.refs["break_glass"].as_integer() == session_id,
            )
        )
    counts = dict(told)
    assert counts[own_dpo.practitioner_id] == 1
    assert counts[school_dpo.practitioner_id] == 1
    assert housing_dpo.practitioner_id not in counts
    assert all(n == 1 for n in counts.values())
    assert entry is not None and entry.object_id == str(family.child)
    assert AuditAction.BREAK_GLASS_STARTED in ALERTS
    alerts = access_log.alerts(db, own_dpo)
    assert any(a.refs.get("break_glass") == session_id for a in alerts)
    school_alerts = access_log.alerts(db, school_dpo)
    assert [a.refs.get("break_glass") for a in school_alerts].count(session_id) == 1, (
        "the DPO of an agency holding the child reviews it too"
    )
    housing_alerts = access_log.alerts(db, housing_dpo)
    assert all(a.refs.get("break_glass") != session_id for a in housing_alerts)


def test_under_break_glass_every_agency_is_seen_marked_and_each_read_is_audited(
    db: Database, world: World, family: Family
) -> None:
    mash = world.agency(AgencyKind.SOCIAL_CARE)
    outsider = world.actor(world.practitioner(mash, Role.MASH))
    with pytest.raises(EmergencyAccessOffered):
        service.chronology(db, outsider, family.child)

    session_id = _glass(db, outsider, family.child)
    found = service.chronology(db, outsider, family.child)

    assert found.break_glass is not None and found.break_glass.session_id == session_id
    by_summary = {e.summary: e for e in found.entries}
    assert set(by_summary) == {"Bruise on upper arm", "Domestic incident at the home"}
    assert all(e.break_glass_session_id == session_id for e in found.entries)
    incident = by_summary["Domestic incident at the home"]
    assert incident.detail == WITHHELD and incident.source == WITHHELD
    assert service.pattern_flags(db, outsider, family.child).person_id == family.child
    assert service.who_knows(db, outsider, family.child).agencies
    with db.sessions() as session:
        reads = session.scalars(
            select(AuditEntry.action).where(
                AuditEntry.actor_id == outsider.practitioner_id,
                AuditEntry.refs["break_glass"].as_integer() == session_id,
            )
        ).all()
    assert {
        AuditAction.CHRONOLOGY_VIEWED.value,
        AuditAction.PATTERN_FLAGS_VIEWED.value,
        AuditAction.WHO_KNOWS_VIEWED.value,
    } <= set(reads)


def test_the_practitioners_api_token_does_not_use_their_break_glass_session(
    db: Database, world: World, family: Family
) -> None:
    """Emergency access is for the person who gave the reason, not for a system."""
    outsider = world.actor(world.practitioner(world.agency(AgencyKind.SOCIAL_CARE), Role.MASH))
    _glass(db, outsider, family.child)
    assert service.chronology(db, outsider, family.child).entries
    as_token = dataclasses.replace(outsider, token_id=1)
    with pytest.raises(NotPermitted):
        service.chronology(db, as_token, family.child)
    with pytest.raises(NotPermitted):
        service.who_knows(db, as_token, family.child)


def test_access_ends_when_the_time_runs_out(db: Database, world: World, family: Family) -> None:
    outsider = world.actor(world.practitioner(world.agency(AgencyKind.SOCIAL_CARE), Role.MASH))
    started = breakglass.start(
        db, outsider, family.child, BreakGlassIn(category=GROUND, reason=REASON, minutes=5), LIMIT
    )
    with db.sessions() as session:
        before = establish(
            session, outsider, family.child, started.expires_at - timedelta(seconds=1)
        )
        after = establish(
            session, outsider, family.child, started.expires_at + timedelta(seconds=1)
        )
    assert Purpose.BREAK_GLASS in before.purposes and before.shared.chains
    assert Purpose.BREAK_GLASS not in after.purposes
    assert not after.shared.chains


def test_an_expired_session_shows_nothing(db: Database, world: World, family: Family) -> None:
    outsider = world.actor(world.practitioner(world.agency(AgencyKind.SOCIAL_CARE), Role.MASH))
    long_ago = utcnow() - timedelta(hours=3)
    assert outsider.practitioner_id is not None and outsider.agency_id is not None
    with db.transaction() as session:
        session.add(
            BreakGlassSession(
                practitioner_id=outsider.practitioner_id,
                agency_id=outsider.agency_id,
                person_id=family.child,
                reason=REASON,
                started_at=long_ago,
                expires_at=long_ago + timedelta(hours=1),
            )
        )
    with pytest.raises(NotPermitted):
        service.chronology(db, outsider, family.child)
    assert breakglass.mine(db, outsider) == []


def test_ending_it_stops_access_and_only_its_practitioner_can(
    db: Database, world: World, family: Family
) -> None:
    mash = world.agency(AgencyKind.SOCIAL_CARE)
    outsider = world.actor(world.practitioner(mash, Role.MASH))
    colleague = world.actor(world.practitioner(mash, Role.MASH))
    session_id = _glass(db, outsider, family.child)
    assert [s.id for s in breakglass.mine(db, outsider)] == [session_id]
    with pytest.raises(Conflict):
        _glass(db, outsider, family.child)
    with pytest.raises(NotPermitted):
        service.chronology(db, colleague, family.child)
    with pytest.raises(NotFound):
        breakglass.end(db, colleague, session_id)

    ended = breakglass.end(db, outsider, session_id)

    assert not ended.active and ended.ended_at is not None
    with pytest.raises(NotPermitted):
        service.chronology(db, outsider, family.child)
    with pytest.raises(Conflict):
        breakglass.end(db, outsider, session_id)
    assert _count(
        db, AuditEntry,
        AuditEntry.action == AuditAction.BREAK_GLASS_ENDED.value,
        AuditEntry.refs["break_glass"].as_integer() == session_id,
    ) == 1  # fmt: skip


# Over the API and on the pages


def test_the_api_needs_a_recent_sign_in_and_refuses_tokens(
    client: TestClient, world: World, family: Family
) -> None:
    account = world.practitioner(world.agency(AgencyKind.SOCIAL_CARE), Role.MASH)
    world.sign_in(client, account)
    bad = client.post(
        f"/api/people/{family.child}/break-glass",
        json={"category": "missing_child", "reason": "now"},
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "reason"
    made = client.post(
        f"/api/people/{family.child}/break-glass",
        json={"category": "missing_child", "reason": REASON},
    )
    assert made.status_code == 201, made.text
    seen = client.get(f"/api/people/{family.child}/chronology")
    assert seen.status_code == 200
    assert {e["break_glass_session_id"] for e in seen.json()["entries"]} == {made.json()["id"]}
    ended = client.post(f"/api/break-glass/{made.json()['id']}/end")
    assert ended.status_code == 200 and ended.json()["active"] is False
    assert client.get(f"/api/people/{family.child}/chronology").status_code == 403
    token = client.post(
        f"/api/people/{family.child}/break-glass",
        json={"category": "missing_child", "reason": REASON},
        headers={"Authorization": "Bearer jgs_not_a_real_token"},
    )
    assert token.status_code in (401, 403)


def test_the_refusal_page_offers_emergency_access_only_to_roles_that_may(
    client: TestClient, world: World, family: Family
) -> None:
    housing = world.practitioner(world.agency(AgencyKind.HOUSING), Role.PRACTITIONER)
    world.sign_in(client, housing)
    refused = client.get(f"/people/{family.child}/chronology")
    assert refused.status_code == 403
    assert "Emergency access" not in refused.text
    assert client.get(f"/people/{family.child}/emergency-access").status_code == 403
    client.delete("/api/session")

    account = world.practitioner(world.agency(AgencyKind.SOCIAL_CARE), Role.MASH)
    world.sign_in(client, account)
    offered = client.get(f"/people/{family.child}/chronology")
    assert offered.status_code == 403
    assert f'href="/people/{family.child}/emergency-access"' in offered.text

    form = client.get(f"/people/{family.child}/emergency-access")
    assert form.status_code == 200
    assert "Data Protection Officer" in form.text
    token = form_token(form.text)
    short = client.post(
        f"/people/{family.child}/emergency-access",
        data={"category": "missing_child", "reason": "quickly", "csrf_token": token},
    )
    assert short.status_code == 422
    opened = client.post(
        f"/people/{family.child}/emergency-access",
        data={"category": "missing_child", "reason": REASON, "csrf_token": token},
        follow_redirects=True,
    )
    assert opened.status_code == 200
    assert "You are using emergency access until" in opened.text
    assert "Seen under emergency access" in opened.text
    assert "Bruise on upper arm" in opened.text
    session_id = breakglass.mine(client.app.state.db, world.actor(account))[0].id  # type: ignore[attr-defined]
    ended = client.post(
        f"/break-glass/{session_id}/end",
        data={"csrf_token": form_token(opened.text)},
        follow_redirects=True,
    )
    assert ended.status_code == 403
    assert "Bruise on upper arm" not in ended.text


# What a reason must say, how often, and who is told


IDLE = "just curious about this kid lol"


def test_an_idle_reason_or_no_ground_is_refused_over_the_api(
    client: TestClient, world: World, db: Database, family: Family
) -> None:
    account = world.practitioner(world.agency(AgencyKind.SOCIAL_CARE), Role.MASH)
    world.sign_in(client, account)
    url = f"/api/people/{family.child}/break-glass"

    def refused(reason: str, category: str | None = "significant_harm") -> dict[str, str]:
        body = {"reason": reason} if category is None else {"category": category, "reason": reason}
        response = client.post(url, json=body)
        assert response.status_code == 422, body
        first: dict[str, str] = response.json()["errors"][0]
        return first

    assert refused(IDLE)["field"] == "reason"
    padded = "I am curious about what everyone has recorded about this child lol"
    assert "not a reason" in refused(padded)["message"]
    refused("Need to check what every agency has on file before the meeting today")
    assert refused(REASON, category=None)["field"] == "category"
    refused(REASON, category="other")  # another emergency must be explained more fully
    assert _count(db, BreakGlassSession, BreakGlassSession.person_id == family.child) == 0


def test_a_second_session_while_one_is_active_is_refused(
    client: TestClient, db: Database, world: World, family: Family
) -> None:
    other = build_family(db, world, surname="Pemberton")
    account = world.practitioner(world.agency(AgencyKind.SOCIAL_CARE), Role.MASH)
    world.sign_in(client, account)
    body = {"category": "missing_child", "reason": REASON}
    first = client.post(f"/api/people/{family.child}/break-glass", json=body)
    assert first.status_code == 201, first.text
    second = client.post(f"/api/people/{other.child}/break-glass", json=body)
    assert second.status_code == 409
    assert "another child" in second.json()["errors"][0]["message"]
    assert _count(db, BreakGlassSession, BreakGlassSession.person_id == other.child) == 0

    form = client.get(f"/people/{other.child}/emergency-access")
    refused = client.post(
        f"/people/{other.child}/emergency-access",
        data={**body, "csrf_token": form_token(form.text)},
    )
    assert refused.status_code == 409
    assert "You already have emergency access to another child" in refused.text

    client.post(f"/api/break-glass/{first.json()['id']}/end")
    again = client.post(f"/api/people/{other.child}/break-glass", json=body)
    assert again.status_code == 201, "once it has ended, another emergency may be opened"


def test_repeated_use_raises_a_further_alert_to_the_practitioners_agency(
    db: Database, world: World, family: Family
) -> None:
    mash = world.agency(AgencyKind.SOCIAL_CARE)
    worker = world.actor(world.practitioner(mash, Role.MASH))
    caldicott = world.actor(world.practitioner(mash, Role.CALDICOTT))
    started = []
    for _ in range(3):
        made = breakglass.start(
            db, worker, family.child, BreakGlassIn(category=GROUND, reason=REASON), LIMIT,
            alert_after=2, alert_hours=24,
        )  # fmt: skip
        started.append(made.id)
        breakglass.end(db, worker, made.id)

    with db.sessions() as session:
        repeated = session.scalars(
            select(AuditEntry).where(AuditEntry.action == AuditAction.BREAK_GLASS_REPEATED.value)
        ).all()
        told = session.scalars(
            select(Notification.practitioner_id).where(
                Notification.kind == NotificationKind.BREAK_GLASS_REPEATED
            )
        ).all()
    assert [e.refs["break_glass"] for e in repeated] == [started[2]], "only the third alerts"
    assert repeated[0].refs["started"] == 3
    assert AuditAction.BREAK_GLASS_REPEATED in ALERTS
    assert told == [caldicott.practitioner_id], "no DPO: the Caldicott Guardian is told"
    alerts = access_log.alerts(db, caldicott)
    assert AuditAction.BREAK_GLASS_REPEATED.value in {a.action for a in alerts}


def test_an_agency_without_a_dpo_is_told_through_its_safeguarding_lead(
    db: Database, world: World, family: Family
) -> None:
    """The school, the police and the GP of the family have no DPO: each is still told."""
    outsider = world.agency(AgencyKind.SOCIAL_CARE)
    worker = world.actor(world.practitioner(outsider, Role.MASH))
    session_id = _glass(db, worker, family.child)
    with db.sessions() as session:
        told = session.execute(
            select(Notification.agency_id, Notification.practitioner_id).where(
                Notification.kind == NotificationKind.BREAK_GLASS_STARTED,
                Notification.object_id == session_id,
            )
        ).all()
    by_agency: dict[int, set[int | None]] = {}
    for agency_id, practitioner_id in told:
        by_agency.setdefault(agency_id, set()).add(practitioner_id)
    assert family.dsl.practitioner_id in by_agency[family.school.id]
    assert {family.school.id, family.police.id, family.health.id, family.mash.id} <= set(by_agency)
    assert outsider.id in by_agency, "the practitioner's own agency is told too (its inbox)"


def test_the_dpos_alert_list_shows_the_child_the_ground_and_the_reason(
    client: TestClient, db: Database, world: World, family: Family
) -> None:
    mash = world.agency(AgencyKind.SOCIAL_CARE)
    worker = world.actor(world.practitioner(mash, Role.MASH))
    own_dpo = world.practitioner(mash, Role.DPO)
    school_dpo = world.practitioner(family.school, Role.DPO)
    session_id = _glass(db, worker, family.child)

    world.sign_in(client, school_dpo)
    listed = client.get("/api/audit/alerts")
    assert listed.status_code == 200, listed.text
    alert = next(a for a in listed.json() if a["refs"].get("break_glass") == session_id)
    assert alert["child"] == "Maisie Hollingsworth", "the school's own record of the child"
    assert (alert["category"], alert["reason"]) == ("missing_child", REASON)
    page = client.get("/access-log/alerts")
    assert page.status_code == 200
    assert "Maisie Hollingsworth" in page.text
    assert "The child is missing, or has just been found" in page.text
    assert "Child found alone at the station late at night" in page.text
    client.delete("/api/session")

    world.sign_in(client, own_dpo)
    listed = client.get("/api/audit/alerts").json()
    alert = next(a for a in listed if a["refs"].get("break_glass") == session_id)
    assert alert["child"] == f"Person {family.child} in the person index", (
        "an agency that holds no record of the child is not told its name"
    )
    assert alert["reason"] == REASON
    with db.sessions() as session:
        viewed = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.object_type == "audit_alerts")
            .order_by(AuditEntry.seq.desc())
        ).first()
    assert viewed is not None and family.child in viewed.refs["persons"]


def test_a_lone_caldicott_guardian_is_never_the_only_one_told_of_their_own_use(
    db: Database, world: World, family: Family
) -> None:
    """An agency whose most accountable person is the one using emergency access: the
    notice passes them over, to the next role down or the agency's inbox."""
    trust = world.agency(AgencyKind.HEALTH)
    guardian = world.practitioner(trust, Role.CALDICOTT)
    session_id = _glass(db, world.actor(guardian), family.child)
    with db.sessions() as session:
        told = set(
            session.execute(
                select(Notification.agency_id, Notification.practitioner_id).where(
                    Notification.kind == NotificationKind.BREAK_GLASS_STARTED,
                    Notification.object_id == session_id,
                    Notification.agency_id == trust.id,
                )
            ).all()
        )
    assert told == {(trust.id, None)}, "the trust's inbox, not the guardian themselves"
