"""What the data sharing agreements say, on the pages where a practitioner asks and
shares: a REVIEW to confirm, a DENY to justify (refused blank), kept on the request and
the disclosure, and never shown to another agency."""

from __future__ import annotations

import re
from datetime import date, timedelta
from html import unescape

from fastapi.testclient import TestClient

from jigsaw.consent.models import SharingPurpose
from jigsaw.db import Database
from jigsaw.notifications import service as notifications
from jigsaw.notifications.models import NotificationKind
from jigsaw.policy.roles import AgencyKind, Role
from jigsaw.sharing import disclosures, requests
from tests.agreed import agree
from tests.conftest import World
from tests.scene import HARM_ANSWERS, Scene, build_scene
from tests.web.sharing_steps import moved_to, post, sign_in_as, to_recommendation

WHY = "Section 47 enquiry: the Children Act 1989 lets us share without an agreement."
DENIED = "No data sharing agreement in force allows this"
REVIEWED = "The data sharing agreements do not settle this"


def _error_links(html: str) -> list[tuple[str, str]]:
    summary = html.split('class="govuk-error-summary"', 1)[1].split("</ul>", 1)[0]
    return [(h, unescape(t)) for h, t in re.findall(r'<a href="([^"]+)">([^<]+)</a>', summary)]


ASKING = {
    "purpose": "mash_screening",
    "categories": ["child_welfare"],
    "question": "Any injuries this term?",
    "rag": "amber",
}


def test_a_denied_request_needs_a_reason_on_the_page_and_the_dpo_is_told(
    client: TestClient, world: World, db: Database
) -> None:
    scene = build_scene(db, world, agreed=False)
    dpo = world.actor(world.practitioner(scene.mash, Role.DPO))
    token = sign_in_as(client, world, db, scene.social_worker)
    url = f"/children/{scene.mash_child(db).id}/request-information"
    asking = {**ASKING, "recipient_agency_id": scene.school.id}

    shown = post(client, url, token, asking)
    assert shown.status_code == 200, "first, what the agreements say; no error yet"
    assert DENIED in shown.text
    assert "No data sharing agreement covers sharing between these agencies." in shown.text
    assert 'name="agreement_override_reason"' in shown.text
    assert requests.outgoing_requests(db, scene.social_worker) == []

    seen = {**asking, "agreement_seen": "deny"}
    for blank in ("", "   "):
        refused = post(client, url, token, {**seen, "agreement_override_reason": blank})
        assert refused.status_code == 422
        assert _error_links(refused.text) == [
            (
                "#agreement_override_reason",
                "No data sharing agreement allows this: say why sharing is still lawful "
                "without one",
            )
        ]
    assert requests.outgoing_requests(db, scene.social_worker) == []

    made = moved_to(post(client, url, token, {**seen, "agreement_override_reason": WHY}))
    page = client.get(made).text
    assert "What the data sharing agreements said when it was asked" in page
    assert DENIED in page and WHY in page
    request_id = int(made.rsplit("/", 1)[1])
    told = [n.kind for n in notifications.inbox(db, dpo) if n.object_id == request_id]
    assert told == [NotificationKind.SHARED_AGAINST_AGREEMENTS]


def test_a_review_on_the_request_page_must_be_confirmed(
    client: TestClient, world: World, db: Database
) -> None:
    scene = build_scene(db, world, agreed=False)
    agree(db, scene.school.id, scene.mash.id, purposes=[SharingPurpose.EARLY_HELP])
    token = sign_in_as(client, world, db, scene.social_worker)
    url = f"/children/{scene.mash_child(db).id}/request-information"
    asking = {**ASKING, "recipient_agency_id": scene.school.id}
    shown = post(client, url, token, asking)
    assert REVIEWED in shown.text and "does not name the purpose mash_screening" in shown.text
    refused = post(client, url, token, {**asking, "agreement_seen": "review"})
    assert [href for href, _ in _error_links(refused.text)] == ["#agreement_review_confirmed"]
    made = moved_to(
        post(
            client,
            url,
            token,
            {**asking, "agreement_seen": "review", "agreement_review_confirmed": "yes"},
        )
    )
    page = client.get(made).text
    assert REVIEWED in page and "Confirmed as considered before it went ahead." in page


