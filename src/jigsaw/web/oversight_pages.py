"""Pages for the Data Protection Officer, Caldicott Guardian and auditors.

The disclosure register for a child's record (with a CSV download for a subject
access request), the access log with its filters, and the break-glass alerts. The
services refuse anyone else (``NotPermitted``, shown as a 403 page); these routes
only read the filters and show what the services return.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import Field, ValidationInfo, field_validator

from jigsaw.identity.dependencies import DB, RecentlyAuthenticatedActor
from jigsaw.oversight import access_log as access
from jigsaw.oversight import register
from jigsaw.oversight.access_log import AccessEntry
from jigsaw.policy.actor import Actor
from jigsaw.schemas import Id
from jigsaw.sharing import recipients
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
    number,
    validate_form,
)
from jigsaw.web.names import Names
from jigsaw.web.templating import render

router = APIRouter(include_in_schema=False)

NO_RECORD = "Enter the child's record number, for example 1042"


def _register_page(
    request: Request,
    actor: Actor,
    *,
    record: str = "",
    record_id: int | None = None,
    found: register.Register | None = None,
    children: list[register.ChildFound] | None = None,
    searched: dict[str, Any] | None = None,
    errors: Errors | None = None,
) -> Response:
    context = {
        "title": "Disclosure register",
        "nav": "register",
        "record": record,
        "record_id": record_id,
        "register": found,
        "children": children,
        "searched": searched or {"born": {}},
        "may_search": register.may_find_children(actor),
        "column": "govuk-grid-column-full",
    }
    anchors = {"date_of_birth": "#date_of_birth-day"}
    return render(request, "oversight/register.html", context, errors=errors, anchors=anchors)


@router.get("/register")
def register_page(request: Request, actor: Viewer, db: DB, record: str = "") -> Response:
    record = record.strip()
    errors: Errors = {}
    found = None
    record_id = number(record)
    if record and record_id is None:
        errors["record"] = NO_RECORD
    elif record_id is not None:
        found = register.build_register(db, actor, record_id=record_id)
    return _register_page(
        request, actor, record=record, record_id=record_id, found=found, errors=errors
    )


BORN = "the child's date of birth"
NO_TERMS = "Enter the child's name, date of birth or your agency's ID for them"


class ChildSearch(PageForm):
    """Finding a child to open the register for: any of the three, all that are given
    must match. Posted, never put in an address: a child's name in a URL would stay in
    browser history and server logs."""

    name: Annotated[str, Field(max_length=200)] = ""
    date_of_birth: Annotated[date | None, DateInput(BORN)] = None
    local_id: Annotated[str, Field(max_length=64)] = ""


@router.post("/register", dependencies=CsrfChecked)
def register_search(request: Request, actor: Viewer, db: DB, form: Posted) -> Response:
    searched = {
        "name": form.text("name"),
        "local_id": form.text("local_id"),
        "born": {p: form.text(f"date_of_birth-{p}") for p in ("day", "month", "year")},
    }
    asked, problems_found = validate_form(form, ChildSearch)
    errors = by_field(problems_found)
    if asked is not None and not (asked.name or asked.date_of_birth or asked.local_id):
        errors["name"] = NO_TERMS
    if asked is None or errors:
        return _register_page(request, actor, searched=searched, errors=errors)
    children = register.find_children(
        db, actor, name=asked.name, date_of_birth=asked.date_of_birth, local_id=asked.local_id
    )
    return _register_page(request, actor, children=children, searched=searched)


@router.get("/register.csv")
def register_download(actor: RecentlyAuthenticatedActor, db: DB, record: str = "") -> Response:
    record_id = number(record.strip())
    if record_id is None:
        return Response(NO_RECORD, status_code=400, media_type="text/plain")
    found = register.build_register(db, actor, record_id=record_id)
    return Response(
        register.register_csv(found),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="disclosure-register-{record_id}.csv"',
            "Cache-Control": "no-store",
        },
    )


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


class AccessLogFilters(PageForm):
    """The access log's filters, from the address (they name no one: ids and dates only).
    Any of them may be left out; each one given must be readable, or the page says so."""

    practitioner: Annotated[Id | None, Says("Choose a practitioner from the list")] = None
    record: Annotated[Id | None, Says(NO_RECORD)] = None
    since: Annotated[date | None, DateInput("the first day")] = Field(default=None, alias="from")
    until: Annotated[date | None, DateInput("the last day")] = Field(default=None, alias="to")

    @field_validator("until")
    @classmethod
    def _not_before_the_first_day(cls, until: date | None, info: ValidationInfo) -> date | None:
        since = info.data.get("since")
        if since is not None and until is not None and until < since:
            raise ValueError("The last day must be the same as or after the first day")
        return until


@router.get("/access-log")
def access_log_page(request: Request, actor: Viewer, db: DB) -> Response:
    typed = Form(request.query_params)
    filters, problems_found = validate_form(typed, AccessLogFilters)
    entries: list[AccessEntry] = []
    if filters is not None:
        entries = access.access_log(
            db,
            actor,
            practitioner_id=filters.practitioner,
            record_id=filters.record,
            since=_start_of(filters.since) if filters.since else None,
            until=_start_of(filters.until + timedelta(days=1)) if filters.until else None,
        )
    context = {
        "title": "Access log",
        "nav": "access-log",
        "entries": entries,
        "names": Names(db),
        "colleagues": recipients.colleagues(db, actor),
        "practitioner": typed.text("practitioner"),
        "record": typed.text("record"),
        "since": {p: typed.text(f"from-{p}") for p in ("day", "month", "year")},
        "until": {p: typed.text(f"to-{p}") for p in ("day", "month", "year")},
        "filtered": any(typed.text(name) for name in ("practitioner", "record"))
        or any(
            typed.text(f"{end}-{p}") for end in ("from", "to") for p in ("day", "month", "year")
        ),
        "column": "govuk-grid-column-full",
    }
    anchors = {"from": "#from-day", "to": "#to-day"}
    errors = by_field(problems_found)
    return render(request, "oversight/access_log.html", context, errors=errors, anchors=anchors)


@router.get("/access-log/alerts")
def alerts_page(request: Request, actor: Viewer, db: DB) -> Response:
    context = {
        "title": "Alerts",
        "nav": "access-log",
        "back": "/access-log",
        "alerts": access.alerts(db, actor),
        "names": Names(db),
        "column": "govuk-grid-column-full",
    }
    return render(request, "oversight/alerts.html", context)
