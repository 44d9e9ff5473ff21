"""Adding agencies and practitioners. Administrators only; every change audited."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from jigsaw.access.actor import Actor
from jigsaw.access.passwords import hash_password
from jigsaw.access.policy import Permission, require
from jigsaw.agencies.models import Agency, Practitioner
from jigsaw.agencies.schemas import AgencyIn, AgencyOut, PractitionerIn, PractitionerOut
from jigsaw.audit import service as audit
from jigsaw.audit.actions import AuditAction
from jigsaw.clock import utcnow
from jigsaw.db import Database
from jigsaw.errors import Conflict, InvalidInput, NotFound


def create_agency(db: Database, actor: Actor, data: AgencyIn) -> AgencyOut:
    require(actor, Permission.MANAGE_AGENCIES)
    with db.transaction() as session:
        if session.scalar(select(Agency.id).where(Agency.name == data.name)) is not None:
            raise Conflict(f"An agency called {data.name!r} already exists")
        agency = Agency(name=data.name, kind=data.kind, created_at=utcnow())
        session.add(agency)
        session.flush()
        audit.append(session, actor, AuditAction.AGENCY_CREATED, "agency", agency.id)
        return AgencyOut.model_validate(agency)


def create_practitioner(db: Database, actor: Actor, data: PractitionerIn) -> PractitionerOut:
    require(actor, Permission.MANAGE_PRACTITIONERS)
    with db.transaction() as session:
        if session.get(Agency, data.agency_id) is None:
            raise InvalidInput.one("agency_id", f"There is no agency with id {data.agency_id}")
        email = data.email.lower()
        if session.scalar(select(Practitioner.id).where(Practitioner.email == email)):
            raise Conflict("A practitioner with that email address already exists")
        practitioner = Practitioner(
            agency_id=data.agency_id,
            name=data.name,
            email=email,
            role=data.role,
            job_title=data.job_title,
            phone=data.phone,
            password_hash=hash_password(data.password) if data.password else None,
            active=True,
            created_at=utcnow(),
        )
        session.add(practitioner)
        try:
            session.flush()
        except IntegrityError as exc:
            raise Conflict("A practitioner with that email address already exists") from exc
        audit.append(
            session,
            actor,
            AuditAction.PRACTITIONER_CREATED,
            "practitioner",
            practitioner.id,
            refs={"agency": data.agency_id},
        )
        return PractitionerOut.model_validate(practitioner)


def list_agencies(db: Database) -> list[AgencyOut]:
    """The directory of agencies is not personal data; any signed-in user may read it."""
    with db.sessions() as session:
        rows = session.scalars(select(Agency).order_by(Agency.name))
        return [AgencyOut.model_validate(a) for a in rows]


def get_practitioner(db: Database, practitioner_id: int) -> PractitionerOut:
    with db.sessions() as session:
        practitioner = session.get(Practitioner, practitioner_id)
        if practitioner is None:
            raise NotFound("practitioner", practitioner_id)
        return PractitionerOut.model_validate(practitioner)
