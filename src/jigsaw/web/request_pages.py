"""Requests for information between agencies: the lists, one request, asking, answering.

A request is answered with a sharing decision: "Decide whether to share" asks which of
the agency's own children the request is about, then starts the decision journey with
the recipient, purpose and request already filled in. Each answer's outcome and
reasons show on the request, so the agency that asked can see why it was refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, ClassVar

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from jigsaw.consent.models import SharingPurpose
from jigsaw.db import Database
from jigsaw.deadlines.timescales import load_profile
from jigsaw.deadlines.values import Rag
from jigsaw.errors import InvalidInput
from jigsaw.identity.dependencies import DB
from jigsaw.people import service as people
from jigsaw.policy.actor import Actor
from jigsaw.records.models import Category
from jigsaw.schemas import Id
from jigsaw.sharing import agreement_checks, decisions, recipients, requests
from jigsaw.sharing.schemas import AgreementCheckOut, RequestIn, RequestOut, RerateIn
from jigsaw.web import drafts
from jigsaw.web.decision_journey import Journey, start
from jigsaw.web.decision_pages import step_url
from jigsaw.web.forms import (
    CsrfChecked,
    Errors,
    Form,
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
from jigsaw.web.names import Names
from jigsaw.web.templating import redirect, render

router = APIRouter(include_in_schema=False)

MAX_SEARCH_LENGTH = 100


def _request(db: Database, actor: Actor, raw: str) -> RequestOut:
    return requests.view_request(db, actor, path_id(raw, "information request"))


@router.get("/requests")
def requests_page(request: Request, actor: Viewer, db: DB, overdue: str = "") -> Response:
    only_overdue = overdue == "1"
    context = {
        "title": "Requests for information",
        "nav": "requests",
        "incoming": requests.incoming_requests(db, actor, overdue_only=only_overdue),
        "outgoing": requests.outgoing_requests(db, actor),
        "only_overdue": only_overdue,
        "names": Names(db),
        "column": "govuk-grid-column-full",
    }
    return render(request, "sharing/requests.html", context)


@router.get("/requests/{request_id}")
def request_page(request: Request, request_id: str, actor: Viewer, db: DB) -> Response:
    asked = _request(db, actor, request_id)
    context = {
        "title": f"Request {asked.id}",
        "nav": "requests",
        "back": "/requests",
        "asked": asked,
        "answers": decisions.decisions_for_request(db, actor, asked.id),
        "to_us": asked.recipient_agency_id == actor.agency_id,
        "names": Names(db),
    }
    return render(request, "sharing/request.html", context)


# Changing the urgency: a new rating with its reason, kept beside the old ones.


@dataclass
class RatingForm:
    """The rating form as typed, to show again with any problems."""

    rag: str = ""
    rationale: str = ""


RATIONALE = "Say why the urgency has changed"


class Rating(PageForm):
    free_text: ClassVar[frozenset[str]] = frozenset({"rationale"})

    rag: Annotated[Rag, Says("Choose how urgent the request is now")]
    rationale: Annotated[str, Says(RATIONALE)]


@router.get("/requests/{request_id}/rating")
def rating_form(request: Request, request_id: str, actor: Viewer, db: DB) -> Response:
    asked = _request(db, actor, request_id)
    return _rating_page(request, asked, RatingForm(), {})


def _rating_page(
    request: Request, asked: RequestOut, entered: RatingForm, errors: Errors
) -> Response:
    context = {
        "title": "Change how urgent this request is",
        "nav": "requests",
        "back": f"/requests/{asked.id}",
        "action": f"/requests/{asked.id}/rating",
        "asked": asked,
        "entered": entered,
        "rags": list(Rag),
    }
    return render(request, "sharing/rerate.html", context, errors=errors)


@router.post("/requests/{request_id}/rating", dependencies=CsrfChecked)
def rerate(request: Request, request_id: str, actor: Viewer, db: DB, form: Posted) -> Response:
    asked = _request(db, actor, request_id)
    entered = RatingForm(rag=form.text("rag"), rationale=form.text("rationale"))
    rating, found = validate_form(form, Rating)
    errors = by_field(found)
    current = asked.rating.rag
    if "rag" not in errors and entered.rag == current.value:
        same = f"The request is already rated {current.value}; choose another rating"
        errors = {"rag": same, **errors}
    if rating is not None and not errors:
        profile = load_profile(request.app.state.settings.deadline_profile)
        try:
            changed = requests.rerate(
                db,
                actor,
                asked.id,
                RerateIn.model_validate({"rag": rating.rag.value, "rationale": rating.rationale}),
                profile,
            )
        except (InvalidInput, ValidationError) as refused:
            errors = problems(refused, {"rationale": RATIONALE})
        else:
            flash(request, f"Request {changed.id} is now rated {changed.rating.rag.value}.")
            return redirect(f"/requests/{changed.id}")
    return _rating_page(request, asked, entered, errors)


# Answering: which of our children is it about?


@router.get("/requests/{request_id}/decide")
def which_child(request: Request, request_id: str, actor: Viewer, db: DB) -> Response:
    """The agency's children matching the request's family name. Searching for another
    name is posted, so no name is ever in the address; an old ``?q=`` link loses it."""
    asked = _request(db, actor, request_id)
    if "q" in request.query_params:
        return redirect(f"/requests/{asked.id}/decide")
    return _which_child_page(request, db, actor, asked, "", {})


def _which_child_page(
    request: Request,
    db: Database,
    actor: Actor,
    asked: RequestOut,
    search: str,
    errors: Errors,
) -> Response:
    search = search.strip()[:MAX_SEARCH_LENGTH] or asked.subject.family_name
    found, _ = people.list_agency_records(db, actor, search=search, limit=20)
    context = {
        "title": "Which child is this request about?",
        "back": f"/requests/{asked.id}",
        "action": f"/requests/{asked.id}/decide",
        "asked": asked,
        "search": search,
        "found": found,
    }
    return render(request, "sharing/which_child.html", context, errors=errors)


class ChildChosen(PageForm):
    """The child picked from the list; the search box beside it is not part of the answer."""

    record_id: Annotated[Id, Says("Select the child the request is about")]


@router.post("/requests/{request_id}/decide", dependencies=CsrfChecked)
def child_chosen(
    request: Request, request_id: str, actor: Viewer, db: DB, form: Posted
) -> Response:
    asked = _request(db, actor, request_id)
    if form.text("search"):  # the search box's own button: show what it finds
        return _which_child_page(request, db, actor, asked, form.text("q"), {})
    chosen, found = validate_form(form, ChildChosen)
    if chosen is None:
        return _which_child_page(request, db, actor, asked, form.text("q"), by_field(found))
    record_id = chosen.record_id
    people.view_agency_record(db, actor, record_id)
    draft = start(
        record_id,
        request_id=asked.id,
        recipient_agency_id=asked.requester_agency_id,
        recipient_practitioner_id=asked.requester_id,
        purpose=asked.purpose,
    )
    drafts.save_decision(request, draft)
    return redirect(step_url(record_id, Journey(draft).next_step()))


# Asking another agency


@dataclass
class RequestForm:
    """The make-a-request form as typed, to show again with any problems."""

    recipient_agency_id: str = ""
    purpose: str = ""
    categories: list[str] = field(default_factory=list)
    question: str = ""
    rag: str = ""
    agreement_review_confirmed: bool = False
    agreement_override_reason: str = ""
    agreement_seen: str = ""
    """The verdict the page last showed: what it asks for is a problem only once seen."""

    @classmethod
    def read(cls, form: Form) -> RequestForm:
        return cls(
            recipient_agency_id=form.text("recipient_agency_id"),
            purpose=form.text("purpose"),
            categories=form.texts("categories"),
            question=form.text("question"),
            rag=form.text("rag"),
            agreement_review_confirmed=form.text("agreement_review_confirmed") == "yes",
            agreement_override_reason=form.text("agreement_override_reason"),
            agreement_seen=form.text("agreement_seen"),
        )


MESSAGES = {
    "categories": "Select the kinds of information you need",
    "question": "Enter what you want to know",
}


class Asking(PageForm):
    """What is asked is written as the requesting agency wants it; ``RequestIn`` has the
    limits, so the service's problems come back worded by ``MESSAGES``."""

    free_text: ClassVar[frozenset[str]] = frozenset({"question"})

    recipient_agency_id: Annotated[Id, Says("Choose the agency to ask")]
    purpose: Annotated[SharingPurpose, Says("Choose why you need the information")]
    categories: Annotated[list[str], Says(MESSAGES["categories"])]
    question: Annotated[str, Says(MESSAGES["question"])]
    rag: Annotated[Rag, Says("Choose how urgent the request is")]


