"""Recording something about a child on one question page, then check answers.

Each kind of record (an item of information, a relationship, who works with the
child, consent, what the family was told) is described once as a ``Recording``: its
form model, its page, the rows of its check answers page and the one service call
that writes it. ``install`` gives each the same four routes:

- ``GET`` and ``POST /children/{id}/{kind}/new``: the question page; valid answers are
  kept as a server-side draft (``web.drafts``) and the practitioner goes on to check;
- ``GET`` and ``POST /children/{id}/{kind}/new/check``: the answers with "Change" links;
  confirming writes the record (checked again by the service) and ends the draft.

Nothing is written until the practitioner confirms.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from jigsaw.db import Database
from jigsaw.errors import InvalidInput
from jigsaw.identity.dependencies import DB
from jigsaw.people import service as people
from jigsaw.people.schemas import AgencyRecordOut
from jigsaw.policy.actor import Actor
from jigsaw.web import drafts
from jigsaw.web.forms import (
    DATE_PARTS,
    CsrfChecked,
    Errors,
    Form,
    PageForm,
    Posted,
    Viewer,
    by_field,
    flash,
    path_id,
    problems,
    validate_form,
)
from jigsaw.web.templating import redirect, render

Entered = dict[str, Any]
"""What the page shows in its fields: each field's text (a date as ``name-day`` and so
on, a list of ticked boxes as a list)."""


@dataclass(frozen=True)
class Recording:
    """One kind of record made from the child's page."""

    kind: str
    """The address segment: ``/children/{id}/{kind}/new``."""
    title: str
    template: str
    form: type[PageForm]
    options: Callable[[Database, Actor, AgencyRecordOut], dict[str, Any]]
    """What the question page offers (people, choices), also used by the check page."""
    rows: Callable[[Database, Actor, PageForm, dict[str, Any]], list[tuple[str, str]]]
    """The check answers rows, as (question, answer)."""
    save: Callable[[Database, Actor, AgencyRecordOut, PageForm], str]
    """Write the record; returns where to go next."""
    offered: Callable[[dict[str, Any]], Mapping[str, Collection[Any]]] = lambda _: {}
    check: Callable[[Database, Actor, PageForm], Errors] = lambda *_: {}
    """Problems only the services can see (an ID the agency does not hold), by field."""
    confirm: str = "Confirm and record"
    done: str = ""
    """The message shown on the next page, if it has one."""
    messages: Mapping[str, str] = field(default_factory=dict)
    """Service problems, worded for the page, by field."""
    anchors: Mapping[str, str] = field(default_factory=dict)
    """Where an error summary link goes for a field not focused by ``#field``."""

    def url(self, record_id: int) -> str:
        return f"/children/{record_id}/{self.kind}/new"


def entered_from_form(form: Form) -> Entered:
    found: Entered = {}
    for key in form.data:
        values = form.texts(key)
        found[key] = values if len(values) > 1 else form.text(key)
    return found


def entered_from_answers(model: type[PageForm], answers: Mapping[str, Any]) -> Entered:
    """The kept answers as the page's fields show them."""
    found: Entered = {}
    for name, value in answers.items():
        key = model.model_fields[name].alias or name if name in model.model_fields else name
        if isinstance(value, date):
            for part, text in zip(DATE_PARTS, (value.day, value.month, value.year), strict=True):
                found[f"{key}-{part}"] = str(text)
        elif isinstance(value, bool):
            found[key] = "yes" if value else ""
        elif isinstance(value, list):
            found[key] = [str(v) for v in value]
        elif value is None:
            found[key] = ""
        else:
            found[key] = str(value)
    return found


def as_list(value: Any) -> list[str]:
    """A checkbox group's ticked values, whether one or several came back."""
    if isinstance(value, list):
        return [str(v) for v in value]
    return [str(value)] if value else []


def _record(db: Database, actor: Actor, raw: str) -> AgencyRecordOut:
    return people.view_agency_record(db, actor, path_id(raw, "agency record"))


