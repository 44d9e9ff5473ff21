"""What every sharing and oversight page needs: who is looking, what was posted, problems
shown the GOV.UK way, and a one-line message carried across a redirect.

Routes stay thin: they read the form with ``Posted``, call one service, and turn the
service's ``InvalidInput`` (or a schema's ``ValidationError``) into ``errors`` with
``problems``; ``render`` shows the page with an error summary linked to each field.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import ImmutableMultiDict

from jigsaw.access.actor import Actor
from jigsaw.access.policy import CONFIRMING_ROLES, Permission, is_permitted
from jigsaw.audit.access_log import OVERSIGHT_ROLES
from jigsaw.errors import InvalidInput, NotFound
from jigsaw.http import CurrentActor
from jigsaw.linkage.access import may_review
from jigsaw.schemas import EARLIEST_DATE, LATEST_DATE, parse_id
from jigsaw.web.csrf import require_csrf
from jigsaw.web.templating import templates

FLASH_KEY = "flash"
CsrfChecked = [Depends(require_csrf)]

Errors = dict[str, str]
"""Field name to the message shown beside it, in the order the page shows the fields."""


def viewer(request: Request, actor: CurrentActor) -> Actor:
    """The signed-in practitioner, remembered on the request for the layout's navigation.

    Which links the layout offers is presentation only: the services still refuse
    whatever the practitioner's role may not do.
    """
    request.state.viewer = actor
    request.state.oversight = actor.role in OVERSIGHT_ROLES
    request.state.finds_children = is_permitted(
        actor, Permission.RECORD_ABOUT_PEOPLE, actor.agency_id
    )
    request.state.reviews_links = may_review(actor)
    request.state.confirms_records = actor.role in CONFIRMING_ROLES
    return actor


Viewer = Annotated[Actor, Depends(viewer)]


class Form:
    """A posted form (or a query string) read as text: a file or a missing field is empty."""

    def __init__(self, data: ImmutableMultiDict[str, Any]) -> None:
        self.data = data

    def text(self, name: str) -> str:
        value = self.data.get(name)
        return value.strip() if isinstance(value, str) else ""

    def texts(self, name: str) -> list[str]:
        return [v.strip() for v in self.data.getlist(name) if isinstance(v, str) and v.strip()]

    def number(self, name: str) -> int | None:
        return number(self.text(name))


async def _posted(request: Request) -> Form:
    return Form(await request.form())


Posted = Annotated[Form, Depends(_posted)]


def number(raw: str) -> int | None:
    """An id typed or posted as text; anything else (or too large to name a row) is no id."""
    return parse_id(raw)


def path_id(raw: str, kind: str) -> int:
    """Ids in paths that are not numbers are pages that do not exist."""
    ident = number(raw)
    if ident is None:
        raise NotFound(kind, raw)
    return ident


def problems(
    error: InvalidInput | ValidationError, messages: Mapping[str, str] | None = None
) -> Errors:
    """Each field's first problem; ``messages`` words a field's problem for the page."""
    found: Errors = {}
    if isinstance(error, InvalidInput):
        pairs = [(p.field, p.message) for p in error.problems]
    else:
        pairs = [
            (".".join(str(part) for part in e["loc"]), e["msg"].removeprefix("Value error, "))
            for e in error.errors()
        ]
    for field, message in pairs:
        found.setdefault(field, (messages or {}).get(field, message))
    return found


def read_date(form: Form, name: str, label: str) -> tuple[date | None, str | None]:
    """A GOV.UK date input (``name-day``, ``-month``, ``-year``) as a date, or a message."""
    parts = [form.text(f"{name}-{part}") for part in ("day", "month", "year")]
    if not any(parts):
        return None, f"Enter {label}"
    if not all(p.isascii() and p.isdigit() and len(p) <= 4 for p in parts):
        return None, f"{label[:1].upper()}{label[1:]} must be a real date, using numbers only"
    day, month, year = (int(p) for p in parts)
    if year < 1000:
        return None, "Enter the year as 4 numbers, for example 2026"
    try:
        value = date(year, month, day)
    except ValueError:
        return None, f"{label[:1].upper()}{label[1:]} must be a real date"
    return value, outside_service_years(value)


def outside_service_years(value: date) -> str | None:
    """Why a date read from a page is refused, if it lies outside the years the service
    records (the same bounds as ``CalendarDate``), so arithmetic on it (the day after a
    filter's last day) cannot overflow and a page never accepts what the API refuses."""
    if value < EARLIEST_DATE:
        return f"The date cannot be before {EARLIEST_DATE.year}"
    if value > LATEST_DATE:
        return f"The date cannot be after {LATEST_DATE.year}"
    return None


def date_parts(value: date | None) -> dict[str, str]:
    """A date split for a GOV.UK date input's three boxes."""
    if value is None:
        return {"day": "", "month": "", "year": ""}
    return {"day": str(value.day), "month": str(value.month), "year": str(value.year)}


def flash(request: Request, message: str) -> None:
    """A success message for the next page shown, after a redirect."""
    request.session[FLASH_KEY] = message


def redirect(location: str) -> Response:
    return RedirectResponse(location, status_code=303)


def render(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    errors: Errors | None = None,
    anchors: Mapping[str, str] | None = None,
    status_code: int | None = None,
) -> Response:
    """A page with its error summary built, any flash message, and no caching.

    ``anchors`` maps a field to where its error links when that is not ``#field``,
    for example the day box of a date, or another page for the check-answers page.
    Pages about children must not linger in caches on shared computers.
    """
    errors = errors or {}
    error_list = [
        {"text": message, "href": (anchors or {}).get(field, f"#{field}")}
        for field, message in errors.items()
    ]
    full = {
        **context,
        "errors": errors,
        "error_list": error_list,
        "flash": request.session.pop(FLASH_KEY, None),
    }
    status = status_code if status_code is not None else (422 if errors else 200)
    return templates.TemplateResponse(request, template, full, status_code=status)
