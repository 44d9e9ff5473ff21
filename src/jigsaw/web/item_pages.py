"""Recording what an agency knows, and the item's own page: correct it, retract it.

Recording a concern is one question page and a check answers page
(``web.recording``), then a confirmation. An item is never edited: correcting it
records a new version with the reason, and retracting it records why it was
withdrawn. The item page shows the latest version, every version with its reason
and author, and the disclosures it went out in, all through the records and
sharing services, which decide what the viewer may see.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, ClassVar, Literal

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import AfterValidator, Field, ValidationError, ValidationInfo, field_validator

from jigsaw import clock
from jigsaw.agencies import service as agencies
from jigsaw.db import Database
from jigsaw.errors import Conflict, InvalidInput, NotFound
from jigsaw.identity import service as accounts
from jigsaw.identity.dependencies import DB
from jigsaw.people import service as people
from jigsaw.people.schemas import AgencyRecordOut
from jigsaw.policy.actor import Actor
from jigsaw.records import service as records
from jigsaw.records.models import Category, Nature, Verification
from jigsaw.records.schemas import CorrectionIn, ItemIn, ItemOut, RetractionIn
from jigsaw.records.types import MAX_DESCRIPTION, OTHER, shipped_types
from jigsaw.sharing import disclosures
from jigsaw.sharing.schemas import DisclosureOut
from jigsaw.web import labels, recording
from jigsaw.web.forms import (
    CsrfChecked,
    DateInput,
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
from jigsaw.web.recording import Entered, Recording
from jigsaw.web.templating import redirect, render

router = APIRouter(include_in_schema=False)

Mark = Literal["special_category", "criminal_offence", "protected_identity"]
MARKS: dict[str, tuple[str, str]] = {
    "special_category": (
        "Special category data",
        "For example health, sexual life, ethnic origin or religion (UK GDPR Article 9).",
    ),
    "criminal_offence": (
        "Criminal offence data",
        "Allegations, offences, cautions or convictions (UK GDPR Article 10).",
    ),
    "protected_identity": (
        "It names someone whose identity must be protected",
        "For example the person who reported it. Their details are withheld whenever it "
        "is shared, unless the decision to share says why the recipient must know.",
    ),
}
DATE_ANCHORS = {"occurred_on": "#occurred_on-day"}
SERVICE_MESSAGES = {
    "subtype": "Select the type of information from the list, or other",
    "subtype_other": "Describe the type of information",
}
HAPPENED = "the date it happened"


def _not_future(value: date) -> date:
    if value > clock.today():
        raise ValueError("The date it happened must be today or in the past")
    return value


class ItemContent(PageForm):
    """What an item says, as the record and correct pages ask for it.

    The limits are ``ItemIn``'s; the type must be one the page offered from the list.
    """

    free_text: ClassVar[frozenset[str]] = frozenset({"detail"})

    category: Annotated[Category, Says("Select what the information is about")]
    subtype: Annotated[str, Says("Select the type of information"), Offered]
    subtype_other: Annotated[
        str,
        Says("Describe the type of information"),
        Field(max_length=MAX_DESCRIPTION, validate_default=True),
    ] = ""
    nature: Annotated[Nature, Says("Select whether this is a fact or your opinion")]
    occurred_on: Annotated[
        date, Says(f"Enter {HAPPENED}"), DateInput(HAPPENED), AfterValidator(_not_future)
    ]
    summary: Annotated[
        str,
        Says("Enter a summary", too_long="The summary must be 500 characters or fewer"),
        Field(max_length=500),
    ]
    detail: Annotated[
        str,
        Says("", too_long="The detail must be 20,000 characters or fewer"),
        Field(max_length=20000),
    ] = ""
    source: Annotated[
        str,
        Says(
            "Enter where the information came from",
            too_long="The source must be 200 characters or fewer",
        ),
        Field(max_length=200),
    ]
    verification: Annotated[Verification, Says("Select whether you have checked it")]
    marks: list[Mark] = []

    @field_validator("subtype_other")
    @classmethod
    def _other_described(cls, value: str, info: ValidationInfo) -> str:
        if info.data.get("subtype") == OTHER and not value:
            raise ValueError("Describe the type of information")
        return value if info.data.get("subtype") == OTHER else ""

    def item_fields(self) -> dict[str, Any]:
        """The fields as ``ItemIn`` takes them."""
        return {
            "category": self.category,
            "subtype": self.subtype,
            "subtype_other": self.subtype_other or None,
            "occurred_on": self.occurred_on,
            "summary": self.summary,
            "detail": self.detail,
            "nature": self.nature,
            "source": self.source,
            "verification": self.verification,
            **{mark: mark in self.marks for mark in MARKS},
        }


class NewItem(ItemContent):
    subject_record_id: Annotated[int, Says("Select who the information is about"), Offered]


class Correction(ItemContent):
    free_text: ClassVar[frozenset[str]] = frozenset({"detail", "reason"})

    reason: Annotated[
        str,
        Says(
            "Say why you are correcting it", too_long="The reason must be 500 characters or fewer"
        ),
        Field(max_length=500),
    ]


class Retraction(PageForm):
    free_text: ClassVar[frozenset[str]] = frozenset({"reason"})

    reason: Annotated[
        str,
        Says(
            "Say why you are retracting it", too_long="The reason must be 500 characters or fewer"
        ),
        Field(max_length=500),
    ]


def _type_groups() -> list[dict[str, Any]]:
    """The controlled list, grouped by category, for the type select."""
    listed = shipped_types()
    return [
        {"label": labels.CATEGORIES[c], "types": [(t.code, t.label) for t in found]}
        for c, found in listed.by_category.items()
    ]


def _type_codes() -> set[str]:
    return {*shipped_types().codes, OTHER}


def type_label(code: str, other: str | None = None) -> str:
    return shipped_types().label(code, other)


def _content_options() -> dict[str, Any]:
    return {
        "categories": [(c.value, labels.CATEGORIES[c], labels.CATEGORY_HINTS[c]) for c in Category],
        "type_groups": _type_groups(),
        "other_code": OTHER,
        "natures": [(n.value, labels.NATURES[n], labels.NATURE_HINTS[n]) for n in Nature],
        "verifications": [(v.value, labels.VERIFICATIONS[v]) for v in Verification],
        "marks": [(code, text, hint) for code, (text, hint) in MARKS.items()],
    }


# Recording a concern


def _subjects(db: Database, actor: Actor, record: AgencyRecordOut) -> list[AgencyRecordOut]:
    """The child and the people the agency has linked to them, whom an item may be about."""
    found = [record]
    for link in people.list_relationships(db, actor, record.id):
        other = link.from_record_id if link.to_record_id == record.id else link.to_record_id
        if other not in {r.id for r in found}:
            found.append(people.view_agency_record(db, actor, other))
    return found


def _new_item_options(db: Database, actor: Actor, record: AgencyRecordOut) -> dict[str, Any]:
    subjects = _subjects(db, actor, record)
    return {
        **_content_options(),
        "subjects": [
            (
                s.id,
                f"{s.given_name} {s.family_name}",
                labels.PERSON_ROLES[s.role],
            )
            for s in subjects
        ],
    }


def _new_item_offered(options: dict[str, Any]) -> dict[str, Any]:
    return {"subject_record_id": {s[0] for s in options["subjects"]}, "subtype": _type_codes()}


def _content_rows(answers: ItemContent) -> list[tuple[str, str]]:
    marks = [MARKS[m][0] for m in answers.marks]
    return [
        ("What it is about", labels.CATEGORIES[answers.category]),
        ("Type", type_label(answers.subtype, answers.subtype_other)),
        ("Fact or opinion", labels.NATURES[answers.nature]),
        ("Date it happened", labels.long_date(answers.occurred_on)),
        ("Summary", answers.summary),
        ("Detail", answers.detail),
        ("Source", answers.source),
        ("Checked or not", labels.VERIFICATIONS[answers.verification]),
        ("Sensitive information", "; ".join(marks) or "None"),
    ]


def _new_item_rows(
    db: Database, actor: Actor, answers: Any, options: dict[str, Any]
) -> list[tuple[str, str]]:
    names = {s[0]: f"{s[1]} ({s[2].lower()})" for s in options["subjects"]}
    who = names.get(answers.subject_record_id, "")
    return [("Who it is about", who), *_content_rows(answers)]


def _record_new_item(db: Database, actor: Actor, record: AgencyRecordOut, answers: Any) -> str:
    data = ItemIn.model_validate(
        {"subject_record_id": answers.subject_record_id, **answers.item_fields()}
    )
    made = records.record_item(db, actor, data)
    return f"/items/{made.id}/recorded?child={record.id}"


NEW_ITEM = Recording(
    kind="items",
    title="Record a concern",
    template="records/item_new.html",
    form=NewItem,
    options=_new_item_options,
    offered=_new_item_offered,
    rows=_new_item_rows,
    save=_record_new_item,
    confirm="Record it",
    messages=SERVICE_MESSAGES,
    anchors=DATE_ANCHORS,
)
recording.install(router, NEW_ITEM)


@router.get("/items/{item_id}/recorded")
def recorded(request: Request, item_id: str, actor: Viewer, db: DB, child: str = "") -> Response:
    item = records.view_item(db, actor, path_id(item_id, "information item"))
    back = path_id(child, "agency record") if child else item.subject_record_id
    context = {
        "title": "Information recorded",
        "nav": "children",
        "item": item,
        "child_url": f"/children/{back}",
    }
    return render(request, "records/recorded.html", context)


# The item page


def _names(db: Database, ids: set[int | None]) -> dict[int, str]:
    """Who recorded each version: practitioners' names are the directory, not a person read."""
    found: dict[int, str] = {}
    for ident in ids:
        if ident is None:
            continue
        try:
            found[ident] = accounts.get_practitioner(db, ident).name
        except NotFound:
            found[ident] = "Not known"
    return found


