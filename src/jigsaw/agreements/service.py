"""Registering agreements and changing where they stand: the only writer of both tables.

Each change is the act of the keeping agency's Data Protection Officer or Caldicott
Guardian (policy rule G1), recorded in the audit log in the same transaction. A version
is never edited: approval, supersession and ending are events, and supersession writes
a new version beside the old one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from jigsaw.agreements import validity
from jigsaw.agreements.lifecycle import Standing, standing_of
from jigsaw.agreements.models import (
    AgreementEvent,
    AgreementStatus,
    EventKind,
    SharingAgreement,
    Tier,
)
from jigsaw.agreements.schemas import (
    AgreementDetail,
    AgreementEventOut,
    AgreementOut,
    EvaluationIn,
    EvaluationOut,
    ReasonOut,
)
from jigsaw.agreements.terms import (
    MAX_DOCUMENT_BYTES,
    AgreementInvalid,
    Terms,
    check_document,
    schema,
)
from jigsaw.audit import service as audit
from jigsaw.audit.actions import AuditAction
from jigsaw.audit.reads import not_a_person_read
from jigsaw.clock import today, utcnow
from jigsaw.db import Database
from jigsaw.errors import Conflict, FieldProblem, NotFound, NotPermitted
from jigsaw.identity.models import Agency
from jigsaw.policy import authorize
from jigsaw.policy.actor import Actor
from jigsaw.policy.authorize import Permission

OBJECT = "sharing_agreement"


def _checked(session: Session, document: Mapping[str, Any], version: int, keeper: int) -> Terms:
    """The document's terms, or every problem with it, including agencies that do not exist,
    a version number that is not the one being made, and a bespoke agreement its keeper is
    no party to (one agency's DPO does not bind two others to share between themselves)."""
    size = len(json.dumps(document, ensure_ascii=False).encode("utf-8"))
    if size > MAX_DOCUMENT_BYTES:
        raise AgreementInvalid(
            FieldProblem(
                "document",
                f"is {size:,} bytes; an agreement may be at most {MAX_DOCUMENT_BYTES:,} bytes",
            )
        )
    terms = check_document(document)
    problems: list[FieldProblem] = []
    if "version" in document and document["version"] != version:
        problems.append(FieldProblem("version", f"must be {version}, the version being made"))
    for side, parties in (("provider", terms.providers), ("recipient", terms.recipients)):
        for index, party in enumerate(parties):
            if party.agency_id is not None and session.get(Agency, party.agency_id) is None:
                problems.append(
                    FieldProblem(f"{side}.{index}.agency_id", "is not an agency in Jigsaw")
                )
    if terms.tier == Tier.BESPOKE:
        kind = session.scalar(select(Agency.kind).where(Agency.id == keeper))
        parties = (*terms.providers, *terms.recipients)
        if kind is None or not any(p.covers(keeper, kind) for p in parties):
            problems.append(
                FieldProblem(
                    "provider",
                    "a bespoke agreement must name the agency keeping it as a provider "
                    "or a recipient",
                )
            )
    if problems:
        raise AgreementInvalid(*problems)
    return terms


def _keeper(actor: Actor) -> int:
    authorize.require(actor, Permission.MANAGE_AGREEMENTS, actor.agency_id)
    assert actor.agency_id is not None  # the policy permits only people of an agency
    return actor.agency_id


def _row(session: Session, agreement_id: int) -> SharingAgreement:
    row = session.get(SharingAgreement, agreement_id)
    if row is None:
        raise NotFound("agreement", agreement_id)
    return row


def _kept(session: Session, actor: Actor, agreement_id: int) -> SharingAgreement:
    """The version, if the actor may change it: its keeping agency's DPO or Caldicott."""
    row = _row(session, agreement_id)
    authorize.require(actor, Permission.MANAGE_AGREEMENTS, row.keeper_agency_id)
    return row


def _events(session: Session, ids: Sequence[int]) -> list[AgreementEvent]:
    return list(
        session.scalars(
            select(AgreementEvent)
            .where(AgreementEvent.agreement_id.in_(ids))
            .order_by(AgreementEvent.recorded_at, AgreementEvent.id)
        )
    )


def _standing(session: Session, row: SharingAgreement) -> Standing:
    return standing_of(_events(session, [row.id]))


def _out(row: SharingAgreement, standing: Standing) -> AgreementOut:
    return AgreementOut(
        id=row.id,
        reference=row.reference,
        version=row.version,
        tier=row.tier,
        title=row.title,
        status=standing.status,
        starts_on=row.starts_on,
        ends_on=row.ends_on,
        approved_on=standing.approved_on,
        closed_on=standing.closed_on,
        keeper_agency_id=row.keeper_agency_id,
        supersedes_id=row.supersedes_id,
        created_at=row.created_at,
    )


def _event(
    session: Session,
    actor: Actor,
    row: SharingAgreement,
    kind: EventKind,
    effective_on: date,
    note: str = "",
) -> AgreementEvent:
    event = AgreementEvent(
        agreement_id=row.id,
        kind=kind,
        effective_on=effective_on,
        note=note,
        recorded_by_id=actor.practitioner_id,
        recorded_at=utcnow(),
    )
    session.add(event)
    session.flush()
    return event


def _version_row(
    actor: Actor,
    keeper: int,
    document: Mapping[str, Any],
    terms: Terms,
    version: int,
    supersedes: int | None,
) -> SharingAgreement:
    return SharingAgreement(
        reference=terms.reference,
        version=version,
        tier=terms.tier,
        title=terms.title,
        starts_on=terms.starts_on,
        ends_on=terms.ends_on,
        document={**document, "version": version},
        keeper_agency_id=keeper,
        supersedes_id=supersedes,
        created_by_id=actor.practitioner_id,
        created_at=utcnow(),
    )


def create(db: Database, actor: Actor, document: Mapping[str, Any]) -> AgreementOut:
    """Register a new agreement as a draft (version 1), kept by the actor's agency."""
    with db.transaction() as session:
        keeper = _keeper(actor)
        terms = _checked(session, document, 1, keeper)
        if _latest_version(session, terms.reference):
            raise AgreementInvalid(
                FieldProblem(
                    "reference",
                    f"{terms.reference} is already registered: supersede it with a new version",
                )
            )
        row = _version_row(actor, keeper, document, terms, 1, None)
        session.add(row)
        try:
            session.flush()
        except IntegrityError as exc:
            raise Conflict(
                f"{terms.reference} has just been registered by someone else: "
                "supersede it with a new version"
            ) from exc
        audit.append_new(
            session,
            actor,
            row,
            AuditAction.AGREEMENT_CREATED,
            OBJECT,
            refs={"agency": keeper, "version": 1},
        )
        return _out(row, Standing(None, None, None))


def approve(db: Database, actor: Actor, agreement_id: int, note: str = "") -> AgreementOut:
    """Bring a draft into force: from its start date, or from today if that has passed,
    so no share already judged is judged differently afterwards."""
    with db.transaction() as session:
        row = _kept(session, actor, agreement_id)
        if _standing(session, row).status is not AgreementStatus.DRAFT:
            raise Conflict("Only a draft can be approved; this version already has been.")
        _event(session, actor, row, EventKind.APPROVED, today(), note)
        audit.append(
            session,
            actor,
            AuditAction.AGREEMENT_APPROVED,
            OBJECT,
            row.id,
            refs={"agency": row.keeper_agency_id, "version": row.version},
        )
        return _out(row, _standing(session, row))


def _latest_version(session: Session, reference: str) -> int:
    return int(
        session.scalar(
            select(func.max(SharingAgreement.version)).where(
                SharingAgreement.reference == reference
            )
        )
        or 0
    )


def supersede(
    db: Database, actor: Actor, agreement_id: int, document: Mapping[str, Any]
) -> AgreementOut:
    """A new version, in force from its start date; the old one applies up to the day before.

    The new version is approved in the same act: the person superseding is the one who
    would approve it, and leaving a gap between the two would leave the agencies with no
    agreement at all. The date cannot be in the past, so no request already judged is
    judged differently afterwards.
    """
    with db.transaction() as session:
        old = _kept(session, actor, agreement_id)
        standing = _standing(session, old)
        if standing.status is not AgreementStatus.IN_FORCE:
            raise Conflict("Only a version in force can be superseded.")
        version = _latest_version(session, old.reference) + 1
        terms = _checked(session, document, version, old.keeper_agency_id)
        problems = []
        if terms.reference != old.reference:
            problems.append(FieldProblem("reference", f"must stay {old.reference}"))
        if terms.starts_on <= old.starts_on:
            problems.append(
                FieldProblem(
                    "start_date",
                    f"must be after {old.starts_on.isoformat()}, when version "
                    f"{old.version} started",
                )
            )
        if terms.starts_on < today():
            problems.append(
                FieldProblem(
                    "start_date", "cannot be in the past: a new version applies from today or later"
                )
            )
        if problems:
            raise AgreementInvalid(*problems)
        new = _version_row(actor, old.keeper_agency_id, document, terms, version, old.id)
        session.add(new)
        try:
            session.flush()
        except IntegrityError as exc:
            # Two supersessions at once: both read the same latest version, and the
            # database lets only one of them write the next.
            raise Conflict(
                "This agreement has just been superseded by someone else; "
                "open it again to see the new version."
            ) from exc
        _event(session, actor, new, EventKind.APPROVED, today())
        _event(session, actor, old, EventKind.SUPERSEDED, terms.starts_on)
        audit.append(
            session,
            actor,
            AuditAction.AGREEMENT_SUPERSEDED,
            OBJECT,
            new.id,
            refs={"agency": old.keeper_agency_id, "supersedes": old.id, "version": version},
        )
        return _out(new, _standing(session, new))


def end(
    db: Database, actor: Actor, agreement_id: int, ends_on: date, note: str = ""
) -> AgreementOut:
    """End a version early with nothing in its place, from ``ends_on`` (today or later)."""
    with db.transaction() as session:
        row = _kept(session, actor, agreement_id)
        standing = _standing(session, row)
        if standing.status is not AgreementStatus.IN_FORCE:
            raise Conflict("Only a version in force can be ended.")
        if ends_on < today():
            raise AgreementInvalid(
                FieldProblem("ends_on", "cannot be in the past: end it from today or later")
            )
        _event(session, actor, row, EventKind.ENDED, ends_on, note)
        audit.append(
            session,
            actor,
            AuditAction.AGREEMENT_ENDED,
            OBJECT,
            row.id,
            refs={"agency": row.keeper_agency_id, "version": row.version},
        )
        return _out(row, _standing(session, row))


# Reading the register


def _may_read(actor: Actor) -> None:
    authorize.check(actor, Permission.VIEW_AGREEMENTS, authorize.service())


@not_a_person_read("Agreements are between organisations and name no child or family")
def list_agreements(db: Database, actor: Actor) -> list[AgreementOut]:
    """Every version of every agreement, by reference and version."""
    _may_read(actor)
    with db.reading() as session:
        rows = list(
            session.scalars(
                select(SharingAgreement).order_by(
                    SharingAgreement.reference, SharingAgreement.version
                )
            )
        )
        events: dict[int, list[AgreementEvent]] = {}
        for event in _events(session, [r.id for r in rows]):
            events.setdefault(event.agreement_id, []).append(event)
        return [_out(r, standing_of(events.get(r.id, ()))) for r in rows]


@not_a_person_read("Agreements are between organisations and name no child or family")
def view_agreement(db: Database, actor: Actor, agreement_id: int) -> AgreementDetail:
    """One version with its document, every version of the same reference, and their events."""
    _may_read(actor)
    with db.reading() as session:
        row = _row(session, agreement_id)
        versions = list(
            session.scalars(
                select(SharingAgreement)
                .where(SharingAgreement.reference == row.reference)
                .order_by(SharingAgreement.version)
            )
        )
        events = _events(session, [v.id for v in versions])
        by_version = {
            v.id: _out(v, standing_of(e for e in events if e.agreement_id == v.id))
            for v in versions
        }
        return AgreementDetail(
            **by_version[row.id].model_dump(),
            document=row.document,
            versions=list(by_version.values()),
            events=[AgreementEventOut.model_validate(e) for e in events],
        )


def document_schema() -> dict[str, Any]:
    """The JSON Schema documents are checked against, for systems to check theirs first."""
    return schema()


def require_manage(actor: Actor, keeper_agency_id: int | None = None) -> None:
    """Refuse, before a form is shown, anyone who could not send it."""
    if not may_manage(actor, keeper_agency_id):
        raise NotPermitted(authorize.refusal(Permission.MANAGE_AGREEMENTS))


def may_manage(actor: Actor, keeper_agency_id: int | None = None) -> bool:
    """Whether to offer the actor the buttons that change agreements."""
    agency = keeper_agency_id if keeper_agency_id is not None else actor.agency_id
    return authorize.is_permitted(actor, Permission.MANAGE_AGREEMENTS, agency)


@not_a_person_read("Judges a share between two agencies against their agreements; names no one")
def check_share(db: Database, actor: Actor, request: EvaluationIn) -> EvaluationOut:
    """The validity check for a share the actor's own agency would make or receive."""
    agencies = [
        authorize.agency(request.provider_agency_id),
        authorize.agency(request.recipient_agency_id),
    ]
    if not any(authorize.allowed_each(actor, Permission.CHECK_AGREEMENT, agencies)):
        raise NotPermitted(authorize.refusal(Permission.CHECK_AGREEMENT))
    at = request.at or utcnow()
    with db.reading() as session:
        found = validity.evaluate(
            session,
            provider_agency_id=request.provider_agency_id,
            recipient_agency_id=request.recipient_agency_id,
            purpose=request.purpose,
            categories=request.categories,
            at=at,
            onward=request.onward,
        )
    return EvaluationOut(
        verdict=found.verdict.value,
        reasons=[ReasonOut(code=r.code, text=r.text) for r in found.reasons],
        agreement_id=found.agreement_id,
        agreement_reference=found.agreement_reference,
        agreement_version=found.agreement_version,
        delete_after_days=found.delete_after_days,
    )


def as_datetime(day: date) -> datetime:
    """Midday UTC on ``day``: safely inside the same UK date whatever the season."""
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
