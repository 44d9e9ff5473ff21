from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse

from jigsaw.audit import service
from jigsaw.audit.keys import signer_for
from jigsaw.audit.schemas import ConsistencyProof, InclusionProof
from jigsaw.errors import NotFound
from jigsaw.http import DB, CurrentActor

router = APIRouter(prefix="/api/audit", tags=["audit log"])


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
    entry: int = Query(ge=0),
    tree_size: int | None = Query(None, ge=1),
) -> InclusionProof:
    return service.prove_inclusion(db, entry, tree_size)


@router.get("/proofs/consistency", response_model=ConsistencyProof)
def consistency(
    _actor: CurrentActor,
    db: DB,
    old_size: int = Query(ge=1),
    new_size: int | None = Query(None, ge=1),
) -> ConsistencyProof:
    return service.prove_consistency(db, old_size, new_size)
