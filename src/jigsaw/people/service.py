"""Recording how an agency knows a person, who they are related to, and who works with them."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from jigsaw.access.actor import Actor
from jigsaw.access.policy import Permission, is_permitted, require
from jigsaw.agencies.models import Agency, Practitioner
from jigsaw.audit import service as audit
from jigsaw.audit.actions import AuditAction
from jigsaw.clock import utcnow
from jigsaw.db import Database
from jigsaw.errors import Conflict, InvalidInput, NotFound
from jigsaw.people.models import AgencyRecord, Involvement, Person, PersonRole, Relationship
from jigsaw.people.nhs_number import normalise
from jigsaw.people.schemas import (
    AgencyRecordIn,
    AgencyRecordOut,
    InvolvementIn,
    InvolvementOut,
    PersonOut,
    RelationshipIn,
    RelationshipOut,
)


def _own_record(session: Session, actor: Actor, record_id: int, field: str) -> AgencyRecord:
    """Load a record the actor's agency holds; others' records look absent, not forbidden."""
    record = session.get(AgencyRecord, record_id)
    if record is None or not _may_read(actor, record.agency_id):
        raise InvalidInput.one(field, f"Your agency holds no record with id {record_id}")
    return record


def _may_read(actor: Actor, agency_id: int) -> bool:
    return is_permitted(actor, Permission.READ_OWN_AGENCY_RECORDS, agency_id)


def create_person(db: Database, actor: Actor, nhs_number: str | None) -> PersonOut:
    require(actor, Permission.RECORD_ABOUT_PEOPLE, actor.agency_id)
    with db.transaction() as session:
        person = Person(
            nhs_number=normalise(nhs_number) if nhs_number else None, created_at=utcnow()
        )
        session.add(person)
        session.flush()
        audit.append(session, actor, AuditAction.PERSON_CREATED, "person", person.id)
        return PersonOut.model_validate(person)


def create_agency_record(db: Database, actor: Actor, data: AgencyRecordIn) -> AgencyRecordOut:
    require(actor, Permission.RECORD_ABOUT_PEOPLE, data.agency_id)
    with db.transaction() as session:
        if session.get(Agency, data.agency_id) is None:
            raise InvalidInput.one("agency_id", f"There is no agency with id {data.agency_id}")
        clash = select(AgencyRecord.id).where(
            AgencyRecord.agency_id == data.agency_id, AgencyRecord.local_id == data.local_id
        )
        if session.scalar(clash) is not None:
            raise Conflict(f"Your agency already has a record with local id {data.local_id!r}")
        record = AgencyRecord(**data.model_dump(), created_at=utcnow())
        session.add(record)
        session.flush()
        audit.append(
            session,
            actor,
            AuditAction.AGENCY_RECORD_CREATED,
            "agency_record",
            record.id,
            refs={"agency": data.agency_id},
        )
        return AgencyRecordOut.model_validate(record)


def view_agency_record(db: Database, actor: Actor, record_id: int) -> AgencyRecordOut:
    """Read one record; the access itself is audited, as every read of a person is."""
    with db.transaction() as session:
        record = session.get(AgencyRecord, record_id)
        if record is None or not _may_read(actor, record.agency_id):
            raise NotFound("agency record", record_id)
        audit.append(session, actor, AuditAction.AGENCY_RECORD_VIEWED, "agency_record", record.id)
        return AgencyRecordOut.model_validate(record)


def list_agency_records(
    db: Database,
    actor: Actor,
    *,
    role: PersonRole | None = PersonRole.CHILD,
    search: str = "",
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[AgencyRecordOut], int]:
    """The actor's own agency's records, newest first, with a total for paging."""
    require(actor, Permission.READ_OWN_AGENCY_RECORDS, actor.agency_id)
    query = select(AgencyRecord).where(AgencyRecord.agency_id == actor.agency_id)
    if role is not None:
        query = query.where(AgencyRecord.role == role)
    if search:
        term = f"%{search.strip().lower()}%"
        query = query.where(
            or_(
                func.lower(AgencyRecord.family_name).like(term),
                func.lower(AgencyRecord.given_name).like(term),
                AgencyRecord.local_id == search.strip(),
            )
        )
    with db.sessions() as session:
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = session.scalars(
            query.order_by(AgencyRecord.family_name, AgencyRecord.given_name, AgencyRecord.id)
            .offset(offset)
            .limit(limit)
        )
        return [AgencyRecordOut.model_validate(r) for r in rows], total


def create_relationship(db: Database, actor: Actor, data: RelationshipIn) -> RelationshipOut:
    require(actor, Permission.RECORD_ABOUT_PEOPLE, actor.agency_id)
    if data.from_record_id == data.to_record_id:
        raise InvalidInput.one("to_record_id", "A person cannot be related to themselves")
    with db.transaction() as session:
        source = _own_record(session, actor, data.from_record_id, "from_record_id")
        target = _own_record(session, actor, data.to_record_id, "to_record_id")
        if source.agency_id != target.agency_id:
            raise InvalidInput.one("to_record_id", "Both records must belong to the same agency")
        relationship = Relationship(
            agency_id=source.agency_id,
            from_record_id=source.id,
            to_record_id=target.id,
            kind=data.kind,
            created_at=utcnow(),
        )
        session.add(relationship)
        session.flush()
        audit.append(
            session,
            actor,
            AuditAction.RELATIONSHIP_CREATED,
            "relationship",
            relationship.id,
            refs={"from_record": source.id, "to_record": target.id},
        )
        return RelationshipOut.model_validate(relationship)


def create_involvement(db: Database, actor: Actor, data: InvolvementIn) -> InvolvementOut:
    require(actor, Permission.RECORD_ABOUT_PEOPLE, actor.agency_id)
    with db.transaction() as session:
        record = _own_record(session, actor, data.agency_record_id, "agency_record_id")
        if data.practitioner_id is not None:
            practitioner = session.get(Practitioner, data.practitioner_id)
            if practitioner is None or practitioner.agency_id != record.agency_id:
                raise InvalidInput.one(
                    "practitioner_id",
                    "The practitioner must work for the agency holding the record",
                )
        involvement = Involvement(**data.model_dump(), created_at=utcnow())
        session.add(involvement)
        session.flush()
        audit.append(
            session,
            actor,
            AuditAction.INVOLVEMENT_CREATED,
            "involvement",
            involvement.id,
            refs={"agency_record": record.id},
        )
        return InvolvementOut.model_validate(involvement)


def list_relationships(db: Database, actor: Actor, record_id: int) -> list[RelationshipOut]:
    with db.sessions() as session:
        _own_record(session, actor, record_id, "record_id")
        rows = session.scalars(
            select(Relationship)
            .where(
                or_(
                    Relationship.from_record_id == record_id, Relationship.to_record_id == record_id
                )
            )
            .order_by(Relationship.id)
        )
        return [RelationshipOut.model_validate(r) for r in rows]


def list_involvements(db: Database, actor: Actor, record_id: int) -> list[InvolvementOut]:
    with db.sessions() as session:
        _own_record(session, actor, record_id, "record_id")
        rows = session.scalars(
            select(Involvement)
            .where(Involvement.agency_record_id == record_id)
            .order_by(Involvement.id)
        )
        return [InvolvementOut.model_validate(r) for r in rows]
