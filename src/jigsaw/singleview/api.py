"""JSON routes for the single view. Thin: parse, call the service, answer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from jigsaw.errors import InvalidInput
from jigsaw.identity.dependencies import DB, CurrentActor, require_scopes
from jigsaw.identity.tokens import Scope
from jigsaw.records.models import Category, Nature
from jigsaw.schemas import CalendarDate, Id, Output
from jigsaw.singleview import service
from jigsaw.singleview.schemas import (
    ChronologyFilters,
    ChronologyOut,
    FlagsOut,
    Order,
    WhoKnowsOut,
)

router = APIRouter(
    prefix="/api",
    tags=["single view"],
    dependencies=[Depends(require_scopes(read=Scope.RECORDS_READ, write=Scope.RECORDS_WRITE))],
)


class PersonRef(Output):
    person_id: int


def chronology_filters(
    category: Annotated[list[Category] | None, Query()] = None,
    agency: Annotated[list[Id] | None, Query()] = None,
    since: CalendarDate | None = None,
    until: CalendarDate | None = None,
    nature: Nature | None = None,
    order: Order = Order.OLDEST_FIRST,
) -> ChronologyFilters:
    if since is not None and until is not None and since > until:
        raise InvalidInput.one("since", "The start date must be on or before the end date")
    return ChronologyFilters(
        categories=frozenset(category or ()),
        agency_ids=frozenset(agency or ()),
        since=since,
        until=until,
        nature=nature,
        order=order,
    )


Filters = Annotated[ChronologyFilters, Depends(chronology_filters)]


@router.get("/agency-records/{record_id}/person", response_model=PersonRef)
def person_for_record(record_id: Id, actor: CurrentActor, db: DB) -> PersonRef:
    """The person your agency's record is linked to: the key to the single view."""
    return PersonRef(person_id=service.person_for_record(db, actor, record_id))


@router.get("/people/{person_id}/who-knows", response_model=WhoKnowsOut)
def who_knows(person_id: Id, actor: CurrentActor, db: DB) -> WhoKnowsOut:
    return service.who_knows(db, actor, person_id)


@router.get("/people/{person_id}/chronology", response_model=ChronologyOut)
def chronology(person_id: Id, actor: CurrentActor, db: DB, filters: Filters) -> ChronologyOut:
    return service.chronology(db, actor, person_id, filters)


@router.get(
    "/people/{person_id}/chronology.pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
def chronology_pdf(person_id: Id, actor: CurrentActor, db: DB, filters: Filters) -> Response:
    return pdf_response(service.chronology_pdf(db, actor, person_id, filters), person_id)


@router.get("/people/{person_id}/flags", response_model=FlagsOut)
def flags(person_id: Id, actor: CurrentActor, db: DB) -> FlagsOut:
    return service.pattern_flags(db, actor, person_id)


def pdf_response(body: bytes, person_id: int) -> Response:
    """A download that must not be cached on a shared or borrowed computer."""
    return Response(
        body,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="chronology-{person_id}.pdf"',
            "Cache-Control": "no-store",
        },
    )
