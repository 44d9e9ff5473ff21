"""Recording a sharing decision that is not about one child's record: anonymised
information shared, or a request refused because whoever asked has no safeguarding role
or gave no purpose (``sharing.standalone``). Golden rule 7 asks for the reasons behind
every decision, whether or not anything is shared.

One question page and a check answers page, like recording about a child
(``web.recording``), with the answers kept as a server-side draft until the
practitioner confirms; then the agency's list and each decision's own page. The
outcome is not asked: it follows from what was decided.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import Field, ValidationError

from jigsaw.agencies import service as agencies
from jigsaw.db import Database
from jigsaw.errors import InvalidInput
from jigsaw.identity.dependencies import DB
from jigsaw.people import service as people
from jigsaw.policy.actor import Actor
from jigsaw.policy.authorize import Permission, require
from jigsaw.schemas import Id
from jigsaw.sharing import standalone
from jigsaw.sharing.models import STANDALONE_OUTCOMES, RequesterKind, StandaloneKind
from jigsaw.sharing.schemas import StandaloneDecisionIn, StandaloneDecisionOut
from jigsaw.web import drafts, labels
from jigsaw.web.drafts import StandaloneDraft
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
from jigsaw.web.names import Names
from jigsaw.web.recording import Entered, entered_from_answers, entered_from_form
from jigsaw.web.templating import redirect, render

router = APIRouter(include_in_schema=False)

LIST = "/other-decisions"
NEW = LIST + "/new"
CHECK = NEW + "/check"
TITLE = "Record a decision that is not about one child's record"
LONG = "Enter 10,000 characters or fewer"
CHILD_NOT_HELD = "Your agency holds no record with that ID: check it, or leave it blank"


class StandaloneAnswers(PageForm):
    """The question page; the service checks what only it can (the agency, the outcome
    and what each kind needs), and its problems are shown on these same fields."""

    free_text: ClassVar[frozenset[str]] = frozenset({"information", "stated_purpose", "reasons"})

    kind: Annotated[StandaloneKind, Says("Select what you decided")]
    requester_kind: Annotated[
        RequesterKind, Says("Select who asked, or who you shared the information with")
    ]
    recipient_or_requester: Annotated[
        str,
        Says("Describe who asked, or who you shared the information with", too_long=LONG),
        Field(max_length=10000),
    ]
    recipient_agency_id: Annotated[
        Id | None, Says("Select an agency from the list, or none"), Offered
    ] = None
    child_local_id: Annotated[
        str, Says("", too_long="Enter 200 characters or fewer"), Field(max_length=200)
    ] = ""
    information: Annotated[
        str,
        Says("Enter what was asked for, or what you shared", too_long=LONG),
        Field(max_length=10000),
    ]
    stated_purpose: Annotated[str, Says("", too_long=LONG), Field(max_length=10000)] = ""
    identifiability_checked: bool = False
    reasons: Annotated[
        str, Says("Enter the reasons for your decision", too_long=LONG), Field(max_length=10000)
    ]

    def decision_in(self, subject_record_id: int | None) -> StandaloneDecisionIn:
        anonymised = self.kind is StandaloneKind.ANONYMISED_SHARE
        return StandaloneDecisionIn(
            kind=self.kind,
            subject_record_id=subject_record_id,
            recipient_or_requester=self.recipient_or_requester,
            requester_kind=self.requester_kind,
            recipient_agency_id=self.recipient_agency_id,
            information=self.information,
            stated_purpose=self.stated_purpose,
            outcome=STANDALONE_OUTCOMES[self.kind],
            reasons=self.reasons,
            # Ticked, then another kind chosen: the box was hidden, so it is not an answer.
            identifiability_checked=anonymised and self.identifiability_checked,
        )


FIELD_ORDER = (
    "kind",
    "identifiability_checked",
    "outcome",
    "requester_kind",
    "recipient_or_requester",
    "recipient_agency_id",
    "information",
    "stated_purpose",
    "child_local_id",
    "reasons",
)
"""The fields as the question page shows them, so the error summary follows the page."""


def _question(request: Request, db: Database, entered: Entered, errors: Errors) -> Response:
    errors = dict(
        sorted(
            errors.items(),
            key=lambda e: FIELD_ORDER.index(e[0]) if e[0] in FIELD_ORDER else len(FIELD_ORDER),
        )
    )
    context = {
        "title": TITLE,
        "nav": "shared",
        "back": LIST,
        "action": NEW,
        "entered": entered,
        "kinds": labels.STANDALONE_KINDS,
        "kind_hints": labels.STANDALONE_KIND_HINTS,
        "requester_kinds": list(labels.REQUESTER_KINDS.items()),
        "agencies": agencies.list_agencies(db),
    }
    return render(request, "sharing/standalone_new.html", context, errors=errors)


def _kept(request: Request) -> tuple[StandaloneAnswers, StandaloneDraft] | None:
    draft = drafts.load_standalone(request)
    if draft is None:
        return None
    try:
        return StandaloneAnswers.model_validate(draft.answers), draft
    except ValidationError:
        return None


def _offered(db: Database) -> dict[str, set[int]]:
    return {"recipient_agency_id": {a.id for a in agencies.list_agencies(db)}}


def _may_record(actor: Actor) -> None:
    """Refuse at the first page whoever the service would refuse at the last (an
    administrator, an auditor), rather than after they have written it all."""
    require(actor, Permission.RECORD_ABOUT_PEOPLE, actor.agency_id)


@router.get(NEW)
def question(request: Request, actor: Viewer, db: DB) -> Response:
    _may_record(actor)
    kept = _kept(request)
    entered = {} if kept is None else entered_from_answers(StandaloneAnswers, kept[0].model_dump())
    return _question(request, db, entered, {})


def _child(db: Database, actor: Actor, local_id: str) -> tuple[int | None, Errors]:
    """The agency's own record with this ID, if one was given; only ever its own."""
    if not local_id:
        return None, {}
    found = people.find_by_local_id(db, actor, local_id)
    if found is None:
        return None, {"child_local_id": CHILD_NOT_HELD}
    return found.id, {}


