"""Page routes. Each one turns a request into service calls and a template, nothing more.

Access decisions live in the services: a record from another agency raises
``NotFound`` there, and ``app.py`` turns that into the "Page not found" page.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import Response

from jigsaw.agencies import service as agencies
from jigsaw.db import Database
from jigsaw.errors import InvalidInput, NotFound
from jigsaw.identity import service as accounts
from jigsaw.identity.dependencies import DB, CurrentActor
from jigsaw.people import service as people
from jigsaw.people.identifiers import IdentifierScheme
from jigsaw.people.schemas import AgencyRecordOut, InvolvementOut
from jigsaw.policy.actor import Actor
from jigsaw.records import service as records
from jigsaw.schemas import parse_id
from jigsaw.sharing import reminders
from jigsaw.web import labels
from jigsaw.web.child_sections import child_sections
from jigsaw.web.forms import CsrfChecked, Posted
from jigsaw.web.paging import Page, pagination
from jigsaw.web.templating import redirect, render

router = APIRouter(include_in_schema=False)

MAX_SEARCH_LENGTH = 100


def _agency_name(db: Database, actor: Actor) -> str:
    """The directory of agencies is not personal data, so reading it is not audited."""
    for agency in agencies.list_agencies(db):
        if agency.id == actor.agency_id:
            return agency.name
    return "your agency"


# The list of children
#
# The search is posted and kept in the signed session, never in an address: a child's
# name in a URL would stay in browser history, proxy and server logs and Referer headers.

SEARCH_KEY = "children_search"
SEARCH_COOKIE_BUDGET = 200
"""Characters the term may take in the session cookie's JSON, beside sign-in state and
the ids of any drafts (``drafts``): a browser drops a cookie over about 4 KB, and JSON
writes each character outside ASCII as six characters, or twelve."""


def _kept_search(raw: str) -> str:
    """The term as the session keeps it: trimmed, capped, and small enough for the cookie."""
    term = raw.strip()[:MAX_SEARCH_LENGTH]
    while len(json.dumps(term)) > SEARCH_COOKIE_BUDGET:
        term = term[:-1].rstrip()
    return term


def _search(request: Request) -> str:
    term = request.session.get(SEARCH_KEY)
    return _kept_search(term) if isinstance(term, str) else ""


def _page_href(number: int) -> str:
    return f"/?page={number}" if number > 1 else "/"


@router.get("/")
def home(request: Request, actor: CurrentActor, db: DB, page: str = "1") -> Response:
    wanted = Page.requested(page)
    if "q" in request.query_params:
        # An old bookmark or link: searching from it would bring names back into
        # addresses, so it loses the term (and the address bar stops showing it).
        return redirect(_page_href(wanted.number))
    search = _search(request)
    identifier = _identifier(request)
    identifier_error = ""
    try:
        found, total = people.list_agency_records(
            db, actor, search=search, identifier=identifier, offset=wanted.offset, limit=wanted.size
        )
    except InvalidInput as invalid:
        identifier_error = invalid.problems[0].message
        identifier = None
        found, total = people.list_agency_records(
            db, actor, search=search, offset=wanted.offset, limit=wanted.size
        )
    shown = wanted.with_total(total)
    if shown.number != wanted.number:
        found, total = people.list_agency_records(
            db, actor, search=search, identifier=identifier, offset=shown.offset, limit=shown.size
        )
        shown = shown.with_total(total)
    agency_name = _agency_name(db, actor)
    context = {
        "title": f"Children known to {agency_name}",
        "nav": "children",
        "agency_name": agency_name,
        "search": search,
        "identifier": None if identifier is None else (identifier[0].label, identifier[1]),
        "identifier_asked": _asked_identifier(request),
        "identifier_error": identifier_error,
        "identifier_schemes": [(s.value, s.label) for s in IdentifierScheme],
        "records": found,
        "page": shown,
        "pagination": pagination(shown, _page_href),
        "needs_you": reminders.needs_you(db, actor),
    }
    return render(request, "home.html", context)


@router.post("/", dependencies=CsrfChecked)
def search_children(request: Request, actor: CurrentActor, form: Posted) -> Response:
    """Keep the term for the list (or forget it, to clear the search), then show page 1."""
    search = "" if form.text("clear") else _kept_search(form.text("q"))
    if search:
        request.session[SEARCH_KEY] = search
    else:
        request.session.pop(SEARCH_KEY, None)
    if form.text("clear"):
        request.session.pop(IDENTIFIER_KEY, None)
    return redirect("/")


# Finding a child by an identifier: the scheme and the value as typed are kept in the
# session like the search term (never in an address); the people service matches the
# value normalised by its scheme's rule, in the agency's own records only.

IDENTIFIER_KEY = "children_identifier"


def _asked_identifier(request: Request) -> tuple[str, str]:
    kept = request.session.get(IDENTIFIER_KEY)
    if isinstance(kept, list) and len(kept) == 2 and all(isinstance(k, str) for k in kept):
        return kept[0], kept[1]
    return "", ""


def _identifier(request: Request) -> tuple[IdentifierScheme, str] | None:
    scheme, value = _asked_identifier(request)
    try:
        return (IdentifierScheme(scheme), value) if value else None
    except ValueError:
        return None


@router.post("/identifier", dependencies=CsrfChecked)
def find_by_identifier(request: Request, actor: CurrentActor, form: Posted) -> Response:
    """Keep the scheme and value for the list (or forget them), then show page 1."""
    scheme, value = form.text("scheme"), _kept_search(form.text("identifier"))
    if form.text("clear") or not value:
        request.session.pop(IDENTIFIER_KEY, None)
    else:
        request.session[IDENTIFIER_KEY] = [scheme, value]
    return redirect("/")


# One child's record


@dataclass(frozen=True)
class RelatedPerson:
    label: str
    record: AgencyRecordOut


@dataclass(frozen=True)
class Contact:
    who: str
    what: str
    phone: str
    email: str
    started_on: date
    ended_on: date | None


def _record_id(raw: str) -> int:
    """Path ids that are not numbers are simply pages that do not exist."""
    ident = parse_id(raw)
    if ident is None:
        raise NotFound("agency record", raw)
    return ident


def _related(db: Database, actor: Actor, record_id: int) -> list[RelatedPerson]:
    related = []
    for link in people.list_relationships(db, actor, record_id):
        if link.to_record_id == record_id:
            other, label = link.from_record_id, labels.RELATIONSHIP_TO[link.kind]
        else:
            other, label = link.to_record_id, labels.RELATIONSHIP_FROM[link.kind]
        related.append(RelatedPerson(label, people.view_agency_record(db, actor, other)))
    return related


def _contact(db: Database, involvement: InvolvementOut, agency_name: str) -> Contact:
    """Who works with the child; the practitioner's own details fill any gaps."""
    who, phone, email = agency_name, involvement.contact_phone, involvement.contact_email
    if involvement.practitioner_id is not None:
        practitioner = accounts.get_practitioner(db, involvement.practitioner_id)
        who = practitioner.name
        phone = phone or practitioner.phone
        email = email or practitioner.email
    return Contact(
        who=who,
        what=involvement.description,
        phone=phone,
        email=email,
        started_on=involvement.started_on,
        ended_on=involvement.ended_on,
    )


