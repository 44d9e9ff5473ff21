"""The audit log and the oversight views over JSON.

Signed checkpoints, the verifier key and proofs let an outsider check the log; the
access log, alerts and disclosure register are what a DPO or a family is shown from
it. All live under ``/api/audit`` with its token scopes. The log itself (``audit``)
knows nothing of the web or of who is signed in; this is its edge.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import PlainTextResponse

from jigsaw.audit import service
from jigsaw.audit.checkpoint_key import signer_for
from jigsaw.audit.schemas import ConsistencyProof, InclusionProof
from jigsaw.breakglass import service as breakglass
from jigsaw.errors import InvalidInput, NotFound
from jigsaw.identity.dependencies import (
    DB,
    CurrentActor,
    RecentlyAuthenticatedActor,
    require_scopes,
)
from jigsaw.identity.tokens import Scope
from jigsaw.oversight import access_log, register
from jigsaw.oversight.access_log import AccessEntry, BreakGlassReview
from jigsaw.oversight.register import Register
from jigsaw.schemas import MAX_ID, Id

router = APIRouter(
    prefix="/api/audit",
    tags=["audit log"],
    dependencies=[Depends(require_scopes(read=Scope.AUDIT_READ, write=Scope.AUDIT_WRITE))],
)


@router.get("/checkpoint", response_class=PlainTextResponse)
def latest_checkpoint(_actor: CurrentActor, db: DB) -> str:
    """The latest signed tree head, as a C2SP signed note."""
    checkpoint = service.latest_checkpoint(db)
    if checkpoint is None:
        raise NotFound("checkpoint", "latest")
    return checkpoint.note


@router.post("/checkpoint", response_class=PlainTextResponse, status_code=201)
def make_checkpoint(_actor: CurrentActor, db: DB, request: Request) -> str:
    return service.make_checkpoint(db, signer_for(request.app.state.settings)).note


@router.get("/verifier-key", response_class=PlainTextResponse)
def verifier_key(request: Request) -> str:
    """Public: what anyone needs to check a checkpoint from this log."""
    return signer_for(request.app.state.settings).verifier.encoded()


@router.get("/proofs/inclusion", response_model=InclusionProof)
def inclusion(
    _actor: CurrentActor,
    db: DB,
    entry: int = Query(ge=0, le=MAX_ID),
    tree_size: int | None = Query(None, ge=1, le=MAX_ID),
) -> InclusionProof:
    return service.prove_inclusion(db, entry, tree_size)


@router.get("/proofs/consistency", response_model=ConsistencyProof)
def consistency(
    _actor: CurrentActor,
    db: DB,
    old_size: int = Query(ge=1, le=MAX_ID),
    new_size: int | None = Query(None, ge=1, le=MAX_ID),
) -> ConsistencyProof:
    return service.prove_consistency(db, old_size, new_size)


@router.get("/access-log", response_model=list[AccessEntry])
def read_access_log(
    actor: CurrentActor,
    db: DB,
    practitioner_id: Id | None = None,
    record_id: Id | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = Query(200, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=MAX_ID),
) -> list[AccessEntry]:
    return access_log.access_log(
        db,
        actor,
        practitioner_id=practitioner_id,
        record_id=record_id,
        since=since,
        until=until,
        limit=limit,
        offset=offset,
    )


@router.get("/alerts", response_model=list[AccessEntry])
def read_alerts(actor: CurrentActor, db: DB) -> list[AccessEntry]:
    return access_log.alerts(db, actor)


@router.get("/register", response_model=Register)
def disclosure_register(
    actor: RecentlyAuthenticatedActor,
    db: DB,
    person_id: Id | None = None,
    record_id: Id | None = None,
) -> Register:
    if (person_id is None) == (record_id is None):
        raise InvalidInput.one("person_id", "Give either person_id or record_id")
    return register.build_register(db, actor, person_id=person_id, record_id=record_id)


@router.get("/register.csv", response_class=PlainTextResponse)
def disclosure_register_csv(
    actor: RecentlyAuthenticatedActor,
    db: DB,
    person_id: Id | None = None,
    record_id: Id | None = None,
) -> PlainTextResponse:
    built = disclosure_register(actor, db, person_id, record_id)
    return PlainTextResponse(register.register_csv(built), media_type="text/csv")


break_glass_router = APIRouter(prefix="/api", tags=["break-glass"])
"""Declares no token scopes, so API tokens are refused, as on the other break-glass routes."""


@break_glass_router.get("/break-glass", response_model=list[BreakGlassReview])
def break_glass_sessions(actor: CurrentActor, db: DB) -> list[BreakGlassReview]:
    """The actor's own active emergency sessions; and, for a Data Protection Officer,
    Caldicott Guardian or auditor, the sessions they review: the child, the ground and
    reason given, and everything read under each."""
    reviews = (
        access_log.break_glass_reviews(db, actor)
        if access_log.may_review_break_glass(actor)
        else []
    )
    listed = {r.id for r in reviews}
    own = [
        BreakGlassReview(**s.model_dump(), agency_id=actor.agency_id or 0)
        for s in breakglass.mine(db, actor)
        if s.id not in listed
    ]
    return [*own, *reviews]
