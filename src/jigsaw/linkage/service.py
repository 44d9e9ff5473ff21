"""Reviewers' decisions on links: confirm, reject and unmerge.

Every decision is one ``LinkChange`` with a ``LinkEvent`` per agency record it moves
or re-labels, and an audit entry (ids only) in the same transaction. Records are
only ever moved between persons, never removed: an unmerge gives the records it
detaches a new person of their own. Information items, relationships and
involvements hang off agency records, not persons, so they travel with their record
and nothing is lost or mixed by a merge or an unmerge.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import and_, func, not_, or_, select
from sqlalchemy.orm import Session, aliased

from jigsaw.audit import service as audit
from jigsaw.audit.actions import AuditAction
from jigsaw.audit.reads import audited_read, not_a_person_read
from jigsaw.clock import today, utcnow
from jigsaw.db import Database
from jigsaw.errors import Conflict, InvalidInput, NotFound
from jigsaw.identity.models import Agency, Practitioner
from jigsaw.linkage import identifiers as shared_identifiers
from jigsaw.linkage import index
from jigsaw.linkage.access import require_reviewer
from jigsaw.linkage.features import features_of
from jigsaw.linkage.models import ChangeKind, LinkChange, LinkEvent, LinkReview, ReviewStatus
from jigsaw.linkage.online import find_candidates, shipped_model
from jigsaw.linkage.person_model import LinkageModel
from jigsaw.linkage.schemas import (
    MAX_REASON,
    LinkDecisionIn,
    PairAbout,
    QueuedReview,
    ReviewPairOut,
    ReviewSide,
    question,
)
from jigsaw.linkage.source import NOT_ERASED, details_of, feature_row
from jigsaw.notifications.models import NotificationKind
from jigsaw.notifications.service import Addressee, notify
from jigsaw.people.models import AgencyRecord, Involvement, LinkStatus, Person, PersonRole
from jigsaw.policy import scopes
from jigsaw.policy.actor import Actor
from jigsaw.policy.authorize import Permission, is_permitted
from jigsaw.policy.roles import AgencyKind
from jigsaw.sharing.models import Disclosure, SharingDecision


@dataclass(frozen=True)
class ReviewOut:
    id: int
    record_id: int
    candidate_record_id: int
    record_person_id: int | None
    candidate_person_id: int | None
    match_probability: float
    evidence: dict[str, Any]
    status: ReviewStatus
    created_at: datetime


@dataclass(frozen=True)
class ChangeOut:
    change_id: int
    kind: ChangeKind
    records: tuple[int, ...]
    from_person_id: int | None
    to_person_id: int | None


def _review_out(session: Session, review: LinkReview) -> ReviewOut:
    return ReviewOut(
        id=review.id,
        record_id=review.record_id,
        candidate_record_id=review.candidate_record_id,
        record_person_id=_person_of(session, review.record_id),
        candidate_person_id=_person_of(session, review.candidate_record_id),
        match_probability=review.match_probability,
        evidence=dict(review.evidence),
        status=review.status,
        created_at=review.created_at,
    )


def _person_of(session: Session, record_id: int) -> int | None:
    return session.scalar(select(AgencyRecord.person_id).where(AgencyRecord.id == record_id))


@audited_read(AuditAction.LINK_QUEUE_VIEWED)
def open_reviews(
    db: Database, actor: Actor, *, limit: int = 50, offset: int = 0
) -> list[ReviewOut]:
    """The queue, most likely matches first, as ids and evidence; the look is audited."""
    require_reviewer(actor)
    with db.transaction() as session:
        rows = session.scalars(
            select(LinkReview)
            .where(LinkReview.status == ReviewStatus.OPEN, scopes.link_reviews(actor))
            .order_by(LinkReview.match_probability.desc(), LinkReview.id)
            .offset(offset)
            .limit(limit)
        ).all()
        _queue_viewed(session, actor, [r.id for r in rows])
        return [_review_out(session, r) for r in rows]


def _queue_viewed(
    session: Session, actor: Actor, review_ids: list[int], record_ids: list[int] | None = None
) -> None:
    refs: dict[str, int | str | list[int]] = {"reviews": review_ids}
    if record_ids is not None:
        refs["records"] = record_ids
    audit.append(session, actor, AuditAction.LINK_QUEUE_VIEWED, "link_review", None, refs=refs)


def _reason(reason: str) -> str:
    """A reviewer's note, read by the schema the API reads it with, so a note typed on
    the review page meets the same rules (no control characters, a bounded length)."""
    if len(reason.strip()) > MAX_REASON:
        raise InvalidInput.one("reason", f"Keep the reason under {MAX_REASON} characters")
    try:
        return LinkDecisionIn(reason=reason).reason
    except ValidationError as exc:
        message = exc.errors()[0]["msg"].removeprefix("Value error, ")
        raise InvalidInput.one("reason", message) from None


def _open_review(session: Session, review_id: int) -> LinkReview:
    review = session.get(LinkReview, review_id, with_for_update=True)
    if review is None:
        raise NotFound("link review", review_id)
    if review.status is not ReviewStatus.OPEN:
        raise Conflict(f"Review {review_id} has already been {review.status.value}")
    return review


def _new_change(
    session: Session,
    actor: Actor,
    kind: ChangeKind,
    *,
    review_id: int | None = None,
    reason: str = "",
    reverses_id: int | None = None,
) -> LinkChange:
    change = LinkChange(
        kind=kind,
        review_id=review_id,
        reverses_id=reverses_id,
        actor_id=actor.practitioner_id,
        reason=reason,
        created_at=utcnow(),
    )
    session.add(change)
    session.flush()
    return change


def _move(
    session: Session,
    change: LinkChange,
    records: Sequence[AgencyRecord],
    to_person: int | None,
    to_status: LinkStatus,
) -> None:
    for record in records:
        session.add(
            LinkEvent(
                change_id=change.id,
                agency_record_id=record.id,
                from_person_id=record.person_id,
                to_person_id=to_person,
                from_status=record.link_status,
                to_status=to_status,
                match_probability=record.match_probability,
            )
        )
        record.person_id = to_person
        record.link_status = to_status
    session.flush()


def _records_of(session: Session, person_id: int | None, lock: bool = True) -> list[AgencyRecord]:
    if person_id is None:
        return []
    query = (
        select(AgencyRecord).where(AgencyRecord.person_id == person_id).order_by(AgencyRecord.id)
    )
    if lock:
        query = query.with_for_update()
    return list(session.scalars(query))


def confirm_link(db: Database, actor: Actor, review_id: int, reason: str = "") -> ChangeOut:
    """The two records are one person: move every record of the subject's person across."""
    require_reviewer(actor)
    note = _reason(reason)
    with db.transaction() as session:
        review = _open_review(session, review_id)
        source = _person_of(session, review.record_id)
        target = _person_of(session, review.candidate_record_id)
        if source is None or target is None:
            raise Conflict("Both records must be in the person index first: run linkage")
        moving = _records_of(session, source) if source != target else []
        change = _new_change(session, actor, ChangeKind.CONFIRM, review_id=review.id, reason=note)
        _move(session, change, moving, target, LinkStatus.CONFIRMED)
        _decide(session, actor, review, ReviewStatus.CONFIRMED)
        record_ids = [r.id for r in moving]
        refs: dict[str, int | str | list[int]] = {
            "review": review.id,
            "change": change.id,
            "records": record_ids,
            "to_person": target,
        }
        if source is not None:
            refs["from_person"] = source
        audit.append(
            session, actor, AuditAction.LINK_CONFIRMED, "link_review", review.id, refs=refs
        )
        audit.append(session, actor, AuditAction.LINK_MERGED, "link_change", change.id, refs=refs)
        return ChangeOut(change.id, change.kind, tuple(record_ids), source, target)


