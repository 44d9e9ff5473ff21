"""FHIR routes: a person's records as a Bundle, and flag bundles received.

The register is the DPO's, so its bundle asks what the register page asks: the audit
scopes and a recent sign-in. A person, their consents and their flags are an agency's
own records, asked for with the records scopes like the people routes.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends
from fastapi.responses import Response

from jigsaw.errors import InvalidInput
from jigsaw.identity.dependencies import (
    DB,
    CurrentActor,
    RecentlyAuthenticatedActor,
    require_scopes,
)
from jigsaw.identity.tokens import Scope
from jigsaw.interop.fhir import service
from jigsaw.interop.fhir.service import FlagsReceived, What
from jigsaw.schemas import Id

FHIR_JSON = "application/fhir+json"

register_router = APIRouter(
    prefix="/api",
    tags=["FHIR"],
    dependencies=[Depends(require_scopes(read=Scope.AUDIT_READ, write=Scope.AUDIT_WRITE))],
)
router = APIRouter(
    prefix="/api",
    tags=["FHIR"],
    dependencies=[Depends(require_scopes(read=Scope.RECORDS_READ, write=Scope.RECORDS_WRITE))],
)

_BUNDLE: dict[int | str, dict[str, Any]] = {
    200: {"content": {FHIR_JSON: {}}, "description": "A FHIR R4 Bundle"}
}


def _bundle_response(db: Any, actor: Any, person_id: int, what: What) -> Response:
    bundle = service.export_bundle(db, actor, person_id, what)
    return Response(bundle.model_dump_json(), media_type=FHIR_JSON)


@register_router.get(
    "/people/{person_id}/fhir/register", response_class=Response, responses=_BUNDLE
)
def register_bundle(person_id: Id, actor: RecentlyAuthenticatedActor, db: DB) -> Response:
    """The disclosure register as AuditEvents and Provenance, as the register shows it."""
    return _bundle_response(db, actor, person_id, What.REGISTER)


@router.get("/people/{person_id}/fhir/{what}", response_class=Response, responses=_BUNDLE)
def person_bundle(person_id: Id, what: What, actor: CurrentActor, db: DB) -> Response:
    """The person (Patient, RelatedPerson), their consents (Consent) or their child
    protection flags (Flag), from your agency's own records."""
    if what is What.REGISTER:
        raise InvalidInput.one("what", "The register is at /api/people/{id}/fhir/register")
    return _bundle_response(db, actor, person_id, what)


@router.post("/fhir/flags", response_model=FlagsReceived)
def receive_flags(
    bundle: Annotated[dict[str, Any], Body(media_type=FHIR_JSON)],
    actor: CurrentActor,
    db: DB,
) -> FlagsReceived:
    """A FHIR Bundle of Flags (CP-IS style), received by your agency. All or nothing:
    one flag that cannot be matched and none are kept."""
    if actor.agency_id is None:
        raise InvalidInput.one("agency", "Flags are received by an agency: sign in as one")
    return service.receive_flags(db, actor, json.dumps(bundle), actor.agency_id)