def _went_out_in(db: Database, actor: Actor, chain_id: int) -> list[dict[str, Any]]:
    """The disclosures any version of the item went out in, newest first: to which
    agency, when, for what, and which of its parts (read for this item alone, so the
    log names only these disclosures)."""
    names = {a.id: a.name for a in agencies.list_agencies(db)}
    return [
        _disclosure_row(disclosure, shared.fields, names)
        for disclosure in disclosures.made_carrying_item(db, actor, chain_id)
        for shared in disclosure.items
    ]


def _disclosure_row(
    disclosure: DisclosureOut, fields: list[str], agency_names: dict[int, str]
) -> dict[str, Any]:
    return {
        "id": disclosure.id,
        "to": agency_names.get(disclosure.recipient_agency_id, "Another agency"),
        "when": disclosure.created_at,
        "purpose": labels.purpose(disclosure.purpose),
        "fields": ", ".join(labels.FIELDS.get(f, f) for f in fields),
        "revoked": disclosure.revoked_at is not None,
        "expires_at": disclosure.expires_at,
    }


@router.get("/items/{item_id}")
def item_page(request: Request, item_id: str, actor: Viewer, db: DB) -> Response:
    ident = path_id(item_id, "information item")
    history = records.item_history(db, actor, ident)
    latest = history.latest
    first = history.versions[-1]
    shown = next(v for v in history.versions if v.id == ident)
    subject = people.view_agency_record(db, actor, latest.subject_record_id)
    authors = {v.author_id for v in history.versions}
    if history.retraction is not None:
        authors.add(history.retraction.retracted_by)
    went_out = _went_out_in(db, actor, first.id)
    context = {
        "title": type_label(shown.subtype, shown.subtype_other),
        "nav": "children",
        "back": f"/children/{subject.id}",
        "subject": subject,
        "role_label": labels.PERSON_ROLES[subject.role],
        "item": shown,
        "latest": latest,
        "history": history,
        "names": _names(db, authors),
        "type_label": type_label,
        "went_out": went_out,
        "may_change": history.retraction is None and shown.id == latest.id,
        "marks": [MARKS[m][0] for m in MARKS if getattr(shown, m)],
    }
    return render(request, "records/item.html", context)


