"""The DPO's pages: the disclosure register with its CSV, the access log with filters, and
break-glass alerts, each refused to anyone without an oversight role."""

from __future__ import annotations

import csv
import io
import re
from html import unescape

import pytest
from fastapi.testclient import TestClient

from jigsaw.audit import service as audit
from jigsaw.audit.actions import AuditAction
from jigsaw.db import Database
from jigsaw.people import service as people
from jigsaw.policy.actor import Actor
from jigsaw.policy.roles import Role
from jigsaw.sharing import disclosures
from jigsaw.sharing.models import DecisionOutcome
from tests.conftest import World
from tests.scene import Scene
from tests.web.sharing_steps import sign_in_as


def _error_links(html: str) -> list[tuple[str, str]]:
    summary = html.split('class="govuk-error-summary"', 1)[1].split("</ul>", 1)[0]
    return [(h, unescape(t)) for h, t in re.findall(r'<a href="([^"]+)">([^<]+)</a>', summary)]


def _dpo(world: World, scene: Scene) -> Actor:
    return world.actor(world.practitioner(scene.school, Role.DPO))


def test_the_dpo_sees_the_register_of_a_childs_decisions_and_downloads_it(
    client: TestClient, world: World, db: Database, scene: Scene
) -> None:
    shared = scene.share(db)
    made = disclosures.disclose(db, scene.dsl, scene.disclosure(shared.id, ["summary"]))
    refused = scene.share(
        db, outcome=DecisionOutcome.DO_NOT_SHARE, departure_reason="Already held by the GP."
    )
    sign_in_as(client, world, db, _dpo(world, scene))
    home = client.get("/").text
    assert 'href="/register"' in home and 'href="/access-log"' in home

    page = client.get(f"/register?record={scene.child_record_id}").text
    assert f"decision {shared.id}" in page and f"decision {refused.id}" in page
    assert f"Disclosure {made.id}" in page and "Nothing shared" in page
    assert "Public task" in page and "Bruise on upper arm" in page
    assert "Seen by class teacher" not in page, "item detail (and so identities) never shows"
    assert f'href="/register.csv?record={scene.child_record_id}"' in page

    download = client.get(f"/register.csv?record={scene.child_record_id}")
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/csv")
    assert "attachment" in download.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(download.text)))
    assert {r["decision_id"] for r in rows} == {str(shared.id), str(refused.id)}


FORMULA = "=cmd|' /C calc'!A0"


def test_the_register_csv_never_hands_a_spreadsheet_a_formula(
    client: TestClient, world: World, db: Database, scene: Scene
) -> None:
    # A practitioner writes a formula as their reason; the DPO later opens the download.
    planted = scene.share(db, reasons=FORMULA)
    sign_in_as(client, world, db, _dpo(world, scene))
    download = client.get(f"/register.csv?record={scene.child_record_id}")
    assert download.status_code == 200
    rows = {r["decision_id"]: r for r in csv.DictReader(io.StringIO(download.text))}
    reasons = rows[str(planted.id)]["reasons"]
    assert FORMULA in reasons
    cells = [c for row in csv.reader(io.StringIO(download.text)) for c in row]
    assert not any(c.startswith(("=", "+", "-", "@", "\t", "\r")) for c in cells)


def test_a_record_number_that_is_not_a_number_is_shown_as_an_error(
    client: TestClient, world: World, db: Database, scene: Scene
) -> None:
    sign_in_as(client, world, db, _dpo(world, scene))
    response = client.get("/register?record=Lily")
    assert response.status_code == 422
    assert _error_links(response.text) == [
        ("#record", "Enter the child's record number, for example 1042")
    ]


@pytest.mark.parametrize(
    "path",
    [
        "/register?record={record}",
        "/register.csv?record={record}",
        "/access-log",
        "/access-log/alerts",
    ],
)
def test_oversight_pages_are_refused_to_other_roles(
    client: TestClient, world: World, db: Database, scene: Scene, path: str
) -> None:
    sign_in_as(client, world, db, scene.dsl)
    assert 'href="/access-log"' not in client.get("/").text
    response = client.get(path.format(record=scene.child_record_id))
    assert response.status_code == 403
    assert "You cannot see this" in response.text
    assert "Only a DPO, Caldicott Guardian or auditor" in response.text


def test_the_access_log_filters_by_child_and_practitioner_and_checks_dates(
    client: TestClient, world: World, db: Database, scene: Scene
) -> None:
    people.view_agency_record(db, scene.dsl, scene.child_record_id)
    dpo = _dpo(world, scene)
    sign_in_as(client, world, db, dpo)
    page = client.get(
        f"/access-log?record={scene.child_record_id}&practitioner={scene.dsl.practitioner_id}"
    ).text
    assert "Looked at a child&#39;s record" in page or "Looked at a child's record" in page
    assert "1 entry" in page or " entries" in page

    response = client.get("/access-log?from-day=31&from-month=2&from-year=2026")
    assert response.status_code == 422
    assert _error_links(response.text) == [("#from-day", "The first day must be a real date")]
    response = client.get(
        "/access-log?from-day=2&from-month=3&from-year=2026&to-day=1&to-month=3&to-year=2026"
    )
    assert _error_links(response.text) == [
        ("#to-day", "The last day must be the same as or after the first day")
    ]
    empty = client.get(
        f"/access-log?record={scene.child_record_id}&from-day=1&from-month=1&from-year=2001&to-day=2&to-month=1&to-year=2001"
    )
    assert "No one matching these filters" in empty.text


def test_access_log_filters_that_are_not_ids_are_reported_on_their_own_fields(
    client: TestClient, world: World, db: Database, scene: Scene
) -> None:
    sign_in_as(client, world, db, _dpo(world, scene))
    for practitioner, record in (("someone", "-4"), ("1" * 30, "99999999999999999999999")):
        response = client.get(f"/access-log?practitioner={practitioner}&record={record}")
        assert response.status_code == 422
        assert _error_links(response.text) == [
            ("#practitioner", "Choose a practitioner from the list"),
            ("#record", "Enter the child's record number, for example 1042"),
        ]
        assert f'value="{record}"' in response.text, "what was typed is shown again"


@pytest.mark.parametrize(
    ("query", "anchor", "message"),
    [
        ("to-day=31&to-month=12&to-year=9999", "#to-day", "The date cannot be after 2099"),
        ("from-day=1&from-month=1&from-year=1066", "#from-day", "The date cannot be before 1900"),
    ],
)
def test_access_log_dates_outside_the_service_years_are_refused(
    client: TestClient,
    world: World,
    db: Database,
    scene: Scene,
    query: str,
    anchor: str,
    message: str,
) -> None:
    sign_in_as(client, world, db, _dpo(world, scene))
    response = client.get(f"/access-log?{query}")
    assert response.status_code == 422
    assert _error_links(response.text) == [(anchor, message)]


def test_break_glass_alerts_list_each_use_or_say_there_are_none(
    client: TestClient, world: World, db: Database, scene: Scene
) -> None:
    dpo = _dpo(world, scene)
    sign_in_as(client, world, db, dpo)
    page = client.get("/access-log/alerts").text
    assert "There have been no break-glass alerts" in page

    with db.transaction() as session:
        audit.append(
            session,
            scene.dsl,
            AuditAction.BREAK_GLASS_STARTED,
            "agency_record",
            scene.child_record_id,
            purpose="child_protection_enquiry",
        )
    page = client.get("/access-log/alerts").text
    assert "Used emergency access (break glass)" in page
    assert "Child protection enquiry (section 47)" in page
    assert "There have been no break-glass alerts" not in page
