"""Pages for the Data Protection Officer, Caldicott Guardian and auditors.

The disclosure register for a child's record (with a CSV download for a subject
access request), the access log with its filters, and the break-glass alerts. The
services refuse anyone else (``NotPermitted``, shown as a 403 page); these routes
only read the filters and show what the services return.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import Response

from jigsaw.identity.dependencies import DB, RecentlyAuthenticatedActor
from jigsaw.oversight import access_log as access
from jigsaw.oversight import register
from jigsaw.oversight.access_log import AccessEntry
from jigsaw.sharing import recipients
from jigsaw.web.forms import Errors, Form, Viewer, number, read_date_range
from jigsaw.web.names import Names
from jigsaw.web.templating import render

router = APIRouter(include_in_schema=False)

NO_RECORD = "Enter the child's record number, for example 1042"


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
    context = {
        "title": "Disclosure register",
        "nav": "register",
        "record": record,
        "record_id": record_id,
        "register": found,
        "column": "govuk-grid-column-full",
    }
    return render(request, "oversight/register.html", context, errors=errors)


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


@router.get("/access-log")
def access_log_page(request: Request, actor: Viewer, db: DB) -> Response:
    filters = Form(request.query_params)
    errors: Errors = {}
    practitioner = filters.text("practitioner")
    record = filters.text("record")
    practitioner_id, record_id = number(practitioner), number(record)
    if practitioner and practitioner_id is None:
        errors["practitioner"] = "Choose a practitioner from the list"
    if record and record_id is None:
        errors["record"] = NO_RECORD
    since, until = read_date_range(
        filters,
        ("from", "the first day"),
        ("to", "the last day"),
        errors,
        "The last day must be the same as or after the first day",
    )
    entries: list[AccessEntry] = []
    if not errors:
        entries = access.access_log(
            db,
            actor,
            practitioner_id=practitioner_id,
            record_id=record_id,
            since=_start_of(since) if since else None,
            until=_start_of(until + timedelta(days=1)) if until else None,
        )
    context = {
        "title": "Access log",
        "nav": "access-log",
        "entries": entries,
        "names": Names(db),
        "colleagues": recipients.colleagues(db, actor),
        "practitioner": practitioner,
        "record": record,
        "since": {p: filters.text(f"from-{p}") for p in ("day", "month", "year")},
        "until": {p: filters.text(f"to-{p}") for p in ("day", "month", "year")},
        "filtered": any([practitioner, record, since, until]),
        "column": "govuk-grid-column-full",
    }
    anchors = {"from": "#from-day", "to": "#to-day"}
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
