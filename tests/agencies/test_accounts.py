"""Accounts are a person's act: an administrator of the agency, signed in within the last
few minutes, in their own agency only; the service administrator adds agencies and their
administrators and nothing else; nobody chooses another person's password; every change
is on the agency DPO's alert list and told to them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from jigsaw.audit.actions import AuditAction
from jigsaw.cli import app as cli
from jigsaw.db import Database
from jigsaw.identity.models import Agency, Practitioner
from jigsaw.identity.schemas import PractitionerOut
from jigsaw.notifications.models import Notification, NotificationKind
from jigsaw.policy.roles import AgencyKind, Role
from tests.conftest import PASSWORD, World, unique
from tests.identity.test_sessions import shift_clock  # noqa: F401 (a fixture)

NEW_PASSWORD = "kestrels hover over the bypass"


def _email() -> str:
    return f"{unique('n').replace(' ', '').replace('-', '.')}@example.org"


def _account(agency_id: int, role: str = "practitioner", **extra: Any) -> dict[str, Any]:
    return {"agency_id": agency_id, "name": "Dee Walsh", "email": _email(), "role": role, **extra}


def _count(db: Database, email: str) -> int:
    with db.sessions() as session:
        found = session.scalar(
            select(func.count()).select_from(Practitioner).where(Practitioner.email == email)
        )
        return int(found or 0)


def _bearer(token: object) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_token_with_directory_write_creates_no_accounts_and_no_agencies(
    client: TestClient, world: World, db: Database
) -> None:
    """The attack: a token with ``directory:write`` adds an administrator anywhere."""
    feed = world.service_account()
    admin = world.colleague(feed, Role.ADMIN)
    world.sign_in(client, admin)
    made = client.post(
        "/api/tokens",
        json={
            "practitioner_id": feed.id,
            "name": "Directory sync",
            "scopes": ["directory:read", "directory:write"],
        },
    )
    assert made.status_code == 201, made.text
    client.delete("/api/session")
    client.cookies.clear()
    token = made.json()["token"]

    elsewhere = world.agency(AgencyKind.POLICE)
    for agency_id in (feed.agency_id, elsewhere.id):
        body = _account(agency_id, "admin")
        answer = client.post("/api/practitioners", json=body, headers=_bearer(token))
        assert answer.status_code == 403, answer.text
        assert _count(db, body["email"]) == 0
    agency = client.post(
        "/api/agencies", json={"name": unique("Rogue"), "kind": "other"}, headers=_bearer(token)
    )
    assert agency.status_code == 403
    colleague = world.colleague(feed, Role.PRACTITIONER)
    promoted = client.patch(
        f"/api/practitioners/{colleague.id}", json={"role": "admin"}, headers=_bearer(token)
    )
    assert promoted.status_code == 403


def test_an_administrator_adds_accounts_in_their_own_agency_only(
    client: TestClient, world: World, db: Database
) -> None:
    admin = world.practitioner(role=Role.ADMIN)
    other = world.agency(AgencyKind.SCHOOL)
    world.sign_in(client, admin)

    theirs = _account(other.id, "admin")
    refused = client.post("/api/practitioners", json=theirs)
    assert refused.status_code == 403
    assert (
        "own agency" in refused.json()["errors"][0]["message"]
        or "this agency" in (refused.json()["errors"][0]["message"])
    )
    assert _count(db, theirs["email"]) == 0
    # No one is made a service administrator, or the system, through the API.
    assert (
        client.post(
            "/api/practitioners", json=_account(admin.agency_id, "platform_admin")
        ).status_code
        == 403
    )
    system = client.post("/api/practitioners", json=_account(admin.agency_id, "system"))
    assert system.status_code == 422
    assert system.json()["errors"][0]["field"] == "role"

    ours = client.post("/api/practitioners", json=_account(admin.agency_id, "dsl"))
    assert ours.status_code == 201, ours.text
    assert ours.json()["agency_id"] == admin.agency_id
    assert ours.json()["enrolment_code"]


def test_nobody_chooses_another_persons_password(
    client: TestClient, world: World, db: Database
) -> None:
    admin = world.practitioner(role=Role.ADMIN)
    world.sign_in(client, admin)
    body = _account(admin.agency_id, "admin", password=NEW_PASSWORD)
    chosen = client.post("/api/practitioners", json=body)
    assert chosen.status_code == 422
    assert chosen.json()["errors"][0]["field"] == "password"
    assert "enrolment code" in chosen.json()["errors"][0]["message"]
    assert _count(db, body["email"]) == 0


def test_a_new_account_sets_its_own_password_with_a_one_time_enrolment_code(
    client: TestClient, world: World, db: Database
) -> None:
    admin = world.practitioner(role=Role.ADMIN)
    world.sign_in(client, admin)
    body = _account(admin.agency_id)
    made = client.post("/api/practitioners", json=body)
    assert made.status_code == 201, made.text
    code = made.json()["enrolment_code"]
    client.delete("/api/session")
    client.cookies.clear()

    # The password alone does not exist yet: the creator never knew one.
    assert (
        client.post("/api/session", json={"email": body["email"], "password": PASSWORD}).status_code
        == 401
    )
    use = {"email": body["email"], "code": code, "new_password": NEW_PASSWORD}
    assert client.post("/api/password-reset", json=use).status_code == 204
    assert client.post("/api/password-reset", json=use).status_code == 401, "used once only"
    first = client.post("/api/session", json={"email": body["email"], "password": NEW_PASSWORD})
    assert first.status_code == 200
    assert first.json()["second_factor"] == "enrolment_required"


def test_account_changes_need_a_recent_sign_in(
    client: TestClient,
    world: World,
    db: Database,
    shift_clock: Callable[[timedelta], None],  # noqa: F811 (the fixture)
) -> None:
    admin = world.practitioner(role=Role.ADMIN)
    colleague = world.colleague(admin)
    world.sign_in(client, admin)
    shift_clock(timedelta(minutes=6))
    body = _account(admin.agency_id)
    for answer in (
        client.post("/api/practitioners", json=body),
        client.patch(f"/api/practitioners/{colleague.id}", json={"role": "dsl"}),
        client.post("/api/service-accounts", json={"name": "Case system"}),
    ):
        assert answer.status_code == 401, answer.text
        assert "Confirm your password" in answer.json()["errors"][0]["message"]
    assert _count(db, body["email"]) == 0


def test_roles_change_only_within_the_administrators_own_agency(
    client: TestClient, world: World, db: Database
) -> None:
    admin = world.practitioner(role=Role.ADMIN)
    colleague = world.colleague(admin)
    stranger = world.practitioner()
    world.sign_in(client, admin)

    assert (
        client.patch(f"/api/practitioners/{stranger.id}", json={"role": "dsl"}).status_code == 404
    )
    assert client.patch("/api/practitioners/999999999", json={"role": "dsl"}).status_code == 404
    raised = client.patch(f"/api/practitioners/{colleague.id}", json={"role": "platform_admin"})
    assert raised.status_code == 403
    changed = client.patch(f"/api/practitioners/{colleague.id}", json={"role": "dsl"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["role"] == "dsl"
    disabled = client.patch(f"/api/practitioners/{colleague.id}", json={"active": False})
    assert disabled.json()["active"] is False
    assert client.patch(f"/api/practitioners/{admin.id}", json={"active": False}).status_code == 403


def test_no_one_changes_their_own_account(client: TestClient, world: World, db: Database) -> None:
    """An administrator who makes themselves a DSL reads every record their agency holds."""
    admin = world.practitioner(role=Role.ADMIN)
    world.sign_in(client, admin)
    for body in ({"role": "dsl"}, {"role": "linkage_reviewer"}, {"active": False}):
        refused = client.patch(f"/api/practitioners/{admin.id}", json=body)
        assert refused.status_code == 403, body
        assert "your own account" in refused.json()["errors"][0]["message"]
    for reset in ("password-reset", "second-factor/reset"):
        assert client.post(f"/api/practitioners/{admin.id}/{reset}").status_code == 403, reset
    with db.sessions() as session:
        held = session.get(Practitioner, admin.id)
        assert held is not None and held.role is Role.ADMIN and held.active
    assert client.get("/api/agency-records").status_code == 403

    desk = world.practitioner(world.agency(AgencyKind.OTHER), Role.PLATFORM_ADMIN)
    client.cookies.clear()
    world.sign_in(client, desk)
    assert client.patch(f"/api/practitioners/{desk.id}", json={"role": "admin"}).status_code == 403


def test_the_service_administrator_resets_no_agency_account(
    client: TestClient, world: World
) -> None:
    """Resetting an agency administrator's password and second factor would let the
    service administrator sign in as them, and through them make a DSL."""
    agency = world.agency(AgencyKind.SCHOOL)
    existing = world.practitioner(agency, Role.ADMIN)
    desk = world.practitioner(world.agency(AgencyKind.OTHER), Role.PLATFORM_ADMIN)
    world.sign_in(client, desk)
    appointed = client.post("/api/practitioners", json=_account(agency.id, "admin"))
    assert appointed.status_code == 201, appointed.text
    for target in (existing.id, appointed.json()["id"]):
        for reset in ("password-reset", "second-factor/reset"):
            answer = client.post(f"/api/practitioners/{target}/{reset}")
            assert answer.status_code == 403, (target, reset, answer.text)

    # The agency's own administrators still reset each other's.
    client.cookies.clear()
    world.sign_in(client, world.colleague(existing, Role.ADMIN))
    assert client.post(f"/api/practitioners/{existing.id}/password-reset").status_code == 201


def test_only_the_service_administrator_gives_roles_that_reach_across_agencies(
    client: TestClient, world: World
) -> None:
    admin = world.practitioner(world.agency(AgencyKind.HEALTH), Role.ADMIN)
    colleague = world.colleague(admin)
    reviewer = world.colleague(admin, Role.LINKAGE_REVIEWER)
    world.sign_in(client, admin)
    for role in ("linkage_reviewer", "lado"):
        for target in (admin.id, colleague.id):
            answer = client.patch(f"/api/practitioners/{target}", json={"role": role})
            assert answer.status_code == 403, (role, target)
        added = client.post("/api/practitioners", json=_account(admin.agency_id, role))
        assert added.status_code == 403, role
    assert client.get("/api/link-reviews").status_code == 403
    for reset in ("password-reset", "second-factor/reset"):
        answer = client.post(f"/api/practitioners/{reviewer.id}/{reset}")
        assert answer.status_code == 403, "a reset would let the administrator sign in as them"
    disabled = client.patch(f"/api/practitioners/{reviewer.id}", json={"active": False})
    assert disabled.status_code == 200, "an administrator may still disable a reviewer"

    desk = world.practitioner(world.agency(AgencyKind.OTHER), Role.PLATFORM_ADMIN)
    client.cookies.clear()
    world.sign_in(client, desk)
    for role in ("linkage_reviewer", "lado"):
        added = client.post("/api/practitioners", json=_account(admin.agency_id, role))
        assert added.status_code == 201, (role, added.text)


def _account_notices(db: Database, practitioner_id: int, about: int) -> int:
    with db.sessions() as session:
        found = session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(
                Notification.practitioner_id == practitioner_id,
                Notification.kind == NotificationKind.ACCOUNT_CHANGED,
                Notification.object_id == about,
            )
        )
        return int(found or 0)


def test_demoting_the_dpo_is_told_to_the_dpo_not_to_whoever_is_accountable_after(
    client: TestClient, world: World, db: Database
) -> None:
    """Otherwise an administrator demotes the only DPO and is then told of their own acts."""
    admin = world.practitioner(world.agency(AgencyKind.SCHOOL), Role.ADMIN)
    dpo = world.colleague(admin, Role.DPO)
    colleague = world.colleague(admin)
    world.sign_in(client, admin)
    demoted = client.patch(f"/api/practitioners/{dpo.id}", json={"role": "practitioner"})
    assert demoted.status_code == 200, demoted.text
    assert _account_notices(db, dpo.id, dpo.id) == 1
    assert _account_notices(db, admin.id, dpo.id) == 0

    # The person whose account changed is told as well, whoever is accountable.
    assert client.post(f"/api/practitioners/{colleague.id}/password-reset").status_code == 201
    assert _account_notices(db, colleague.id, colleague.id) == 1


def _alerts_seen_by(client: TestClient, world: World, dpo: PractitionerOut) -> list[dict[str, Any]]:
    client.delete("/api/session")
    client.cookies.clear()
    world.sign_in(client, dpo)
    alerts: list[dict[str, Any]] = client.get("/api/audit/alerts").json()
    return alerts


def test_every_account_change_is_on_the_dpos_alert_list_and_told_to_them(
    client: TestClient, world: World, db: Database
) -> None:
    admin = world.practitioner(role=Role.ADMIN)
    dpo = world.colleague(admin, Role.DPO)
    colleague = world.colleague(admin)
    world.sign_in(client, admin)
    added = client.post("/api/practitioners", json=_account(admin.agency_id)).json()
    feed = client.post("/api/service-accounts", json={"name": "Case system"}).json()
    client.patch(f"/api/practitioners/{colleague.id}", json={"role": "dsl"})
    client.post(f"/api/practitioners/{colleague.id}/password-reset")
    client.post(f"/api/practitioners/{colleague.id}/second-factor/reset")

    alerts = _alerts_seen_by(client, world, dpo)
    seen = {(a["action"], a["object_id"]) for a in alerts}
    for action, subject in (
        (AuditAction.PRACTITIONER_CREATED, added["id"]),
        (AuditAction.PRACTITIONER_CREATED, feed["id"]),
        (AuditAction.PRACTITIONER_CHANGED, colleague.id),
        (AuditAction.PASSWORD_RESET_ISSUED, colleague.id),
        (AuditAction.SECOND_FACTOR_RESET, colleague.id),
    ):
        assert (action.value, str(subject)) in seen, action
    by_admin = [
        a
        for a in alerts
        if a["object_id"] == str(colleague.id)
        and a["action"] != AuditAction.PRACTITIONER_CREATED.value
    ]
    assert len(by_admin) == 3 and all(a["actor_id"] == admin.id for a in by_admin)
    notices = [n for n in client.get("/api/notifications").json() if n["kind"] == "account_changed"]
    assert {n["object_id"] for n in notices} >= {added["id"], feed["id"], colleague.id}
    assert len([n for n in notices if n["object_id"] == colleague.id]) == 3


def test_the_service_administrator_adds_agencies_and_their_administrators_only(
    client: TestClient, world: World, db: Database
) -> None:
    desk = world.practitioner(world.agency(AgencyKind.OTHER), Role.PLATFORM_ADMIN)
    world.sign_in(client, desk)
    name = unique("Oldtown Housing")
    agency = client.post("/api/agencies", json={"name": name, "kind": "housing"})
    assert agency.status_code == 201, agency.text
    agency_id = agency.json()["id"]
    assert client.post("/api/agencies", json={"name": name, "kind": "housing"}).status_code == 409

    first_admin = client.post("/api/practitioners", json=_account(agency_id, "admin"))
    assert first_admin.status_code == 201, first_admin.text
    assert first_admin.json()["enrolment_code"]
    for role in ("dsl", "practitioner", "dpo", "platform_admin"):
        refused = client.post("/api/practitioners", json=_account(agency_id, role))
        assert refused.status_code == 403, role
    assert (
        client.post(
            "/api/service-accounts", json={"name": "Feed", "agency_id": agency_id}
        ).status_code
        == 403
    )
    # It reads no child's information, even in its own agency.
    assert client.get("/api/agency-records").status_code in (403, 404)

    # The new agency's DPO is alerted to its administrator, made from outside it.
    with db.sessions() as session:
        new_agency = session.get(Agency, agency_id)
        assert new_agency is not None
    admin = PractitionerOut.model_validate(first_admin.json())
    dpo = world.colleague(admin, Role.DPO)
    alerts = _alerts_seen_by(client, world, dpo)
    assert any(
        a["action"] == AuditAction.PRACTITIONER_CREATED.value
        and a["object_id"] == str(admin.id)
        and a["actor_id"] == desk.id
        for a in alerts
    )


def test_agency_administrators_do_not_add_agencies(client: TestClient, world: World) -> None:
    world.sign_in(client, world.practitioner(role=Role.ADMIN))
    response = client.post("/api/agencies", json={"name": unique("Rogue"), "kind": "other"})
    assert response.status_code == 403


def test_the_command_line_makes_the_first_service_administrator_with_an_enrolment_code(
    client: TestClient, world: World, db: Database
) -> None:
    """A new deployment's first account: no one chooses its password, not even the operator."""
    url = db.engine.url.render_as_string(hide_password=False)
    desk = world.agency(AgencyKind.OTHER)
    email = _email()
    runner = CliRunner()
    add = ["accounts", "add", "--agency", str(desk.id), "--database", url]
    made = runner.invoke(cli, [*add, email, "--name", "Sam Desk", "--role", "platform_admin"])
    assert made.exit_code == 0, made.output
    code = made.output.split("Enrolment code: ")[1].split()[0]
    use = {"email": email, "code": code, "new_password": NEW_PASSWORD}
    assert client.post("/api/password-reset", json=use).status_code == 204
    system = runner.invoke(cli, [*add, _email(), "--name", "X", "--role", "system"])
    assert system.exit_code == 1 and "system's role" in system.output
