"""Pages for the single view of a child: who knows them, their chronology (with filters,
a print view and a PDF), and pattern flags with the items behind each.

Routes only translate: the query string into filters, the service's answer into a
template. Whether the practitioner may look, and what they may see, is decided in
``jigsaw.singleview.service`` and the policy; a refusal reaches the page as the
service's own reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from markupsafe import Markup

from jigsaw.agencies import service as agencies
from jigsaw.db import Database
from jigsaw.errors import NotFound
from jigsaw.identity import service as accounts
from jigsaw.identity.dependencies import DB, CurrentActor
from jigsaw.people import service as people
from jigsaw.people.models import RelationshipKind
from jigsaw.people.schemas import AgencyRecordOut
from jigsaw.policy.actor import Actor
from jigsaw.records.models import Category, Nature
from jigsaw.schemas import parse_id
from jigsaw.singleview import pictures, service
from jigsaw.singleview.api import pdf_response
from jigsaw.singleview.schemas import ChronologyFilters, ChronologyOut, Contact, Order
from jigsaw.web import labels
from jigsaw.web.forms import Form, read_date_range
from jigsaw.web.templating import redirect, render

router = APIRouter(include_in_schema=False)

SECTIONS = (
    ("chronology", "Chronology"),
    ("flags", "Patterns"),
    ("who-knows", "Who knows this child"),
    ("ecomap", "Ecomap"),
)
ABOUT: dict[str, str] = {
    "child": "The child",
    "parent": "Parent",
    "carer": "Carer",
    "sibling": "Brother or sister",
    "household_member": "Lives in the household",
    "associate": "Linked to the child",
    "carer_partner": "Partner of a parent or carer",
    "carer_household_member": "Lives with a parent or carer",
    "carer_associate": "Linked to a parent or carer",
}


def _id(raw: str, kind: str) -> int:
    ident = parse_id(raw)
    if ident is None:
        raise NotFound(kind, raw)
    return ident


def _context(person_id: int, section: str, known_as: str | None, **more: Any) -> dict[str, Any]:
    name = known_as or "this child"
    return {
        "nav": "children",
        "person_id": person_id,
        "name": name,
        "section": section,
        "sections": SECTIONS,
        "about_labels": ABOUT,
        **more,
    }


# From a child's record to the single view


def _from_record(db: Database, actor: Actor, record_id: str, section: str) -> Response:
    """The child page links here; the practitioner's own record leads to the person."""
    person_id = service.person_for_record(db, actor, _id(record_id, "agency record"))
    return redirect(f"/people/{person_id}/{section}")


@router.get("/children/{record_id}/chronology")
def chronology_of_record(record_id: str, actor: CurrentActor, db: DB) -> Response:
    return _from_record(db, actor, record_id, "chronology")


@router.get("/children/{record_id}/flags")
def flags_of_record(record_id: str, actor: CurrentActor, db: DB) -> Response:
    return _from_record(db, actor, record_id, "flags")


@router.get("/children/{record_id}/who-knows")
def who_knows_of_record(record_id: str, actor: CurrentActor, db: DB) -> Response:
    return _from_record(db, actor, record_id, "who-knows")


# Who knows this child


@router.get("/people/{person_id}/who-knows")
def who_knows(request: Request, person_id: str, actor: CurrentActor, db: DB) -> Response:
    found = service.who_knows(db, actor, _id(person_id, "person"))
    context = _context(
        found.person_id,
        "who-knows",
        found.known_as,
        title=f"Who knows {found.known_as or 'this child'}",
        agencies=found.agencies,
        names_withheld=found.names_withheld,
        other_agency_kinds=found.other_agency_kinds,
    )
    return render(request, "singleview/who_knows.html", context)


# The chronology


@dataclass
class FilterForm:
    """The filters as entered, for redisplay, and the problems with them."""

    categories: list[str]
    agencies: list[str]
    since: dict[str, str]
    until: dict[str, str]
    nature: str
    order: str
    errors: dict[str, str]


