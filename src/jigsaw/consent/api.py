from __future__ import annotations

from fastapi import APIRouter, Depends

from jigsaw.consent import service
from jigsaw.consent.schemas import (
    ConsentIn,
    ConsentOut,
    ServiceAgreementIn,
    ServiceAgreementOut,
    TransparencyIn,
    TransparencyOut,
)
from jigsaw.identity.dependencies import DB, CurrentActor, require_scopes
from jigsaw.identity.tokens import Scope
from jigsaw.schemas import Id

router = APIRouter(
    prefix="/api",
    tags=["consent and transparency"],
    dependencies=[Depends(require_scopes(read=Scope.SHARING_READ, write=Scope.SHARING_WRITE))],
)


@router.post("/transparency", response_model=TransparencyOut, status_code=201)
def record_transparency(body: TransparencyIn, actor: CurrentActor, db: DB) -> TransparencyOut:
    return service.record_transparency(db, actor, body)


@router.post("/service-agreements", response_model=ServiceAgreementOut, status_code=201)
def record_service_agreement(
    body: ServiceAgreementIn, actor: CurrentActor, db: DB
) -> ServiceAgreementOut:
    return service.record_service_agreement(db, actor, body)


@router.post("/consent", response_model=ConsentOut, status_code=201)
def record_consent(body: ConsentIn, actor: CurrentActor, db: DB) -> ConsentOut:
    return service.record_consent(db, actor, body)


@router.get("/agency-records/{record_id}/consent", response_model=list[ConsentOut])
def consent_history(record_id: Id, actor: CurrentActor, db: DB) -> list[ConsentOut]:
    return service.consent_history(db, actor, record_id)
