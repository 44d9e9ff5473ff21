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
from jigsaw.clock import UK_TIME, utcnow
from jigsaw.db import Database
from jigsaw.errors import Conflict, InvalidInput, NotFound
from jigsaw.people.models import AgencyRecord
from jigsaw.people.own import own_record, own_subject
from jigsaw.policy.actor import Actor
from jigsaw.policy.authorize import Permission, is_permitted, require
from jigsaw.records.events import ItemCorrected, ItemRecorded, ItemRetracted
from jigsaw.records.models import InformationItem, ItemRetraction
from jigsaw.records.schemas import (
    CorrectionIn,
    ItemHistoryOut,
    ItemIn,
    ItemOut,
    RetractionIn,
    RetractionOut,
)
from jigsaw.records.types import OTHER, shipped_types


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


def _content(data: ItemIn) -> dict[str, object]:
    """The item's fields, its type checked against the controlled list.

    A type outside the list is refused, so every rule keyed on a type (a pattern flag,
    Operation Encompass) sees every item of that type; "other" must say what it is.
    """
    problem = shipped_types().problem(data.subtype, data.subtype_other)
    if problem is not None:
        raise InvalidInput.one(*problem)
    fields = data.model_dump(exclude={"reason"})
    if data.subtype != OTHER:
        fields["subtype_other"] = None
    return fields


def record_item(db: Database, actor: Actor, data: ItemIn) -> ItemOut:
    fields = _content(data)
    with db.transaction() as session:
        subject = own_subject(session, actor, data.subject_record_id)
        return _out(session, _add_item(session, actor, subject, fields))


def add_item(
    session: Session, actor: Actor, subject: AgencyRecord, data: ItemIn
) -> InformationItem:
    """Record an item in the caller's transaction, about a record the caller has already
    checked the actor's agency holds and may add to (an import that found it by its
    local id): the same checks, row, audit entry and event as ``record_item``."""
    require(actor, Permission.RECORD_ABOUT_PEOPLE, subject.agency_id)
    return _add_item(session, actor, subject, _content(data))


def _add_item(
    session: Session, actor: Actor, subject: AgencyRecord, fields: dict[str, object]
) -> InformationItem:
    item = InformationItem(
        **fields,
        agency_id=subject.agency_id,
        author_id=actor.practitioner_id,
        recorded_at=utcnow(),
        version=1,
    )
    refs = {"agency_record": subject.id}
    audit.append_new(session, actor, item, AuditAction.ITEM_RECORDED, "information_item", refs=refs)
    events.publish(session, ItemRecorded(item.id, actor))
    return item


def _lock_chain(session: Session, first_id: int) -> None:
    """Hold the chain's first version until the transaction ends.

    A correction and a retraction of the same item both take this lock first, so one
    waits for the other and then sees it: an item is never corrected after (or while)
    it is withdrawn. Two corrections racing are also kept apart by ``supersedes_id``
    being unique.
    """
    session.execute(
        select(InformationItem.id).where(InformationItem.id == first_id).with_for_update()
    )


def correct_item(db: Database, actor: Actor, item_id: int, data: CorrectionIn) -> ItemOut:
    """Add a new version; the old one stays readable as history."""
    with db.transaction() as session:
        previous = _visible_item(session, actor, item_id)
        return _out(session, add_version(session, actor, previous, data))


def add_version(
    session: Session, actor: Actor, previous: InformationItem, data: CorrectionIn
) -> InformationItem:
    """Correct ``previous`` in the caller's transaction: the checks, new version, audit
    entry and event of ``correct_item``, for a caller (an import) that found the item
    itself."""
    require(actor, Permission.RECORD_ABOUT_PEOPLE, previous.agency_id)
    if data.subject_record_id != previous.subject_record_id:
        raise InvalidInput.one(
            "subject_record_id", "A correction must be about the same person as the original"
        )
    _lock_chain(session, previous.chain_id)
    retraction = session.scalar(
        select(ItemRetraction).where(ItemRetraction.item_id == previous.chain_id)
    )
    if retraction is not None:
        withdrawn = retraction.retracted_at.astimezone(UK_TIME)
        raise Conflict(
            f"This item was withdrawn on {withdrawn.day} {withdrawn:%B %Y}; it cannot be corrected"
        )
    successor = select(InformationItem.id).where(InformationItem.supersedes_id == previous.id)
    if session.scalar(successor) is not None:
        raise Conflict("This is not the latest version; correct the latest version instead")
    item = InformationItem(
        **_content(data),
        correction_reason=data.reason,
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
    return item


def retract_item(db: Database, actor: Actor, item_id: int, data: RetractionIn) -> ItemOut:
    with db.transaction() as session:
        item = _visible_item(session, actor, item_id)
        require(actor, Permission.RECORD_ABOUT_PEOPLE, item.agency_id)
        first = item.chain_id
        _lock_chain(session, first)
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


@audited_read(AuditAction.ITEM_VIEWED)
def item_history(db: Database, actor: Actor, item_id: int) -> ItemHistoryOut:
    """Every version of the item ``item_id`` belongs to, and its retraction.

    Read under the same rule as the item itself (its own agency's front-line roles),
    and audited as a look at each version shown.
    """
    with db.transaction() as session:
        item = _visible_item(session, actor, item_id)
        chain = item.chain_id
        rows = list(
            session.scalars(
                select(InformationItem)
                .where((InformationItem.id == chain) | (InformationItem.root_id == chain))
                .order_by(InformationItem.version.desc(), InformationItem.id.desc())
            )
        )
        versions = _present(session, rows)
        retraction = session.scalar(select(ItemRetraction).where(ItemRetraction.item_id == chain))
        audit.append(
            session,
            actor,
            AuditAction.ITEM_VIEWED,
            "information_item",
            item.id,
            refs={"items": [v.id for v in versions]},
        )
        return ItemHistoryOut(
            latest=versions[0],
            versions=versions,
            retraction=None
            if retraction is None
            else RetractionOut(
                reason=retraction.reason,
                retracted_by=retraction.retracted_by,
                retracted_at=retraction.retracted_at,
            ),
        )
