"""The four sharing journeys in Chromium, each checked with axe on every page it meets.

Share (and the recipient acknowledges), do not share (answering a request), not sure
so ask advice (the adviser answers, the advice is linked), and consent refused but
overridden with a justification. Each ends on its confirmation page and then checks
the record through the services. Set ``JIGSAW_SCREENSHOT_DIR`` to keep screenshots.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from datetime import date
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from jigsaw.consent import service as consent
from jigsaw.consent.models import ConsentStatus, Party, SharingPurpose
from jigsaw.consent.schemas import ConsentIn
from jigsaw.db import Database
from jigsaw.deadlines.values import Rag
from jigsaw.guidance import load_edition
from jigsaw.identity import service as accounts
from jigsaw.policy.actor import Actor
from jigsaw.policy.roles import Role
from jigsaw.sharing import advice, decisions, disclosures
from tests.conftest import World
from tests.scene import HARM_ANSWERS, Scene
from tests.sharing.test_requests import _request
from tests.web.conftest import AccessibilityChecks
from tests.web.helpers import sign_in_browser

pytestmark = pytest.mark.browser

OpenPage = Callable[[World, Actor], Page]


@pytest.fixture
def signed_in(browser: Browser, live_server: str, world: World, db: Database) -> Iterator[OpenPage]:
    """A fresh browser (its own cookies) signed in as the given practitioner."""
    contexts: list[Any] = []

    def open_as(world: World, actor: Actor) -> Page:
        assert actor.practitioner_id is not None
        person = accounts.get_practitioner(db, actor.practitioner_id)
        context = browser.new_context(base_url=live_server)
        contexts.append(context)
        page = context.new_page()
        sign_in_browser(page, live_server, person.email, code=lambda: world.totp_code(person))
        return page

    yield open_as
    for context in contexts:
        context.close()


def _continue(page: Page, name: str = "Continue") -> None:
    """Press the button and wait for the next page (a form that moves on redirects)."""
    before = page.url
    with page.expect_navigation():
        page.get_by_role("button", name=name, exact=True).click()
    assert page.url != before, f"{name} stayed on {before}"


def _heading(page: Page, text: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_contain_text(text)


def answer_questions(page: Page, answers: Mapping[str, str], axe: AccessibilityChecks) -> None:
    """Answer each guidance question the journey asks, by its label, as a person would.

    The answers are looked up by the question on the page, since the journey chooses
    which questions come and in what order; one it asks that ``answers`` does not
    answer fails the test by name. axe checks each question once a session, so every
    question a journey reaches is checked, whichever journey reaches it first.
    """
    edition = load_edition(None)
    first = True
    asked: list[str] = []
    while "/questions/" in page.url:
        question = edition.question(page.url.rsplit("/", 1)[1])
        assert question.id in answers, (
            f"the journey asked {question.id!r}, which these answers do not answer "
            f"(asked so far: {asked})"
        )
        asked.append(question.id)
        axe(page, f"question-{question.id}")
        if first:
            axe(page, "question")
            page.get_by_role("button", name="Continue").click()
            expect(page.locator(".govuk-error-summary")).to_be_focused()
            axe(page, "question-error")
            first = False
        label = next(o.label for o in question.answers if o.value == answers[question.id])
        page.get_by_label(label, exact=True).check()
        _continue(page)


def start_from_child(
    page: Page, scene: Scene, person: str, purpose: str, axe: AccessibilityChecks
) -> None:
    page.goto(f"/children/{scene.child_record_id}")
    page.get_by_role("button", name="Decide whether to share").click()
    _heading(page, "Who would you share with?")
    axe(page, "recipient")
    page.get_by_label("Who would you share with?").select_option(
        label=f"{scene.mash.name} (Children's social care)"
    )
    _continue(page)
    axe(page, "recipient-person")
    page.get_by_label(person, exact=True).check()
    _continue(page)
    _heading(page, "Why would you share?")
    axe(page, "purpose")
    page.get_by_label(purpose, exact=True).check()
    _continue(page)


def _reference(page: Page, kind: str) -> int:
    panel = page.locator(".govuk-panel")
    expect(panel).to_contain_text(kind)
    found = re.search(rf"{kind} (\d+)", panel.inner_text())
    assert found
    return int(found.group(1))


def _name(db: Database, actor: Actor) -> str:
    assert actor.practitioner_id is not None
    return accounts.get_practitioner(db, actor.practitioner_id).name


def test_share_path_ends_with_the_recipient_acknowledging(
    signed_in: OpenPage, world: World, db: Database, scene: Scene, axe_check: AccessibilityChecks
) -> None:
    page = signed_in(world, scene.dsl)
    start_from_child(
        page,
        scene,
        _name(db, scene.social_worker),
        "Child protection enquiry (section 47)",
        axe_check,
    )
    answers = {**HARM_ANSWERS, "accurate": "no", "protected_identities": "yes"}
    answer_questions(page, answers, axe_check)

    _heading(page, "Share the information")
    expect(page.get_by_role("heading", name="Share to protect the child")).to_be_visible()
    expect(page.get_by_text("Protecting a child from harm comes first")).to_be_visible()
    axe_check(page, "recommendation")
    _continue(page, "Continue to record your decision")

    _heading(page, "What have you decided?")
    expect(page.get_by_label("Share", exact=True)).to_be_checked()
    axe_check(page, "outcome")
    _continue(page)
    axe_check(page, "reasons")
    page.get_by_label("Why have you made this decision?").fill(
        "Bruising seen twice in a week and the account keeps changing."
    )
    _continue(page)
    axe_check(page, "lawful-basis")
    page.get_by_label("Public task", exact=True).check()
    _continue(page)
    axe_check(page, "family")
    page.get_by_label("No", exact=True).check()
    _continue(page)
    axe_check(page, "not-told")
    page.get_by_label("Telling them would put the child at greater risk").check()
    _continue(page)
    _heading(page, "When will you review not telling the child or family?")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".govuk-error-summary")).to_be_focused()
    axe_check(page, "review-error")
    page.get_by_label("Day").fill("1")
    page.get_by_label("Month").fill("3")
    page.get_by_label("Year").fill("2099")
    axe_check(page, "review")
    _continue(page)
    _heading(page, "What should the recipient know about the accuracy")
    axe_check(page, "accuracy")
    page.get_by_role("textbox").fill("The second bruise has not been seen by a nurse yet.")
    _continue(page)
    _heading(page, "Must the recipient know who the protected people are?")
    axe_check(page, "protected")
    _continue(page)

    _heading(page, "Check your answers before recording your decision")
    expect(page.get_by_text("When you will review not telling them", exact=True)).to_be_visible()
    expect(page.get_by_text("1 March 2099")).to_be_visible()
    expect(page.get_by_text("Questions not asked")).to_be_visible()
    axe_check(page, "check-answers")
    _continue(page, "Record decision")

    decision_id = _reference(page, "Decision")
    expect(page.get_by_text("Questions not asked")).to_be_visible()
    expect(page.get_by_text("When not telling the family will be reviewed")).to_be_visible()
    axe_check(page, "decision-recorded")
    page.get_by_role("button", name="Choose what to share").click()
    _heading(page, "What will you share?")
    first = scene.items[0]
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".govuk-error-summary")).to_be_focused()
    axe_check(page, "disclose-items-error")
    page.locator(f'input[name="fields-{first.id}"][value="occurred_on"]').check()
    page.locator(f'input[name="fields-{first.id}"][value="summary"]').check()
    axe_check(page, "disclose-items")
    _continue(page)
    _heading(page, "Until when may the recipient see this information?")
    axe_check(page, "disclose-expiry")
    _continue(page)
    axe_check(page, "disclose-check")
    _continue(page, "Share information")
    banner = page.locator(".govuk-notification-banner")
    expect(banner).to_contain_text("They have been told")
    found = re.search(r"Disclosure (\d+) shared with", banner.inner_text())
    assert found
    disclosure_id = int(found.group(1))
    axe_check(page, "disclosure-made")
    page.reload()
    expect(page.locator(".govuk-notification-banner")).to_have_count(0)
    expect(page.locator(".govuk-panel")).to_have_count(0)

    decision = decisions.view_decision(db, scene.dsl, decision_id)
    assert decision.outcome.value == "share" and decision.followed_recommendation
    assert decision.accuracy_caveats == "The second bruise has not been seen by a nurse yet."
    assert decision.not_told_review_on == date(2099, 3, 1)
    assert "child_in_need" in {s.question for s in decision.skipped_questions}
    made = next(d for d in disclosures.made_by_agency(db, scene.dsl) if d.id == disclosure_id)
    assert made.decision_id == decision_id
    assert [i.fields for i in made.items] == [["occurred_on", "summary", "nature"]]

    recipient = signed_in(world, scene.social_worker)
    recipient.get_by_role("link", name="Shared with me").click()
    _heading(recipient, "Shared with you")
    shared = recipient.locator(f"#disclosure-{disclosure_id}")
    expect(shared).to_contain_text(first.summary)
    expect(shared).not_to_contain_text("Observed by class teacher")
    axe_check(recipient, "inbox")
    shared.get_by_role("button", name="Acknowledge receipt").click()
    expect(recipient.locator(".govuk-notification-banner")).to_contain_text(
        "You have acknowledged receipt"
    )
    axe_check(recipient, "inbox-acknowledged")
    recipient.get_by_role("link", name="Notifications").click()
    axe_check(recipient, "notifications")
    got = next(d for d in disclosures.received(db, scene.social_worker) if d.id == disclosure_id)
    assert got.acknowledged_at is not None


def test_do_not_share_path_answers_a_request_and_the_requester_sees_why(
    signed_in: OpenPage, world: World, db: Database, scene: Scene, axe_check: AccessibilityChecks
) -> None:
    request_id = _request(db, scene, Rag.AMBER)
    page = signed_in(world, scene.dsl)
    page.get_by_role("link", name="Requests").click()
    axe_check(page, "requests")
    page.locator(f'a[href="/requests/{request_id}"]').click()
    axe_check(page, "request")
    page.get_by_role("button", name="Decide whether to share").click()
    _heading(page, "Which child is this request about?")
    axe_check(page, "which-child")
    page.get_by_label("Lily Barnes").check()
    _continue(page)

    answers = {
        **HARM_ANSWERS,
        "significant_harm": "no",
        "child_in_need": "no",
        "consent": "refused",
        "consent_from": "parent_or_carer",
        # Even where the public interest might outweigh the refusal, there must be a
        # lawful basis other than consent.
        "public_interest": "yes",
        "other_lawful_basis": "no",
    }
    answer_questions(page, answers, axe_check)
    _heading(page, "Do not share the information")
    expect(
        page.get_by_text("Consent was refused and there is no other lawful basis")
    ).to_be_visible()
    _continue(page, "Continue to record your decision")
    expect(page.get_by_label("Do not share", exact=True)).to_be_checked()
    _continue(page)
    _heading(page, "Which information are you not sharing?")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".govuk-error-summary")).to_be_focused()
    axe_check(page, "held-back-error")
    held = scene.items[0]
    page.get_by_label(held.summary, exact=False).check()
    axe_check(page, "held-back")
    _continue(page)
    page.get_by_label("Why have you made this decision?").fill(
        "The mother refused and there is no concern that would justify sharing."
    )
    _continue(page)
    _heading(page, "Check your answers")
    _continue(page, "Record decision")
    decision_id = _reference(page, "Decision")
    expect(page.get_by_text("The agency that asked can see your reasons")).to_be_visible()

    expect(page.get_by_text("Information not shared")).to_be_visible()
    assert decisions.view_decision(db, scene.dsl, decision_id).withheld_item_ids == [held.id]
    seen = decisions.decisions_for_request(db, scene.social_worker, request_id)
    assert [(d.id, d.outcome.value) for d in seen] == [(decision_id, "do_not_share")]
    assert seen[0].reasons.startswith("The mother refused")

    requester = signed_in(world, scene.social_worker)
    requester.goto(f"/requests/{request_id}")
    expect(requester.get_by_text("The mother refused")).to_be_visible()


def test_advice_path_asks_anonymously_and_links_the_answer(
    signed_in: OpenPage, world: World, db: Database, scene: Scene, axe_check: AccessibilityChecks
) -> None:
    dpo = world.actor(world.practitioner(scene.school, Role.DPO))
    page = signed_in(world, scene.dsl)
    start_from_child(
        page, scene, f"Anyone at {scene.mash.name}", "MASH screening of a referral", axe_check
    )
    answer_questions(page, {**HARM_ANSWERS, "significant_harm": "not_sure"}, axe_check)
    _heading(page, "Seek advice before you decide")
    axe_check(page, "recommendation-seek-advice")

    page.get_by_role("button", name="Ask for advice").click()
    axe_check(page, "ask-advice")
    page.get_by_label("Your Data Protection Officer").check()
    page.get_by_label("Summary of the situation").fill("Lily has a bruise on her arm again.")
    page.get_by_label("Your question").fill("Is this enough to share with the MASH?")
    page.get_by_role("button", name="Send request for advice").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("must not name the child: remove Lily")
    axe_check(page, "ask-advice-error")
    page.get_by_label("Summary of the situation").fill(
        "A year 3 pupil with a second bruise this week; the parent's account has changed."
    )
    _continue(page, "Send request for advice")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("sent to your Data")

    adviser = signed_in(world, dpo)
    adviser.get_by_role("link", name="Advice", exact=True).click()
    axe_check(adviser, "advice-inbox")
    adviser.get_by_role("link", name="Is this enough to share with the MASH?").click()
    expect(adviser.get_by_text("Not named: the request is anonymised")).to_be_visible()
    axe_check(adviser, "advice-request")
    adviser.get_by_label("Your advice").fill("Yes: the threshold is met. Share today.")
    _continue(adviser, "Send advice")

    page.reload()
    expect(page.get_by_text("Yes: the threshold is met. Share today.")).to_be_visible()
    _continue(page, "Continue to record your decision")
    page.get_by_label("Share", exact=True).check()
    _continue(page)
    axe_check(page, "departure")
    page.get_by_label("Why have you decided differently from the guidance?").fill(
        "The DPO advised that the threshold is met."
    )
    _continue(page)
    page.get_by_label("Why have you made this decision?").fill("A second bruise in a week.")
    _continue(page)
    page.get_by_label("Public task", exact=True).check()
    _continue(page)
    axe_check(page, "special-category")
    page.get_by_label("None applies: leave special category data out").check()
    _continue(page)
    page.get_by_label("None applies: leave criminal offence data out").check()
    _continue(page)
    _heading(page, "What is the position on consent?")
    axe_check(page, "consent")
    page.get_by_label("Not sought, because asking would increase the risk to the child").check()
    _continue(page)
    page.get_by_label("Yes, I have told them or will tell them").check()
    _continue(page)
    _heading(page, "Which advice did you have?")
    axe_check(page, "advice-links")
    page.get_by_role("checkbox").first.check()
    _continue(page)
    _continue(page, "Record decision")
    decision_id = _reference(page, "Decision")

    asked = [
        a for a in advice.advice_inbox(db, scene.dsl) if a.asked_by_id == scene.dsl.practitioner_id
    ]
    decision = decisions.view_decision(db, scene.dsl, decision_id)
    assert decision.recommendation == "seek_advice" and decision.outcome.value == "share"
    assert decision.advice_request_ids == [asked[0].id]
    assert asked[0].anonymised and asked[0].answer == "Yes: the threshold is met. Share today."


def test_consent_override_path_needs_the_facts_that_justify_it(
    signed_in: OpenPage, world: World, db: Database, scene: Scene, axe_check: AccessibilityChecks
) -> None:
    consent.record_consent(
        db,
        scene.dsl,
        ConsentIn(
            subject_record_id=scene.child_record_id,
            purpose=SharingPurpose.CHILD_IN_NEED_ASSESSMENT,
            status=ConsentStatus.REFUSED,
            asked=Party.PARENT_CARER,
        ),
    )
    page = signed_in(world, scene.dsl)
    start_from_child(
        page,
        scene,
        _name(db, scene.social_worker),
        "Child in need assessment (section 17)",
        axe_check,
    )
    answers = {
        **HARM_ANSWERS,
        "significant_harm": "no",
        "consent": "refused",
        "consent_from": "parent_or_carer",
        "public_interest": "yes",
        "informing_family_increases_risk": "no",
    }
    answer_questions(page, answers, axe_check)
    _heading(page, "Share the information")
    expect(
        page.get_by_role(
            "heading",
            name="Share without consent because the public interest outweighs the refusal",
        )
    ).to_be_visible()
    _continue(page, "Continue to record your decision")
    _continue(page)
    page.get_by_label("Why have you made this decision?").fill(
        "The family needs support the assessment can unlock."
    )
    _continue(page)
    page.get_by_label("Public task", exact=True).check()
    _continue(page)
    _heading(page, "Why are you sharing without consent?")
    axe_check(page, "consent-override")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Give the facts that justify sharing without consent"
    )
    axe_check(page, "consent-override-error")
    page.get_by_label("Why are you sharing without consent?").fill(
        "Father refused; the child has missed 12 days this term and has been seen hungry."
    )
    _continue(page)
    page.get_by_label("Yes, I have told them or will tell them").check()
    _continue(page)
    expect(page.get_by_text("Father refused; the child has missed 12 days")).to_be_visible()
    _continue(page, "Record decision")
    decision_id = _reference(page, "Decision")

    decision = decisions.view_decision(db, scene.dsl, decision_id)
    assert decision.consent_position.value == "refused"
    assert decision.consent_override_justification.startswith("Father refused")
    assert decision.recommendation_rules[0] == "refusal_outweighed_in_public_interest"
    assert decision.family_informed


def test_revoking_asking_and_oversight_pages_pass_axe(
    signed_in: OpenPage, world: World, db: Database, scene: Scene, axe_check: AccessibilityChecks
) -> None:
    """The pages no journey above reaches: revoking, making a request, and the DPO's pages."""
    from datetime import date

    from jigsaw.audit import service as audit
    from jigsaw.audit.actions import AuditAction
    from jigsaw.people import service as people
    from jigsaw.people.models import PersonRole
    from jigsaw.people.schemas import AgencyRecordIn
    from tests.conftest import unique

    decision = scene.share(db)
    made = disclosures.disclose(db, scene.dsl, scene.disclosure(decision.id, ["summary"]))
    page = signed_in(world, scene.dsl)
    page.goto("/shared-by-us")
    axe_check(page, "shared-by-us")
    page.locator(f'a[href="/shared-by-us/{made.id}/revoke"]').click()
    axe_check(page, "revoke")
    page.get_by_role("button", name="Revoke disclosure").click()
    expect(page.locator(".govuk-error-summary")).to_be_focused()
    axe_check(page, "revoke-error")
    page.get_by_label("Why are you revoking it?").fill("Sent to the wrong team.")
    _continue(page, "Revoke disclosure")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("has been revoked")
    assert made.id not in {d.id for d in disclosures.received(db, scene.social_worker)}

    mash_child = people.create_agency_record(
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
    mash = signed_in(world, scene.social_worker)
    mash.goto(f"/children/{mash_child.id}")
    mash.get_by_role("button", name="Ask another agency for information").click()
    axe_check(mash, "make-request")
    mash.get_by_role("button", name="Send request").click()
    expect(mash.locator(".govuk-error-summary")).to_be_focused()
    axe_check(mash, "make-request-error")
    mash.get_by_label("Which agency are you asking?").select_option(label=scene.school.name)
    mash.get_by_label("MASH screening of a referral").check()
    mash.get_by_label("Child's welfare").check()
    mash.get_by_label("What do you want to know?").fill("Any injuries or absences this term?")
    mash.get_by_label("Red", exact=True).check()
    _continue(mash, "Send request")
    expect(mash.locator(".govuk-notification-banner")).to_contain_text("has been sent")

    dpo = signed_in(world, world.actor(world.practitioner(scene.school, Role.DPO)))
    dpo.get_by_role("link", name="Register").click()
    axe_check(dpo, "register-empty")
    dpo.get_by_label("Child's record number").fill(str(scene.child_record_id))
    _continue(dpo, "Show register")
    expect(dpo.get_by_text(f"Disclosure {made.id}")).to_be_visible()
    axe_check(dpo, "register")
    dpo.get_by_role("link", name="Access log").click()
    axe_check(dpo, "access-log")
    dpo.locator("#from-day").fill("31")
    dpo.locator("#from-month").fill("2")
    dpo.locator("#from-year").fill("2026")
    _continue(dpo, "Apply filters")
    expect(dpo.locator(".govuk-error-summary")).to_be_focused()
    axe_check(dpo, "access-log-error")
    dpo.get_by_role("link", name="See break-glass and account alerts").click()
    expect(dpo.get_by_text("There have been no break-glass alerts")).to_be_visible()
    axe_check(dpo, "alerts-none")
    with db.transaction() as session:
        audit.append(
            session,
            scene.dsl,
            AuditAction.BREAK_GLASS_STARTED,
            "agency_record",
            scene.child_record_id,
        )
    dpo.reload()
    expect(dpo.get_by_text("Used emergency access (break glass)")).to_be_visible()
    axe_check(dpo, "alerts")
