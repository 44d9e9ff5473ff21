"""Whom a practitioner can share with, and which colleagues they can ask or look up.

The pages offer these as choices. The same rules the decision record is checked
against choose who is offered (an agency with a safeguarding or support role, a
practitioner in a frontline role), so a practitioner is never offered a recipient
their decision would then be refused for. The directory of agencies and staff is
not information about children, so reading it is not audited.
"""

from __future__ import annotations

from sqlalchemy import select

from jigsaw.audit.reads import not_a_person_read
from jigsaw.db import Database
from jigsaw.identity.models import Agency, Practitioner
from jigsaw.identity.schemas import AgencyOut, PractitionerOut
from jigsaw.policy import scopes
from jigsaw.policy.actor import Actor
from jigsaw.policy.authorize import Permission
from jigsaw.sharing.decisions import SAFEGUARDING_AGENCIES


@not_a_person_read("The directory of agencies: names and kinds of organisations, nobody's details")
def recipient_agencies(db: Database, actor: Actor) -> list[AgencyOut]:
    """Other agencies with a safeguarding or support role, by name."""
    with db.reading() as session:
        rows = session.scalars(
            select(Agency)
            .where(Agency.kind.in_(SAFEGUARDING_AGENCIES), Agency.id != actor.agency_id)
            .order_by(Agency.name)
        )
        return [AgencyOut.model_validate(a) for a in rows]


def recipient_practitioners(db: Database, agency_id: int) -> list[PractitionerOut]:
    """People at an agency who can receive information: active, in a frontline role."""
    with db.reading() as session:
        rows = session.scalars(
            select(Practitioner)
            .where(
                Practitioner.agency_id == agency_id,
                Practitioner.active.is_(True),
                Practitioner.role.in_(scopes.recipient_roles()),
            )
            .order_by(Practitioner.name, Practitioner.id)
        )
        return [PractitionerOut.model_validate(p) for p in rows]


@not_a_person_read(
    "The directory of the actor's own colleagues, as staff, not as people worked with"
)
def colleagues(db: Database, actor: Actor) -> list[PractitionerOut]:
    """Everyone active in the actor's agency but the actor: people to ask, or to look up."""
    query = select(Practitioner).where(
        scopes.of_agency(actor, Permission.VIEW_COLLEAGUES, Practitioner.agency_id),
        Practitioner.active.is_(True),
    )
    if actor.practitioner_id is not None:
        query = query.where(Practitioner.id != actor.practitioner_id)
    with db.reading() as session:
        rows = session.scalars(query.order_by(Practitioner.name, Practitioner.id))
        return [PractitionerOut.model_validate(p) for p in rows]