@router.post(NEW, dependencies=CsrfChecked)
def answered(request: Request, actor: Viewer, db: DB, form: Posted) -> Response:
    _may_record(actor)
    answers, found = validate_form(form, StandaloneAnswers, _offered(db))
    if answers is None:
        return _question(request, db, entered_from_form(form), by_field(found))
    subject_record_id, errors = _child(db, actor, answers.child_local_id)
    try:
        wanted = standalone.requirements(answers.decision_in(subject_record_id))
    except ValidationError as error:
        errors |= problems(error)
    else:
        errors |= problems(InvalidInput(*wanted)) if wanted else {}
    if "subject_record_id" in errors:
        # The record is named on this page by the agency's own ID for the child.
        errors.setdefault("child_local_id", errors.pop("subject_record_id"))
    if errors:
        return _question(request, db, entered_from_form(form), errors)
    draft = StandaloneDraft(
        answers=answers.model_dump(mode="json"), subject_record_id=subject_record_id
    )
    drafts.save_standalone(request, draft)
    return redirect(CHECK)


def _rows(db: Database, answers: StandaloneAnswers) -> list[tuple[str, str]]:
    anonymised = answers.kind is StandaloneKind.ANONYMISED_SHARE
    rows = [
        ("What you decided", labels.STANDALONE_KINDS[answers.kind]),
        ("Who asked, or who you shared it with", labels.REQUESTER_KINDS[answers.requester_kind]),
        ("Who they are", answers.recipient_or_requester),
        ("Agency", Names(db).agency(answers.recipient_agency_id)
         if answers.recipient_agency_id else "None"),
        ("What was asked for, or what you shared", answers.information),
        ("The purpose they gave", answers.stated_purpose or "None given"),
        ("Your agency's ID for the child", answers.child_local_id or "None"),
    ]  # fmt: skip
    if anonymised:
        checked = "Yes" if answers.identifiability_checked else "No"
        rows.append(("Checked it cannot identify anyone", checked))
    rows.append(("Reasons", answers.reasons))
    return rows


