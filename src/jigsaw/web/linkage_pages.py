"""Finding a child before recording them, the queue of links waiting for a reviewer, and
separating a record linked into the wrong person, however it came to be linked.

Search is a POST, so names and dates of birth stay out of addresses, browser history
and server logs; the results carry the terms on to "record a new child" in the same
way, as form fields. What each match shows, who may review links, and what is
audited are decided in ``jigsaw.linkage.search`` and ``jigsaw.linkage.service``;
these routes only read forms and render what the services return.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any, ClassVar, Literal

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import AfterValidator, Field, ValidationError

from jigsaw import clock
from jigsaw.errors import Conflict, InvalidInput, NotFound
from jigsaw.identity.dependencies import DB, get_settings_for
from jigsaw.linkage import linked, search
from jigsaw.linkage import service as linking
from jigsaw.linkage.access import require_reviewer
from jigsaw.linkage.evidence import (
    AGREEMENT_WORDS,
    Agreement,
    by_comparison,
    caution,
    describe_levels,
)
from jigsaw.linkage.evidence import in_words as probability_in_words
from jigsaw.linkage.models import ReviewStatus
from jigsaw.linkage.schemas import MAX_REASON, ReviewPairOut, ReviewSide
from jigsaw.people import service as people
from jigsaw.people.models import LinkStatus, PersonRole, Sex
from jigsaw.people.nhs_number import InvalidNHSNumber, normalise
from jigsaw.people.schemas import AgencyRecordIn
from jigsaw.policy.actor import Actor
from jigsaw.web import labels
from jigsaw.web.forms import (
    CsrfChecked,
    DateInput,
    Errors,
    Form,
    PageForm,
    Posted,
    Says,
    Viewer,
    by_field,
    date_parts,
    flash,
    number,
    path_id,
    problems,
    validate_form,
)
from jigsaw.web.paging import Page, pagination
from jigsaw.web.templating import redirect, render

router = APIRouter(include_in_schema=False)

FIND = "/find-a-child"
REVIEWS = "/link-reviews"
MAX_NAME = 100
POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$")
DATE_ANCHORS = {"date_of_birth": "#date_of_birth-day"}
TAG_CLASSES: dict[Agreement, str] = {
    Agreement.AGREE: "govuk-tag--green",
    Agreement.PARTLY_AGREE: "govuk-tag--yellow",
    Agreement.DISAGREE: "govuk-tag--red",
    Agreement.NOT_COMPARED: "govuk-tag--grey",
}


# What the practitioner typed, for searching and for recording


@dataclass
class Entered:
    """The child's details as typed, to show again and to carry to the next page."""

    given_name: str = ""
    family_name: str = ""
    date_of_birth: dict[str, str] = field(default_factory=lambda: date_parts(None))
    postcode: str = ""
    nhs_number: str = ""
    local_id: str = ""
    sex: str = ""
    address: str = ""
    reason: str = ""

    @classmethod
    def read(cls, form: Form) -> Entered:
        return cls(
            given_name=form.text("given_name"),
            family_name=form.text("family_name"),
            date_of_birth={p: form.text(f"date_of_birth-{p}") for p in ("day", "month", "year")},
            postcode=form.text("postcode").upper(),
            nhs_number=form.text("nhs_number"),
            local_id=form.text("local_id"),
            sex=form.text("sex"),
            address=form.text("address"),
            reason=form.text("reason"),
        )


RECORD_MESSAGES = {
    "local_id": "Enter your agency's ID for the child, 64 characters or fewer",
    "address": "The address must be 300 characters or fewer",
    "sex": "Select the child's sex, or not known",
}


def _name(label: str) -> Says:
    too_long = f"The child's {label} must be {MAX_NAME} characters or fewer"
    return Says(f"Enter the child's {label}", too_long=too_long)


def _not_future(born: date) -> date:
    if born > clock.today():
        raise ValueError("The child's date of birth must be today or in the past")
    return born


