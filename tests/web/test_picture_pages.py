"""The timeline on the chronology page, its print view and PDF, and the ecomap page:
each draws exactly what its table lists, and never another agency's unshared items."""

from __future__ import annotations

import re
from datetime import date

import pytest
from fastapi.testclient import TestClient

from jigsaw.db import Database
from jigsaw.people.models import PersonRole
from jigsaw.policy.roles import AgencyKind, Role
from tests.conftest import World
from tests.singleview.helpers import Family, build_family, involve, item, link, record, share
from tests.singleview.test_pictures import _pdf_text


@pytest.fixture
def family(db: Database, world: World) -> Family:
    built = build_family(db, world, surname="Hartigan")
    rec = built.records
    involve(db, built.officer, rec["police"], built.officer.practitioner_id, "Officer in case")
    shared = item(
        db, built.dsl, rec["school"], "Bruise on upper arm", occurred_on=date(2026, 1, 12)
    )
    kept = item(db, built.dsl, rec["school"], "Kept by the school", occurred_on=date(2026, 1, 13))
    police = item(
        db, built.officer, rec["police"], "Welfare call to the home",
        subtype="concern_for_welfare", occurred_on=date(2026, 2, 2),
    )  # fmt: skip
    item(
        db, built.social_worker, rec["mash"], "Contact received from school",
        subtype="mash_contact", occurred_on=date(2026, 2, 20),
    )  # fmt: skip
    share(db, built.dsl, rec["school"], [shared], to_agency=built.mash.id)
    share(db, built.officer, rec["police"], [police], to_agency=built.mash.id, fields=["summary"])
    built.records["kept_item"] = kept.id
    return built


def drawn(html: str) -> list[str]:
    """The item of each timeline mark, in the order drawn."""
    return re.findall(r'<g class="app-timeline__mark" data-item="(\d+)"', html)


def table_rows(html: str, table_id: str) -> int:
    start = html.index(f'id="{table_id}"')
    body = html[html.index("<tbody", start) : html.index("</tbody>", start)]
    return body.count('<tr class="govuk-table__row"')


def test_timeline_draws_every_entry_the_chronology_lists_and_nothing_else(
    client: TestClient, world: World, family: Family
) -> None:
    world.sign_in(client, family.accounts["social_worker"])
    html = client.get(f"/people/{family.child}/chronology").text
    listed = client.get(f"/api/people/{family.child}/chronology").json()["entries"]
    marks = drawn(html)
    assert sorted(marks) == sorted(str(e["item_id"]) for e in listed)
    assert len(marks) == 3 == table_rows(html, "chronology-table")
    assert str(family.records["kept_item"]) not in marks
    assert "Kept by the school" not in html
    assert 'role="img" aria-labelledby="timeline-title timeline-desc"' in html
    assert '<a class="govuk-link" href="#chronology-table">' in html
    # The police shared no date: their mark stands apart, with no date.
    police = next(e for e in listed if e["agency_id"] == family.police.id)
    assert f'data-item="{police["item_id"]}" data-agency="{family.police.id}" data-date=""' in html
    assert "style=" not in html[html.index("<svg") : html.index("</svg>")]


def test_timeline_honours_the_chronology_filters(
    client: TestClient, world: World, family: Family
) -> None:
    world.sign_in(client, family.accounts["social_worker"])
    html = client.get(
        f"/people/{family.child}/chronology", params={"agency": str(family.school.id)}
    ).text
    marks = drawn(html)
    assert len(marks) == 1 == table_rows(html, "chronology-table")
    assert f'data-agency="{family.mash.id}"' not in html[html.index("<svg") :]
    nothing = client.get(f"/people/{family.child}/chronology", params={"nature": "opinion"}).text
    assert drawn(nothing) == [] and "<svg" not in nothing.split('id="main-content"')[-1]


def test_print_view_and_pdf_carry_the_timeline(
    client: TestClient, world: World, family: Family
) -> None:
    world.sign_in(client, family.accounts["social_worker"])
    printed = client.get(f"/people/{family.child}/chronology/print").text
    assert len(drawn(printed)) == 3 == table_rows(printed, "chronology-table")
    pdf = client.get(f"/people/{family.child}/chronology/download").content
    text = _pdf_text(pdf)
    assert "(Another agency)" in text and "(Your agency)" in text
    assert "(Jan 2026)" in text