def _identifiers_by_scheme(record: AgencyRecordOut) -> list[tuple[str, list[str]]]:
    """The record's own identifiers but its NHS number (shown with its details), by
    scheme in the schemes' order: only ever this agency's record's, as the page is."""
    by_scheme: dict[IdentifierScheme, list[str]] = {}
    for held in record.identifiers:
        if held.scheme is not IdentifierScheme.NHS_NUMBER:
            by_scheme.setdefault(held.scheme, []).append(held.value)
    return [(s.label, sorted(by_scheme[s])) for s in IdentifierScheme if s in by_scheme]


@router.get("/children/{record_id}")
def child(request: Request, record_id: str, actor: CurrentActor, db: DB) -> Response:
    ident = _record_id(record_id)
    record = people.view_agency_record(db, actor, ident)
    agency_name = _agency_name(db, actor)
    involvements = people.list_involvements(db, actor, ident)
    context = {
        "title": f"{record.given_name} {record.family_name}",
        "nav": "children",
        "agency_name": agency_name,
        "role_label": labels.PERSON_ROLES[record.role],
        "record": record,
        "identifiers": _identifiers_by_scheme(record),
        "related": _related(db, actor, ident),
        "contacts": [_contact(db, i, agency_name) for i in involvements],
        "items": records.list_items_for_record(db, actor, ident),
        **child_sections(db, actor, record),
    }
    return render(request, "child.html", context)
