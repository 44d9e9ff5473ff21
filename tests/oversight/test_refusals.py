"""Every refusal is on the record, once, after the refused work rolled back."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlalchemy import select

from jigsaw.audit.actions import AuditAction
from jigsaw.audit.models import AuditEntry
from jigsaw.db import Database
from jigsaw.oversight.refusals import PROBING_THRESHOLD
from jigsaw.policy.roles import AgencyKind, Role
from tests.conftest import World
from tests.identity.test_tokens import _make_token
from tests.web.helpers import add_record


def _by(db: Database, practitioner_id: int, *actions: AuditAction) -> list[AuditEntry]:
    with db.sessions() as session:
        return list(
            session.scalars(
                select(AuditEntry)
                .where(
                    AuditEntry.actor_id == practitioner_id,
                    AuditEntry.action.in_([a.value for a in actions]),
                )
                .order_by(AuditEntry.seq)
            )
        )


def test_a_refusal_names_the_route_and_the_thing_but_not_the_query_string(
    client: TestClient, world: World, db: Database
) -> None:
    dsl = world.practitioner(role=Role.DSL)
    someone = world.practitioner()
    world.sign_in(client, dsl)
    refused = client.post(
        f"/api/practitioners/{someone.id}/password-reset", params={"note": "Lily Barnes"}
    )
    assert refused.status_code == 403
    [entry] = _by(db, dsl.id, AuditAction.ACCESS_REFUSED)
    assert entry.actor_agency_id == dsl.agency_id
    assert (entry.object_type, entry.object_id) == ("practitioner", str(someone.id))
    assert entry.refs == {
        "route": "/api/practitioners/{practitioner_id}/password-reset",
        "method": "POST",
    }
    assert "Lily" not in json.dumps(entry.refs)
    assert _by(db, dsl.id, AuditAction.PASSWORD_RESET_ISSUED) == [], "nothing was done"


def test_refused_pages_and_token_scopes_are_recorded_too(
    client: TestClient, world: World, db: Database
) -> None:
    school = world.agency(AgencyKind.SCHOOL)
    practitioner = world.practitioner(school)
    world.sign_in(client, practitioner)
    assert client.get("/access-log").status_code == 403
    [page] = _by(db, practitioner.id, AuditAction.ACCESS_REFUSED)
    assert page.refs == {"route": "/access-log", "method": "GET"}
    assert page.object_type == "route" and page.object_id is None
    client.delete("/api/session")

    owner = world.service_account(school)
    token = _make_token(client, world, owner, ["records:read"])["token"]
    written = client.post(
        "/api/agency-records",
        json={"agency_id": school.id, "local_id": "X1", "role": "child"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert written.status_code == 403
    [scope] = _by(db, owner.id, AuditAction.ACCESS_REFUSED)
    assert scope.refs == {"route": "/api/agency-records", "method": "POST"}


def test_another_agencys_record_is_not_found_and_not_recorded_as_a_refusal(
    client: TestClient, world: World, db: Database
) -> None:
    """The services answer 404 for both, so the edge cannot tell them apart."""
    police = world.agency(AgencyKind.POLICE)
    theirs = add_record(db, world.actor(world.practitioner(police)), "Oliver", "Quinn")
    outsider = world.practitioner()
    world.sign_in(client, outsider)
    assert client.get(f"/api/agency-records/{theirs.id}").status_code == 404
    assert _by(db, outsider.id, AuditAction.ACCESS_REFUSED) == []


def test_repeated_refusals_raise_one_alert_and_the_dpo_sees_them(
    client: TestClient, world: World, db: Database
) -> None:
    school = world.agency(AgencyKind.SCHOOL)
    prober = world.practitioner(school)
    dpo = world.practitioner(school, Role.DPO)
    world.sign_in(client, prober)
    for _ in range(PROBING_THRESHOLD + 2):
        assert client.get("/api/audit/access-log").status_code == 403
    assert len(_by(db, prober.id, AuditAction.ACCESS_REFUSED)) == PROBING_THRESHOLD + 2
    [alert] = _by(db, prober.id, AuditAction.ACCESS_REFUSED_REPEATEDLY)
    assert (alert.object_type, alert.object_id) == ("practitioner", str(prober.id))
    client.delete("/api/session")

    world.sign_in(client, dpo)
    alerts = client.get("/api/audit/alerts").json()
    assert [a["action"] for a in alerts if a["actor_id"] == prober.id] == [
        AuditAction.ACCESS_REFUSED_REPEATEDLY.value
    ]
    logged = client.get("/api/audit/access-log", params={"practitioner_id": prober.id}).json()
    assert [e["action"] for e in logged].count(AuditAction.ACCESS_REFUSED.value) == (
        PROBING_THRESHOLD + 2
    )
    page = client.get("/access-log", params={"practitioner": prober.id})
    assert page.status_code == 200
    assert "Was refused access" in page.text
    alerts_page = client.get("/access-log/alerts")
    assert "Was refused access again and again in a few minutes" in alerts_page.text
