"""Recording transparency, agreement to a service, and consent — and reading the position."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from jigsaw.audit import service as audit
from jigsaw.audit.actions import AuditAction
from jigsaw.audit.reads import audited_read
from jigsaw.clock import utcnow
from jigsaw.consent.models import (
    ConsentRecord,
    ConsentStatus,
    ServiceAgreement,
    SharingPurpose,
    TransparencyRecord,
)
from jigsaw.consent.schemas import (
    ConsentIn,
    ConsentOut,
    ServiceAgreementIn,
    ServiceAgreementOut,
    TransparencyIn,
    TransparencyOut,
)
from jigsaw.db import Database
from jigsaw.errors import InvalidInput
from jigsaw.people.models import AgencyRecord
from jigsaw.people.own import own_record, own_subject
from jigsaw.policy.actor import Actor


def record_transparency(db: Database, actor: Actor, data: TransparencyIn) -> TransparencyOut:
    with db.transaction() as session:
        subject = own_subject(session, actor, data.subject_record_id)
        row = TransparencyRecord(
            **data.model_dump(), told_by_id=actor.practitioner_id, **_made_now(subject)
        )
        _append(session, actor, row, AuditAction.TRANSPARENCY_RECORDED, "transparency_record")
        return TransparencyOut.model_validate(row)


def record_service_agreement(
    db: Database, actor: Actor, data: ServiceAgreementIn
) -> ServiceAgreementOut:
    with db.transaction() as session:
        subject = own_subject(session, actor, data.subject_record_id)
        row = ServiceAgreement(
            **data.model_dump(), recorded_by_id=actor.practitioner_id, **_made_now(subject)
        )
        _append(session, actor, row, AuditAction.SERVICE_AGREEMENT_RECORDED, "service_agreement")
        return ServiceAgreementOut.model_validate(row)


def record_consent(db: Database, actor: Actor, data: ConsentIn) -> ConsentOut:
    """Consent given, refused or withdrawn for one purpose; the newest row is the position."""
    with db.transaction() as session:
        subject = own_subject(session, actor, data.subject_record_id)
        if data.status is ConsentStatus.WITHDRAWN:
            current = _latest(session, subject.id, data.purpose)
            if current is None or current.status is not ConsentStatus.GIVEN:
                raise InvalidInput.one(
                    "status", "Consent can only be withdrawn after it has been given"
                )
        row = ConsentRecord(
            **data.model_dump(), recorded_by_id=actor.practitioner_id, **_made_now(subject)
        )
        purpose = data.purpose.value
        _append(session, actor, row, AuditAction.CONSENT_RECORDED, "consent_record", purpose)
        return ConsentOut.model_validate(row)


def _made_now(subject: AgencyRecord) -> dict[str, Any]:
    """What every record about a child holds besides its own answers: whose it is, and when."""
    return {"agency_id": subject.agency_id, "recorded_at": utcnow()}


def _append(
    session: Session,
    actor: Actor,
    row: TransparencyRecord | ServiceAgreement | ConsentRecord,
    action: AuditAction,
    object_type: str,
    purpose: str | None = None,
) -> None:
    refs = {"agency_record": row.subject_record_id}
    audit.append_new(session, actor, row, action, object_type, purpose=purpose, refs=refs)


def _latest(session: Session, record_id: int, purpose: SharingPurpose) -> ConsentRecord | None:
    return session.scalar(
        select(ConsentRecord)
        .where(ConsentRecord.subject_record_id == record_id, ConsentRecord.purpose == purpose)
        .order_by(ConsentRecord.recorded_at.desc(), ConsentRecord.id.desc())
        .limit(1)
    )


@audited_read(AuditAction.CONSENT_VIEWED)
def consent_history(db: Database, actor: Actor, record_id: int) -> list[ConsentOut]:
    with db.transaction() as session:
        own_record(session, actor, record_id)
        rows = [
            ConsentOut.model_validate(r)
            for r in session.scalars(
                select(ConsentRecord)
                .where(ConsentRecord.subject_record_id == record_id)
                .order_by(ConsentRecord.recorded_at, ConsentRecord.id)
            )
        ]
        audit.append(
            session,
            actor,
            AuditAction.CONSENT_VIEWED,
            "agency_record",
            record_id,
            refs={"consents": [r.id for r in rows]},
        )
        return rows


def current_consent(
    session: Session, record_id: int, purpose: SharingPurpose
) -> ConsentStatus | None:
    """The consent position now, for a decision to check its stated position against."""
    latest = _latest(session, record_id, purpose)
    return None if latest is None else latest.status


def current_competence(session: Session, record_id: int, purpose: SharingPurpose) -> bool | None:
    """Whether the consent now recorded for the purpose judged the child competent to
    decide for themselves; None where there is no record or it did not say."""
    latest = _latest(session, record_id, purpose)
    return None if latest is None else latest.child_competent