def test_ecomap_shows_family_agencies_and_workers_the_viewer_may_see(
    client: TestClient, world: World, family: Family
) -> None:
    world.sign_in(client, family.accounts["social_worker"])
    child_page = client.get(f"/children/{family.records['mash']}").text
    assert f'href="/children/{family.records["mash"]}/ecomap"' in child_page
    response = client.get(f"/children/{family.records['mash']}/ecomap")
    assert response.status_code == 200
    html = response.text
    svg = html[html.index("<svg") : html.index("</svg>")]
    mother, partner = family.records["mash_mother"], family.records["mash_partner"]
    assert re.findall(r'app-ecomap__person" data-record="(\d+)"', svg) == [
        str(mother),
        str(partner),
    ]
    # The mother's partner is drawn beside her and joined to her, not to the child.
    assert re.findall(r'app-ecomap__through" data-through="(\d+)"', svg) == [str(mother)]
    assert "Partner of Kerry Hartigan" in svg
    agencies = re.findall(r'app-ecomap__agency" data-agency="([^"]+)"', svg)
    expected = {family.school.id, family.police.id, family.health.id, family.mash.id}
    assert sorted(agencies) == sorted(str(a) for a in expected)
    assert table_rows(html, "ecomap-family") == 2
    assert table_rows(html, "ecomap-agencies") == len(agencies)
    assert svg.count('class="app-ecomap__worker"') == 1  # the officer in case
    assert family.accounts["officer"].name in svg and "Officer in case" in svg
    # Who knows the child, never what they hold.
    for unseen in ("Welfare call", "Bruise on upper arm", "Kept by the school"):
        assert unseen not in html


def test_ecomap_shows_a_carers_household_only_as_the_viewers_agency_recorded_it(
    client: TestClient, world: World, family: Family
) -> None:
    """The school never related the mother to her partner: its ecomap has neither, though
    the MASH recorded both (another agency's assertion is not the school's to show)."""
    world.sign_in(client, family.accounts["dsl"])
    html = client.get(f"/children/{family.records['school']}/ecomap").text
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert "app-ecomap__person" not in svg
    assert "Rourke" not in html and "Kerry" not in html


def test_ecomap_of_an_unconfirmed_record_names_only_the_viewers_agency(
    client: TestClient, db: Database, world: World, family: Family
) -> None:
    housing = world.agency(AgencyKind.HOUSING)
    officer = world.practitioner(housing, Role.PRACTITIONER)
    own = record(db, world.actor(officer), "Maisie", "Hartigan")
    link(db, family.child, own, confirmed=False)
    world.sign_in(client, officer)
    html = client.get(f"/children/{own}/ecomap").text
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert housing.name in svg
    for other in (family.school, family.police, family.mash, family.health):
        assert other.name not in html
    assert svg.count("Named once your record is confirmed") == 4
    assert table_rows(html, "ecomap-agencies") == 5


def test_ecomap_is_not_a_way_into_another_agencys_record(
    client: TestClient, world: World, family: Family
) -> None:
    world.sign_in(client, family.accounts["social_worker"])
    assert client.get(f"/children/{family.records['police']}/ecomap").status_code == 404
    assert client.get("/children/nope/ecomap").status_code == 404


def test_ecomap_of_an_unlinked_record_escapes_hostile_names(
    client: TestClient, db: Database, world: World
) -> None:
    school = world.agency(AgencyKind.SCHOOL)
    dsl = world.practitioner(school, Role.DSL)
    actor = world.actor(dsl)
    child = record(db, actor, "Zo\u00eb <b>Bold</b>", "O'Neil")
    adult = record(db, actor, '"><script>x</script>', "Carer", PersonRole.PARENT_CARER)
    from jigsaw.people.models import RelationshipKind
    from tests.singleview.helpers import relate

    relate(db, actor, adult, child, RelationshipKind.CARER)
    involve(db, actor, child, dsl.id, "Designated safeguarding lead")
    world.sign_in(client, dsl)
    html = client.get(f"/children/{child}/ecomap").text
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert "<b>" not in html and "<script>x" not in html
    assert "Zo\u00eb &lt;b&gt;Bold&lt;/b&gt;" in svg
    assert re.findall(r'app-ecomap__agency" data-agency="(\d+)"', svg) == [str(school.id)]
    assert dsl.name in svg


def test_the_single_view_leads_to_the_ecomap_of_the_viewers_own_record(
    client: TestClient, world: World, family: Family
) -> None:
    world.sign_in(client, family.accounts["social_worker"])
    moved = client.get(f"/people/{family.child}/ecomap", follow_redirects=False)
    assert moved.status_code == 303
    assert moved.headers["location"] == f"/children/{family.records['mash']}/ecomap"
    html = client.get(moved.headers["location"]).text
    assert f'href="/people/{family.child}/ecomap" aria-current="page">Ecomap</a>' in html
    assert f'href="/people/{family.child}/chronology"' in html
    outsider = world.practitioner(world.agency(AgencyKind.HOUSING), Role.PRACTITIONER)
    world.sign_in(client, outsider)
    refused = client.get(f"/people/{family.child}/ecomap", follow_redirects=False)
    assert refused.status_code == 404
    assert "Hartigan" not in refused.text