def reject_link(db: Database, actor: Actor, review_id: int, reason: str = "") -> ChangeOut:
    """Not the same person: the subject keeps its own person, and is not asked about again."""
    require_reviewer(actor)
    note = _reason(reason)
    with db.transaction() as session:
        review = _open_review(session, review_id)
        record = session.get(AgencyRecord, review.record_id, with_for_update=True)
        if record is None:
            raise NotFound("agency record", review.record_id)
        change = _new_change(session, actor, ChangeKind.REJECT, review_id=review.id, reason=note)
        if record.person_id is None:
            _move(session, change, [record], _new_person(session), LinkStatus.REJECTED)
        elif not _other_open_reviews(session, record.id, review.id):
            _move(session, change, [record], record.person_id, LinkStatus.REJECTED)
        _decide(session, actor, review, ReviewStatus.REJECTED)
        audit.append(
            session,
            actor,
            AuditAction.LINK_REJECTED,
            "link_review",
            review.id,
            refs={"change": change.id, "records": [review.record_id, review.candidate_record_id]},
        )
        return ChangeOut(change.id, change.kind, (record.id,), record.person_id, record.person_id)


def unmerge(
    db: Database,
    actor: Actor,
    record_ids: Sequence[int],
    reason: str = "",
    *,
    from_person: int | None = None,
) -> ChangeOut:
    """Detach records from their person into a new person of their own.

    All the records must belong to the same person, and at least one record must stay
    behind (detaching everything would only rename the person). Their status becomes
    ``rejected`` so no later run or reviewer is asked to join them back silently. The
    change, its audit entry and the notices to those who work with the person commit
    together, or none of them does. ``from_person`` is the person the reviewer saw the
    records in: if they have moved since, nothing changes.
    """
    require_reviewer(actor)
    note = _reason(reason)
    wanted = sorted(set(record_ids))
    if not wanted:
        raise InvalidInput.one("record_ids", "Name at least one record to detach")
    with db.transaction() as session:
        records = list(
            session.scalars(
                select(AgencyRecord).where(AgencyRecord.id.in_(wanted)).with_for_update()
            )
        )
        if len(records) != len(wanted):
            missing = sorted(set(wanted) - {r.id for r in records})
            raise InvalidInput.one("record_ids", f"No agency records with ids {missing}")
        persons = {r.person_id for r in records}
        if len(persons) != 1 or None in persons:
            raise InvalidInput.one(
                "record_ids", "The records must all be linked to one and the same person"
            )
        source = persons.pop()
        assert source is not None
        if from_person is not None and source != from_person:
            raise Conflict("The record has been moved to another person since you looked")
        return _detach(
            session, actor, source, records, lambda: _new_person(session), ChangeKind.UNMERGE, note
        )