def _question_page(
    request: Request,
    recording: Recording,
    record: AgencyRecordOut,
    options: dict[str, Any],
    entered: Entered,
    errors: Errors,
) -> Response:
    context = {
        "title": recording.title,
        "nav": "children",
        "back": f"/children/{record.id}",
        "record": record,
        "entered": entered,
        "action": recording.url(record.id),
        **options,
    }
    return render(request, recording.template, context, errors=errors, anchors=recording.anchors)


def _kept(request: Request, recording: Recording, record_id: int) -> PageForm | None:
    draft = drafts.load_recording(request, record_id, recording.kind)
    if draft is None:
        return None
    try:
        return recording.form.model_validate(draft.answers)
    except ValidationError:
        return None


def install(router: APIRouter, recording: Recording) -> None:
    """Add the question and check answers routes for ``recording`` to ``router``."""
    base = "/children/{record_id}/" + recording.kind + "/new"

    def question(request: Request, record_id: str, actor: Viewer, db: DB) -> Response:
        record = _record(db, actor, record_id)
        kept = _kept(request, recording, record.id)
        entered = {} if kept is None else entered_from_answers(recording.form, kept.model_dump())
        options = recording.options(db, actor, record)
        return _question_page(request, recording, record, options, entered, {})

    def answered(request: Request, record_id: str, actor: Viewer, db: DB, form: Posted) -> Response:
        record = _record(db, actor, record_id)
        options = recording.options(db, actor, record)
        answers, found = validate_form(form, recording.form, recording.offered(options))
        errors = by_field(found) if answers is None else recording.check(db, actor, answers)
        if answers is None or errors:
            entered = entered_from_form(form)
            return _question_page(request, recording, record, options, entered, errors)
        draft = drafts.RecordingDraft(
            record_id=record.id, kind=recording.kind, answers=answers.model_dump(mode="json")
        )
        drafts.save_recording(request, draft)
        return redirect(recording.url(record.id) + "/check")

    def check(request: Request, record_id: str, actor: Viewer, db: DB) -> Response:
        record = _record(db, actor, record_id)
        kept = _kept(request, recording, record.id)
        if kept is None:
            return redirect(recording.url(record.id))
        options = recording.options(db, actor, record)
        context = {
            "title": "Check your answers",
            "caption": f"{record.given_name} {record.family_name}",
            "nav": "children",
            "back": recording.url(record.id),
            "rows": _summary_rows(
                recording.rows(db, actor, kept, options), recording.url(record.id)
            ),
            "confirm": recording.confirm,
            "action": recording.url(record.id) + "/check",
        }
        return render(request, "records/check.html", context)

    def confirmed(request: Request, record_id: str, actor: Viewer, db: DB) -> Response:
        record = _record(db, actor, record_id)
        kept = _kept(request, recording, record.id)
        if kept is None:
            return redirect(recording.url(record.id))
        try:
            after = recording.save(db, actor, record, kept)
        except (InvalidInput, ValidationError) as error:
            options = recording.options(db, actor, record)
            entered = entered_from_answers(recording.form, kept.model_dump())
            errors = problems(error, recording.messages)
            return _question_page(request, recording, record, options, entered, errors)
        drafts.clear(request, drafts.RecordingDraft)
        if recording.done:
            flash(request, recording.done)
        return redirect(after)

    router.add_api_route(base, question, methods=["GET"])
    router.add_api_route(base, answered, methods=["POST"], dependencies=CsrfChecked)
    router.add_api_route(base + "/check", check, methods=["GET"])
    router.add_api_route(base + "/check", confirmed, methods=["POST"], dependencies=CsrfChecked)


def _summary_rows(rows: list[tuple[str, str]], change: str) -> list[dict[str, Any]]:
    return [
        {
            "key": {"text": key},
            "value": {"text": value or "Not given"},
            "actions": {
                "items": [{"href": change, "text": "Change", "visuallyHiddenText": key.lower()}]
            },
        }
        for key, value in rows
    ]
