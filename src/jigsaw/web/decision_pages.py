"""The sharing decision journey: who and why, the guidance's questions one per page, the
recommendation and the rule behind it, then (after the record pages in ``record_pages``)
check answers and recording the decision.

The draft is kept on the server, sealed, for its owner alone (``drafts``), and the order
of pages in ``decision_journey``; routes here read a form, update the draft and go to
the next step. The one write is ``decisions.decide``, from the check answers page.
The helpers at the top are shared with the record pages and with asking for advice.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from jigsaw.agencies import service as agencies
from jigsaw.db import Database
from jigsaw.errors import InvalidInput
from jigsaw.guidance import NOT_SURE, RecordField
from jigsaw.identity import service as accounts
from jigsaw.identity.dependencies import DB
from jigsaw.people import service as people
from jigsaw.policy.actor import Actor
from jigsaw.records import service as records
from jigsaw.sharing import advice, decisions, recipients
from jigsaw.sharing.schemas import AdviceOut
from jigsaw.web import drafts, labels
from jigsaw.web.check_answers import CheckAnswers
from jigsaw.web.decision_journey import (
    CHECK,
    FIELD_STEPS,
    RECOMMENDATION,
    Journey,
    question_step,
    start,
)
from jigsaw.web.drafts import DecisionDraft
from jigsaw.web.forms import (
    CsrfChecked,
    Errors,
    Offered,
    PageForm,
    Posted,
    Says,
    Viewer,
    by_field,
    flash,
    path_id,
    problems,
    validate_form,
)
from jigsaw.web.templating import redirect, render

router = APIRouter(include_in_schema=False)

SHARE = "/children/{record_id}/share"


def step_url(record_id: int, step: str) -> str:
    return f"/children/{record_id}/share/{step}"


def record_number(raw: str) -> int:
    return path_id(raw, "agency record")


def my_advice(db: Database, actor: Actor, record_id: int) -> list[AdviceOut]:
    """Advice this practitioner asked about this child, newest first."""
    return [
        a
        for a in advice.advice_inbox(db, actor)
        if a.asked_by_id == actor.practitioner_id and a.subject_record_id == record_id
    ]


def answered_advice(db: Database, actor: Actor, record_id: int) -> list[AdviceOut]:
    return [a for a in my_advice(db, actor, record_id) if a.answer]


def load_journey(request: Request, db: Database, actor: Actor, record_id: int) -> Journey | None:
    draft = drafts.load_decision(request, record_id)
    if draft is None:
        return None
    offered = any(a.answer for a in my_advice(db, actor, record_id))
    return Journey(draft, advice_on_offer=offered)


def save_draft(request: Request, draft: DecisionDraft) -> None:
    drafts.save_decision(request, draft)


def step_saved(
    request: Request, db: Database, actor: Actor, draft: DecisionDraft, step: str | None = None
) -> Response:
    """Every page of the journey ends alike: its answer kept (the step marked done when
    being answered is not enough to tell), then on to the first step still to do."""
    if step is not None:
        draft.mark(step)
    save_draft(request, draft)
    return onward(request, db, actor, draft.subject_record_id)


def onward(request: Request, db: Database, actor: Actor, record_id: int) -> Response:
    """After a page is saved: the first step still to do (the check page when all are)."""
    journey = load_journey(request, db, actor, record_id)
    if journey is None:
        return redirect(step_url(record_id, "recipient"))
    return redirect(step_url(record_id, journey.next_step()))


def open_step(
    request: Request, db: Database, actor: Actor, record_id: int, step: str
) -> Journey | Response:
    """The journey, if this step can be shown now; otherwise where to go instead."""
    journey = load_journey(request, db, actor, record_id)
    if journey is None:
        return redirect(step_url(record_id, "recipient"))
    if not journey.reachable(step):
        return redirect(step_url(record_id, journey.next_step()))
    return journey


def back_from(journey: Journey, step: str) -> str:
    before = journey.previous(step)
    record_id = journey.draft.subject_record_id
    if before is not None:
        return step_url(record_id, before)
    if journey.draft.request_id is not None:
        return f"/requests/{journey.draft.request_id}"
    return f"/children/{record_id}"


def journey_page(
    request: Request,
    journey: Journey,
    step: str,
    template: str,
    context: dict[str, Any],
    errors: Errors | None = None,
) -> Response:
    full = {
        "back": back_from(journey, step),
        "action": step_url(journey.draft.subject_record_id, step),
        "caption": "Decide whether to share",
        "needed": _needed_explanation(journey, step),
        **context,
    }
    return render(request, template, full, errors=errors)


STEP_FIELDS: dict[str, RecordField] = {
    "reasons": RecordField.REASONS,
    "lawful-basis": RecordField.LAWFUL_BASIS,
    "special-category": RecordField.ART9_CONDITION,
    "criminal-offence": RecordField.ART10_CONDITION,
    "consent-override": RecordField.CONSENT_OVERRIDE_JUSTIFICATION,
    "family": RecordField.FAMILY_INFORMED_OR_REASON,
    "not-told": RecordField.FAMILY_INFORMED_OR_REASON,
    "accuracy": RecordField.ACCURACY_CAVEATS,
    "protected": RecordField.PROTECTED_IDENTITIES,
    "advice": RecordField.ADVICE_SOUGHT,
}


def _needed_explanation(journey: Journey, step: str) -> str:
    """What the guidance says this part of the record must carry, if it says anything."""
    field = STEP_FIELDS.get(step)
    for needed in journey.recommendation.still_needed:
        if needed.field is field:
            return needed.explanation
    return ""


# Who and why: the recipient and the purpose


@router.get(SHARE + "/recipient")
def recipient_form(request: Request, record_id: str, actor: Viewer, db: DB) -> Response:
    ident = record_number(record_id)
    record = people.view_agency_record(db, actor, ident)
    draft = drafts.load_decision(request, ident)
    chosen = draft.recipient_agency_id if draft and draft.request_id is None else None
    return _recipient_page(request, db, actor, record.id, chosen, {})


def _recipient_page(
    request: Request,
    db: Database,
    actor: Actor,
    record_id: int,
    chosen: int | None,
    errors: Errors,
) -> Response:
    options = recipients.recipient_agencies(db, actor)
    context = {
        "title": "Who would you share with?",
        "back": f"/children/{record_id}",
        "action": step_url(record_id, "recipient"),
        "caption": "Decide whether to share",
        "agencies": options,
        "chosen": chosen,
    }
    return render(request, "sharing/recipient.html", context, errors=errors)


class AgencyChosen(PageForm):
    recipient_agency_id: Annotated[int, Says("Choose the agency you would share with"), Offered]


@router.post(SHARE + "/recipient", dependencies=CsrfChecked)
def recipient_chosen(
    request: Request, record_id: str, actor: Viewer, db: DB, form: Posted
) -> Response:
    ident = record_number(record_id)
    people.view_agency_record(db, actor, ident)
    offered = {a.id for a in recipients.recipient_agencies(db, actor)}
    chosen, found = validate_form(form, AgencyChosen, {"recipient_agency_id": offered})
    if chosen is None:
        return _recipient_page(request, db, actor, ident, None, by_field(found))
    agency_id = chosen.recipient_agency_id
    draft = drafts.load_decision(request, ident)
    if draft is None or draft.request_id is not None:
        draft = start(ident)
    if draft.recipient_agency_id != agency_id:
        draft.recipient_agency_id = agency_id
        draft.recipient_practitioner_id = None
        draft.unmark("recipient-person")
    return step_saved(request, db, actor, draft)


# Reconsidering: a new decision, linked to the one it replaces, made afresh.


@router.post("/decisions/{decision_id}/reconsider", dependencies=CsrfChecked)
def reconsider(request: Request, decision_id: str, actor: Viewer, db: DB) -> Response:
    """Start a new decision with who and why carried over from the earlier one.

    The guidance's questions are asked again rather than copied: a decision is
    reconsidered because something has changed, and the answers are where that shows.
    """
    earlier = decisions.view_decision(db, actor, path_id(decision_id, "sharing decision"))
    if earlier.reconsidered_by_id is not None:
        flash(request, f"Decision {earlier.id} has already been reconsidered; this is the latest.")
        return redirect(f"/decisions/{earlier.reconsidered_by_id}")
    draft = start(
        earlier.subject_record_id,
        request_id=earlier.request_id,
        reconsiders_id=earlier.id,
        recipient_agency_id=earlier.recipient_agency_id,
        recipient_practitioner_id=earlier.recipient_practitioner_id,
        purpose=earlier.purpose,
    )
    for step in ("recipient", "recipient-person", "purpose"):
        draft.mark(step)
    save_draft(request, draft)
    return redirect(step_url(earlier.subject_record_id, Journey(draft).next_step()))


def agency_name(db: Database, agency_id: int | None) -> str:
    return next((a.name for a in agencies.list_agencies(db) if a.id == agency_id), "the agency")


@router.get(SHARE + "/recipient-person")
def recipient_person_form(request: Request, record_id: str, actor: Viewer, db: DB) -> Response:
    ident = record_number(record_id)
    journey = open_step(request, db, actor, ident, "recipient-person")
    if isinstance(journey, Response):
        return journey
    draft = journey.draft
    chosen = ""
    if "recipient-person" in draft.done:
        chosen = str(draft.recipient_practitioner_id or "agency")
    return _person_page(request, db, journey, chosen, {})


def _person_page(
    request: Request, db: Database, journey: Journey, chosen: str, errors: Errors
) -> Response:
    agency_id = journey.draft.recipient_agency_id
    assert agency_id is not None
    agency = agency_name(db, agency_id)
    people_there = recipients.recipient_practitioners(db, agency_id)
    context = {
        "title": f"Who at {agency} should receive it?",
        "agency": agency,
        "people": people_there,
        "chosen": chosen,
    }
    return journey_page(
        request, journey, "recipient-person", "sharing/recipient_person.html", context, errors
    )


class PersonChosen(PageForm):
    """A practitioner's id, or ``agency`` for the agency as a whole."""

    recipient_practitioner_id: Annotated[
        str, Says("Choose who should receive the information"), Offered
    ]