def undo_link(db: Database, actor: Actor, review_id: int, reason: str = "") -> ChangeOut:
    """Take back a reviewer's confirmation: the records it moved go back to the person
    they came from, as ``rejected``, so the pair is not joined again without a reviewer.

    Undone once only (``LinkChange.reverses_id`` is unique), and only while the records
    the confirmation moved are still where it put them and others stay behind there.
    """
    require_reviewer(actor)
    note = _reason(reason)
    with db.transaction() as session:
        review = session.get(LinkReview, review_id, with_for_update=True)
        if review is None:
            raise NotFound("link review", review_id)
        confirmed = _confirmation(session, review.id)
        if confirmed is None:
            raise Conflict(f"Review {review_id} was not confirmed: there is no link to undo")
        if _undoing(session, confirmed.id) is not None:
            raise Conflict(f"The link confirmed in review {review_id} has already been undone")
        events = list(session.scalars(select(LinkEvent).where(LinkEvent.change_id == confirmed.id)))
        if not events:
            raise Conflict(
                f"Confirming review {review_id} moved no records: there is nothing to undo"
            )
        target = events[0].to_person_id
        back_to = events[0].from_person_id
        records = list(
            session.scalars(
                select(AgencyRecord)
                .where(AgencyRecord.id.in_([e.agency_record_id for e in events]))
                .order_by(AgencyRecord.id)
                .with_for_update()
            )
        )
        if target is None or any(r.person_id != target for r in records):
            raise Conflict(
                f"The records confirmed in review {review_id} have been moved since: "
                "unmerge them by record instead"
            )

        def original() -> int:
            if back_to is not None and not _records_of(session, back_to, lock=False):
                return back_to
            return _new_person(session)

        return _detach(
            session, actor, target, records, original, ChangeKind.UNDO, note, reverses=confirmed
        )


def _confirmation(session: Session, review_id: int) -> LinkChange | None:
    return session.scalar(
        select(LinkChange).where(
            LinkChange.review_id == review_id, LinkChange.kind == ChangeKind.CONFIRM
        )
    )


def _undoing(session: Session, change_id: int) -> LinkChange | None:
    return session.scalar(select(LinkChange).where(LinkChange.reverses_id == change_id))