def _summary(rows: list[tuple[str, str]]) -> list[dict[str, Any]]:
    return [
        {
            "key": {"text": key},
            "value": {"text": value},
            "actions": {
                "items": [{"href": NEW, "text": "Change", "visuallyHiddenText": key.lower()}]
            },
        }
        for key, value in rows
    ]


@router.get(CHECK)
def check(request: Request, actor: Viewer, db: DB) -> Response:
    kept = _kept(request)
    if kept is None:
        return redirect(NEW)
    context = {
        "title": "Check your answers",
        "caption": TITLE,
        "nav": "shared",
        "back": NEW,
        "rows": _summary(_rows(db, kept[0])),
        "action": CHECK,
    }
    return render(request, "sharing/standalone_check.html", context)


@router.post(CHECK, dependencies=CsrfChecked)
def confirmed(request: Request, actor: Viewer, db: DB) -> Response:
    kept = _kept(request)
    if kept is None:
        return redirect(NEW)
    answers, draft = kept
    try:
        made = standalone.record_standalone(db, actor, answers.decision_in(draft.subject_record_id))
    except (InvalidInput, ValidationError) as error:
        entered = entered_from_answers(StandaloneAnswers, answers.model_dump())
        errors = problems(error, {"subject_record_id": CHILD_NOT_HELD})
        if "subject_record_id" in errors:
            errors["child_local_id"] = errors.pop("subject_record_id")
        return _question(request, db, entered, errors)
    drafts.clear(request, StandaloneDraft)
    flash(request, "Decision recorded")
    return redirect(f"{LIST}/{made.id}")


@router.get(LIST)
def decisions_list(request: Request, actor: Viewer, db: DB) -> Response:
    context = {
        "title": "Decisions not about one child's record",
        "nav": "shared",
        "decisions": standalone.agency_standalone(db, actor),
        "column": "govuk-grid-column-full",
    }
    return render(request, "sharing/standalone_list.html", context)


def summary_rows(db: Database, decision: StandaloneDecisionOut) -> list[dict[str, Any]]:
    """A recorded decision as the rows of its page, in the order it was asked."""
    names = Names(db)
    rows = [
        ("What was decided", labels.STANDALONE_KINDS[decision.kind]),
        ("Outcome", labels.outcome(decision.outcome)),
        ("Who asked, or who it was shared with", labels.REQUESTER_KINDS[decision.requester_kind]),
        ("Who they are", decision.recipient_or_requester),
        ("Agency", names.agency(decision.recipient_agency_id)
         if decision.recipient_agency_id else "None"),
        ("What was asked for, or what was shared", decision.information),
        ("The purpose they gave", decision.stated_purpose or "None given"),
    ]  # fmt: skip
    if decision.kind is StandaloneKind.ANONYMISED_SHARE:
        checked = "Yes" if decision.identifiability_checked else "No"
        rows.append(("Checked it cannot identify anyone", checked))
    rows += [
        ("Reasons", decision.reasons),
        ("Decided by", names.person(decision.decided_by_id)),
        ("Decided on", labels.long_datetime(decision.decided_at)),
    ]
    return [{"key": {"text": k}, "value": {"text": v}} for k, v in rows]


@router.get(LIST + "/{decision_id}")
def decision_page(request: Request, decision_id: str, actor: Viewer, db: DB) -> Response:
    decision = standalone.view_standalone(db, actor, path_id(decision_id, "sharing decision"))
    context = {
        "title": f"Decision {decision.id}",
        "nav": "shared",
        "back": LIST,
        "decision": decision,
        "rows": summary_rows(db, decision),
    }
    return render(request, "sharing/standalone_decision.html", context)
