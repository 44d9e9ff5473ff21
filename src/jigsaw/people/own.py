"""The one rule for reaching an agency record by id: the actor's agency must hold it.

A record another agency holds is answered exactly as one that does not exist, so an id
cannot be used to learn which children other agencies know. Every service that takes a
record id from a practitioner asks here, so the rule and its wording stay the same.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from jigsaw.errors import InvalidInput, NotFound
from jigsaw.people.models import AgencyRecord
from jigsaw.policy.actor import Actor
from jigsaw.policy.authorize import Permission, is_permitted, require


def held_record(
    session: Session, actor: Actor, record_id: int, *, for_update: bool = False
) -> AgencyRecord | None:
    """The record if the actor's agency holds it, else None: for a caller that only asks."""
    record = session.get(AgencyRecord, record_id, with_for_update=for_update)
    if record is None or not is_permitted(
        actor, Permission.READ_OWN_AGENCY_RECORDS, record.agency_id
    ):
        return None
    return record


def own_record(
    session: Session, actor: Actor, record_id: int, *, for_update: bool = False
) -> AgencyRecord:
    """The record, for an id named in a path: ``NotFound`` if the agency does not hold it."""
    record = held_record(session, actor, record_id, for_update=for_update)
    if record is None:
        raise NotFound("agency record", record_id)
    return record


def own_record_field(session: Session, actor: Actor, record_id: int, field: str) -> AgencyRecord:
    """The record, for an id given in a form or body: a problem with ``field`` if not held."""
    record = held_record(session, actor, record_id)
    if record is None:
        raise InvalidInput.one(field, f"Your agency holds no record with id {record_id}")
    return record


def own_subject(
    session: Session, actor: Actor, record_id: int, field: str = "subject_record_id"
) -> AgencyRecord:
    """The record a new entry is to be about: held by the agency, and one the actor may add to."""
    record = own_record_field(session, actor, record_id, field)
    require(actor, Permission.RECORD_ABOUT_PEOPLE, record.agency_id)
    return record
