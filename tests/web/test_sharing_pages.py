"""The sharing pages without a browser: each page's errors, CSRF, nothing written before
the final confirmation, and pages refused to the wrong people."""

from __future__ import annotations

import re
from datetime import date, timedelta
from html import unescape

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from jigsaw.audit.actions import AuditAction
from jigsaw.audit.models import AuditEntry
from jigsaw.consent.models import SharingPurpose
from jigsaw.db import Database
from jigsaw.deadlines.values import Rag
from jigsaw.notifications import service as notifications
from jigsaw.people import service as people
from jigsaw.people.models import PersonRole
from jigsaw.people.schemas import AgencyRecordIn
from jigsaw.policy.roles import AgencyKind, Role
from jigsaw.sharing import advice, decisions, disclosures, requests
from jigsaw.sharing.models import AdviceRequest, DecisionOutcome, Disclosure, SharingDecision
from jigsaw.sharing.schemas import AdviceAnswerIn, AdviceIn
from tests.conftest import World, unique
from tests.scene import HARM_ANSWERS, Scene, _item
from tests.sharing.test_requests import _request
from tests.web.helpers import page_title
from tests.web.sharing_steps import (
    REVIEW,
    answer_questions,
    moved_to,
    post,
    record_steps,
    sign_in_as,
    start_from_child,
    to_recommendation,
)

SHARE_RECORD = {
    "outcome": {"outcome": "share"},
    "reasons": {"reasons": "Bruising seen twice in a week; the MASH is screening a referral."},
    "lawful-basis": {"lawful_basis": "6(1)(e)"},
    "family": {"family_informed": "no"},
    "not-told": {"not_told_reason": "risk_to_child"},
    "review": REVIEW,
}


def _count(db: Database, model: type) -> int:
    with db.sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def _date(field: str, day: date) -> dict[str, object]:
    """A date as the three boxes of a GOV.UK date input post it."""
    return {f"{field}-day": day.day, f"{field}-month": day.month, f"{field}-year": day.year}


def _title(html: str) -> str:
    match = re.search(r"<title>(.*?)</title>", html, re.S)
    assert match
    return match.group(1).strip()


def _error_links(html: str) -> list[tuple[str, str]]:
    summary = html.split('class="govuk-error-summary"', 1)[1].split("</ul>", 1)[0]
    return [(h, unescape(t)) for h, t in re.findall(r'<a href="([^"]+)">([^<]+)</a>', summary)]


def _to_check(client: TestClient, token: str, scene: Scene, answers: dict[str, str]) -> str:
    url = moved_to(post(client, to_recommendation(client, token, scene, answers), token))
    return record_steps(client, token, url, SHARE_RECORD)


def test_the_share_journey_writes_nothing_until_the_decision_is_confirmed(
    client: TestClient, world: World, db: Database, scene: Scene
) -> None:
    token = sign_in_as(client, world, db, scene.dsl)
    child = client.get(f"/children/{scene.child_record_id}").text
    assert f'href="/children/{scene.child_record_id}/share/recipient"' in child
    before = _count(db, SharingDecision)

    url = start_from_child(
        client,
        token,
        scene.child_record_id,
        scene.mash.id,
        str(scene.social_worker.practitioner_id),
        SharingPurpose.CHILD_PROTECTION_ENQUIRY.value,
    )
    first = client.get(url).text
    assert "reasonable cause to suspect that a child is suffering" in first, (
        "significant harm is asked first: it decides most cases on its own"
    )
    assert "You do not need to be certain" in first, "the question's help is the hint"
    assert 'value="not_sure"' in first and "govuk-radios__divider" in first

    url = answer_questions(client, token, url, HARM_ANSWERS)
    page = client.get(url).text
    assert _title(page) == page_title("Share the information")
    assert "Share to protect the child" in page
    assert "There is reasonable cause to suspect significant harm" in page
    assert "Protecting a child from harm comes first" in page
    assert "Children Act 1989 section 47" in page
    assert "Name the UK GDPR Article 6 lawful basis" in page

    url = record_steps(client, token, moved_to(post(client, url, token)), SHARE_RECORD)
    check = client.get(url).text
    assert _title(check) == page_title("Check your answers before recording your decision")
    assert 'Change<span class="govuk-visually-hidden"> lawful basis</span>' in check
    assert "Public task" in check and "Telling them would put the child at greater risk" in check
    assert _count(db, SharingDecision) == before, "nothing is written before the confirmation"

    recorded = moved_to(post(client, url, token))
    decision_id = int(recorded.rsplit("/", 1)[1])
    confirmation = client.get(recorded).text
    assert "govuk-panel--confirmation" in confirmation
    assert f"Decision {decision_id}" in confirmation

    decision = decisions.view_decision(db, scene.dsl, decision_id)
    assert decision.outcome.value == "share" and decision.followed_recommendation
    assert decision.lawful_basis == "6(1)(e)"
    assert decision.recipient_practitioner_id == scene.social_worker.practitioner_id
    assert decision.answers == {k: v for k, v in decision.answers.items() if k in HARM_ANSWERS}
    assert client.get(url, follow_redirects=False).status_code == 303, "the draft is gone"


