from __future__ import annotations

from fastapi import APIRouter, Depends

from jigsaw.agencies import service
from jigsaw.agencies.schemas import (
    AgencyIn,
    NewPractitionerOut,
    PractitionerChange,
    PractitionerIn,
    ServiceAccountIn,
)
from jigsaw.identity.dependencies import (
    DB,
    CurrentActor,
    RecentlyAuthenticatedActor,
    require_scopes,
)
from jigsaw.identity.schemas import AgencyOut, PractitionerOut
from jigsaw.identity.tokens import Scope
from jigsaw.schemas import Id

router = APIRouter(
    prefix="/api",
    tags=["agencies"],
    dependencies=[Depends(require_scopes(read=Scope.DIRECTORY_READ, write=Scope.DIRECTORY_WRITE))],
)


@router.get("/agencies", response_model=list[AgencyOut])
def list_agencies(_actor: CurrentActor, db: DB) -> list[AgencyOut]:
    return service.list_agencies(db)


@router.post("/agencies", response_model=AgencyOut, status_code=201)
def create_agency(body: AgencyIn, actor: RecentlyAuthenticatedActor, db: DB) -> AgencyOut:
    """For the service administrator, signed in within the last few minutes."""
    return service.create_agency(db, actor, body)


@router.post("/practitioners", response_model=NewPractitionerOut, status_code=201)
def create_practitioner(
    body: PractitionerIn, actor: RecentlyAuthenticatedActor, db: DB
) -> NewPractitionerOut:
    """Add a person's account in your own agency (or, as the service administrator, an
    agency's administrator). Leave ``password`` out: the answer carries a one-time
    enrolment code, shown only here, for the new holder to set their own password at
    ``POST /api/password-reset``; they set up an authenticator at first sign-in."""
    return service.create_practitioner(db, actor, body)


@router.patch("/practitioners/{practitioner_id}", response_model=PractitionerOut)
def change_practitioner(
    practitioner_id: Id, body: PractitionerChange, actor: RecentlyAuthenticatedActor, db: DB
) -> PractitionerOut:
    """Change an account's role, or disable or re-enable it."""
    return service.change_practitioner(db, actor, practitioner_id, body)


@router.post("/service-accounts", response_model=PractitionerOut, status_code=201)
def create_service_account(
    body: ServiceAccountIn, actor: RecentlyAuthenticatedActor, db: DB
) -> PractitionerOut:
    """Another system's identity in your agency; issue it tokens at ``POST /api/tokens``."""
    return service.create_service_account(db, actor, body)


@router.get("/service-accounts", response_model=list[PractitionerOut])
def list_service_accounts(actor: CurrentActor, db: DB) -> list[PractitionerOut]:
    return service.list_service_accounts(db, actor)