def _detach(
    session: Session,
    actor: Actor,
    source: int,
    records: list[AgencyRecord],
    destination: Callable[[], int],
    kind: ChangeKind,
    note: str,
    *,
    reverses: LinkChange | None = None,
) -> ChangeOut:
    """Move ``records`` off ``source`` to the person ``destination`` gives, with the
    change, its audit entry and the notices, in the caller's transaction."""
    wanted = sorted(r.id for r in records)
    everyone = _records_of(session, source)
    if not [r for r in everyone if r.id not in set(wanted)]:
        raise InvalidInput.one(
            "record_ids", "Every record of this person was named: nothing would stay behind"
        )
    target = destination()
    change = _new_change(
        session,
        actor,
        kind,
        reason=note,
        review_id=reverses.review_id if reverses is not None else None,
        reverses_id=reverses.id if reverses is not None else None,
    )
    _move(session, change, records, target, LinkStatus.REJECTED)
    refs: dict[str, int | str | list[int]] = {
        "records": wanted,
        "from_person": source,
        "to_person": target,
    }
    if reverses is not None:
        refs["reverses"] = reverses.id
        if reverses.review_id is not None:
            refs["review"] = reverses.review_id
    told = _tell_those_affected(session, change.id, everyone)
    refs["told"] = told
    audit.append(session, actor, AuditAction.LINK_UNMERGED, "link_change", change.id, refs=refs)
    return ChangeOut(change.id, change.kind, tuple(wanted), source, target)


def _tell_those_affected(session: Session, change_id: int, records: list[AgencyRecord]) -> int:
    """Tell whoever may have seen the person as one that they are now two: each agency
    holding one of the records (its inbox, and its practitioners involved with the
    person) and whoever received a disclosure about any of them. The notice points each
    agency at its own record and each recipient at the disclosure; it says nothing else.
    Returns how many notices were added."""
    event = f"unmerge:{change_id}"
    record_ids = [r.id for r in records]
    own: dict[int, int] = {}
    for record in records:
        own.setdefault(record.agency_id, record.id)
    added = 0
    for agency_id, record_id in own.items():
        addressees = [Addressee(agency_id, None)]
        involved = session.scalars(
            select(Involvement.practitioner_id)
            .join(AgencyRecord, AgencyRecord.id == Involvement.agency_record_id)
            .join(Practitioner, Practitioner.id == Involvement.practitioner_id)
            .where(
                Involvement.agency_record_id.in_(record_ids),
                AgencyRecord.agency_id == agency_id,
                Practitioner.agency_id == agency_id,
                Practitioner.active.is_(True),
                or_(Involvement.ended_on.is_(None), Involvement.ended_on >= today()),
            )
            .distinct()
        )
        addressees += [Addressee(agency_id, p) for p in involved if p is not None]
        added += notify(
            session,
            NotificationKind.RECORDS_UNLINKED,
            event,
            "agency_record",
            record_id,
            addressees,
        )
    disclosures = session.execute(
        select(Disclosure.id, Disclosure.recipient_agency_id, Disclosure.recipient_practitioner_id)
        .join(SharingDecision, SharingDecision.id == Disclosure.decision_id)
        .where(SharingDecision.subject_record_id.in_(record_ids))
        .order_by(Disclosure.id)
    ).all()
    for disclosure_id, agency_id, practitioner_id in disclosures:
        added += notify(
            session,
            NotificationKind.RECORDS_UNLINKED,
            event,
            "disclosure",
            disclosure_id,
            [Addressee(agency_id, practitioner_id)],
        )
    return added


@not_a_person_read("Which changes moved one record between persons: ids and statuses only")
def history(db: Database, actor: Actor, record_id: int) -> list[dict[str, Any]]:
    """Every change that moved or re-labelled one agency record, oldest first."""
    require_reviewer(actor)
    with db.reading() as session:
        rows = session.execute(
            select(LinkEvent, LinkChange)
            .join(LinkChange, LinkChange.id == LinkEvent.change_id)
            .where(LinkEvent.agency_record_id == record_id)
            .order_by(LinkEvent.id)
        ).all()
        return [
            {
                "change_id": change.id,
                "kind": change.kind.value,
                "at": change.created_at,
                "actor_id": change.actor_id,
                "from_person_id": event.from_person_id,
                "to_person_id": event.to_person_id,
                "from_status": event.from_status.value,
                "to_status": event.to_status.value,
            }
            for event, change in rows
        ]