def test_a_question_without_an_answer_is_shown_again_with_a_linked_error(
    client: TestClient, world: World, db: Database, scene: Scene
) -> None:
    token = sign_in_as(client, world, db, scene.dsl)
    url = start_from_child(
        client,
        token,
        scene.child_record_id,
        scene.mash.id,
        "agency",
        SharingPurpose.MASH_SCREENING.value,
    )
    response = post(client, url, token, {"answer": "maybe"})
    assert response.status_code == 422
    assert _title(response.text).startswith("Error: ")
    assert _error_links(response.text) == [
        ("#answer", "Select an answer, or select “Not sure” if you cannot say")
    ]
    assert 'id="answer-error"' in response.text


def test_the_recipient_must_be_chosen_from_the_safeguarding_agencies_offered(
    client: TestClient, world: World, db: Database, scene: Scene
) -> None:
    other = world.agency(AgencyKind.OTHER)
    token = sign_in_as(client, world, db, scene.dsl)
    page = client.get(f"/children/{scene.child_record_id}/share/recipient").text
    assert scene.mash.name in page and other.name not in page and scene.school.name not in page
    response = post(
        client,
        f"/children/{scene.child_record_id}/share/recipient",
        token,
        {"recipient_agency_id": other.id},
    )
    assert response.status_code == 422
    assert _error_links(response.text) == [
        ("#recipient_agency_id", "Choose the agency you would share with")
    ]


def test_forms_without_the_token_are_refused_and_change_nothing(
    client: TestClient, world: World, db: Database, scene: Scene
) -> None:
    token = sign_in_as(client, world, db, scene.dsl)
    check = _to_check(client, token, scene, HARM_ANSWERS)
    before = _count(db, SharingDecision)
    for url in (check, f"/children/{scene.child_record_id}/share/recipient"):
        response = client.post(url, data={"recipient_agency_id": scene.mash.id})
        assert response.status_code == 403
        assert "Your form could not be sent" in response.text
        response = post(client, url, "not-the-token", {})
        assert response.status_code == 403
    assert _count(db, SharingDecision) == before
    assert client.get(check).status_code == 200, "the draft survived the refused posts"


def test_deciding_against_the_recommendation_asks_why(
    client: TestClient, world: World, db: Database, scene: Scene
) -> None:
    token = sign_in_as(client, world, db, scene.dsl)
    check = _to_check(client, token, scene, HARM_ANSWERS)
    base = check.rsplit("/", 1)[0]
    url = moved_to(post(client, f"{base}/outcome", token, {"outcome": "do_not_share"}))
    assert url == f"{base}/departure"
    page = client.get(url).text
    assert "The guidance recommends: share the information." in page
    response = post(client, url, token, {"departure_reason": "  "})
    assert response.status_code == 422
    assert _error_links(response.text) == [
        ("#departure_reason", "Say why you decided differently from the guidance")
    ]
    url = moved_to(
        post(client, url, token, {"departure_reason": "The GP shared all of this an hour ago."})
    )
    assert url == f"{base}/held-back", "not sharing asks which items are held back"
    page = client.get(url).text
    assert all(item.summary in page for item in scene.items)
    response = post(client, url, token)
    assert response.status_code == 422
    assert _error_links(response.text) == [
        ("#withheld_item_ids", "Select the information you are not sharing")
    ]
    held = scene.items[0]
    url = moved_to(post(client, url, token, {"withheld_item_ids": str(held.id)}))
    assert url == check, "no lawful basis or family page is needed to record not sharing"
    page = client.get(check).text
    assert "Lawful basis" not in page and "Why you decided differently" in page
    assert "Information not shared" in page and held.summary in page
    decision_id = int(moved_to(post(client, check, token)).rsplit("/", 1)[1])
    decision = decisions.view_decision(db, scene.dsl, decision_id)
    assert decision.outcome.value == "do_not_share"
    assert decision.lawful_basis is None, "a basis left over from sharing is not recorded"
    assert decision.withheld_item_ids == [held.id]
    recorded = client.get(f"/decisions/{decision_id}").text
    assert "Information not shared" in recorded and held.summary in recorded


