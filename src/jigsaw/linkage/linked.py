"""The agency records linked into one person, as a linkage reviewer sees them to separate
one that is not that person's.

A wrong automatic link (from a batch run or the online match) has no review page to
undo it from, so a reviewer opens the person and detaches the record with
``service.unmerge``. What the reviewer sees is what a review pair shows and no more:
identity fields, each agency by its kind, how each record came to be linked. The same
rule guards the look as guards the change (``policy.cedar`` A3), and the look is
audited as a review is, with the ids of the records shown.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from jigsaw.audit import service as audit
from jigsaw.audit.actions import AuditAction
from jigsaw.audit.reads import audited_read
from jigsaw.db import Database
from jigsaw.errors import NotFound
from jigsaw.identity.models import Agency
from jigsaw.linkage.access import require_reviewer
from jigsaw.linkage.schemas import PairAbout, ReviewSide
from jigsaw.linkage.service import review_side
from jigsaw.people.models import AgencyRecord, LinkStatus, PersonRole
from jigsaw.policy.actor import Actor


@dataclass(frozen=True)
class LinkedRecord:
    """One record of the person: its identity fields and how it was linked."""

    side: ReviewSide
    link_status: LinkStatus
    match_probability: float | None


@dataclass(frozen=True)
class LinkedPerson:
    person_id: int
    about: PairAbout
    """``child`` when every record is a child's, so the page asks about a child."""
    records: tuple[LinkedRecord, ...]

    def record(self, record_id: int) -> LinkedRecord | None:
        return next((r for r in self.records if r.side.record_id == record_id), None)

    @property
    def can_separate(self) -> bool:
        """An unmerge must leave a record behind, so a lone record cannot be separated."""
        return len(self.records) > 1


@audited_read(AuditAction.LINK_REVIEW_VIEWED)
def linked_records(db: Database, actor: Actor, person_id: int) -> LinkedPerson:
    """Every agency record linked into ``person_id``, oldest first.

    The reviewer check comes before anything is looked up, so someone who may not
    unmerge learns nothing, not even whether the person exists; a person with no
    records is not found, as there is nothing of theirs to show or to separate.
    """
    require_reviewer(actor)
    with db.transaction() as session:
        rows = session.execute(
            select(AgencyRecord, Agency.kind)
            .join(Agency, Agency.id == AgencyRecord.agency_id)
            .where(AgencyRecord.person_id == person_id)
            .order_by(AgencyRecord.id)
        ).all()
        if not rows:
            raise NotFound("person", person_id)
        records = tuple(
            LinkedRecord(review_side(record, kind), record.link_status, record.match_probability)
            for record, kind in rows
        )
        audit.append(
            session,
            actor,
            AuditAction.LINK_REVIEW_VIEWED,
            "person",
            person_id,
            refs={"records": [r.side.record_id for r in records]},
        )
    children = all(r.side.role is PersonRole.CHILD for r in records)
    return LinkedPerson(person_id, "child" if children else "person", records)