def _new_person(session: Session) -> int:
    person = Person(nhs_number=None, created_at=utcnow())
    session.add(person)
    session.flush()
    return person.id


def _other_open_reviews(session: Session, record_id: int, except_review: int) -> bool:
    return (
        session.scalar(
            select(LinkReview.id)
            .where(
                LinkReview.record_id == record_id,
                LinkReview.status == ReviewStatus.OPEN,
                LinkReview.id != except_review,
            )
            .limit(1)
        )
        is not None
    )


def _decide(session: Session, actor: Actor, review: LinkReview, status: ReviewStatus) -> None:
    review.status = status
    review.decided_by = actor.practitioner_id
    review.decided_at = utcnow()


# The review pages: the queue with its length, and one pair side by side


@dataclass(frozen=True)
class QueueFilter:
    """What a reviewer narrows the queue to. A pair is an agency's, or a kind of
    agency's, when either of its records is held there; it is a child's when both
    records are children's, otherwise an adult's."""

    agency_id: int | None = None
    agency_kind: AgencyKind | None = None
    about: PairAbout | None = None
    min_probability: float | None = None
    max_probability: float | None = None


def _checked(actor: Actor, wanted: QueueFilter) -> QueueFilter:
    """Refuse a filter that would tell a reviewer which agency holds a record.

    The queue shows each agency by its kind, so filtering by another agency's id
    would name it after all: a reviewer filters by their own agency, or by kind;
    the command line (the data controller) by any agency."""
    if wanted.agency_id is not None and not actor.is_system and wanted.agency_id != actor.agency_id:
        raise InvalidInput.one(
            "agency", "Filter by your own agency, or by a kind of agency, not by another agency"
        )
    low, high = wanted.min_probability, wanted.max_probability
    for name, bound in (("min_probability", low), ("max_probability", high)):
        if bound is not None and not 0.0 <= bound <= 1.0:
            raise InvalidInput.one(name, "A probability is between 0 and 1")
    if low is not None and high is not None and low > high:
        raise InvalidInput.one("min_probability", "The lowest score is above the highest")
    return wanted


def pair_about(record_role: PersonRole, candidate_role: PersonRole) -> PairAbout:
    both_children = record_role is PersonRole.CHILD and candidate_role is PersonRole.CHILD
    return "child" if both_children else "person"


@audited_read(AuditAction.LINK_QUEUE_VIEWED)
def review_queue(
    db: Database,
    actor: Actor,
    *,
    limit: int = 25,
    offset: int = 0,
    filters: QueueFilter | None = None,
    with_records: bool = False,
) -> tuple[list[QueuedReview], int]:
    """One page of the open queue, most likely matches first, and its length.

    Kinds of agency and probabilities only, never an agency's name: which agencies
    know a child is itself sensitive (a refuge, a sexual health service). Scanning
    the queue is still audited, with the ids of the pairs listed, so the log shows
    who looked at what was waiting; opening a pair is a read of its own
    (``review_pair``). With ``with_records`` each line carries both records' identity
    fields as a pair shows them, and the entry lists the records too.
    """
    require_reviewer(actor)
    wanted = _checked(actor, filters or QueueFilter())
    subject, candidate = aliased(AgencyRecord), aliased(AgencyRecord)
    subject_agency, candidate_agency = aliased(Agency), aliased(Agency)
    conditions = [LinkReview.status == ReviewStatus.OPEN, scopes.link_reviews(actor)]
    if wanted.agency_id is not None:
        conditions.append(
            or_(subject.agency_id == wanted.agency_id, candidate.agency_id == wanted.agency_id)
        )
    if wanted.agency_kind is not None:
        conditions.append(
            or_(
                subject_agency.kind == wanted.agency_kind,
                candidate_agency.kind == wanted.agency_kind,
            )
        )
    children = and_(subject.role == PersonRole.CHILD, candidate.role == PersonRole.CHILD)
    if wanted.about == "child":
        conditions.append(children)
    elif wanted.about == "person":
        conditions.append(not_(children))
    if wanted.min_probability is not None:
        conditions.append(LinkReview.match_probability >= wanted.min_probability)
    if wanted.max_probability is not None:
        conditions.append(LinkReview.match_probability <= wanted.max_probability)

    def joined(query: Any) -> Any:
        return (
            query.join(subject, subject.id == LinkReview.record_id)
            .join(candidate, candidate.id == LinkReview.candidate_record_id)
            .join(subject_agency, subject_agency.id == subject.agency_id)
            .join(candidate_agency, candidate_agency.id == candidate.agency_id)
            .where(*conditions)
        )

    with db.transaction() as session:
        total = session.scalar(joined(select(func.count()).select_from(LinkReview))) or 0
        rows = session.execute(
            joined(
                select(
                    LinkReview,
                    subject_agency.kind,
                    candidate_agency.kind,
                    subject.role,
                    candidate.role,
                )
            )
            .order_by(LinkReview.match_probability.desc(), LinkReview.id)
            .offset(offset)
            .limit(limit)
        ).all()
        waiting = []
        for review, record_kind, candidate_kind, record_role, candidate_role in rows:
            about = pair_about(record_role, candidate_role)
            sides: dict[str, ReviewSide | None] = {"record": None, "candidate": None}
            if with_records:
                for name, record_id in (
                    ("record", review.record_id),
                    ("candidate", review.candidate_record_id),
                ):
                    found = session.get(AgencyRecord, record_id)
                    sides[name] = None if found is None else _side(session, found)
            waiting.append(
                QueuedReview(
                    id=review.id,
                    match_probability=review.match_probability,
                    record_agency_kind=record_kind,
                    candidate_agency_kind=candidate_kind,
                    created_at=review.created_at,
                    about=about,
                    question=question(about),
                    record_id=review.record_id,
                    candidate_record_id=review.candidate_record_id,
                    evidence=dict(review.evidence),
                    **sides,
                )
            )
        shown = [r.id for r in waiting]
        records = (
            sorted({i for r in waiting for i in (r.record_id, r.candidate_record_id)})
            if with_records
            else None
        )
        _queue_viewed(session, actor, shown, records)
    return waiting, total