def test_a_decision_is_reconsidered_as_a_new_linked_decision(
    client: TestClient, world: World, db: Database, scene: Scene
) -> None:
    token = sign_in_as(client, world, db, scene.dsl)
    first_id = int(
        moved_to(post(client, _to_check(client, token, scene, HARM_ANSWERS), token)).rsplit("/", 1)[
            1
        ]
    )
    page = client.get(f"/decisions/{first_id}").text
    assert f'action="/decisions/{first_id}/reconsider"' in page

    assert post(client, f"/decisions/{first_id}/reconsider", "not-the-token").status_code == 403
    url = moved_to(post(client, f"/decisions/{first_id}/reconsider", token))
    assert url == f"/children/{scene.child_record_id}/share/questions/significant_harm", (
        "who and why are carried over; the questions are asked again"
    )
    url = answer_questions(client, token, url, HARM_ANSWERS)
    check = record_steps(client, token, moved_to(post(client, url, token)), SHARE_RECORD)
    second_id = int(moved_to(post(client, check, token)).rsplit("/", 1)[1])

    second = decisions.view_decision(db, scene.dsl, second_id)
    first = decisions.view_decision(db, scene.dsl, first_id)
    assert second.reconsiders_id == first_id and first.reconsidered_by_id == second_id
    assert second.recipient_agency_id == first.recipient_agency_id
    assert second.purpose == first.purpose
    earlier_page = client.get(f"/decisions/{first_id}").text
    assert f'href="/decisions/{second_id}"' in earlier_page
    assert "/reconsider" not in earlier_page, "only the latest decision can be reconsidered"
    again = moved_to(post(client, f"/decisions/{first_id}/reconsider", token))
    assert again == f"/decisions/{second_id}"


def test_service_refusals_on_the_check_page_link_to_the_page_to_change(
    client: TestClient, world: World, db: Database, scene: Scene
) -> None:
    token = sign_in_as(client, world, db, scene.dsl)
    check = _to_check(client, token, scene, HARM_ANSWERS)
    base = check.rsplit("/", 1)[0]
    moved_to(post(client, f"{base}/lawful-basis", token, {"lawful_basis": "6(1)(a)"}))
    before = _count(db, SharingDecision)
    response = post(client, check, token)
    assert response.status_code == 422
    assert _error_links(response.text) == [
        (f"{base}/lawful-basis", "Consent cannot be the lawful basis unless consent was given")
    ]
    assert _count(db, SharingDecision) == before


def test_pages_of_another_agencys_child_do_not_exist(
    client: TestClient, world: World, db: Database, scene: Scene
) -> None:
    token = sign_in_as(client, world, db, scene.social_worker)
    base = f"/children/{scene.child_record_id}"
    for url in (f"{base}/share/recipient", f"{base}/request-information"):
        assert client.get(url).status_code == 404
    choice = {"recipient_agency_id": scene.school.id}
    response = post(client, f"{base}/share/recipient", token, choice)
    assert response.status_code == 404
    assert client.get(f"{base}/share/check", follow_redirects=False).status_code == 303
    assert client.get("/children/x/share/recipient").status_code == 404


