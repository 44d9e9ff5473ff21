"""Recording, correcting and retracting information items.

Nothing here updates or deletes a row: a correction adds the next version, a
retraction adds a retraction row. Readers see the latest version and its history.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from jigsaw import events
from jigsaw.audit import service as audit
from jigsaw.audit.actions import AuditAction
from jigsaw.audit.reads import audited_read
from jigsaw.clock import utcnow
from jigsaw.db import Database
from jigsaw.errors import Conflict, InvalidInput, NotFound
from jigsaw.people.own import own_record, own_subject
from jigsaw.policy.actor import Actor
from jigsaw.policy.authorize import Permission, is_permitted, require
from jigsaw.records.events import ItemCorrected, ItemRecorded, ItemRetracted
from jigsaw.records.models import InformationItem, ItemRetraction
from jigsaw.records.schemas import CorrectionIn, ItemIn, ItemOut, RetractionIn


def _visible_item(session: Session, actor: Actor, item_id: int) -> InformationItem:
    item = session.get(InformationItem, item_id)
    if item is None or not is_permitted(actor, Permission.READ_OWN_AGENCY_RECORDS, item.agency_id):
        raise NotFound("information item", item_id)
    return item


def _present(session: Session, items: list[InformationItem]) -> list[ItemOut]:
    """Item views with their retracted and superseded state, in two queries."""
    ids = [i.id for i in items]
    chains = {i.chain_id for i in items}
    superseded = set(
        session.scalars(
            select(InformationItem.supersedes_id).where(InformationItem.supersedes_id.in_(ids))
        )
    )
    retracted = set(
        session.scalars(select(ItemRetraction.item_id).where(ItemRetraction.item_id.in_(chains)))
    )
    return [
        ItemOut.model_validate(item).model_copy(
            update={"superseded": item.id in superseded, "retracted": item.chain_id in retracted}
        )
        for item in items
    ]


def _out(session: Session, item: InformationItem) -> ItemOut:
    return _present(session, [item])[0]


def record_item(db: Database, actor: Actor, data: ItemIn) -> ItemOut:
    with db.transaction() as session:
        subject = own_subject(session, actor, data.subject_record_id)
        item = InformationItem(
            **data.model_dump(),
            agency_id=subject.agency_id,
            author_id=actor.practitioner_id,
            recorded_at=utcnow(),
            version=1,
        )
        refs = {"agency_record": subject.id}
        audit.append_new(
            session, actor, item, AuditAction.ITEM_RECORDED, "information_item", refs=refs
        )
        events.publish(session, ItemRecorded(item.id, actor))
        return _out(session, item)


def correct_item(db: Database, actor: Actor, item_id: int, data: CorrectionIn) -> ItemOut:
    """Add a new version; the old one stays readable as history."""
    with db.transaction() as session:
        previous = _visible_item(session, actor, item_id)
        require(actor, Permission.RECORD_ABOUT_PEOPLE, previous.agency_id)
        if data.subject_record_id != previous.subject_record_id:
            raise InvalidInput.one(
                "subject_record_id", "A correction must be about the same person as the original"
            )
        successor = select(InformationItem.id).where(InformationItem.supersedes_id == previous.id)
        if session.scalar(successor) is not None:
            raise Conflict("This is not the latest version; correct the latest version instead")
        fields = data.model_dump(exclude={"reason"})
        item = InformationItem(
            **fields,
            agency_id=previous.agency_id,
            author_id=actor.practitioner_id,
            recorded_at=utcnow(),
            supersedes_id=previous.id,
            root_id=previous.chain_id,
            version=previous.version + 1,
        )
        refs = {"supersedes": previous.id}
        audit.append_new(
            session, actor, item, AuditAction.ITEM_CORRECTED, "information_item", refs=refs
        )
        events.publish(session, ItemCorrected(item.id))
        return _out(session, item)


def retract_item(db: Database, actor: Actor, item_id: int, data: RetractionIn) -> ItemOut:
    with db.transaction() as session:
        item = _visible_item(session, actor, item_id)
        require(actor, Permission.RECORD_ABOUT_PEOPLE, item.agency_id)
        first = item.chain_id
        if session.scalar(select(ItemRetraction.id).where(ItemRetraction.item_id == first)):
            raise Conflict("This item has already been retracted")
        session.add(
            ItemRetraction(
                item_id=first,
                retracted_by=actor.practitioner_id,
                reason=data.reason,
                retracted_at=utcnow(),
            )
        )
        session.flush()
        audit.append(session, actor, AuditAction.ITEM_RETRACTED, "information_item", first)
        events.publish(session, ItemRetracted(item.id))
        return _out(session, item)


@audited_read(AuditAction.ITEM_VIEWED)
def view_item(db: Database, actor: Actor, item_id: int) -> ItemOut:
    with db.transaction() as session:
        item = _visible_item(session, actor, item_id)
        audit.append(session, actor, AuditAction.ITEM_VIEWED, "information_item", item.id)
        return _out(session, item)


@audited_read(AuditAction.AGENCY_RECORD_VIEWED)
def list_items_for_record(
    db: Database, actor: Actor, record_id: int, *, include_history: bool = False
) -> list[ItemOut]:
    """Items an agency holds about one of its records, most recent event first.

    By default only the latest version of each item is returned; corrected
    versions appear with ``include_history``.
    """
    with db.transaction() as session:
        own_record(session, actor, record_id)
        query = select(InformationItem).where(InformationItem.subject_record_id == record_id)
        if not include_history:
            later = aliased(InformationItem)
            query = query.where(
                ~select(later.id).where(later.supersedes_id == InformationItem.id).exists()
            )
        items = list(
            session.scalars(query.order_by(InformationItem.occurred_on.desc(), InformationItem.id))
        )
        audit.append(
            session,
            actor,
            AuditAction.AGENCY_RECORD_VIEWED,
            "agency_record",
            record_id,
            refs={"items": [i.id for i in items]},
        )
        return _present(session, items)
