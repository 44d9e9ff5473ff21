"""Applying the retention schedule: find the records that are due, erase each one.

Erasure is crypto-shredding. Items, decisions and advice live in write-once tables
that cannot be deleted from; everything personal in them is sealed under the agency
record's data key, so overwriting that one wrapped key makes all of it unreadable at
once, in every table, every replica and every backup taken from now on. That includes
the questions and rating rationales of requests about the record, the reasons its
items were retracted and its disclosures revoked. Break-glass reasons are sealed under
the practitioner's agency's key instead, which no schedule erases, so a DPO can still
review why someone looked after the records they opened are gone. An Operation
Encompass notice's row (``encompass_disclosures``) holds only ids, codes and times, so
it is kept as it is and still says which school was told of which item, and when.
Each record
is erased in a transaction of its own (the key, the ``erasures`` row and the audit
entry commit together), so a run that stops part-way leaves every record either
wholly erased or untouched, and another run simply carries on.

The audit log keeps verifying: its entries hold ids and actions, never narrative,
so nothing in it was encrypted and nothing in it changes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ScalarSelect, delete, func, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from jigsaw.audit import service as audit
from jigsaw.audit.actions import AuditAction
from jigsaw.clock import utcnow
from jigsaw.db import Database
from jigsaw.errors import Conflict
from jigsaw.identity.models import Agency
from jigsaw.linkage.models import MatchKey
from jigsaw.people.models import AgencyRecord, AgencyRecordIdentifier, LinkStatus
from jigsaw.policy.actor import Actor
from jigsaw.policy.authorize import Permission, require
from jigsaw.protection.keyring import AGENCY_RECORD
from jigsaw.protection.models import DataKey
from jigsaw.records.models import InformationItem
from jigsaw.retention.models import Erasure
from jigsaw.retention.schedule import RecordFacts, Schedule, due_on
from jigsaw.sharing.models import AdviceRequest, SharingDecision

BATCH = 2000


@dataclass(frozen=True)
class DueRecord:
    """An agency record the schedule says to erase: ids, rule and date, nothing personal."""

    agency_record_id: int
    agency_id: int
    agency_name: str
    rule: str
    due_on: date
    last_activity: date


def _latest(
    moment: InstrumentedAttribute[datetime],
    subject: InstrumentedAttribute[int] | InstrumentedAttribute[int | None],
) -> ScalarSelect[datetime]:
    return select(func.max(moment)).where(subject == AgencyRecord.id).scalar_subquery()


def _facts(session: Session, after_id: int) -> list[tuple[int, int, str, RecordFacts]]:
    """One page of records not yet erased, with the facts the schedule looks at."""
    not_erased = ~select(Erasure.id).where(Erasure.agency_record_id == AgencyRecord.id).exists()
    rows = session.execute(
        select(
            AgencyRecord.id,
            AgencyRecord.agency_id,
            Agency.name,
            Agency.kind,
            AgencyRecord.role,
            AgencyRecord.date_of_birth,
            AgencyRecord.created_at,
            _latest(InformationItem.recorded_at, InformationItem.subject_record_id),
            _latest(SharingDecision.decided_at, SharingDecision.subject_record_id),
            _latest(AdviceRequest.asked_at, AdviceRequest.subject_record_id),
        )
        .join(Agency, Agency.id == AgencyRecord.agency_id)
        .where(AgencyRecord.id > after_id, not_erased)
        .order_by(AgencyRecord.id)
        .limit(BATCH)
    ).all()
    if not rows:
        return []
    ids = [row[0] for row in rows]
    categories: dict[int, set[str]] = {}
    for record_id, category in session.execute(
        select(InformationItem.subject_record_id, InformationItem.category)
        .where(InformationItem.subject_record_id.in_(ids))
        .distinct()
    ):
        categories.setdefault(record_id, set()).add(category)
    found = []
    for record_id, agency_id, name, kind, role, born, created, *latest in rows:
        last = max(moment.date() for moment in (created, *latest) if moment is not None)
        facts = RecordFacts(
            agency_kind=kind,
            role=role,
            date_of_birth=born,
            categories=frozenset(categories.get(record_id, set())),  # type: ignore[arg-type]
            last_activity=last,
        )
        found.append((record_id, agency_id, name, facts))
    return found


def due_records(db: Database, schedule: Schedule, today: date) -> Iterator[DueRecord]:
    """Every record due for erasure by ``today``, in id order, read a page at a time."""
    after = 0
    while True:
        with db.reading() as session:
            page = _facts(session, after)
        if not page:
            return
        for record_id, agency_id, name, facts in page:
            due = due_on(schedule, facts, today)
            if due is not None:
                yield DueRecord(
                    record_id, agency_id, name, due.rule, due.due_on, facts.last_activity
                )
        after = page[-1][0]


ERASED_NAME = "[erased]"


def _forget_identity(session: Session, agency_record_id: int) -> None:
    """Clear who the record was about, so nothing the agency no longer holds stays findable.

    The identifiers stay in clear while the record is kept because linkage and search
    match on them; once the record is due they go too: the match keys are deleted, the
    record leaves its person (so "who knows this child" no longer names the agency) and
    names, date of birth, address and NHS number are blanked and its other identifiers
    deleted. The row itself stays, so
    the items, disclosures and audit entries that point at it keep their references.
    """
    session.execute(delete(MatchKey).where(MatchKey.agency_record_id == agency_record_id))
    session.execute(
        delete(AgencyRecordIdentifier).where(
            AgencyRecordIdentifier.agency_record_id == agency_record_id
        )
    )
    session.execute(
        update(AgencyRecord)
        .where(AgencyRecord.id == agency_record_id)
        .values(
            given_name=ERASED_NAME,
            family_name=ERASED_NAME,
            date_of_birth=None,
            address="",
            postcode="",
            nhs_number=None,
            person_id=None,
            link_status=LinkStatus.UNLINKED,
            match_probability=None,
        )
    )


def erase(db: Database, actor: Actor, schedule: Schedule, record: DueRecord) -> None:
    """Destroy one record's data key and record the erasure, in one transaction."""
    require(actor, Permission.APPLY_RETENTION)
    with db.transaction() as session:
        if session.scalar(
            select(Erasure.id).where(Erasure.agency_record_id == record.agency_record_id)
        ):
            raise Conflict(f"Agency record {record.agency_record_id} has already been erased")
        now = utcnow()
        shredded = session.execute(
            update(DataKey)
            .where(
                DataKey.subject_kind == AGENCY_RECORD, DataKey.subject_id == record.agency_record_id
            )
            .values(wrapped=None, master_key_id=None, erased_at=now)
        )
        if shredded.rowcount == 0:  # type: ignore[attr-defined]
            # Nothing was ever sealed: leave a key row that says so, so nothing can be.
            session.add(
                DataKey(
                    subject_kind=AGENCY_RECORD,
                    subject_id=record.agency_record_id,
                    created_at=now,
                    erased_at=now,
                )
            )
        _forget_identity(session, record.agency_record_id)
        session.add(
            Erasure(
                agency_record_id=record.agency_record_id,
                agency_id=record.agency_id,
                rule=record.rule,
                schedule_version=schedule.version,
                due_on=record.due_on,
                erased_at=now,
            )
        )
        session.flush()
        audit.append(
            session,
            actor,
            AuditAction.RECORD_ERASED,
            "agency_record",
            record.agency_record_id,
            refs={"agency": record.agency_id, "rule": record.rule, "schedule": schedule.version},
        )


def run(
    db: Database,
    actor: Actor,
    schedule: Schedule,
    today: date,
    *,
    dry_run: bool = False,
    advance: Callable[[DueRecord], None] = lambda _record: None,
) -> list[DueRecord]:
    """Erase every record due by ``today`` (or, on a dry run, only say which they are).

    The due records are found first and then erased one transaction each, so a
    progress bar knows its length and a dry run reads exactly what a run would erase.
    """
    require(actor, Permission.APPLY_RETENTION)
    due = list(due_records(db, schedule, today))
    if not dry_run:
        for record in due:
            erase(db, actor, schedule, record)
            advance(record)
    return due