def _side(session: Session, record: AgencyRecord) -> ReviewSide:
    agency = session.get(Agency, record.agency_id)
    assert agency is not None, "an agency record's agency is a foreign key"
    return review_side(record, agency.kind)


def review_side(record: AgencyRecord, agency_kind: AgencyKind) -> ReviewSide:
    """What a reviewer sees of one record, wherever they see it (a pair, the queue, a
    person's linked records): identity fields and the agency's kind, never its name."""
    return ReviewSide(
        record_id=record.id,
        agency_kind=agency_kind,
        role=record.role,
        given_name=record.given_name,
        family_name=record.family_name,
        date_of_birth=record.date_of_birth,
        sex=record.sex,
        address=record.address,
        postcode=record.postcode,
        nhs_number=record.nhs_number,
    )


@audited_read(AuditAction.LINK_REVIEW_VIEWED)
def review_pair(db: Database, actor: Actor, review_id: int) -> ReviewPairOut:
    """The two agency records of one review, side by side, for a reviewer to judge.

    Reviewers see identifiers held by agencies other than their own because deciding
    whether two records are one child cannot be done without them, and a wrong link
    either hides a child's history or mixes two children's. It is a data-quality
    purpose, limited to the linkage reviewer role (``policy.cedar`` A3), and each
    pair opened is audited (ids only). Identity fields only: names, date of birth,
    sex, address and NHS number, with the kind of agency that holds each record;
    never the agency's name or its own id for the person, nor anything an agency
    recorded about the child.

    Review ids are sequential, so they are no secret: what protects a pair is that
    every read and decision asks the policy first and is audited, and that a
    reviewer sees every open pair anyway.
    """
    require_reviewer(actor)
    with db.transaction() as session:
        review = session.get(LinkReview, review_id)
        if review is None:
            raise NotFound("link review", review_id)
        record = session.get(AgencyRecord, review.record_id)
        candidate = session.get(AgencyRecord, review.candidate_record_id)
        if record is None or candidate is None:
            raise NotFound("link review", review_id)
        moving = (
            session.scalar(
                select(func.count())
                .select_from(AgencyRecord)
                .where(AgencyRecord.person_id == record.person_id)
            )
            if record.person_id is not None
            else 0
        )
        audit.append(
            session,
            actor,
            AuditAction.LINK_REVIEW_VIEWED,
            "link_review",
            review.id,
            refs={"records": [record.id, candidate.id]},
        )
        about = pair_about(record.role, candidate.role)
        confirmed = _confirmation(session, review.id)
        undone = confirmed is not None and _undoing(session, confirmed.id) is not None
        moved = confirmed is not None and (
            session.scalar(select(LinkEvent.id).where(LinkEvent.change_id == confirmed.id))
            is not None
        )
        return ReviewPairOut(
            id=review.id,
            status=review.status,
            match_probability=review.match_probability,
            evidence=dict(review.evidence),
            created_at=review.created_at,
            record=_side(session, record),
            candidate=_side(session, candidate),
            records_moving=int(moving or 0),
            about=about,
            question=question(about),
            can_undo=moved and not undone,
            undone=undone,
        )


