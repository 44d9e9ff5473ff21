"""JSON routes for the link review queue. Thin: each calls one service, which asks the
policy (only linkage reviewers) and audits the look or the decision."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from jigsaw.identity.dependencies import DB, CurrentActor, require_scopes
from jigsaw.identity.tokens import Scope
from jigsaw.linkage import service
from jigsaw.linkage.schemas import (
    LinkChangeOut,
    LinkDecisionIn,
    PairAbout,
    ReviewPairOut,
    ReviewQueueOut,
    UnmergeIn,
)
from jigsaw.policy.roles import AgencyKind
from jigsaw.schemas import Id

router = APIRouter(
    prefix="/api",
    tags=["linkage"],
    dependencies=[Depends(require_scopes(read=Scope.RECORDS_READ, write=Scope.RECORDS_WRITE))],
)


@router.get("/link-reviews", response_model=ReviewQueueOut)
def review_queue(
    actor: CurrentActor,
    db: DB,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    agency: Annotated[Id | None, Query(description="Your own agency's id.")] = None,
    agency_kind: AgencyKind | None = None,
    about: Annotated[
        PairAbout | None,
        Query(description="child: both records are children's; person: any other pair."),
    ] = None,
    min_probability: Annotated[float | None, Query(ge=0, le=1)] = None,
    max_probability: Annotated[float | None, Query(ge=0, le=1)] = None,
    records: Annotated[bool, Query(description="Include both records' identity fields.")] = False,
) -> ReviewQueueOut:
    filters = service.QueueFilter(agency, agency_kind, about, min_probability, max_probability)
    waiting, total = service.review_queue(
        db, actor, limit=limit, offset=offset, filters=filters, with_records=records
    )
    return ReviewQueueOut(total=total, reviews=waiting)


@router.get("/link-reviews/{review_id}", response_model=ReviewPairOut)
def review_pair(review_id: Id, actor: CurrentActor, db: DB) -> ReviewPairOut:
    return service.review_pair(db, actor, review_id)


@router.post("/link-reviews/{review_id}/confirm", response_model=LinkChangeOut)
def confirm_link(review_id: Id, body: LinkDecisionIn, actor: CurrentActor, db: DB) -> LinkChangeOut:
    change = service.confirm_link(db, actor, review_id, body.reason)
    return LinkChangeOut.model_validate(change)


@router.post("/link-reviews/{review_id}/reject", response_model=LinkChangeOut)
def reject_link(review_id: Id, body: LinkDecisionIn, actor: CurrentActor, db: DB) -> LinkChangeOut:
    change = service.reject_link(db, actor, review_id, body.reason)
    return LinkChangeOut.model_validate(change)


@router.post("/link-reviews/{review_id}/undo", response_model=LinkChangeOut)
def undo_link(review_id: Id, body: LinkDecisionIn, actor: CurrentActor, db: DB) -> LinkChangeOut:
    change = service.undo_link(db, actor, review_id, body.reason)
    return LinkChangeOut.model_validate(change)


@router.post("/link-unmerges", response_model=LinkChangeOut)
def unmerge(body: UnmergeIn, actor: CurrentActor, db: DB) -> LinkChangeOut:
    change = service.unmerge(db, actor, body.record_ids, body.reason)
    return LinkChangeOut.model_validate(change)