def test_a_permitted_request_goes_straight_through(
    client: TestClient, world: World, db: Database, scene: Scene
) -> None:
    token = sign_in_as(client, world, db, scene.social_worker)
    url = f"/children/{scene.mash_child(db).id}/request-information"
    made = moved_to(post(client, url, token, {**ASKING, "recipient_agency_id": scene.school.id}))
    page = client.get(made).text
    assert "Allowed by" in page and "(version 1)" in page


def test_another_agency_cannot_open_the_request_or_its_evaluation(
    client: TestClient, world: World, db: Database
) -> None:
    scene = build_scene(db, world, agreed=False)
    token = sign_in_as(client, world, db, scene.social_worker)
    url = f"/children/{scene.mash_child(db).id}/request-information"
    seen = {
        **ASKING,
        "recipient_agency_id": scene.school.id,
        "agreement_seen": "deny",
        "agreement_override_reason": WHY,
    }
    made = moved_to(post(client, url, token, seen))
    client.cookies.clear()
    outsider = world.actor(world.practitioner(world.agency(AgencyKind.POLICE), Role.MASH))
    sign_in_as(client, world, db, outsider)
    hostile = client.get(made)
    assert hostile.status_code == 404
    assert WHY not in hostile.text and DENIED not in hostile.text
    listed = client.get("/requests").text
    assert made not in listed


def test_the_decision_journey_shows_the_verdict_where_the_outcome_is_chosen(
    client: TestClient, world: World, db: Database
) -> None:
    scene = build_scene(db, world, agreed=False)
    token = sign_in_as(client, world, db, scene.dsl)
    url = moved_to(post(client, to_recommendation(client, token, scene, HARM_ANSWERS), token))
    assert url.endswith("/outcome")
    page = client.get(url).text
    assert DENIED in page
    assert "you will be asked why sharing is still lawful without an agreement" in page


def test_sharing_under_a_review_must_be_confirmed_on_the_check_page(
    client: TestClient, world: World, db: Database
) -> None:
    scene = build_scene(db, world, agreed=False)
    agree(db, scene.school.id, scene.mash.id, purposes=[SharingPurpose.EARLY_HELP])
    decision = scene.share(db)
    token = sign_in_as(client, world, db, scene.dsl)
    base = f"/decisions/{decision.id}/disclose"
    first = scene.items[0]
    moved_to(post(client, base, token, {f"fields-{first.id}": ["summary"]}))
    soon = date.today() + timedelta(days=14)
    day = {"expires_on-day": soon.day, "expires_on-month": soon.month, "expires_on-year": soon.year}
    moved_to(post(client, f"{base}/expiry", token, day))
    check = client.get(f"{base}/check").text
    assert REVIEWED in check and 'name="agreement_review_confirmed"' in check
    refused = post(client, f"{base}/check", token)
    assert refused.status_code == 422
    assert [href for href, _ in _error_links(refused.text)] == ["#agreement_review_confirmed"]
    made = moved_to(post(client, f"{base}/check", token, {"agreement_review_confirmed": "yes"}))
    disclosure_id = int(made.rsplit("/", 1)[1])
    [shared] = disclosures.made_by_agency(db, scene.dsl, disclosure_id=disclosure_id)
    assert shared.agreement is not None
    assert (shared.agreement.verdict, shared.agreement.review_confirmed) == ("review", True)


def test_the_expiry_page_offers_no_date_past_the_agreements_delete_after(
    client: TestClient, world: World, db: Database
) -> None:
    scene = build_scene(db, world, agreed=False)
    agree(db, scene.school.id, scene.mash.id, delete_after_days=10)
    decision = scene.share(db)
    token = sign_in_as(client, world, db, scene.dsl)
    base = f"/decisions/{decision.id}/disclose"
    moved_to(post(client, base, token, {f"fields-{scene.items[0].id}": ["summary"]}))
    page = client.get(f"{base}/expiry").text
    assert "deleted by then" in page
    late = date.today() + timedelta(days=30)
    day = {"expires_on-day": late.day, "expires_on-month": late.month, "expires_on-year": late.year}
    refused = post(client, f"{base}/expiry", token, day)
    assert refused.status_code == 422
    assert "choose that date or an earlier one" in refused.text