@router.get("/children/{record_id}/request-information")
def request_form(request: Request, record_id: str, actor: Viewer, db: DB) -> Response:
    ident = path_id(record_id, "agency record")
    people.view_agency_record(db, actor, ident)
    return _request_form_page(request, db, actor, ident, RequestForm(), {})


def _request_form_page(
    request: Request,
    db: Database,
    actor: Actor,
    record_id: int,
    entered: RequestForm,
    errors: Errors,
    check: AgreementCheckOut | None = None,
) -> Response:
    record = people.view_agency_record(db, actor, record_id)
    context = {
        "check": check,
        "title": "Ask another agency for information",
        "back": f"/children/{record_id}",
        "action": f"/children/{record_id}/request-information",
        "record": record,
        "agencies": recipients.recipient_agencies(db, actor),
        "entered": entered,
        "purposes": list(SharingPurpose),
        "categories": list(Category),
        "rags": list(Rag),
    }
    return render(request, "sharing/make_request.html", context, errors=errors)


@router.post("/children/{record_id}/request-information", dependencies=CsrfChecked)
def make_request(request: Request, record_id: str, actor: Viewer, db: DB, form: Posted) -> Response:
    ident = path_id(record_id, "agency record")
    entered = RequestForm.read(form)
    asking, found = validate_form(form, Asking)
    errors = by_field(found)
    check: AgreementCheckOut | None = None
    if asking is not None:
        profile = load_profile(request.app.state.settings.deadline_profile)
        try:
            asked = RequestIn.model_validate(
                {
                    "subject_record_id": ident,
                    "recipient_agency_id": asking.recipient_agency_id,
                    "purpose": asking.purpose.value,
                    "categories": asking.categories,
                    "question": asking.question,
                    "rag": asking.rag.value,
                    "agreement_review_confirmed": entered.agreement_review_confirmed,
                    "agreement_override_reason": entered.agreement_override_reason,
                }
            )
            evaluation = requests.check_request(db, actor, asked)
            check = agreement_checks.evaluation_out(evaluation)
            stopped = agreement_checks.problems(
                evaluation,
                asked.agreement_override_reason,
                asked.agreement_review_confirmed,
                confirming=True,
            )
            if stopped:
                # Shown first as what the agreements say, with what it needs; only once
                # the practitioner has seen that is leaving it out a problem.
                if entered.agreement_seen == evaluation.verdict.value:
                    errors = problems(InvalidInput(*stopped))
                return _request_form_page(request, db, actor, ident, entered, errors, check)
            made = requests.make_request(db, actor, asked, profile)
        except (InvalidInput, ValidationError) as refused:
            errors = problems(refused, MESSAGES)
        else:
            flash(request, f"Request {made.id} has been sent.")
            return redirect(f"/requests/{made.id}")
    return _request_form_page(request, db, actor, ident, entered, errors, check)