def test_asking_for_advice_refuses_a_summary_that_names_the_child(
    client: TestClient, world: World, db: Database, scene: Scene
) -> None:
    token = sign_in_as(client, world, db, scene.dsl)
    url = start_from_child(
        client,
        token,
        scene.child_record_id,
        scene.mash.id,
        "agency",
        SharingPurpose.CHILD_PROTECTION_ENQUIRY.value,
    )
    unsure = {**HARM_ANSWERS, "significant_harm": "not_sure"}
    url = answer_questions(client, token, url, unsure)
    page = client.get(url).text
    assert _title(page) == page_title("Seek advice before you decide")
    ask = f"/children/{scene.child_record_id}/share/ask-advice"
    assert f'href="{ask}"' in page
    before = _count(db, AdviceRequest)

    response = post(client, ask, token, {"to": "dpo"})
    assert response.status_code == 422
    assert [href for href, _ in _error_links(response.text)] == ["#case_summary", "#question"]
    response = post(
        client,
        ask,
        token,
        {
            "to": "dpo",
            "anonymised": "yes",
            "case_summary": "Lily has bruises on her arm",
            "question": "Should I share?",
        },
    )
    assert response.status_code == 422
    assert _error_links(response.text) == [
        ("#case_summary", "An anonymised request must not name the child: remove Lily")
    ]
    assert _count(db, AdviceRequest) == before

    done = post(
        client,
        ask,
        token,
        {
            "to": "dpo",
            "anonymised": "yes",
            "case_summary": "A year 3 pupil with bruises seen twice in a week.",
            "question": "Is this enough to share with the MASH?",
        },
    )
    assert moved_to(done) == url
    page = client.get(url).text
    assert "Your request for advice has been sent to your Data Protection Officer." in page
    assert "Waiting for an answer" in page


def test_an_adviser_answers_from_the_advice_inbox(
    client: TestClient, world: World, db: Database, scene: Scene
) -> None:
    dpo = world.actor(world.practitioner(scene.school, Role.DPO))
    asked = advice.ask(
        db,
        scene.dsl,
        AdviceIn(
            subject_record_id=scene.child_record_id,
            to_role="dpo",
            case_summary="A year 3 pupil with repeated bruising.",
            question="Share without consent?",
        ),
    )
    token = sign_in_as(client, world, db, dpo)
    inbox = client.get("/advice").text
    assert f'href="/advice/{asked.id}"' in inbox and "Needs your answer" in inbox
    page = client.get(f"/advice/{asked.id}").text
    assert "Not named: the request is anonymised" in page
    assert f"/children/{scene.child_record_id}" not in page and "Lily" not in page
    with db.sessions() as session:
        reads = {
            e.action: e
            for e in session.scalars(
                select(AuditEntry).where(
                    AuditEntry.actor_id == dpo.practitioner_id,
                    AuditEntry.action.in_(
                        [AuditAction.ADVICE_LIST_VIEWED, AuditAction.ADVICE_VIEWED]
                    ),
                )
            )
        }
    assert asked.id in reads[AuditAction.ADVICE_LIST_VIEWED].refs["advice_requests"]
    assert reads[AuditAction.ADVICE_VIEWED].object_id == str(asked.id)
    assert reads[AuditAction.ADVICE_VIEWED].refs["agency_record"] == scene.child_record_id
    response = post(client, f"/advice/{asked.id}", token, {"answer": ""})
    assert response.status_code == 422
    assert _error_links(response.text) == [("#answer", "Enter your advice")]
    assert moved_to(post(client, f"/advice/{asked.id}", token, {"answer": "Yes, today."})) == (
        "/advice"
    )
    mine = next(a for a in advice.advice_inbox(db, scene.dsl) if a.id == asked.id)
    assert mine.answer == "Yes, today."
    assert post(client, f"/advice/{asked.id}", "wrong", {"answer": "x"}).status_code == 403