# Correcting and retracting


def _latest(db: Database, actor: Actor, raw: str) -> tuple[ItemOut, AgencyRecordOut]:
    """The item to correct or retract, and whom it is about: only its latest version,
    and only while it stands. This only spares the practitioner a form they cannot
    send: the service decides, refusing a stale version or a withdrawn item as a clash
    inside its own transaction (``records.service.correct_item``)."""
    history = records.item_history(db, actor, path_id(raw, "information item"))
    if history.retraction is not None:
        raise Conflict("This information has been retracted")
    subject = people.view_agency_record(db, actor, history.latest.subject_record_id)
    return history.latest, subject


def _entered_from_item(item: ItemOut) -> Entered:
    marks = [m for m in MARKS if getattr(item, m)]
    answers = {
        "category": item.category.value,
        "subtype": item.subtype if item.subtype in _type_codes() else "",
        "subtype_other": item.subtype_other or "",
        "nature": item.nature.value,
        "occurred_on": item.occurred_on,
        "summary": item.summary,
        "detail": item.detail,
        "source": item.source,
        "verification": item.verification.value,
        "marks": marks,
    }
    return recording.entered_from_answers(Correction, answers)


def _correct_page(
    request: Request,
    item: ItemOut,
    subject: AgencyRecordOut,
    entered: Entered,
    errors: Errors,
) -> Response:
    context = {
        "title": "Correct this information",
        "nav": "children",
        "back": f"/items/{item.id}",
        "item": item,
        "record": subject,
        "entered": entered,
        "action": f"/items/{item.id}/correct",
        **_content_options(),
    }
    return render(request, "records/correct.html", context, errors=errors, anchors=DATE_ANCHORS)


