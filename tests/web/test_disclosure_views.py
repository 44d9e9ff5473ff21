"""What each side sees of a disclosure: the sharer's list names the child with the parts
shared, the expiry and the acknowledgement; the recipient of a correction sees what
changed in the parts they were given, and why, and nothing of the parts they were not."""

from __future__ import annotations

from datetime import date, timedelta
from html import unescape

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from jigsaw.db import Database
from jigsaw.identity.models import Practitioner
from jigsaw.records import service as records
from jigsaw.records.models import Nature
from jigsaw.records.schemas import CorrectionIn, ItemOut
from jigsaw.sharing import disclosures
from jigsaw.sharing.disclosures import WITHHELD
from tests.conftest import World
from tests.singleview.helpers import Family, build_family, item, share
from tests.web.helpers import sign_in_through_the_page


@pytest.fixture
def family(db: Database, world: World) -> Family:
    return build_family(db, world, surname="Pemberton")


def test_shared_by_us_names_the_child_the_parts_shared_the_expiry_and_receipt(
    client: TestClient, world: World, db: Database, family: Family
) -> None:
    bruise = item(db, family.dsl, family.records["school"], "Bruise on the arm")
    made = share(
        db,
        family.dsl,
        family.records["school"],
        [bruise],
        to_agency=family.mash.id,
        fields=["occurred_on", "summary"],
        expires_in=timedelta(days=20),
    )
    disclosures.acknowledge(db, family.social_worker, made.id)
    sign_in_through_the_page(client, world, family.accounts["dsl"])

    listed = unescape(client.get("/shared-by-us").text)
    card = listed[listed.index(f"Disclosure {made.id}: Maisie Pemberton") :]
    card = card[: card.index("</dl>")]
    assert "1 item: Date, summary, fact or opinion" in card
    expiry = date.today() + timedelta(days=20)
    assert f"{expiry.day} {expiry:%B %Y}" in card
    assert "Not yet" not in card and "Received" in card
    assert f'href="/shared-by-us/{made.id}"' in listed

    detail = unescape(client.get(f"/shared-by-us/{made.id}").text)
    assert "govuk-panel" not in detail
    assert f"Disclosure {made.id}: Maisie Pemberton" in detail
    assert "Acknowledged on" in detail and "Bruise on the arm" in detail


def test_the_recipient_sees_whether_each_item_is_fact_or_opinion(
    client: TestClient, world: World, db: Database, family: Family
) -> None:
    view = item(
        db,
        family.dsl,
        family.records["school"],
        "Mother seemed frightened of her partner",
        nature=Nature.OPINION,
    )
    seen = item(db, family.dsl, family.records["school"], "Arrived without a coat")
    made = share(
        db,
        family.dsl,
        family.records["school"],
        [view, seen],
        to_agency=family.mash.id,
        fields=["summary"],
    )
    sign_in_through_the_page(client, world, family.accounts["social_worker"])
    page = unescape(client.get("/shared-with-me").text)
    section = page[page.index(f'id="disclosure-{made.id}"') :]
    cards = section.split("Item ")[1:3]
    opinion = next(c for c in cards if "Mother seemed frightened" in c)
    fact = next(c for c in cards if "Arrived without a coat" in c)
    assert "Fact or opinion" in opinion and "Opinion: the view of whoever recorded it" in opinion
    assert "Fact or opinion" in fact and "Fact" in fact and "Opinion" not in fact


def _correct(db: Database, family: Family, original: ItemOut, **changes: object) -> ItemOut:
    body = original.model_dump(include=set(CorrectionIn.model_fields) - {"reason"})
    body.update(changes)
    return records.correct_item(db, family.officer, original.id, CorrectionIn.model_validate(body))


def test_the_recipient_of_a_correction_sees_what_changed_and_why(
    client: TestClient, world: World, db: Database, family: Family
) -> None:
    incident = item(
        db,
        family.officer,
        family.records["police"],
        "Incident at 14 Elm Road",
        subtype="domestic_abuse_incident",
        source="Neighbour, Mrs Ward",
    )
    made = share(
        db,
        family.officer,
        family.records["police"],
        [incident],
        to_agency=family.mash.id,
        fields=["occurred_on", "summary"],
    )
    _correct(
        db,
        family,
        incident,
        summary="Incident at 41 Elm Road",
        source="Neighbour, Mr Ward",
        reason="The house number was misheard on the call",
    )

    (shown,) = disclosures.view_received(db, family.social_worker, made.id).items
    (correction,) = shown.corrections
    assert correction.reason == "The house number was misheard on the call"
    assert not correction.reason_withheld
    # The source was never shared, so it is neither compared nor named.
    assert [(c.field, c.before, c.after) for c in correction.changes] == [
        ("summary", "Incident at 14 Elm Road", "Incident at 41 Elm Road")
    ]

    sign_in_through_the_page(client, world, family.accounts["social_worker"])
    page = unescape(client.get("/shared-with-me").text)
    section = page[page.index(f'id="disclosure-{made.id}"') :]
    assert "The house number was misheard on the call" in section
    assert "Incident at 14 Elm Road" in section and "Incident at 41 Elm Road" in section
    for never in ("Mrs Ward", "Mr Ward"):
        assert never not in page