def test_advice_had_is_linked_to_the_decision(
    client: TestClient, world: World, db: Database, scene: Scene
) -> None:
    asked = advice.ask(
        db,
        scene.dsl,
        AdviceIn(
            subject_record_id=scene.child_record_id,
            to_practitioner_id=scene.social_worker.practitioner_id,
            case_summary="A pupil with repeated bruising.",
            question="Would the MASH want this now?",
        ),
    )
    advice.answer(db, scene.social_worker, asked.id, AdviceAnswerIn(answer="Yes, today."))
    token = sign_in_as(client, world, db, scene.dsl)
    url = start_from_child(
        client,
        token,
        scene.child_record_id,
        scene.mash.id,
        str(scene.social_worker.practitioner_id),
        SharingPurpose.CHILD_PROTECTION_ENQUIRY.value,
    )
    url = answer_questions(client, token, url, {**HARM_ANSWERS, "significant_harm": "not_sure"})
    url = moved_to(post(client, url, token))
    values = {
        **SHARE_RECORD,
        "departure": {"departure_reason": "The MASH advised sharing today."},
        "special-category": {"art9_condition": "none"},
        "criminal-offence": {"art10_condition": "none"},
        "consent": {"consent_position": "not_sought_would_increase_risk"},
    }
    base = f"/children/{scene.child_record_id}/share"
    while not url.endswith("/advice"):
        step = url.rsplit("/share/", 1)[1]
        url = moved_to(post(client, url, token, values[step]))
    page = client.get(url).text
    assert "Would the MASH want this now?" in page and "Yes, today." in page
    unlinked = moved_to(post(client, url, token))
    assert unlinked == f"{base}/could-not-wait", "no advice linked: say why it could not wait"
    check = moved_to(post(client, url, token, {"advice_request_ids": str(asked.id)}))
    assert check == f"{base}/check"
    decision_id = int(moved_to(post(client, check, token)).rsplit("/", 1)[1])
    decision = decisions.view_decision(db, scene.dsl, decision_id)
    assert decision.advice_request_ids == [asked.id]
    assert decision.recommendation == "seek_advice" and decision.outcome.value == "share"


def _shared_decision(db: Database, scene: Scene) -> int:
    return scene.share(db).id


def test_choosing_items_and_fields_then_sharing(
    client: TestClient, world: World, db: Database, scene: Scene
) -> None:
    decision_id = _shared_decision(db, scene)
    token = sign_in_as(client, world, db, scene.dsl)
    base = f"/decisions/{decision_id}/disclose"
    page = client.get(base).text
    first = scene.items[0]
    assert f'name="fields-{first.id}"' in page and "Bruise on upper arm" in page
    # Fact or opinion goes with every item: said, not offered as a box to untick.
    assert 'value="nature"' not in page and 'value="summary"' in page
    assert "Fact or opinion, always shared with any part of this item: <strong>Fact" in page
    before = _count(db, Disclosure)

    response = post(client, base, token, {})
    assert response.status_code == 422
    (href, message), *_ = _error_links(response.text)
    assert href.startswith("#fields-")
    assert message == "Select the fields to share from at least one item"

    url = moved_to(post(client, base, token, {f"fields-{first.id}": ["occurred_on", "summary"]}))
    assert url == f"{base}/expiry"
    expiry = client.get(url).text
    assert 'name="expires_on-day"' in expiry
    response = post(
        client,
        url,
        token,
        {"expires_on-day": "31", "expires_on-month": "2", "expires_on-year": "2030"},
    )
    assert response.status_code == 422
    assert _error_links(response.text) == [
        ("#expires_on-day", "The date the recipient's access ends must be a real date")
    ]
    response = post(client, url, token, _date("expires_on", date.today() - timedelta(days=1)))
    assert _error_links(response.text) == [
        ("#expires_on-day", "The date must be today or in the future")
    ]
    soon = date.today() + timedelta(days=14)
    url = moved_to(post(client, url, token, _date("expires_on", soon)))
    assert url == f"{base}/check"
    check = client.get(url).text
    assert "Bruise on upper arm" in check and "Missed two days" not in check
    assert "Parts shared: Date, summary and fact or opinion." in check
    assert _count(db, Disclosure) == before

    made = moved_to(post(client, url, token))
    disclosure_id = int(made.rsplit("/", 1)[1])
    shown = client.get(made).text
    assert f"Disclosure {disclosure_id} shared with" in shown and "govuk-panel" not in shown
    assert f"Disclosure {disclosure_id} shared with" not in client.get(made).text
    got = next(d for d in disclosures.received(db, scene.social_worker) if d.id == disclosure_id)
    assert [i.fields for i in got.items] == [["occurred_on", "summary", "nature"]]
    assert got.expires_at.date() == soon