# Linking a record as soon as it is recorded


@dataclass(frozen=True)
class OnlineLink:
    record_id: int
    person_id: int
    status: LinkStatus
    match_probability: float | None
    """Set when the record joined a person others already knew."""
    review_id: int | None
    """Set when the model was unsure and a reviewer will decide."""


def link_recorded(
    db: Database, actor: Actor, record_id: int, *, model: LinkageModel | None = None
) -> OnlineLink:
    """Link a record its agency has just made, as a run would, without waiting for one.

    The online match scores it with the run's model and thresholds: above the
    automatic threshold it joins that person; where the model is unsure it gets a
    person of its own and a review, so a reviewer decides (a practitioner never
    merges by hand); otherwise it is a person of its own. It also goes into the match
    index, so the next search finds it. The change is a ``run`` change with no run,
    so it can be undone like one. A record already linked is left as it is.
    """
    model = model or shipped_model()
    with db.reading() as session:
        found = session.get(AgencyRecord, record_id)
        if found is None or not is_permitted(
            actor, Permission.RECORD_ABOUT_PEOPLE, found.agency_id
        ):
            raise NotFound("agency record", record_id)
        if (
            session.scalar(select(AgencyRecord.id).where(AgencyRecord.id == record_id, NOT_ERASED))
            is None
        ):
            raise Conflict(f"Agency record {record_id} has been erased: it is not linked again")
        raw = details_of(
            found.given_name,
            found.family_name,
            found.date_of_birth,
            found.sex.value,
            found.postcode,
            found.address,
            found.nhs_number,
            found.role.value,
            identifiers=shared_identifiers.held_by(session, [record_id]).get(record_id, ()),
        )
    candidates = [
        c
        for c in find_candidates(db, raw, limit=5, model=model)
        if c.person_id is not None and c.agency_record_id != record_id
    ]
    best = candidates[0] if candidates else None
    with db.transaction() as session:
        record = session.get(AgencyRecord, record_id, with_for_update=True)
        if record is None:
            raise NotFound("agency record", record_id)
        index.write_keys(
            session, [index.key_row(feature_row(record.id, raw, features_of(raw)))], current=True
        )
        if record.person_id is not None:
            return OnlineLink(
                record.id, record.person_id, record.link_status, record.match_probability, None
            )
        change = _new_change(session, actor, ChangeKind.RUN)
        refs: dict[str, int | str | list[int]] = {"records": [record.id]}
        review_id: int | None = None
        if best is not None and best.person_id and best.match_probability >= model.thresholds.auto:
            person_id, status = best.person_id, LinkStatus.AUTO
            record.match_probability = best.match_probability
        else:
            person = Person(nhs_number=record.nhs_number, created_at=utcnow())
            session.add(person)
            session.flush()
            person_id = person.id
            unsure = best is not None and best.match_probability >= model.thresholds.review
            status = LinkStatus.IN_REVIEW if unsure else LinkStatus.AUTO
        _move(session, change, [record], person_id, status)
        if status is LinkStatus.IN_REVIEW and best is not None:
            review = LinkReview(
                record_id=record.id,
                candidate_record_id=best.agency_record_id,
                match_probability=best.match_probability,
                match_weight=best.match_weight,
                evidence={e.comparison: e.level for e in best.evidence},
                status=ReviewStatus.OPEN,
                created_at=utcnow(),
            )
            session.add(review)
            session.flush()
            review_id = review.id
            refs["review"] = review.id
        refs["to_person"] = person_id
        audit.append(
            session, actor, AuditAction.LINK_MATCHED_ONLINE, "link_change", change.id, refs=refs
        )
        return OnlineLink(record.id, person_id, status, record.match_probability, review_id)
