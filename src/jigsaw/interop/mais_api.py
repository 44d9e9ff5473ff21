"""JSON routes for MAIS request objects and a request's PROV-O trail.

Scoped like the request API they sit beside (``sharing:read`` to export, ``sharing:write``
to import): a case management system holding its agency's service-account token
imports requests as that agency, and either agency a request is between can export it.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request, Response
from fastapi.responses import JSONResponse

from jigsaw.identity.dependencies import DB, CurrentActor, require_scopes
from jigsaw.identity.tokens import Scope
from jigsaw.interop import mais, prov
from jigsaw.schemas import Id, Output
from jigsaw.sharing.api import TimescaleProfile

router = APIRouter(
    prefix="/api",
    tags=["interop"],
    dependencies=[Depends(require_scopes(read=Scope.SHARING_READ, write=Scope.SHARING_WRITE))],
)

JSON_LD = "application/ld+json"


class ImportedOut(Output):
    request_id: int
    created: bool
    """False when this object had been imported before: the request it made is answered."""


def _system(request: Request) -> str:
    return str(request.app.state.settings.mais_system)


async def _each_key_once(request: Request) -> None:
    """An object naming a field twice is refused (``mais.read``); the body as parsed for
    the route keeps only one of the two, so the check reads the body as sent."""
    try:
        mais.read(await request.body())
    except (ValueError, RecursionError):
        return  # not JSON: the route's own reading of the body answers that


@router.post(
    "/mais/requests",
    response_model=ImportedOut,
    status_code=201,
    dependencies=[Depends(_each_key_once)],
    responses={200: {"description": "Imported before: the request it made", "model": ImportedOut}},
)
def import_request(
    body: Annotated[Any, Body(description="A MAIS request object (`GET /api/mais/schema`).")],
    actor: CurrentActor,
    db: DB,
    profile: TimescaleProfile,
    request: Request,
    response: Response,
) -> ImportedOut:
    """Make the request a MAIS request object describes, once: the same object again
    answers 200 with the request the first import made."""
    imported = mais.import_request(db, actor, body, profile, system=_system(request))
    if not imported.created:
        response.status_code = 200
    response.headers["Location"] = f"/api/requests/{imported.request_id}"
    return ImportedOut(request_id=imported.request_id, created=imported.created)


@router.get("/mais/schema")
def mais_schema(_actor: CurrentActor) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) a MAIS request object must meet."""
    return mais.schema()


@router.get("/requests/{request_id}/mais")
def export_request(request_id: Id, actor: CurrentActor, db: DB, request: Request) -> dict[str, Any]:
    """The request as a MAIS request object."""
    return mais.export_request(db, actor, request_id, system=_system(request))


@router.get(
    "/requests/{request_id}/prov",
    response_class=JSONResponse,
    responses={200: {"content": {JSON_LD: {}}}},
)
def export_provenance(request_id: Id, actor: CurrentActor, db: DB, request: Request) -> Response:
    """The request's life (request, agreement evaluation, decision, disclosures,
    acknowledgement) as W3C PROV-O in JSON-LD, each step tied to its audit entry."""
    document = prov.export_provenance(db, actor, request_id, system=_system(request))
    return JSONResponse(document, media_type=JSON_LD)