def test_a_special_category_item_needs_a_condition_on_the_decision(
    client: TestClient, world: World, db: Database, scene: Scene
) -> None:
    health = _item(
        db, scene.dsl, scene.child_record_id, summary="Asthma plan", special_category=True
    )
    decision_id = _shared_decision(db, scene)
    token = sign_in_as(client, world, db, scene.dsl)
    base = f"/decisions/{decision_id}/disclose"
    assert "names no Article 9 condition" in client.get(base).text
    moved_to(post(client, base, token, {f"fields-{health.id}": ["summary"]}))
    moved_to(post(client, f"{base}/expiry", token, _date("expires_on", date.today())))
    before = _count(db, Disclosure)
    response = post(client, f"{base}/check", token)
    assert response.status_code == 422
    ((href, message),) = _error_links(response.text)
    assert href == f"{base}#fields-{health.id}"
    assert "must name a UK GDPR Article 9 condition" in message
    assert _count(db, Disclosure) == before


# What happens after sharing: the recipient's inbox, revoking, notifications


def _disclosed(db: Database, scene: Scene, fields: list[str]) -> int:
    decision_id = _shared_decision(db, scene)
    return disclosures.disclose(db, scene.dsl, scene.disclosure(decision_id, fields)).id


def test_the_recipient_sees_only_the_disclosed_fields_and_acknowledges_receipt(
    client: TestClient, world: World, db: Database, scene: Scene
) -> None:
    disclosure_id = _disclosed(db, scene, ["summary"])
    token = sign_in_as(client, world, db, scene.social_worker)
    inbox = client.get("/shared-with-me").text
    assert f'id="disclosure-{disclosure_id}"' in inbox
    assert "Bruise on upper arm, explanation inconsistent" in inbox
    assert "Seen by class teacher" not in inbox and "Observed by class teacher" not in inbox
    assert "Not acknowledged" in inbox

    ack = f"/shared-with-me/{disclosure_id}/acknowledge"
    assert client.post(ack, data={}).status_code == 403
    assert moved_to(post(client, ack, token)) == "/shared-with-me"
    after = client.get("/shared-with-me").text
    assert "You have acknowledged receipt" in after
    got = next(d for d in disclosures.received(db, scene.social_worker) if d.id == disclosure_id)
    assert got.acknowledged_at is not None
    moved_to(post(client, ack, token))
    assert "Receipt had already been acknowledged" in client.get("/shared-with-me").text

    notices = client.get("/notifications").text
    assert "Information about a child has been shared with you" in notices
    (notice,) = [
        n
        for n in notifications.inbox(db, scene.social_worker)
        if n.object_type == "disclosure" and n.object_id == disclosure_id
    ]
    # Each notice opens through a form (drawn as a link) that marks it read, then leads
    # to what it is about.
    assert f'action="/notifications/{notice.id}/open"' in notices
    assert f'action="/notifications/{notice.id}/read"' in notices
    moved_to(post(client, f"/notifications/{notice.id}/read", token))
    assert f'action="/notifications/{notice.id}/read"' not in client.get("/notifications").text
    opened = post(client, f"/notifications/{notice.id}/open", token)
    assert opened.headers["location"] == f"/shared-with-me#disclosure-{disclosure_id}"


def test_a_practitioner_at_another_agency_sees_nothing_shared(
    client: TestClient, world: World, db: Database, scene: Scene
) -> None:
    disclosure_id = _disclosed(db, scene, ["summary"])
    outsider = world.actor(world.practitioner(world.agency()))
    token = sign_in_as(client, world, db, outsider)
    assert f"disclosure-{disclosure_id}" not in client.get("/shared-with-me").text
    assert post(client, f"/shared-with-me/{disclosure_id}/acknowledge", token).status_code == 404
    assert client.get(f"/shared-by-us/{disclosure_id}/revoke").status_code == 404


def test_the_sharer_revokes_with_a_reason_and_the_recipient_loses_access(
    client: TestClient, world: World, db: Database, scene: Scene
) -> None:
    disclosure_id = _disclosed(db, scene, ["summary", "occurred_on"])
    token = sign_in_as(client, world, db, scene.dsl)
    listed = client.get("/shared-by-us").text
    assert f'href="/shared-by-us/{disclosure_id}/revoke"' in listed
    url = f"/shared-by-us/{disclosure_id}/revoke"
    response = post(client, url, token, {"reason": " "})
    assert response.status_code == 422
    assert _error_links(response.text) == [
        ("#reason", "Say why you are revoking it; the recipient is told it was revoked")
    ]
    assert disclosure_id in {d.id for d in disclosures.received(db, scene.social_worker)}
    assert moved_to(post(client, url, token, {"reason": "Sent to the wrong team"})) == (
        "/shared-by-us"
    )
    assert f"Disclosure {disclosure_id} has been revoked" in client.get("/shared-by-us").text
    assert disclosure_id not in {d.id for d in disclosures.received(db, scene.social_worker)}


