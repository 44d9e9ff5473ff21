"""Recording how an agency knows a person, who they are related to, and who works with them."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from jigsaw.audit import service as audit
from jigsaw.audit.actions import AuditAction
from jigsaw.audit.models import AuditEntry
from jigsaw.audit.reads import audited_read
from jigsaw.clock import utcnow
from jigsaw.db import Database
from jigsaw.errors import Conflict, InvalidInput, NotPermitted
from jigsaw.identity.models import Agency, Practitioner
from jigsaw.people import identifiers as schemes
from jigsaw.people.identifiers import IdentifierScheme, InvalidIdentifier
from jigsaw.people.models import (
    AgencyRecord,
    AgencyRecordConfirmation,
    AgencyRecordIdentifier,
    Involvement,
    Person,
    PersonRole,
    RecordingReason,
    Relationship,
)
from jigsaw.people.nhs_number import normalise
from jigsaw.people.own import own_record, own_record_field
from jigsaw.people.schemas import (
    AgencyRecordIn,
    AgencyRecordOut,
    ConfirmationOut,
    IdentifierOut,
    InvolvementIn,
    InvolvementOut,
    PersonOut,
    RecordToConfirm,
    RelationshipIn,
    RelationshipOut,
)
from jigsaw.policy import authorize as policy
from jigsaw.policy import scopes
from jigsaw.policy.actor import Actor
from jigsaw.policy.authorize import Permission, refusal, require
from jigsaw.schemas import plain_text

MIN_REASON_LENGTH = 20
MIN_REASON_WORDS = 4


def create_person(db: Database, actor: Actor, nhs_number: str | None) -> PersonOut:
    require(actor, Permission.RECORD_ABOUT_PEOPLE, actor.agency_id)
    with db.transaction() as session:
        person = Person(
            nhs_number=normalise(nhs_number) if nhs_number else None, created_at=utcnow()
        )
        audit.append_new(session, actor, person, AuditAction.PERSON_CREATED, "person")
        return PersonOut.model_validate(person)


def create_agency_record(db: Database, actor: Actor, data: AgencyRecordIn) -> AgencyRecordOut:
    """Record a person for the actor's agency.

    A record a practitioner makes is kept with their id: until a second person of the
    agency confirms it (``confirm_agency_record``) it gives no standing across
    agencies, because typing a child's details proves nothing about working with them.
    """
    require(actor, Permission.RECORD_ABOUT_PEOPLE, data.agency_id)
    with db.transaction() as session:
        record = _add_record(session, actor, data)
        return _with_identifiers(session, [record])[0]


def record_found_by_search(
    db: Database, actor: Actor, data: AgencyRecordIn, reason: str
) -> AgencyRecordOut:
    """Record a child the practitioner found by searching, with why their agency now works
    with them.

    Finding a child who is known elsewhere and then recording them is how someone would
    try to give themselves a reason to look, so the reason is kept (sealed, for the DSL
    who confirms the record and the DPO) and the event is on the access log's alerts.
    """
    require(actor, Permission.RECORD_ABOUT_PEOPLE, data.agency_id)
    problem = reason_problem(reason)
    if problem:
        raise InvalidInput.one("reason", problem)
    with db.transaction() as session:
        record = _add_record(session, actor, data)
        if actor.practitioner_id is not None:
            session.add(
                RecordingReason(
                    agency_record_id=record.id,
                    practitioner_id=actor.practitioner_id,
                    reason=" ".join(reason.split()),
                    recorded_at=utcnow(),
                )
            )
            session.flush()
        audit.append(
            session,
            actor,
            AuditAction.CHILD_RECORDED_FROM_SEARCH,
            "agency_record",
            record.id,
            refs={"agency": data.agency_id, "agency_record": record.id},
        )
        return _with_identifiers(session, [record])[0]


def reason_problem(reason: str) -> str | None:
    """Why a reason for recording a child is not enough, or None: judged as a reader
    sees it, so invisible characters neither make up the length nor count as words."""
    text = plain_text(reason)
    if len(text) < MIN_REASON_LENGTH or len(text.split()) < MIN_REASON_WORDS:
        return (
            f"Say why your agency is working with this child, in at least {MIN_REASON_LENGTH} "
            "characters: your safeguarding lead and the Data Protection Officer will read it"
        )
    if len(text) > MAX_REASON_LENGTH:
        return f"The reason must be {MAX_REASON_LENGTH} characters or fewer"
    return None


MAX_REASON_LENGTH = 2000


def _add_record(session: Session, actor: Actor, data: AgencyRecordIn) -> AgencyRecord:
    if session.get(Agency, data.agency_id) is None:
        raise InvalidInput.one("agency_id", f"There is no agency with id {data.agency_id}")
    clash = select(AgencyRecord.id).where(
        AgencyRecord.agency_id == data.agency_id, AgencyRecord.local_id == data.local_id
    )
    if session.scalar(clash) is not None:
        raise Conflict(f"Your agency already has a record with local id {data.local_id!r}")
    record = AgencyRecord(
        **data.record_fields(),
        created_at=utcnow(),
        recorded_by_id=None if actor.is_system else actor.practitioner_id,
    )
    refs: dict[str, int | str] = {"agency": data.agency_id}
    if data.identifiers:
        refs["identifier_schemes"] = " ".join(sorted({i.scheme.value for i in data.identifiers}))
    made = audit.append_new(
        session, actor, record, AuditAction.AGENCY_RECORD_CREATED, "agency_record", refs=refs
    )
    session.add_all(
        AgencyRecordIdentifier(agency_record_id=made.id, scheme=i.scheme, value=i.value)
        for i in data.identifiers
    )
    session.flush()
    return made


def _with_identifiers(session: Session, records: list[AgencyRecord]) -> list[AgencyRecordOut]:
    """The records as read, each with every identifier it holds (one query for all)."""
    held: dict[int, list[tuple[IdentifierScheme, str]]] = {r.id: [] for r in records}
    if records:
        rows = session.execute(
            select(
                AgencyRecordIdentifier.agency_record_id,
                AgencyRecordIdentifier.scheme,
                AgencyRecordIdentifier.value,
            ).where(AgencyRecordIdentifier.agency_record_id.in_(list(held)))
        )
        for record_id, scheme, value in rows:
            held[record_id].append((scheme, value))
    return [
        AgencyRecordOut.model_validate(r).model_copy(
            update={
                "identifiers": [
                    IdentifierOut(scheme=scheme, value=value)
                    for scheme, value in schemes.listed(r.nhs_number, held[r.id])
                ]
            }
        )
        for r in records
    ]


def _identifier_filter(scheme: IdentifierScheme, raw: str) -> ColumnElement[bool]:
    """Records holding this identifier: the NHS number is the record's own column, every
    other scheme a row of ``agency_record_identifiers``. A value its scheme's rule
    refuses could match nothing, so it is refused with the reason instead."""
    try:
        value = schemes.normalise(scheme, raw)
    except InvalidIdentifier as invalid:
        raise InvalidInput.one("identifier", str(invalid)) from None
    if scheme is IdentifierScheme.NHS_NUMBER:
        return AgencyRecord.nhs_number == value
    return AgencyRecord.id.in_(
        select(AgencyRecordIdentifier.agency_record_id).where(
            AgencyRecordIdentifier.scheme == scheme, AgencyRecordIdentifier.value == value
        )
    )


# A second person vouching for a record


DEFAULT_CONFIRMER_SETTLING_DAYS = 7
"""The default of the ``confirmer_settling_days`` setting."""

_SETTING_UP = (
    AuditAction.PRACTITIONER_CREATED,
    AuditAction.PRACTITIONER_CHANGED,
    AuditAction.PASSWORD_RESET_ISSUED,
    AuditAction.SECOND_FACTOR_RESET,
)


def _settled_at(
    session: Session, practitioner_id: int, days: int, now: datetime
) -> datetime | None:
    """When the account stops settling, or None if it is not settling now.

    An account settles for ``days`` after a person (never the command line) created it,
    gave it a role, or issued it a reset code or a new second factor: whoever did any of
    those could hold its password and authenticator, so it is not yet a second person
    independent of them. The facts come from the audit log, which nobody can rewrite.
    """
    if days <= 0:
        return None
    since = now - timedelta(days=days)
    rows = session.execute(
        select(AuditEntry.occurred_at, AuditEntry.action, AuditEntry.refs).where(
            AuditEntry.object_type == "practitioner",
            AuditEntry.object_id == str(practitioner_id),
            AuditEntry.action.in_([a.value for a in _SETTING_UP]),
            AuditEntry.actor_id.is_not(None),
            AuditEntry.occurred_at > since,
        )
    ).all()
    changes = [
        at
        for at, action, refs in rows
        if action != AuditAction.PRACTITIONER_CHANGED.value or "role" in (refs or {})
    ]
    return max(changes) + timedelta(days=days) if changes else None


def confirm_agency_record(
    db: Database,
    actor: Actor,
    record_id: int,
    *,
    settling_days: int = DEFAULT_CONFIRMER_SETTLING_DAYS,
) -> ConfirmationOut:
    """A second person of the agency confirms that it really works with the child.

    Only then does a record a practitioner made give standing across agencies: named
    agencies and contacts in "who knows", and the pattern of others' involvement. Who
    may confirm is ``policy.cedar`` rule R3 (a DSL, MASH practitioner or Caldicott
    Guardian of the agency, signed in as a person, never the one who made the record,
    and not with an account a person set up or changed in the last ``settling_days``:
    one administrator could otherwise make both people and be both).
    """
    now = db.clock.now()
    with db.transaction() as session:
        record = own_record(session, actor, record_id, for_update=True)
        settled_at = (
            None
            if actor.practitioner_id is None
            else _settled_at(session, actor.practitioner_id, settling_days, now)
        )
        grant = policy.agency_record(record.id, record.agency_id, record.recorded_by_id)
        ask = Permission.CONFIRM_AGENCY_RECORD
        if not policy.allowed(actor, ask, grant, {"account_settling": settled_at is not None}):
            if settled_at is not None and policy.allowed(
                actor, ask, grant, {"account_settling": False}
            ):
                raise NotPermitted(
                    "Your account was set up or changed by an administrator in the last "
                    f"{settling_days} days, so it cannot yet be the second person who "
                    f"confirms a record; it can from {settled_at:%d %B %Y at %H:%M} UTC. "
                    "Until then another designated safeguarding lead, MASH practitioner or "
                    "Caldicott Guardian of your agency can confirm it."
                )
            raise NotPermitted(refusal(ask))
        if record.recorded_by_id is None:
            raise Conflict("This record was made by the service and needs no confirmation")
        done = select(AgencyRecordConfirmation.id).where(
            AgencyRecordConfirmation.agency_record_id == record.id
        )
        if session.scalar(done) is not None:
            raise Conflict("This record has already been confirmed")
        assert actor.practitioner_id is not None  # rule R3 permits people only
        confirmation = AgencyRecordConfirmation(
            agency_record_id=record.id,
            confirmed_by_id=actor.practitioner_id,
            confirmed_at=utcnow(),
        )
        session.add(confirmation)
        session.flush()
        audit.append(
            session,
            actor,
            AuditAction.AGENCY_RECORD_CONFIRMED,
            "agency_record",
            record.id,
            refs={"agency_record": record.id, "recorded_by": record.recorded_by_id},
        )
        return ConfirmationOut.model_validate(confirmation)


@audited_read(AuditAction.AGENCY_RECORDS_LISTED)
def records_to_confirm(db: Database, actor: Actor, limit: int = 100) -> list[RecordToConfirm]:
    """The actor's agency's records that practitioners made and no one has confirmed yet,
    oldest first, each with why it was recorded when it came from a search."""
    require(actor, Permission.READ_OWN_AGENCY_RECORDS, actor.agency_id)
    confirmed = select(AgencyRecordConfirmation.id).where(
        AgencyRecordConfirmation.agency_record_id == AgencyRecord.id
    )
    with db.transaction() as session:
        rows = session.execute(
            select(AgencyRecord, Practitioner.name, RecordingReason)
            .join(Practitioner, Practitioner.id == AgencyRecord.recorded_by_id)
            .outerjoin(RecordingReason, RecordingReason.agency_record_id == AgencyRecord.id)
            .where(
                scopes.of_agency(actor, Permission.READ_OWN_AGENCY_RECORDS, AgencyRecord.agency_id),
                ~confirmed.exists(),
            )
            .order_by(AgencyRecord.created_at, AgencyRecord.id)
            .limit(limit)
        ).all()
        out = [
            RecordToConfirm(
                record=AgencyRecordOut.model_validate(record),
                recorded_by_name=name,
                reason=why.reason if why is not None else None,
            )
            for record, name, why in rows
        ]
        audit.append(
            session,
            actor,
            AuditAction.AGENCY_RECORDS_LISTED,
            "agency_record",
            None,
            refs={"agency_records": [r.record.id for r in out], "unconfirmed": True},
        )
        return out


@audited_read(AuditAction.AGENCY_RECORD_VIEWED)
def view_agency_record(db: Database, actor: Actor, record_id: int) -> AgencyRecordOut:
    """Read one record; the access itself is audited, as every read of a person is."""
    with db.transaction() as session:
        record = own_record(session, actor, record_id)
        audit.append(session, actor, AuditAction.AGENCY_RECORD_VIEWED, "agency_record", record.id)
        return _with_identifiers(session, [record])[0]


@audited_read(AuditAction.AGENCY_RECORD_VIEWED, AuditAction.AGENCY_RECORDS_LISTED)
def find_by_local_id(db: Database, actor: Actor, local_id: str) -> AgencyRecordOut | None:
    """The actor's agency's record with exactly this ID of its own, or None.

    A practitioner naming someone by their agency's ID (to relate them to a child) has
    read that one person, so the entry names that record only; no name search runs, so
    nobody else is read or logged. A miss is logged as an empty lookup, never with the
    ID typed.
    """
    require(actor, Permission.READ_OWN_AGENCY_RECORDS, actor.agency_id)
    query = select(AgencyRecord).where(
        scopes.of_agency(actor, Permission.READ_OWN_AGENCY_RECORDS, AgencyRecord.agency_id),
        AgencyRecord.local_id == local_id.strip(),
    )
    with db.transaction() as session:
        record = session.scalars(query.order_by(AgencyRecord.id).limit(1)).first()
        if record is None:
            audit.append(
                session,
                actor,
                AuditAction.AGENCY_RECORDS_LISTED,
                "agency_record",
                None,
                refs={"records": [], "total": 0, "query": "local_id"},
            )
            return None
        audit.append(
            session,
            actor,
            AuditAction.AGENCY_RECORD_VIEWED,
            "agency_record",
            record.id,
            refs={"query": "local_id"},
        )
        return _with_identifiers(session, [record])[0]


@audited_read(AuditAction.AGENCY_RECORDS_LISTED)
def list_agency_records(
    db: Database,
    actor: Actor,
    *,
    role: PersonRole | None = PersonRole.CHILD,
    search: str = "",
    identifier: tuple[IdentifierScheme, str] | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[AgencyRecordOut], int]:
    """The actor's own agency's records, newest first, with a total for paging.

    A page of names, dates of birth and addresses is a read of each person on it, so
    the entry lists the ids shown (a page is at most ``limit`` long) and the total.
    It says whether a search narrowed the list but never what was searched for: a
    name typed into the search box is personal data the log must not hold. An
    ``identifier`` (scheme and value) narrows to the records holding it; the entry
    names the scheme, never the value. Only the agency's own records are searched, so
    nobody learns from it what another agency holds.
    """
    require(actor, Permission.READ_OWN_AGENCY_RECORDS, actor.agency_id)
    query = select(AgencyRecord).where(
        scopes.of_agency(actor, Permission.READ_OWN_AGENCY_RECORDS, AgencyRecord.agency_id)
    )
    if role is not None:
        query = query.where(AgencyRecord.role == role)
    if identifier is not None:
        query = query.where(_identifier_filter(*identifier))
    if search:
        term = f"%{search.strip().lower()}%"
        query = query.where(
            or_(
                func.lower(AgencyRecord.family_name).like(term),
                func.lower(AgencyRecord.given_name).like(term),
                AgencyRecord.local_id == search.strip(),
            )
        )
    with db.transaction() as session:
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = _with_identifiers(
            session,
            list(
                session.scalars(
                    query.order_by(
                        AgencyRecord.family_name, AgencyRecord.given_name, AgencyRecord.id
                    )
                    .offset(offset)
                    .limit(limit)
                )
            ),
        )
        audit.append(
            session,
            actor,
            AuditAction.AGENCY_RECORDS_LISTED,
            "agency_record",
            None,
            refs={
                "records": [r.id for r in rows],
                "total": total,
                "query": "search" if search.strip() else "identifier" if identifier else "list",
                **({"identifier_scheme": identifier[0].value} if identifier else {}),
            },
        )
        return rows, total


def create_relationship(db: Database, actor: Actor, data: RelationshipIn) -> RelationshipOut:
    require(actor, Permission.RECORD_ABOUT_PEOPLE, actor.agency_id)
    if data.from_record_id == data.to_record_id:
        raise InvalidInput.one("to_record_id", "A person cannot be related to themselves")
    with db.transaction() as session:
        source = own_record_field(session, actor, data.from_record_id, "from_record_id")
        target = own_record_field(session, actor, data.to_record_id, "to_record_id")
        if source.agency_id != target.agency_id:
            raise InvalidInput.one("to_record_id", "Both records must belong to the same agency")
        relationship = Relationship(
            agency_id=source.agency_id,
            from_record_id=source.id,
            to_record_id=target.id,
            kind=data.kind,
            created_at=utcnow(),
        )
        refs = {"from_record": source.id, "to_record": target.id}
        audit.append_new(
            session,
            actor,
            relationship,
            AuditAction.RELATIONSHIP_CREATED,
            "relationship",
            refs=refs,
        )
        return RelationshipOut.model_validate(relationship)


def create_involvement(db: Database, actor: Actor, data: InvolvementIn) -> InvolvementOut:
    require(actor, Permission.RECORD_ABOUT_PEOPLE, actor.agency_id)
    with db.transaction() as session:
        record = own_record_field(session, actor, data.agency_record_id, "agency_record_id")
        if data.practitioner_id is not None:
            practitioner = session.get(Practitioner, data.practitioner_id)
            if practitioner is None or practitioner.agency_id != record.agency_id:
                raise InvalidInput.one(
                    "practitioner_id",
                    "The practitioner must work for the agency holding the record",
                )
        involvement = Involvement(**data.model_dump(), created_at=utcnow())
        refs = {"agency_record": record.id}
        audit.append_new(
            session, actor, involvement, AuditAction.INVOLVEMENT_CREATED, "involvement", refs=refs
        )
        return InvolvementOut.model_validate(involvement)


@audited_read(AuditAction.RELATIONSHIPS_VIEWED)
def list_relationships(db: Database, actor: Actor, record_id: int) -> list[RelationshipOut]:
    """Who the record's person is related to: a read of every record on either side."""
    with db.transaction() as session:
        own_record_field(session, actor, record_id, "record_id")
        rows = [
            RelationshipOut.model_validate(r)
            for r in session.scalars(
                select(Relationship)
                .where(
                    or_(
                        Relationship.from_record_id == record_id,
                        Relationship.to_record_id == record_id,
                    )
                )
                .order_by(Relationship.id)
            )
        ]
        audit.append(
            session,
            actor,
            AuditAction.RELATIONSHIPS_VIEWED,
            "agency_record",
            record_id,
            refs={
                "relationships": [r.id for r in rows],
                "records": sorted({i for r in rows for i in (r.from_record_id, r.to_record_id)}),
            },
        )
        return rows


@audited_read(AuditAction.INVOLVEMENTS_VIEWED)
def list_involvements(db: Database, actor: Actor, record_id: int) -> list[InvolvementOut]:
    with db.transaction() as session:
        own_record_field(session, actor, record_id, "record_id")
        rows = [
            InvolvementOut.model_validate(r)
            for r in session.scalars(
                select(Involvement)
                .where(Involvement.agency_record_id == record_id)
                .order_by(Involvement.id)
            )
        ]
        audit.append(
            session,
            actor,
            AuditAction.INVOLVEMENTS_VIEWED,
            "agency_record",
            record_id,
            refs={"involvements": [r.id for r in rows]},
        )
        return rows
