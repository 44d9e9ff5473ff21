"""The child's page lists what has been decided, shared and asked about the child: its own
agency's decisions and disclosures, what other agencies shared with the viewer, requests
still waiting, and the patterns found; never another agency's decisions or disclosures."""

from __future__ import annotations

import re
from datetime import date

import pytest
from fastapi.testclient import TestClient

from jigsaw.audit.actions import AuditAction
from jigsaw.consent.models import SharingPurpose
from jigsaw.db import Database
from jigsaw.deadlines.timescales import load_profile
from jigsaw.deadlines.values import Rag
from jigsaw.records.models import Category
from jigsaw.sharing import decisions, disclosures, requests
from jigsaw.sharing.models import ConsentPosition, DecisionOutcome
from jigsaw.sharing.schemas import DecisionIn, RequestIn, RevocationIn
from tests.conftest import World
from tests.scene import HARM_ANSWERS
from tests.singleview.helpers import Family, build_family, correct, item, share
from tests.web.helpers import entries_by, sign_in_through_the_page


@pytest.fixture
def family(db: Database, world: World) -> Family:
    return build_family(db, world, surname="Fairweather")


def _section(html: str, heading_id: str) -> str:
    """The page from one section's heading to the next section's heading."""
    start = html.index(f'id="{heading_id}"')
    following = html.find('<h2 class="govuk-heading-m"', start)
    return html[start : following if following != -1 else len(html)]


def _do_not_share(db: Database, family: Family) -> int:
    return decisions.decide(
        db,
        family.dsl,
        DecisionIn(
            subject_record_id=family.records["school"],
            recipient_agency_id=family.police.id,
            purpose=SharingPurpose.EARLY_HELP,
            answers=dict(HARM_ANSWERS),
            outcome=DecisionOutcome.DO_NOT_SHARE,
            departure_reason="Early help is already in place at school.",
            reasons="Early help is already in place; nothing the police need.",
            lawful_basis="6(1)(e)",
            consent_position=ConsentPosition.NOT_SOUGHT_WOULD_INCREASE_RISK,
            family_informed=True,
        ),
    ).id


def test_the_child_page_lists_decisions_disclosures_and_open_requests(
    client: TestClient, world: World, db: Database, family: Family
) -> None:
    rec = family.records
    bruise = item(db, family.dsl, rec["school"], "Bruise on the arm")
    made = share(db, family.dsl, rec["school"], [bruise], to_agency=family.mash.id)
    refused = _do_not_share(db, family)
    revoked = share(db, family.dsl, rec["school"], [bruise], to_agency=family.health.id)
    disclosures.revoke(db, family.dsl, revoked.id, RevocationIn(reason="Sent to the wrong team"))
    police_item = item(db, family.officer, rec["police"], "Incident at home, child present")
    received = share(db, family.officer, rec["police"], [police_item], to_agency=family.school.id)
    correct(db, family.officer, police_item, "Incident at home, child asleep upstairs", "Misheard")
    asked = requests.make_request(
        db,
        family.social_worker,
        RequestIn(
            subject_record_id=rec["mash"],
            recipient_agency_id=family.school.id,
            purpose=SharingPurpose.MASH_SCREENING,
            categories=[Category.CHILD_WELFARE],
            question="What has the school seen this term?",
            rag=Rag.RED,
        ),
        load_profile("default"),
    )

    sign_in_through_the_page(client, world, family.accounts["dsl"])
    page = client.get(f"/children/{rec['school']}").text

    decided = _section(page, "decisions")
    assert f'href="/decisions/{made.decision_id}"' in decided
    assert f'href="/decisions/{refused}"' in decided
    assert f"Not shared with {family.police.name}" in decided
    assert f"Share with {family.mash.name}" in decided
    assert f"Decided {date.today().day}" in decided

    ours = _section(page, "shared-by-us")
    assert f'href="/shared-by-us/{made.id}"' in ours and "Waiting for receipt" in ours
    assert f'href="/shared-by-us/{revoked.id}"' in ours and "Revoked" in ours

    theirs = _section(page, "shared-with-you")
    assert f'href="/shared-with-me#disclosure-{received.id}"' in theirs
    assert f"From {family.police.name}" in theirs and "Corrected" in theirs

    waiting = _section(page, "open-requests")
    assert f'href="/requests/{asked.id}"' in waiting
    assert f"{family.mash.name} asked your agency" in waiting and "Red" in waiting

    assert 'id="patterns"' in page and f'href="/children/{rec["school"]}/flags"' in page

    # Each list was read through a service that wrote its entry.
    dsl_id = family.dsl.practitioner_id
    assert dsl_id is not None
    viewed = entries_by(db, AuditAction.DECISION_VIEWED, dsl_id)
    assert any(
        e.object_type == "agency_record" and e.object_id == str(rec["school"]) for e in viewed
    )
    assert entries_by(db, AuditAction.REQUEST_VIEWED, dsl_id)


def test_another_agencys_decisions_and_disclosures_are_never_on_the_page(
    client: TestClient, world: World, db: Database, family: Family
) -> None:
    rec = family.records
    police_item = item(db, family.officer, rec["police"], "Incident the school was not told of")
    to_mash = share(db, family.officer, rec["police"], [police_item], to_agency=family.mash.id)
    school_item = item(db, family.dsl, rec["school"], "Late every day this week")
    to_health = share(db, family.dsl, rec["school"], [school_item], to_agency=family.health.id)

    sign_in_through_the_page(client, world, family.accounts["dsl"])
    page = client.get(f"/children/{rec['school']}").text
    assert f"/decisions/{to_mash.decision_id}" not in page
    assert f"disclosure-{to_mash.id}" not in page and f"/shared-by-us/{to_mash.id}" not in page
    assert f"/shared-by-us/{to_health.id}" in page
    assert "Nothing about Maisie is shared with you at the moment." in page

    # The MASH sees what the police shared with it, and nothing the school shared elsewhere.
    sign_in_through_the_page(client, world, family.accounts["social_worker"])
    mash_page = client.get(f"/children/{rec['mash']}").text
    assert f'href="/shared-with-me#disclosure-{to_mash.id}"' in mash_page
    assert f"/shared-by-us/{to_health.id}" not in mash_page
    assert f"/decisions/{to_health.decision_id}" not in mash_page
    assert re.search(r"has not made any decisions about sharing", mash_page)


def test_the_services_behind_the_page_refuse_another_agencys_record(
    db: Database, family: Family
) -> None:
    from jigsaw.errors import NotFound

    for read in (
        decisions.decisions_about,
        disclosures.received_about,
        requests.open_requests_about,
    ):
        with pytest.raises(NotFound):
            read(db, family.officer, family.records["school"])