@pytest.mark.parametrize(
    "reason", ["Sent to\x00 the wrong team", "Sent to the wrong team " + "x" * 10_001]
)
def test_a_revocation_reason_with_a_nul_or_too_long_is_asked_again_and_not_logged(
    client: TestClient,
    world: World,
    db: Database,
    scene: Scene,
    caplog: pytest.LogCaptureFixture,
    reason: str,
) -> None:
    disclosure_id = _disclosed(db, scene, ["summary"])
    token = sign_in_as(client, world, db, scene.dsl)
    with caplog.at_level("DEBUG"):
        response = post(client, f"/shared-by-us/{disclosure_id}/revoke", token, {"reason": reason})
    assert response.status_code == 422
    assert [anchor for anchor, _ in _error_links(response.text)] == ["#reason"]
    assert "wrong team" not in caplog.text
    assert disclosure_id in {d.id for d in disclosures.received(db, scene.social_worker)}


# Requests for information


def _incoming_request(db: Database, scene: Scene, rag: str = "amber") -> int:
    return _request(db, scene, Rag(rag))


def test_requests_list_rag_and_due_times_and_the_request_page_starts_a_decision(
    client: TestClient, world: World, db: Database, scene: Scene
) -> None:
    request_id = _incoming_request(db, scene, "red")
    token = sign_in_as(client, world, db, scene.dsl)
    listing = client.get("/requests").text
    assert f'href="/requests/{request_id}"' in listing
    assert "govuk-tag--red" in listing and "Due " in listing

    page = client.get(f"/requests/{request_id}").text
    assert "Attendance and any injuries this term?" in page
    assert f'href="/requests/{request_id}/decide"' in page

    choose = client.get(f"/requests/{request_id}/decide").text
    assert f'value="{scene.child_record_id}"' in choose
    response = post(client, f"/requests/{request_id}/decide", token, {})
    assert response.status_code == 422
    assert _error_links(response.text) == [("#record_id", "Select the child the request is about")]
    url = moved_to(
        post(client, f"/requests/{request_id}/decide", token, {"record_id": scene.child_record_id})
    )
    assert url == f"/children/{scene.child_record_id}/share/questions/significant_harm"
    assert f'href="/requests/{request_id}"' in client.get(url).text, "back goes to the request"


def test_searching_for_the_requested_child_keeps_the_name_out_of_the_address(
    client: TestClient, world: World, db: Database, scene: Scene
) -> None:
    request_id = _incoming_request(db, scene, "amber")
    token = sign_in_as(client, world, db, scene.dsl)
    decide = f"/requests/{request_id}/decide"
    choose = client.get(decide).text
    assert 'method="post"' in choose and 'name="q"' in choose and 'method="get"' not in choose

    nobody = post(client, decide, token, {"search": "1", "q": "Zzyzx"})
    assert nobody.status_code == 200 and "Zzyzx" not in str(nobody.url)
    assert "holds no child matching" in nobody.text
    assert f'value="{scene.child_record_id}"' not in nobody.text
    again = post(client, decide, token, {"search": "1", "q": "Barnes"})
    assert f'value="{scene.child_record_id}"' in again.text

    old_link = client.get(f"{decide}?q=Barnes", follow_redirects=False)
    assert (old_link.status_code, old_link.headers["location"]) == (303, decide)