@router.post(SHARE + "/recipient-person", dependencies=CsrfChecked)
def recipient_person_chosen(
    request: Request, record_id: str, actor: Viewer, db: DB, form: Posted
) -> Response:
    ident = record_number(record_id)
    journey = open_step(request, db, actor, ident, "recipient-person")
    if isinstance(journey, Response):
        return journey
    draft = journey.draft
    assert draft.recipient_agency_id is not None
    offered = {str(p.id) for p in recipients.recipient_practitioners(db, draft.recipient_agency_id)}
    chosen, found = validate_form(
        form, PersonChosen, {"recipient_practitioner_id": {"agency", *offered}}
    )
    if chosen is None:
        return _person_page(request, db, journey, "", by_field(found))
    choice = chosen.recipient_practitioner_id
    draft.recipient_practitioner_id = None if choice == "agency" else int(choice)
    return step_saved(request, db, actor, draft, "recipient-person")


# One page per question of the guidance


@router.get(SHARE + "/questions/{question_id}")
def question_form(
    request: Request, record_id: str, question_id: str, actor: Viewer, db: DB
) -> Response:
    ident = record_number(record_id)
    journey = open_step(request, db, actor, ident, question_step(question_id))
    if isinstance(journey, Response):
        return journey
    return _question_page(request, journey, question_id, journey.answer(question_id), {})