def read_filters(request: Request) -> tuple[ChronologyFilters, FilterForm]:
    """Filters from the query string; what cannot be read is reported, not guessed."""
    params = request.query_params
    flat = {k: v for k, v in params.items()}
    errors: dict[str, str] = {}
    categories = {c for c in params.getlist("category") if c in Category._value2member_map_}
    agencies = {i for i in map(parse_id, params.getlist("agency")) if i is not None}
    since, until = read_date_range(
        Form(params),
        ("since", "The start date"),
        ("until", "The end date"),
        errors,
        "The end date must be the same as or after the start date",
    )
    nature_raw = params.get("nature", "")
    order_raw = params.get("order", Order.OLDEST_FIRST.value)
    filters = ChronologyFilters(
        categories=frozenset(Category(c) for c in categories),
        agency_ids=frozenset(agencies),
        since=None if errors else since,
        until=None if errors else until,
        nature=Nature(nature_raw) if nature_raw in Nature._value2member_map_ else None,
        order=Order(order_raw) if order_raw in Order._value2member_map_ else Order.OLDEST_FIRST,
    )
    form = FilterForm(
        categories=sorted(categories),
        agencies=sorted(str(a) for a in agencies),
        since={p: flat.get(f"since-{p}", "") for p in ("day", "month", "year")},
        until={p: flat.get(f"until-{p}", "") for p in ("day", "month", "year")},
        nature=filters.nature.value if filters.nature else "",
        order=filters.order.value,
        errors=errors,
    )
    return filters, form


def _query(request: Request) -> str:
    return urlencode(list(request.query_params.multi_items()))


def _chronology(
    db: Database, actor: Actor, person_id: str, filters: ChronologyFilters, *, exported: bool
) -> ChronologyOut:
    return service.chronology(db, actor, _id(person_id, "person"), filters, exported=exported)


def _chronology_page(
    request: Request, db: Database, actor: Actor, person_id: str, *, exported: bool
) -> tuple[ChronologyOut, FilterForm, str, dict[str, Any]]:
    """The chronology and the context its page and its print view share."""
    filters, form = read_filters(request)
    found = _chronology(db, actor, person_id, filters, exported=exported)
    context = _context(
        found.person_id,
        "chronology",
        found.known_as,
        title=f"Chronology for {found.known_as or 'this child'}",
        chronology=found,
        filters=filters,
        form=form,
        # Escaped text only (pictures.timeline escapes every name and summary it draws).
        timeline=Markup(pictures.timeline(found.entries)),  # noqa: S704
    )
    return found, form, _query(request), context


@router.get("/people/{person_id}/chronology")
def chronology(request: Request, person_id: str, actor: CurrentActor, db: DB) -> Response:
    _, form, query, context = _chronology_page(request, db, actor, person_id, exported=False)
    context.update(query=f"?{query}" if query else "")
    days = {field: f"#{field}-day" for field in form.errors}
    return render(request, "singleview/chronology.html", context, errors=form.errors, anchors=days)


@router.get("/people/{person_id}/chronology/print")
def chronology_print(request: Request, person_id: str, actor: CurrentActor, db: DB) -> Response:
    found, _, query, context = _chronology_page(request, db, actor, person_id, exported=True)
    context.update(
        back=f"/people/{found.person_id}/chronology" + (f"?{query}" if query else ""),
    )
    return render(request, "singleview/chronology_print.html", context)


@router.get("/people/{person_id}/chronology/download")
def chronology_download(request: Request, person_id: str, actor: CurrentActor, db: DB) -> Response:
    filters, _ = read_filters(request)
    ident = _id(person_id, "person")
    return pdf_response(service.chronology_pdf(db, actor, ident, filters), ident)


# Pattern flags


@router.get("/people/{person_id}/flags")
def flags(request: Request, person_id: str, actor: CurrentActor, db: DB) -> Response:
    found = service.pattern_flags(db, actor, _id(person_id, "person"))
    context = _context(
        found.person_id,
        "flags",
        found.known_as,
        title=f"Patterns for {found.known_as or 'this child'}",
        found=found,
    )
    return render(request, "singleview/flags.html", context)


# The ecomap


CARERS = frozenset({RelationshipKind.PARENT, RelationshipKind.CARER})
"""Relationships that make someone a parent or carer of the child, whose own partners
and household the ecomap shows beside them."""