def test_the_urgency_is_changed_with_a_reason_and_the_history_kept(
    client: TestClient, world: World, db: Database, scene: Scene
) -> None:
    request_id = _incoming_request(db, scene, "green")
    token = sign_in_as(client, world, db, scene.dsl)
    assert f'href="/requests/{request_id}/rating"' in client.get(f"/requests/{request_id}").text

    form = client.get(f"/requests/{request_id}/rating")
    assert form.status_code == 200 and "Change how urgent this request is" in form.text
    response = post(client, f"/requests/{request_id}/rating", token, {"rag": "green"})
    assert response.status_code == 422
    assert _error_links(response.text) == [
        ("#rag", "The request is already rated green; choose another rating"),
        ("#rationale", "Say why the urgency has changed"),
    ]
    assert len(requests.view_request(db, scene.dsl, request_id).rating_history) == 1

    reason = "Police attended the home overnight; the child was present."
    url = moved_to(
        post(client, f"/requests/{request_id}/rating", token, {"rag": "red", "rationale": reason})
    )
    assert url == f"/requests/{request_id}"
    changed = requests.view_request(db, scene.dsl, request_id)
    assert [r.rag for r in changed.rating_history] == [Rag.GREEN, Rag.RED]
    assert changed.rating.rationale == reason
    assert "govuk-tag--red" in client.get(url).text


def test_a_stranger_cannot_change_the_urgency(
    client: TestClient, world: World, db: Database, scene: Scene
) -> None:
    request_id = _incoming_request(db, scene, "green")
    outsider = world.practitioner(world.agency(AgencyKind.HOUSING), Role.PRACTITIONER)
    token = sign_in_as(client, world, db, World.actor(outsider))
    assert client.get(f"/requests/{request_id}/rating").status_code == 404
    response = post(
        client, f"/requests/{request_id}/rating", token, {"rag": "red", "rationale": "Because."}
    )
    assert response.status_code == 404
    assert len(requests.view_request(db, scene.dsl, request_id).rating_history) == 1


def test_overdue_requests_are_highlighted(
    client: TestClient,
    world: World,
    db: Database,
    scene: Scene,
) -> None:
    request_id = _incoming_request(db, scene, "red")
    due = requests.view_request(db, scene.dsl, request_id).rating.due_at
    db.clock.hold(due + timedelta(minutes=5))
    try:
        sign_in_as(client, world, db, scene.dsl)
        overdue = client.get("/requests?overdue=1").text
    finally:
        db.clock.hold(None)
    assert f'href="/requests/{request_id}"' in overdue
    assert "Overdue: was due" in overdue


def test_a_refusal_and_its_reasons_are_visible_to_the_requester(
    client: TestClient, world: World, db: Database, scene: Scene
) -> None:
    request_id = _incoming_request(db, scene)
    scene.share(
        db,
        request_id=request_id,
        recipient_practitioner_id=None,
        outcome=DecisionOutcome.DO_NOT_SHARE,
        departure_reason="Nothing held beyond what the MASH has.",
        reasons="We hold only attendance, already sent last week.",
    )
    sign_in_as(client, world, db, scene.social_worker)
    page = client.get(f"/requests/{request_id}").text
    assert "Do not share" in page
    assert "We hold only attendance, already sent last week." in page
    assert f'href="/requests/{request_id}/decide"' not in page, "only the asked agency decides"


def test_the_mash_makes_a_request_and_mistakes_are_shown_by_field(
    client: TestClient, world: World, db: Database, scene: Scene
) -> None:
    record = people.create_agency_record(
        db,
        scene.social_worker,
        AgencyRecordIn(
            agency_id=scene.mash.id,
            local_id=unique("M"),
            role=PersonRole.CHILD,
            given_name="Lily",
            family_name="Barnes",
            date_of_birth=date(2017, 6, 1),
        ),
    )
    token = sign_in_as(client, world, db, scene.social_worker)
    url = f"/children/{record.id}/request-information"
    assert scene.school.name in client.get(url).text
    response = post(client, url, token, {"question": "Any injuries?"})
    assert response.status_code == 422
    assert [href for href, _ in _error_links(response.text)] == [
        "#recipient_agency_id",
        "#purpose",
        "#categories",
        "#rag",
    ]
    assert "Any injuries?" in response.text, "what was typed is kept"
    made = moved_to(
        post(
            client,
            url,
            token,
            {
                "recipient_agency_id": scene.school.id,
                "purpose": "mash_screening",
                "categories": ["child_welfare"],
                "question": "Any injuries this term?",
                "rag": "amber",
            },
        )
    )
    request_id = int(made.rsplit("/", 1)[1])
    assert f"Request {request_id} has been sent" in client.get(made).text
    assert request_id in {r.id for r in requests.incoming_requests(db, scene.dsl)}