def _postcode(value: str) -> str:
    value = value.upper()
    if not POSTCODE.match(value):
        raise ValueError("Enter a real postcode, like SW1A 1AA, or leave it blank")
    return value


def _nhs_number(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return normalise(value)
    except InvalidNHSNumber as exc:
        raise ValueError(str(exc)) from None


def _reason(value: str) -> str:
    problem = people.reason_problem(value)
    if problem:
        raise ValueError(problem)
    return value


BORN = "the child's date of birth"
GivenName = Annotated[str, _name("first name"), Field(max_length=MAX_NAME)]
FamilyName = Annotated[str, _name("last name"), Field(max_length=MAX_NAME)]
Born = Annotated[date, Says(f"Enter {BORN}"), DateInput(BORN), AfterValidator(_not_future)]
Postcode = Annotated[str, AfterValidator(_postcode)]
NhsNumber = Annotated[str | None, AfterValidator(_nhs_number)]


class Finding(PageForm):
    """What a search needs, in the order the page asks; the postcode and NHS number
    may be left out."""

    given_name: GivenName
    family_name: FamilyName
    date_of_birth: Born
    postcode: Postcode = ""
    nhs_number: NhsNumber = None


class Recording(PageForm):
    """A new child: the search's details, and what the agency knows of them.

    The ID and address limits are ``AgencyRecordIn``'s, worded by ``RECORD_MESSAGES``.
    """

    free_text: ClassVar[frozenset[str]] = frozenset({"address", "reason"})

    local_id: Annotated[str, Says("Enter your agency's ID for the child")]
    given_name: GivenName
    family_name: FamilyName
    date_of_birth: Born
    postcode: Postcode = ""
    nhs_number: NhsNumber = None
    sex: Annotated[Sex, Says(RECORD_MESSAGES["sex"])]
    address: str = ""
    reason: Annotated[str, Says(people.reason_problem("") or ""), AfterValidator(_reason)]


def _terms(found: Finding) -> search.SearchTerms:
    return search.SearchTerms(
        given_name=found.given_name,
        family_name=found.family_name,
        date_of_birth=found.date_of_birth,
        postcode=found.postcode,
        nhs_number=found.nhs_number,
    )


# Search


def _find_page(
    request: Request,
    entered: Entered,
    errors: Errors,
    matches: list[search.Match] | None = None,
) -> Response:
    context = {
        "title": "Find a child" if matches is None else "Possible matches",
        "nav": "children",
        "back": "/",
        "entered": entered,
        "matches": matches,
        "tag_classes": TAG_CLASSES,
        "action": FIND,
    }
    return render(request, "linkage/find.html", context, errors=errors, anchors=DATE_ANCHORS)


@router.get(FIND)
def find_form(request: Request, actor: Viewer) -> Response:
    return _find_page(request, Entered(), {})


@router.post(FIND, dependencies=CsrfChecked)
def find(request: Request, actor: Viewer, db: DB, form: Posted) -> Response:
    entered = Entered.read(form)
    finding, found = validate_form(form, Finding)
    if finding is None:
        return _find_page(request, entered, by_field(found))
    return _find_page(request, entered, {}, search.search(db, actor, _terms(finding)))


# Recording a new child, prefilled from the search


def _record_page(request: Request, entered: Entered, errors: Errors) -> Response:
    context = {
        "title": "Record a new child",
        "nav": "children",
        "back": FIND,
        "entered": entered,
        "sexes": [(s.value, labels.SEXES[s]) for s in Sex],
        "action": FIND + "/record",
    }
    return render(request, "linkage/record.html", context, errors=errors, anchors=DATE_ANCHORS)


@router.post(FIND + "/new", dependencies=CsrfChecked)
def record_form(request: Request, actor: Viewer, form: Posted) -> Response:
    """The record form with the searched details filled in; nothing is written yet."""
    return _record_page(request, Entered.read(form), {})


@router.post(FIND + "/record", dependencies=CsrfChecked)
def record(request: Request, actor: Viewer, db: DB, form: Posted) -> Response:
    entered = Entered.read(form)
    recording, found = validate_form(form, Recording)
    if recording is None:
        return _record_page(request, entered, by_field(found))
    try:
        data = AgencyRecordIn.model_validate(
            {
                "agency_id": actor.agency_id,
                "local_id": recording.local_id,
                "role": PersonRole.CHILD,
                "given_name": recording.given_name,
                "family_name": recording.family_name,
                "date_of_birth": recording.date_of_birth,
                "sex": recording.sex.value,
                "address": recording.address,
                "postcode": recording.postcode,
                "nhs_number": recording.nhs_number,
            }
        )
        created, _ = search.record_child(db, actor, data, recording.reason)
    except (InvalidInput, ValidationError) as exc:
        return _record_page(request, entered, problems(exc, RECORD_MESSAGES))
    except Conflict:
        errors = {"local_id": "Your agency already has a child with this ID"}
        return _record_page(request, entered, errors)
    return redirect(f"{FIND}/recorded/{created.id}")


LINK_OUTCOMES = {
    "joined": "Other agencies know this child, and the record has been linked to theirs. "
    "You will see which agencies know them, and who to contact there, once your agency's "
    "safeguarding lead has confirmed the record.",
    "review": "This child may be one other agencies already know. A reviewer will check, "
    "and the records will be linked if they are the same child.",
    "own": "No other agency's record matched closely enough to link. If one is recorded "
    "later, it will be linked to this one.",
    "later": "The record will be linked to other agencies' records at the next linkage run.",
}


def _outcome(status: LinkStatus, probability: float | None) -> str:
    if status is LinkStatus.IN_REVIEW:
        return "review"
    if status is LinkStatus.UNLINKED:
        return "later"
    return "joined" if probability is not None else "own"


@router.get(FIND + "/recorded/{record_id}")
def recorded(request: Request, record_id: str, actor: Viewer, db: DB) -> Response:
    found = people.view_agency_record(db, actor, path_id(record_id, "agency record"))
    outcome = _outcome(found.link_status, found.match_probability)
    context = {
        "title": "Child recorded",
        "nav": "children",
        "record": found,
        "outcome": outcome,
        "message": LINK_OUTCOMES[outcome],
    }
    return render(request, "linkage/recorded.html", context)


# Records waiting for a second person

CONFIRM = "/records-to-confirm"


@router.get(CONFIRM)
def records_to_confirm(request: Request, actor: Viewer, db: DB) -> Response:
    """The agency's records that colleagues made and no one has vouched for yet."""
    context = {
        "title": "Records waiting for confirmation",
        "nav": "children",
        "back": "/",
        "waiting": people.records_to_confirm(db, actor),
        "viewer_id": actor.practitioner_id,
        "action": CONFIRM,
        "column": "govuk-grid-column-full",
    }
    return render(request, "linkage/to_confirm.html", context)


@router.post(CONFIRM + "/{record_id}", dependencies=CsrfChecked)
def confirm_record(request: Request, record_id: str, actor: Viewer, db: DB) -> Response:
    ident = path_id(record_id, "agency record")
    try:
        people.confirm_agency_record(
            db,
            actor,
            ident,
            settling_days=get_settings_for(request).confirmer_settling_days,
        )
    except Conflict as exc:
        flash(request, f"Nothing changed: {exc}")
        return redirect(CONFIRM)
    flash(request, "Record confirmed: your agency can now see who else knows this child")
    return redirect(CONFIRM)


# The review queue


def _queue_href(number: int) -> str:
    return REVIEWS if number <= 1 else f"{REVIEWS}?page={number}"


@router.get(REVIEWS)
def review_queue(request: Request, actor: Viewer, db: DB, page: str = "1") -> Response:
    wanted = Page.requested(page)
    waiting, total = linking.review_queue(db, actor, limit=wanted.size, offset=wanted.offset)
    shown = wanted.with_total(total)
    if shown.number != wanted.number:
        waiting, total = linking.review_queue(db, actor, limit=shown.size, offset=shown.offset)
        shown = shown.with_total(total)
    context = {
        "title": "Link reviews",
        "nav": "link-reviews",
        "waiting": waiting,
        "page": shown,
        "pagination": pagination(shown, _queue_href),
        "in_words": probability_in_words,
        "kind_phrase": labels.agency_kind_phrase,
        "column": "govuk-grid-column-full",
    }
    return render(request, "linkage/reviews.html", context)


@dataclass(frozen=True)
class Row:
    """One line of the side-by-side comparison."""

    detail: str
    record: str
    candidate: str
    comparison: str | None
    """The model's comparison this line is evidence for, if any."""


def _address(address: str, postcode: str) -> str:
    return ", ".join(part for part in (address, postcode) if part) or "Not recorded"


IDENTITY_FIELDS: tuple[tuple[str, str | None], ...] = (
    ("Known to", None),
    ("First name", "given_name"),
    ("Last name", "family_name"),
    ("Date of birth", "date_of_birth"),
    ("Sex", "sex"),
    ("Address", "address"),
    ("NHS number", "nhs_number"),
    ("Recorded as", "child_or_adult"),
)
"""Each line a reviewer sees of a record, and the model's comparison it is evidence for."""


def _identity(side: ReviewSide) -> dict[str, str]:
    """Identity fields only, and the agency by its kind: what deciding needs, no more.
    A pair and a person's linked records show a record the same way."""
    return {
        "Known to": labels.agency_kind_phrase(side.agency_kind),
        "First name": side.given_name,
        "Last name": side.family_name,
        "Date of birth": labels.long_date(side.date_of_birth) or "Not recorded",
        "Sex": labels.SEXES[side.sex],
        "Address": _address(side.address, side.postcode),
        "NHS number": labels.nhs_number(side.nhs_number) or "Not recorded",
        "Recorded as": labels.PERSON_ROLES[side.role],
    }


def _rows(pair: ReviewPairOut) -> list[Row]:
    a, b = _identity(pair.record), _identity(pair.candidate)
    return [Row(detail, a[detail], b[detail], comparison) for detail, comparison in IDENTITY_FIELDS]


def _review_page(
    request: Request, db: DB, actor: Actor, review_id: int, note: str, errors: Errors
) -> Response:
    pair = linking.review_pair(db, actor, review_id)
    rows = _rows(pair)
    evidence = describe_levels(pair.evidence)
    shown = {row.comparison for row in rows}
    context: dict[str, Any] = {
        "title": f"Review pair {review_id}",
        "nav": "link-reviews",
        "back": REVIEWS,
        "pair": pair,
        "rows": rows,
        "evidence": by_comparison(evidence),
        "other_evidence": [e for e in evidence if e.comparison not in shown],
        "agreement_words": AGREEMENT_WORDS,
        "tag_classes": TAG_CLASSES,
        "in_words": probability_in_words(pair.match_probability, pair.about),
        "caution": caution(pair.evidence, pair.about),
        "is_open": pair.status is ReviewStatus.OPEN,
        "note": note,
        "action": f"{REVIEWS}/{review_id}",
        "undo_action": f"{REVIEWS}/{review_id}/undo",
        "column": "govuk-grid-column-full",
    }
    return render(request, "linkage/review.html", context, errors=errors)


@router.get(REVIEWS + "/{review_id}")
def review(request: Request, review_id: str, actor: Viewer, db: DB) -> Response:
    return _review_page(request, db, actor, path_id(review_id, "link review"), "", {})


DECISIONS = {
    "confirm": (linking.confirm_link, "Link confirmed: the two records are now one person"),
    "reject": (linking.reject_link, "Link rejected: the two records stay apart"),
}


class Reviewed(PageForm):
    """The note may run over lines; its other rules are the linkage service's."""

    free_text: ClassVar[frozenset[str]] = frozenset({"note"})

    decision: Annotated[Literal["confirm", "reject"], Says("Choose confirm link or reject link")]
    note: str = ""


@router.post(REVIEWS + "/{review_id}", dependencies=CsrfChecked)
def decide(request: Request, review_id: str, actor: Viewer, db: DB, form: Posted) -> Response:
    ident = path_id(review_id, "link review")
    note = form.text("note")
    reviewed, found = validate_form(form, Reviewed)
    if reviewed is None:
        return _review_page(request, db, actor, ident, note, by_field(found))
    decision, message = DECISIONS[reviewed.decision]
    try:
        decision(db, actor, ident, reviewed.note)
    except InvalidInput as exc:
        return _review_page(request, db, actor, ident, note, {"note": exc.problems[0].message})
    except Conflict as exc:
        flash(request, f"Nothing changed: {exc}")
        return redirect(REVIEWS)
    flash(request, message)
    return redirect(REVIEWS)


class Undoing(PageForm):
    """Why the link is taken back; the note's rules are the linkage service's."""

    free_text: ClassVar[frozenset[str]] = frozenset({"note"})

    note: str = ""


@router.post(REVIEWS + "/{review_id}/undo", dependencies=CsrfChecked)
def undo(request: Request, review_id: str, actor: Viewer, db: DB, form: Posted) -> Response:
    """Undo a confirmed link: the records it moved go back to the person they came from,
    and everyone who works with either is told (``linkage.service.undo_link``)."""
    ident = path_id(review_id, "link review")
    note = form.text("note")
    undoing, found = validate_form(form, Undoing)
    if undoing is None:
        return _review_page(request, db, actor, ident, note, by_field(found))
    try:
        linking.undo_link(db, actor, ident, undoing.note)
    except InvalidInput as exc:
        return _review_page(request, db, actor, ident, note, {"note": exc.problems[0].message})
    except Conflict as exc:
        flash(request, f"Nothing changed: {exc}")
        return redirect(f"{REVIEWS}/{ident}")
    flash(request, "Link undone: the records are apart again, and those working with them are told")
    return redirect(f"{REVIEWS}/{ident}")


# Separating a record wrongly linked into a person

LINKED = "/linked-people"
LINK_STATUSES = {
    LinkStatus.UNLINKED: "Not linked yet",
    LinkStatus.AUTO: "Linked by the matching",
    LinkStatus.CONFIRMED: "Confirmed by a reviewer",
    LinkStatus.IN_REVIEW: "Waiting for a reviewer",
    LinkStatus.REJECTED: "Kept apart by a reviewer",
}


def _person_href(person_id: int) -> str:
    return f"{LINKED}/{person_id}"


def _separate_href(person_id: int, record_id: int) -> str:
    return f"{LINKED}/{person_id}/records/{record_id}/separate"


def _identity_rows(side: ReviewSide) -> list[tuple[str, str]]:
    """The record's lines as a review pair shows them."""
    return list(_identity(side).items())


@router.get(LINKED)
def find_linked_person(request: Request, actor: Viewer, person: str | None = None) -> Response:
    """A person's number (from the address of their page, or a colleague) leads to the
    records linked into them. A number names no one by itself, so a GET is fine."""
    require_reviewer(actor)
    errors: Errors = {}
    if person is not None:
        ident = number(person.strip())
        if ident is not None:
            return redirect(_person_href(ident))
        errors = {"person": "Enter the person's number, like 1234"}
    context = {
        "title": "Find a person's linked records",
        "nav": "link-reviews",
        "back": REVIEWS,
        "person": person or "",
    }
    return render(request, "linkage/find_person.html", context, errors=errors)


@router.get(LINKED + "/{person_id}")
def linked_person(request: Request, person_id: str, actor: Viewer, db: DB) -> Response:
    found = linked.linked_records(db, actor, path_id(person_id, "person"))
    context = {
        "title": f"Records linked as one {found.about}",
        "nav": "link-reviews",
        "back": LINKED,
        "found": found,
        "rows": [(r, _identity_rows(r.side)) for r in found.records],
        "statuses": LINK_STATUSES,
        "separate_href": _separate_href,
        "column": "govuk-grid-column-full",
    }
    return render(request, "linkage/linked_person.html", context)


def _separate_page(
    request: Request,
    db: DB,
    actor: Actor,
    person_id: int,
    record_id: int,
    reason: str,
    errors: Errors,
) -> Response:
    """The record to separate, what separating does, and why: the reviewer's last look
    before anything changes. A record not in this person is a page that does not exist;
    a person's only record cannot be separated, so the person's page says so instead."""
    found = linked.linked_records(db, actor, person_id)
    chosen = found.record(record_id)
    if chosen is None:
        raise NotFound("agency record", record_id)
    if not found.can_separate:
        flash(
            request,
            "Nothing changed: this is the person's only record, so nothing would stay behind",
        )
        return redirect(_person_href(person_id))
    context = {
        "title": "Separate this record",
        "nav": "link-reviews",
        "back": _person_href(person_id),
        "found": found,
        "chosen": chosen,
        "rows": _identity_rows(chosen.side),
        "staying": len(found.records) - 1,
        "reason": reason,
        "max_reason": MAX_REASON,
        "action": _separate_href(person_id, record_id),
    }
    return render(request, "linkage/separate.html", context, errors=errors)


@router.get(LINKED + "/{person_id}/records/{record_id}/separate")
def separate_form(
    request: Request, person_id: str, record_id: str, actor: Viewer, db: DB
) -> Response:
    person = path_id(person_id, "person")
    return _separate_page(request, db, actor, person, path_id(record_id, "agency record"), "", {})


class Separating(PageForm):
    """Why the record is not this person's: required here, so the link history always
    says; its other rules (length, no control characters) are the linkage service's."""

    free_text: ClassVar[frozenset[str]] = frozenset({"reason"})

    reason: Annotated[
        str,
        Says(
            "Enter why this record is not this person's",
            too_long=f"Keep the reason under {MAX_REASON} characters",
        ),
        Field(max_length=MAX_REASON),
    ]


@router.post(LINKED + "/{person_id}/records/{record_id}/separate", dependencies=CsrfChecked)
def separate(
    request: Request, person_id: str, record_id: str, actor: Viewer, db: DB, form: Posted
) -> Response:
    """Detach one record into a person of its own (``linkage.service.unmerge``): the
    change, its audit entry and the notices to everyone working with either commit
    together. The record must still be in the person the reviewer looked at; the service
    checks that under its lock, so a second submit, or a record another reviewer moved
    meanwhile, is told "nothing changed" on the person's page rather than a missing page,
    and the post itself is no look at the person's records (the page it leads to is)."""
    person = path_id(person_id, "person")
    ident = path_id(record_id, "agency record")
    reason = form.text("reason")
    separating, found = validate_form(form, Separating)
    if separating is None:
        return _separate_page(request, db, actor, person, ident, reason, by_field(found))
    try:
        linking.unmerge(db, actor, [ident], separating.reason, from_person=person)
    except InvalidInput as exc:
        problem = exc.problems[0]
        if problem.field == "reason":
            return _separate_page(
                request, db, actor, person, ident, reason, {"reason": problem.message}
            )
        flash(request, f"Nothing changed: {problem.message}")
        return redirect(_person_href(person))
    except Conflict as exc:
        flash(request, f"Nothing changed: {exc}")
        return redirect(_person_href(person))
    flash(
        request,
        "Record separated: it is now a person of its own, and those working with either are told",
    )
    return redirect(_person_href(person))
