from __future__ import annotations

from fastapi import APIRouter, Depends

from jigsaw.access.tokens import Scope
from jigsaw.agencies import service
from jigsaw.agencies.schemas import AgencyIn, AgencyOut, PractitionerIn, PractitionerOut
from jigsaw.http import DB, CurrentActor, require_scopes

router = APIRouter(
    prefix="/api",
    tags=["agencies"],
    dependencies=[Depends(require_scopes(read=Scope.DIRECTORY_READ, write=Scope.DIRECTORY_WRITE))],
)


@router.get("/agencies", response_model=list[AgencyOut])
def list_agencies(_actor: CurrentActor, db: DB) -> list[AgencyOut]:
    return service.list_agencies(db)


@router.post("/agencies", response_model=AgencyOut, status_code=201)
def create_agency(body: AgencyIn, actor: CurrentActor, db: DB) -> AgencyOut:
    return service.create_agency(db, actor, body)


@router.post("/practitioners", response_model=PractitionerOut, status_code=201)
def create_practitioner(body: PractitionerIn, actor: CurrentActor, db: DB) -> PractitionerOut:
    return service.create_practitioner(db, actor, body)