def test_a_correction_reason_is_withheld_where_the_item_protects_someones_identity(
    client: TestClient, world: World, db: Database, family: Family
) -> None:
    incident = item(
        db,
        family.officer,
        family.records["police"],
        "Incident at 14 Elm Road",
        subtype="domestic_abuse_incident",
        protected_identity=True,
        detail="Reported by the neighbour at number 12",
        source="Neighbour, Mrs Ward",
    )
    made = share(
        db,
        family.officer,
        family.records["police"],
        [incident],
        to_agency=family.mash.id,
        fields=["occurred_on", "summary", "detail", "source"],
    )
    revealed = share(
        db,
        family.officer,
        family.records["police"],
        [incident],
        to_agency=family.mash.id,
        fields=["occurred_on", "summary", "source"],
        reveal_protected=True,
    )
    _correct(
        db,
        family,
        incident,
        summary="Incident at 41 Elm Road",
        detail="Reported by the neighbour at number 39",
        source="Neighbour, Mr Ward",
        reason="Reporter was Mr Ward at no. 12",
    )

    (shown,) = disclosures.view_received(db, family.social_worker, made.id).items
    (correction,) = shown.corrections
    assert correction.reason is None and correction.reason_withheld
    # The detail and source are withheld on both sides, so only the summary changed.
    assert [(c.field, c.before, c.after) for c in correction.changes] == [
        ("summary", "Incident at 14 Elm Road", "Incident at 41 Elm Road")
    ]
    assert shown.detail == WITHHELD and shown.source == WITHHELD

    # Where the decision gave a reason to reveal the identity, the reason goes too.
    (open_item,) = disclosures.view_received(db, family.social_worker, revealed.id).items
    (open_correction,) = open_item.corrections
    assert open_correction.reason == "Reporter was Mr Ward at no. 12"
    assert not open_correction.reason_withheld

    sign_in_through_the_page(client, world, family.accounts["social_worker"])
    page = unescape(client.get("/shared-with-me").text)
    # The newest disclosure is listed first, so this one runs to the end of the page.
    section = page[page.index(f'id="disclosure-{made.id}"') :]
    assert f'id="disclosure-{revealed.id}"' not in section
    assert "reason withheld, because it may identify someone whose identity is protected" in (
        section
    )
    assert "Incident at 41 Elm Road" in section
    for never in ("no. 12", "number 12", "number 39", "Mrs Ward", "Mr Ward"):
        assert never not in section


def test_a_reason_stays_withheld_when_a_correction_lifts_the_protection(
    db: Database, family: Family
) -> None:
    incident = item(
        db,
        family.officer,
        family.records["police"],
        "Incident at 14 Elm Road",
        subtype="domestic_abuse_incident",
        protected_identity=True,
        source="Neighbour, Mrs Ward",
    )
    made = share(db, family.officer, family.records["police"], [incident], to_agency=family.mash.id)
    _correct(
        db,
        family,
        incident,
        summary="Incident at 41 Elm Road",
        protected_identity=False,
        reason="Mrs Ward agreed to be named",
    )
    (shown,) = disclosures.view_received(db, family.social_worker, made.id).items
    (correction,) = shown.corrections
    assert correction.reason is None and correction.reason_withheld


def test_no_reason_is_shown_when_nothing_shared_changed(
    client: TestClient, world: World, db: Database, family: Family
) -> None:
    incident = item(
        db,
        family.officer,
        family.records["police"],
        "Incident at 14 Elm Road",
        subtype="domestic_abuse_incident",
        source="Neighbour, Mrs Ward",
    )
    made = share(
        db,
        family.officer,
        family.records["police"],
        [incident],
        to_agency=family.mash.id,
        fields=["occurred_on", "summary"],
    )
    _correct(db, family, incident, source="Neighbour, Mr Ward", reason="It was Mr Ward who rang")
    (shown,) = disclosures.view_received(db, family.social_worker, made.id).items
    (correction,) = shown.corrections
    assert correction.changes == [] and correction.reason is None
    assert not correction.reason_withheld

    sign_in_through_the_page(client, world, family.accounts["social_worker"])
    page = unescape(client.get("/shared-with-me").text)
    section = page[page.index(f'id="disclosure-{made.id}"') :]
    assert "None of the parts shared with you changed." in section
    assert "Mr Ward" not in page and "Why:" not in section


def test_corrections_made_before_sharing_are_not_shown_as_changes(
    db: Database, family: Family
) -> None:
    first = item(db, family.officer, family.records["police"], "Seen at the park")
    _correct(db, family, first, summary="Seen at the park with an adult", reason="Added detail")
    made = share(db, family.officer, family.records["police"], [first], to_agency=family.mash.id)
    (shown,) = disclosures.view_received(db, family.social_worker, made.id).items
    assert shown.corrected and shown.corrections == []


def test_who_knows_gives_each_agencys_safeguarding_lead_and_how_to_reach_them(
    client: TestClient, world: World, db: Database, family: Family
) -> None:
    lead = family.accounts["dsl"]
    with db.transaction() as session:
        session.execute(
            update(Practitioner)
            .where(Practitioner.id == lead.id)
            .values(phone="01632 960123", job_title="Designated safeguarding lead")
        )
    sign_in_through_the_page(client, world, family.accounts["social_worker"])
    page = unescape(client.get(f"/people/{family.child}/who-knows").text)
    school = page[page.index(family.school.name) :]
    school = school[: school.index("</dl>")]
    assert "Safeguarding lead" in school
    assert lead.name in school and "01632 960123" in school
    assert f'href="mailto:{lead.email}"' in school
    assert "Contact the agency's safeguarding lead" not in page
