"""Seeking advice (golden rule 4): asking from the recommendation page, and the advice
inbox where an adviser reads the case, anonymised by default, and answers.

Asking is the one thing done from inside the decision journey that is written at
once: a request for advice is a record of its own, and the draft decision waits in
the session until the answer comes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, ClassVar

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import AfterValidator, Field, ValidationError, ValidationInfo, field_validator

from jigsaw.db import Database
from jigsaw.errors import Conflict, InvalidInput
from jigsaw.identity import service as accounts
from jigsaw.identity.dependencies import DB
from jigsaw.policy.actor import Actor
from jigsaw.schemas import Id
from jigsaw.sharing import advice, recipients
from jigsaw.sharing.models import AdviceRole
from jigsaw.sharing.schemas import AdviceAnswerIn, AdviceIn, AdviceOut
from jigsaw.web import labels
from jigsaw.web.decision_journey import RECOMMENDATION, Journey
from jigsaw.web.decision_pages import SHARE, open_step, record_number, step_url
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

# Asking for advice, from the recommendation page


ADVICE_TARGETS = [*(role.value for role in AdviceRole), "colleague"]


@dataclass
class AdviceForm:
    """The ask-for-advice form as typed, to show again with any problems."""

    to: str = ""
    colleague: str = ""
    anonymised: bool = True
    case_summary: str = ""
    question: str = ""

    @classmethod
    def read(cls, form: Form) -> AdviceForm:
        return cls(
            to=form.text("to"),
            colleague=form.text("to_practitioner_id"),
            anonymised=form.text("anonymised") == "yes",
            case_summary=form.text("case_summary"),
            question=form.text("question"),
        )


WHOM = "Choose whom to ask"
COLLEAGUE = "Choose the colleague to ask"


def _target(value: str) -> str:
    if value not in ADVICE_TARGETS:
        raise ValueError(WHOM)
    return value


class Asking(PageForm):
    """Whom to ask (a role, or a colleague chosen from the list) and what to ask them."""

    free_text: ClassVar[frozenset[str]] = frozenset({"case_summary", "question"})

    to: Annotated[str, Says(WHOM), AfterValidator(_target)]
    to_practitioner_id: Annotated[Id | None, Says(COLLEAGUE)] = Field(
        default=None, validate_default=True
    )
    anonymised: bool = False
    case_summary: Annotated[str, Says("Describe the situation the adviser needs to know")]
    question: Annotated[str, Says("Enter your question for the adviser")]

    @field_validator("to_practitioner_id", mode="after")
    @classmethod
    def _colleague_named(cls, value: int | None, info: ValidationInfo) -> int | None:
        if value is None and info.data.get("to") == "colleague":
            raise ValueError(COLLEAGUE)
        return value

    def advice_in(self, record_id: int) -> AdviceIn:
        colleague = self.to == "colleague"
        return AdviceIn(
            subject_record_id=record_id,
            to_role=None if colleague else AdviceRole(self.to),
            to_practitioner_id=self.to_practitioner_id if colleague else None,
            anonymised=self.anonymised,
            case_summary=self.case_summary,
            question=self.question,
        )


@router.get(SHARE + "/ask-advice")
def ask_advice_form(request: Request, record_id: str, actor: Viewer, db: DB) -> Response:
    ident = record_number(record_id)
    journey = open_step(request, db, actor, ident, RECOMMENDATION)
    if isinstance(journey, Response):
        return journey
    return _ask_page(request, db, actor, journey, AdviceForm(), {})


def _ask_page(
    request: Request,
    db: Database,
    actor: Actor,
    journey: Journey,
    entered: AdviceForm,
    errors: Errors,
) -> Response:
    context = {
        "title": "Ask for advice",
        "back": step_url(journey.draft.subject_record_id, RECOMMENDATION),
        "action": step_url(journey.draft.subject_record_id, "ask-advice"),
        "caption": "Decide whether to share",
        "colleagues": recipients.colleagues(db, actor),
        "entered": entered,
    }
    return render(request, "sharing/ask_advice.html", context, errors=errors)


@router.post(SHARE + "/ask-advice", dependencies=CsrfChecked)
def ask_advice(request: Request, record_id: str, actor: Viewer, db: DB, form: Posted) -> Response:
    ident = record_number(record_id)
    journey = open_step(request, db, actor, ident, RECOMMENDATION)
    if isinstance(journey, Response):
        return journey
    entered = AdviceForm.read(form)
    asking, found = validate_form(form, Asking)
    errors = by_field(found)
    if asking is not None:
        try:
            asked = advice.ask(db, actor, asking.advice_in(ident))
        except (InvalidInput, ValidationError) as refused:
            errors = {("to" if f == "to_role" else f): m for f, m in problems(refused).items()}
        else:
            flash(request, f"Your request for advice has been sent to {_whom(db, asked)}.")
            return redirect(step_url(ident, RECOMMENDATION))
    return _ask_page(request, db, actor, journey, entered, errors)


def _whom(db: Database, asked: AdviceOut) -> str:
    if asked.to_role is not None:
        return labels.ADVICE_ROLES[asked.to_role].replace("Your ", "your ")
    assert asked.to_practitioner_id is not None
    return accounts.get_practitioner(db, asked.to_practitioner_id).name


# The advice inbox


@router.get("/advice")
def advice_inbox(request: Request, actor: Viewer, db: DB) -> Response:
    found = advice.advice_inbox(db, actor)
    context = {
        "title": "Advice",
        "nav": "advice",
        "asked_of_me": [a for a in found if a.asked_by_id != actor.practitioner_id],
        "asked_by_me": [a for a in found if a.asked_by_id == actor.practitioner_id],
        "names": Names(db),
        "column": "govuk-grid-column-full",
    }
    return render(request, "sharing/advice_inbox.html", context)


def _advice(db: Database, actor: Actor, raw: str) -> AdviceOut:
    """One request, read through the service so the policy decides and the read is audited."""
    return advice.view_advice(db, actor, path_id(raw, "advice request"))


@router.get("/advice/{advice_id}")
def advice_request(request: Request, advice_id: str, actor: Viewer, db: DB) -> Response:
    return _advice_page(request, db, actor, _advice(db, actor, advice_id), "", {})


def _advice_page(
    request: Request, db: Database, actor: Actor, asked: AdviceOut, answer: str, errors: Errors
) -> Response:
    context = {
        "title": "Request for advice",
        "back": "/advice",
        "asked": asked,
        "mine": asked.asked_by_id == actor.practitioner_id,
        "answer": answer,
        "names": Names(db),
    }
    return render(request, "sharing/advice_request.html", context, errors=errors)


class Answer(PageForm):
    free_text: ClassVar[frozenset[str]] = frozenset({"answer"})

    answer: Annotated[str, Says("Enter your advice")]


@router.post("/advice/{advice_id}", dependencies=CsrfChecked)
def answer_advice(
    request: Request, advice_id: str, actor: Viewer, db: DB, form: Posted
) -> Response:
    ident = path_id(advice_id, "advice request")
    answer = form.text("answer")
    answered, found = validate_form(form, Answer)
    if answered is None:
        asked = _advice(db, actor, advice_id)
        return _advice_page(request, db, actor, asked, answer, by_field(found))
    try:
        advice.answer(db, actor, ident, AdviceAnswerIn(answer=answered.answer))
    except (InvalidInput, ValidationError) as refused:
        asked = _advice(db, actor, advice_id)
        return _advice_page(request, db, actor, asked, answer, problems(refused))
    except Conflict:
        flash(request, "This request had already been answered.")
    else:
        flash(request, "Your advice has been sent.")
    return redirect("/advice")