def _relatives(db: Database, actor: Actor, record_id: int) -> list[pictures.Relative]:
    """The people the viewer's agency has related to its record of the child, and then
    to each of the child's parents and carers: the second ring is drawn beside the
    carer it runs through.

    Every relationship read is the agency's own (``list_relationships`` is audited and
    refuses another agency's record), so the picture never shows more than the child
    page and the carer's own page would.
    """
    direct: list[tuple[pictures.Relative, bool]] = []
    for link in people.list_relationships(db, actor, record_id):
        if link.to_record_id == record_id:
            other, label = link.from_record_id, labels.RELATIONSHIP_TO[link.kind]
            carer = link.kind in CARERS
        else:
            other, label = link.to_record_id, labels.RELATIONSHIP_FROM[link.kind]
            carer = False
        them = people.view_agency_record(db, actor, other)
        name = f"{them.given_name} {them.family_name}"
        direct.append((pictures.Relative(them.id, name, label), carer))
    placed = {record_id} | {relative.record_id for relative, _ in direct}
    found: list[pictures.Relative] = []
    for relative, carer in direct:
        found.append(relative)
        if not carer:
            continue
        for link in people.list_relationships(db, actor, relative.record_id):
            if link.to_record_id == relative.record_id:
                other, wording = link.from_record_id, labels.RELATIONSHIP_OF_CARER_TO
            else:
                other, wording = link.to_record_id, labels.RELATIONSHIP_OF_CARER_FROM
            if other in placed:
                continue
            placed.add(other)
            them = people.view_agency_record(db, actor, other)
            found.append(
                pictures.Relative(
                    them.id,
                    f"{them.given_name} {them.family_name}",
                    wording[link.kind].format(carer=relative.name),
                    through=relative.record_id,
                )
            )
    return found


def _workers(contacts: list[Contact]) -> tuple[pictures.Worker, ...]:
    return tuple(
        pictures.Worker(c.name, c.job_title or c.description)
        if c.name
        else pictures.Worker(c.description, "")
        for c in contacts
    )


def _knowers(db: Database, actor: Actor, record: AgencyRecordOut) -> list[pictures.Knower]:
    """Who knows the child, from the same service as "Who knows this child".

    A record not yet linked to anyone has only the viewer's own agency behind it, with
    the workers that agency recorded.
    """
    if record.person_id is None:
        own = next((a for a in agencies.list_agencies(db) if a.id == actor.agency_id), None)
        workers = []
        for involvement in people.list_involvements(db, actor, record.id):
            if involvement.ended_on is not None:
                continue
            name = involvement.description
            what = ""
            if involvement.practitioner_id is not None:
                practitioner = accounts.get_practitioner(db, involvement.practitioner_id)
                name, what = practitioner.name, involvement.description
            workers.append(pictures.Worker(name, what))
        return [
            pictures.Knower(
                str(actor.agency_id),
                own.name if own else "Your agency",
                "Your agency",
                own=True,
                workers=tuple(workers),
            )
        ]
    found = service.who_knows(db, actor, record.person_id)
    knowers = [
        pictures.Knower(
            str(a.agency_id),
            a.agency_name,
            "Your agency"
            if a.own_agency
            else f"{labels.AGENCY_KINDS[a.agency_kind]}. Known since {a.known_since:%B %Y}",
            own=a.own_agency,
            workers=_workers(a.contacts),
        )
        for a in found.agencies
    ]
    knowers.extend(
        pictures.Knower(
            f"kind-{index}",
            labels.AGENCY_KINDS[kind],
            "Named once your record is confirmed",
        )
        for index, kind in enumerate(found.other_agency_kinds)
    )
    return knowers


@router.get("/people/{person_id}/ecomap")
def ecomap_of_person(person_id: str, actor: CurrentActor, db: DB) -> Response:
    """From the single view to the ecomap, drawn from the viewer's own record of the child."""
    record_id = service.record_for_person(db, actor, _id(person_id, "person"))
    return redirect(f"/children/{record_id}/ecomap")


@router.get("/children/{record_id}/ecomap")
def ecomap(request: Request, record_id: str, actor: CurrentActor, db: DB) -> Response:
    """The child at the centre, with their family and the agencies and workers around them.

    Drawn only from what the child page and "Who knows this child" already show the
    viewer: relationships their own agency recorded, and who knows the child by the
    same policy-checked service, so the picture can never show more.
    """
    ident = _id(record_id, "agency record")
    record = people.view_agency_record(db, actor, ident)
    name = f"{record.given_name} {record.family_name}"
    relatives = _relatives(db, actor, ident)
    knowers = _knowers(db, actor, record)
    drawn = {
        "title": f"Ecomap for {name}",
        "heading": "Ecomap",
        "record": record,
        "relatives": relatives,
        "knowers": knowers,
        # Escaped text only (pictures.ecomap escapes every name it draws).
        "ecomap": Markup(pictures.ecomap(name, relatives, knowers)),  # noqa: S704
    }
    if record.person_id is None:
        context = {"nav": "children", "name": name, "layout": "singleview/_record_layout.html"}
    else:
        context = _context(record.person_id, "ecomap", name, layout="singleview/_layout.html")
    return render(request, "singleview/ecomap.html", {**context, **drawn})