def _question_page(
    request: Request, journey: Journey, question_id: str, chosen: str | None, errors: Errors
) -> Response:
    question = journey.edition.question(question_id)
    context = {"title": question.text, "question": question, "chosen": chosen, "not_sure": NOT_SURE}
    return journey_page(
        request, journey, question_step(question_id), "sharing/question.html", context, errors
    )


class QuestionAnswered(PageForm):
    answer: Annotated[
        str, Says("Select an answer, or select “Not sure” if you cannot say"), Offered
    ]


@router.post(SHARE + "/questions/{question_id}", dependencies=CsrfChecked)
def question_answered(
    request: Request, record_id: str, question_id: str, actor: Viewer, db: DB, form: Posted
) -> Response:
    ident = record_number(record_id)
    journey = open_step(request, db, actor, ident, question_step(question_id))
    if isinstance(journey, Response):
        return journey
    question = journey.edition.question(question_id)
    answered, found = validate_form(form, QuestionAnswered, {"answer": question.allowed})
    if answered is None:
        return _question_page(request, journey, question_id, None, by_field(found))
    answer = answered.answer
    draft = journey.draft
    if draft.answers.get(question_id) != answer:
        draft.answers[question_id] = answer
        draft.answers = dict(draft.answers)
        draft.unmark(RECOMMENDATION)
    return step_saved(request, db, actor, draft)


# The recommendation and the rule behind it


