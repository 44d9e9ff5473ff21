"""Data sharing agreements over JSON, and the validity check other systems ask.

Writing is for the keeping agency's DPO or Caldicott Guardian; reading the register for
DPOs, Caldicott Guardians and auditors; the check for the front-line roles and their
systems, about a share their own agency would make or receive (policy rules G1 to G3).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends

from jigsaw.agreements import service
from jigsaw.agreements.schemas import (
    AgreementDetail,
    AgreementOut,
    ApproveIn,
    EndIn,
    EvaluationIn,
    EvaluationOut,
)
from jigsaw.identity.dependencies import DB, CurrentActor, require_scopes
from jigsaw.identity.tokens import Scope
from jigsaw.schemas import Id

Document = Annotated[
    dict[str, Any],
    Body(description="An agreement document; its JSON Schema is at /api/agreements/schema"),
]

router = APIRouter(
    prefix="/api/agreements",
    tags=["data sharing agreements"],
    dependencies=[Depends(require_scopes(read=Scope.SHARING_READ, write=Scope.SHARING_WRITE))],
)

check_router = APIRouter(
    prefix="/api/agreements",
    tags=["data sharing agreements"],
    # Asking is a read, though it is sent as a POST: a system that may only read asks too.
    dependencies=[Depends(require_scopes(read=Scope.SHARING_READ, write=Scope.SHARING_READ))],
)


@router.get("", response_model=list[AgreementOut])
def list_agreements(actor: CurrentActor, db: DB) -> list[AgreementOut]:
    return service.list_agreements(db, actor)


@router.get("/schema")
def agreement_schema(_actor: CurrentActor) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) every agreement document is checked against."""
    return service.document_schema()


@router.post("", response_model=AgreementOut, status_code=201)
def create_agreement(document: Document, actor: CurrentActor, db: DB) -> AgreementOut:
    return service.create(db, actor, document)


@router.get("/{agreement_id:int}", response_model=AgreementDetail)
def view_agreement(agreement_id: Id, actor: CurrentActor, db: DB) -> AgreementDetail:
    return service.view_agreement(db, actor, agreement_id)


@router.post("/{agreement_id:int}/approve", response_model=AgreementOut)
def approve_agreement(
    agreement_id: Id, actor: CurrentActor, db: DB, body: ApproveIn | None = None
) -> AgreementOut:
    return service.approve(db, actor, agreement_id, body.note if body else "")


@router.post("/{agreement_id:int}/supersede", response_model=AgreementOut, status_code=201)
def supersede_agreement(
    agreement_id: Id, document: Document, actor: CurrentActor, db: DB
) -> AgreementOut:
    return service.supersede(db, actor, agreement_id, document)


@router.post("/{agreement_id:int}/end", response_model=AgreementOut)
def end_agreement(agreement_id: Id, body: EndIn, actor: CurrentActor, db: DB) -> AgreementOut:
    return service.end(db, actor, agreement_id, body.ends_on, body.note)


@check_router.post("/evaluate", response_model=EvaluationOut)
def evaluate_share(body: EvaluationIn, actor: CurrentActor, db: DB) -> EvaluationOut:
    """PERMIT, DENY or REVIEW for a share between two agencies, judged on validity
    against their agreements, never on risk to the child."""
    return service.check_share(db, actor, body)
