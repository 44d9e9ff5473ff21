from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel

from jigsaw.errors import InvalidInput
from jigsaw.identity.dependencies import DB, CurrentActor, get_settings_for, require_scopes
from jigsaw.identity.tokens import Scope
from jigsaw.people import service
from jigsaw.people.identifiers import IdentifierScheme
from jigsaw.people.models import PersonRole
from jigsaw.people.schemas import (
    AgencyRecordIn,
    AgencyRecordOut,
    ConfirmationOut,
    InvolvementIn,
    InvolvementOut,
    NHSNumber,
    PersonOut,
    RecordToConfirm,
    RelationshipIn,
    RelationshipOut,
)
from jigsaw.schemas import MAX_ID, Id, Input, SearchText

router = APIRouter(
    prefix="/api",
    tags=["people"],
    dependencies=[Depends(require_scopes(read=Scope.RECORDS_READ, write=Scope.RECORDS_WRITE))],
)


class PersonIn(Input):
    nhs_number: NHSNumber | None = None


class AgencyRecordPage(BaseModel):
    total: int
    records: list[AgencyRecordOut]


@router.post("/persons", response_model=PersonOut, status_code=201)
def create_person(body: PersonIn, actor: CurrentActor, db: DB) -> PersonOut:
    return service.create_person(db, actor, body.nhs_number)


@router.post("/agency-records", response_model=AgencyRecordOut, status_code=201)
def create_agency_record(body: AgencyRecordIn, actor: CurrentActor, db: DB) -> AgencyRecordOut:
    return service.create_agency_record(db, actor, body)


@router.get("/agency-records", response_model=AgencyRecordPage)
def list_agency_records(
    actor: CurrentActor,
    db: DB,
    role: PersonRole | None = None,
    search: SearchText = "",
    identifier_scheme: IdentifierScheme | None = None,
    identifier: str = Query("", max_length=100),
    offset: int = Query(0, ge=0, le=MAX_ID),
    limit: int = Query(50, ge=1, le=500),
) -> AgencyRecordPage:
    """``identifier_scheme`` and ``identifier`` together find the agency's records holding
    that identifier (``?identifier_scheme=upn&identifier=B801200005001``)."""
    if bool(identifier_scheme) != bool(identifier.strip()):
        raise InvalidInput.one(
            "identifier" if identifier_scheme else "identifier_scheme",
            "Give both the identifier's scheme and its value",
        )
    records, total = service.list_agency_records(
        db,
        actor,
        role=role,
        search=search,
        identifier=(identifier_scheme, identifier) if identifier_scheme else None,
        offset=offset,
        limit=limit,
    )
    return AgencyRecordPage(total=total, records=records)


@router.get("/records-to-confirm", response_model=list[RecordToConfirm])
def records_to_confirm(actor: CurrentActor, db: DB) -> list[RecordToConfirm]:
    return service.records_to_confirm(db, actor)


@router.post(
    "/agency-records/{record_id}/confirmation", response_model=ConfirmationOut, status_code=201
)
def confirm_agency_record(
    record_id: Id, request: Request, actor: CurrentActor, db: DB
) -> ConfirmationOut:
    settling_days = get_settings_for(request).confirmer_settling_days
    return service.confirm_agency_record(db, actor, record_id, settling_days=settling_days)


@router.get("/agency-records/{record_id}", response_model=AgencyRecordOut)
def view_agency_record(record_id: Id, actor: CurrentActor, db: DB) -> AgencyRecordOut:
    return service.view_agency_record(db, actor, record_id)


@router.get("/agency-records/{record_id}/relationships", response_model=list[RelationshipOut])
def list_relationships(record_id: Id, actor: CurrentActor, db: DB) -> list[RelationshipOut]:
    return service.list_relationships(db, actor, record_id)


@router.get("/agency-records/{record_id}/involvements", response_model=list[InvolvementOut])
def list_involvements(record_id: Id, actor: CurrentActor, db: DB) -> list[InvolvementOut]:
    return service.list_involvements(db, actor, record_id)


@router.post("/relationships", response_model=RelationshipOut, status_code=201)
def create_relationship(body: RelationshipIn, actor: CurrentActor, db: DB) -> RelationshipOut:
    return service.create_relationship(db, actor, body)


@router.post("/involvements", response_model=InvolvementOut, status_code=201)
def create_involvement(body: InvolvementIn, actor: CurrentActor, db: DB) -> InvolvementOut:
    return service.create_involvement(db, actor, body)