@router.get(SHARE + "/recommendation")
def recommendation_page(request: Request, record_id: str, actor: Viewer, db: DB) -> Response:
    ident = record_number(record_id)
    journey = open_step(request, db, actor, ident, RECOMMENDATION)
    if isinstance(journey, Response):
        return journey
    record = people.view_agency_record(db, actor, ident)
    advice_asked = my_advice(db, actor, ident)
    in_doubt = [
        (journey.edition.question(q).text, step_url(ident, question_step(q)))
        for q in journey.recommendation.in_doubt
    ]
    context = {
        "title": labels.RECOMMENDATIONS[journey.recommendation.outcome.value],
        "in_doubt": in_doubt,
        "record": record,
        "recommendation": journey.recommendation,
        "recipient": agency_name(db, journey.draft.recipient_agency_id),
        "journey_purpose": labels.PURPOSES[journey.draft.purpose] if journey.draft.purpose else "",
        "edition": journey.edition,
        "advice_asked": advice_asked,
        "ask_url": step_url(ident, "ask-advice"),
        "names": adviser_names(db, advice_asked),
    }
    return journey_page(request, journey, RECOMMENDATION, "sharing/recommendation.html", context)


def adviser_names(db: Database, asked: list[AdviceOut]) -> dict[int, str]:
    """Names of the colleagues asked or answering, for "answered by" lines."""
    ids = {a.to_practitioner_id for a in asked} | {a.answered_by_id for a in asked}
    return {i: accounts.get_practitioner(db, i).name for i in ids if i is not None}


@router.post(SHARE + "/recommendation", dependencies=CsrfChecked)
def recommendation_read(request: Request, record_id: str, actor: Viewer, db: DB) -> Response:
    ident = record_number(record_id)
    journey = open_step(request, db, actor, ident, RECOMMENDATION)
    if isinstance(journey, Response):
        return journey
    return step_saved(request, db, actor, journey.draft, RECOMMENDATION)


# Check your answers, and recording the decision


@router.get(SHARE + "/check")
def check_form(request: Request, record_id: str, actor: Viewer, db: DB) -> Response:
    ident = record_number(record_id)
    journey = open_step(request, db, actor, ident, CHECK)
    if isinstance(journey, Response):
        return journey
    return _check_page(request, db, actor, journey, {})


def _check_page(
    request: Request, db: Database, actor: Actor, journey: Journey, errors: Errors
) -> Response:
    ident = journey.draft.subject_record_id
    record = people.view_agency_record(db, actor, ident)
    draft = journey.draft
    person = (
        accounts.get_practitioner(db, draft.recipient_practitioner_id).name
        if draft.recipient_practitioner_id
        else None
    )
    answered = answered_advice(db, actor, ident)
    held_back = (
        {
            item.id: f"{labels.long_date(item.occurred_on)}: {item.summary}"
            for item in records.list_items_for_record(db, actor, ident)
        }
        if journey.requirements.asks("withheld_item_ids")
        else {}
    )
    check = CheckAnswers(
        journey,
        base_url=step_url(ident, "").rstrip("/"),
        recipient=agency_name(db, draft.recipient_agency_id),
        recipient_person=person,
        advice_used=[a for a in answered if a.id in draft.advice_request_ids],
        advice_names=adviser_names(db, answered),
        held_back=held_back,
    )
    anchors = {field: _fix_at(journey, field) for field in errors}
    context = {
        "title": "Check your answers before recording your decision",
        "back": back_from(journey, CHECK),
        "action": step_url(ident, CHECK),
        "caption": f"Sharing about {record.given_name} {record.family_name}",
        "sections": check.sections(),
        "sharing": journey.sharing,
        "column": "govuk-grid-column-full",
    }
    return render(request, "sharing/check.html", context, errors=errors, anchors=anchors)


def _fix_at(journey: Journey, field: str) -> str:
    """Where to change a field the service found a problem with, from the check page."""
    steps = journey.steps()
    step = FIELD_STEPS.get(field)
    if field == "consent_position" and step not in steps:
        step = question_step("consent")
    if step is None and question_step(field) in steps:
        step = question_step(field)  # an answer the service checked against a record
    if step in steps:
        return step_url(journey.draft.subject_record_id, step)
    return "#record-decision"


@router.post(SHARE + "/check", dependencies=CsrfChecked)
def record_decision(request: Request, record_id: str, actor: Viewer, db: DB) -> Response:
    ident = record_number(record_id)
    journey = open_step(request, db, actor, ident, CHECK)
    if isinstance(journey, Response):
        return journey
    try:
        decided = decisions.decide(db, actor, journey.decision_in())
    except (InvalidInput, ValidationError) as refused:
        return _check_page(request, db, actor, journey, problems(refused))
    drafts.clear(request, DecisionDraft)
    return redirect(f"/decisions/{decided.id}")
