"""Which facts give a practitioner a purpose to look at a child across agencies: an open
request counts only with a confirmed record behind it, the asker's or the sender's."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from jigsaw.db import Database
from jigsaw.linkage import service as linking
from jigsaw.policy.roles import AgencyKind, Role
from tests.agreed import agree
from tests.conftest import World, unique
from tests.people.test_confirming_records import Known, build_known


def _ask(client: TestClient, subject_record_id: int, recipient_agency_id: int) -> Any:
    return client.post(
        "/api/requests",
        json={
            "subject_record_id": subject_record_id,
            "recipient_agency_id": recipient_agency_id,
            "purpose": "mash_screening",
            "categories": ["child_welfare"],
            "question": "Anything known about this child please",
            "rag": "amber",
        },
    )


def _named(known: Known, body: str) -> list[str]:
    return [said for said in known.secrets if said in body]


def test_a_mash_request_about_its_own_unconfirmed_record_opens_nothing(
    client: TestClient, db: Database, world: World
) -> None:
    """Record a child known elsewhere, then ask any agency about them: the request is
    made, but until a colleague confirms the record it names no agency or worker and
    opens no one else's involvement."""
    known = build_known(db, world)
    hub = world.agency(AgencyKind.SOCIAL_CARE)
    screener = world.practitioner(hub, Role.MASH)
    world.sign_in(client, screener)
    made = client.post(
        "/api/agency-records", json={**known.details(unique("MADEUP")), "agency_id": hub.id}
    )
    assert made.status_code == 201, made.text
    record_id = made.json()["id"]
    linking.link_recorded(db, world.actor(screener), record_id)
    agree(db, known.police.id, hub.id)
    asked = _ask(client, record_id, known.police.id)
    assert asked.status_code == 201, asked.text

    who = client.get(f"/api/people/{known.person_id}/who-knows")
    assert who.status_code == 200
    assert who.json()["names_withheld"] is True
    assert _named(known, who.text) == []
    chronology = client.get(f"/api/people/{known.person_id}/chronology")
    assert chronology.status_code == 200
    others = [AgencyKind.SCHOOL, AgencyKind.SOCIAL_CARE, AgencyKind.VOLUNTARY]
    assert not [k for k in others if f"Something {k.value} knows" in chronology.text]
    assert _named(known, chronology.text) == []

    # Once a second person of the hub vouches for the record, the open request and the
    # record both count.
    world.sign_in(client, world.practitioner(hub, Role.DSL))
    confirmed = client.post(f"/api/agency-records/{record_id}/confirmation")
    assert confirmed.status_code == 201, confirmed.text
    world.sign_in(client, screener)
    who = client.get(f"/api/people/{known.person_id}/who-knows")
    assert who.json()["names_withheld"] is False
    assert _named(known, who.text)


def test_a_request_received_opens_the_mash_view_without_a_record_of_its_own(
    client: TestClient, db: Database, world: World
) -> None:
    """The sender's confirmed record stands behind a request the MASH received."""
    known = build_known(db, world)
    hub = world.agency(AgencyKind.SOCIAL_CARE)
    screener = world.practitioner(hub, Role.MASH)
    world.sign_in(client, screener)
    assert client.get(f"/api/people/{known.person_id}/who-knows").status_code == 403

    school_dsl = known.workers[0]
    world.sign_in(client, school_dsl)
    school_record = client.get("/api/agency-records", params={"search": known.family_name}).json()[
        "records"
    ][0]["id"]
    agree(db, hub.id, school_dsl.agency_id)
    assert _ask(client, school_record, hub.id).status_code == 201

    world.sign_in(client, screener)
    who = client.get(f"/api/people/{known.person_id}/who-knows")
    assert who.status_code == 200
    assert who.json()["names_withheld"] is False
    assert _named(known, who.text)
