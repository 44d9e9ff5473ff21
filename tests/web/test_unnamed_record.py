"""A record an agency holds without a name (a baby not yet named) is shown as such."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import World, unique


def test_a_record_with_no_name_is_shown_as_name_not_recorded(
    client: TestClient, world: World
) -> None:
    school = world.agency()
    world.sign_in(client, world.practitioner(school))
    created = client.post(
        "/api/agency-records",
        json={
            "agency_id": school.id,
            "local_id": unique("L"),
            "role": "child",
            "date_of_birth": "2026-01-30",
            "sex": "female",
            "postcode": "OT4 7XY",
            "nhs_number": "4857773457",
        },
    )
    assert created.status_code == 201, created.text
    record = created.json()
    assert record["given_name"] == "" and record["family_name"] == ""
    assert client.get(f"/api/agency-records/{record['id']}").json()["given_name"] == ""
    page = client.get(f"/children/{record['id']}")
    assert page.status_code == 200
    assert '<h1 class="govuk-heading-l">Name not recorded</h1>' in page.text