@router.get("/items/{item_id}/correct")
def correct_form(request: Request, item_id: str, actor: Viewer, db: DB) -> Response:
    item, subject = _latest(db, actor, item_id)
    if item.id != path_id(item_id, "information item"):
        return redirect(f"/items/{item.id}/correct")
    return _correct_page(request, item, subject, _entered_from_item(item), {})


@router.post("/items/{item_id}/correct", dependencies=CsrfChecked)
def correct(request: Request, item_id: str, actor: Viewer, db: DB, form: Posted) -> Response:
    item, subject = _latest(db, actor, item_id)
    answers, found = validate_form(form, Correction, {"subtype": _type_codes()})
    if answers is None:
        entered = recording.entered_from_form(form)
        return _correct_page(request, item, subject, entered, by_field(found))
    try:
        data = CorrectionIn.model_validate(
            {
                "subject_record_id": item.subject_record_id,
                "reason": answers.reason,
                **answers.item_fields(),
            }
        )
        # The version the page showed: if someone corrected it meanwhile, that is a clash.
        made = records.correct_item(db, actor, path_id(item_id, "information item"), data)
    except (InvalidInput, ValidationError) as error:
        entered = recording.entered_from_form(form)
        return _correct_page(request, item, subject, entered, problems(error, SERVICE_MESSAGES))
    flash(request, "Correction recorded. Anyone it was shared with will be told.")
    return redirect(f"/items/{made.id}")


def _retract_page(
    request: Request, item: ItemOut, subject: AgencyRecordOut, reason: str, errors: Errors
) -> Response:
    context = {
        "title": "Retract this information",
        "nav": "children",
        "back": f"/items/{item.id}",
        "item": item,
        "record": subject,
        "type_label": type_label(item.subtype, item.subtype_other),
        "reason": reason,
        "action": f"/items/{item.id}/retract",
    }
    return render(request, "records/retract.html", context, errors=errors)


@router.get("/items/{item_id}/retract")
def retract_form(request: Request, item_id: str, actor: Viewer, db: DB) -> Response:
    item, subject = _latest(db, actor, item_id)
    return _retract_page(request, item, subject, "", {})


@router.post("/items/{item_id}/retract", dependencies=CsrfChecked)
def retract(request: Request, item_id: str, actor: Viewer, db: DB, form: Posted) -> Response:
    item, subject = _latest(db, actor, item_id)
    answers, found = validate_form(form, Retraction)
    if answers is None:
        return _retract_page(request, item, subject, form.text("reason"), by_field(found))
    try:
        records.retract_item(db, actor, item.id, RetractionIn(reason=answers.reason))
    except (InvalidInput, ValidationError) as error:
        return _retract_page(request, item, subject, form.text("reason"), problems(error))
    flash(request, "Information retracted. Anyone it was shared with will be told.")
    return redirect(f"/items/{item.id}")
