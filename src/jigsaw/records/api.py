from __future__ import annotations

from fastapi import APIRouter, Depends

from jigsaw.identity.dependencies import DB, CurrentActor, require_scopes
from jigsaw.identity.tokens import Scope
from jigsaw.records import service
from jigsaw.records.schemas import CorrectionIn, ItemIn, ItemOut, RetractionIn
from jigsaw.schemas import Id

router = APIRouter(
    prefix="/api",
    tags=["information items"],
    dependencies=[Depends(require_scopes(read=Scope.RECORDS_READ, write=Scope.RECORDS_WRITE))],
)


@router.post("/items", response_model=ItemOut, status_code=201)
def record_item(body: ItemIn, actor: CurrentActor, db: DB) -> ItemOut:
    return service.record_item(db, actor, body)


@router.get("/items/{item_id}", response_model=ItemOut)
def view_item(item_id: Id, actor: CurrentActor, db: DB) -> ItemOut:
    return service.view_item(db, actor, item_id)


@router.post("/items/{item_id}/corrections", response_model=ItemOut, status_code=201)
def correct_item(item_id: Id, body: CorrectionIn, actor: CurrentActor, db: DB) -> ItemOut:
    return service.correct_item(db, actor, item_id, body)


@router.post("/items/{item_id}/retraction", response_model=ItemOut, status_code=201)
def retract_item(item_id: Id, body: RetractionIn, actor: CurrentActor, db: DB) -> ItemOut:
    return service.retract_item(db, actor, item_id, body)


@router.get("/agency-records/{record_id}/items", response_model=list[ItemOut])
def list_items(
    record_id: Id, actor: CurrentActor, db: DB, include_history: bool = False
) -> list[ItemOut]:
    return service.list_items_for_record(db, actor, record_id, include_history=include_history)
