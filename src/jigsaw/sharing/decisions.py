"""Recording a sharing decision: the guidance's recommendation, and what was decided and why.

The guidance engine gives the recommendation from the answers; this module checks
that the record carries what the law and the guidance require for the outcome
chosen (``RECORD_CHECKS``), then writes the decision once. A decision is never
changed: reconsidering one writes a new decision that points at it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from jigsaw.access import policy
from jigsaw.access.actor import Actor
from jigsaw.access.policy import FRONTLINE, Permission
from jigsaw.agencies.models import Agency, Practitioner
from jigsaw.agencies.roles import AgencyKind
from jigsaw.audit import service as audit
from jigsaw.audit.actions import AuditAction
from jigsaw.audit.reads import audited_read
from jigsaw.clock import utcnow
from jigsaw.consent.models import ConsentStatus
from jigsaw.consent.service import current_consent, own_subject
from jigsaw.db import Database
from jigsaw.errors import FieldProblem, InvalidInput, NotFound
from jigsaw.guidance.engine import load_edition, recommend
from jigsaw.guidance.models import Recommendation, RecordField
from jigsaw.sharing.lawful_basis import Art6Basis, Art9Condition, Art10Condition
from jigsaw.sharing.models import (
    AdviceRequest,
    ConsentPosition,
    DecisionAdvice,
    DecisionOutcome,
    InformationRequest,
    SharingDecision,
)
from jigsaw.sharing.schemas import DecisionIn, DecisionOut, RefusalOut

SHARING = (DecisionOutcome.SHARE, DecisionOutcome.SHARE_IN_PART)
OVERRIDDEN = (ConsentPosition.REFUSED, ConsentPosition.WITHDRAWN)


@dataclass(frozen=True)
class RecordCheck:
    """One thing a decision record must carry, when it applies, and what to tell the user."""

    field: str
    applies: Callable[[DecisionIn], bool]
    present: Callable[[DecisionIn], bool]
    message: str


RECORD_CHECKS: tuple[RecordCheck, ...] = (
    RecordCheck(
        "lawful_basis",
        lambda d: d.outcome in SHARING and d.answers.get("identifies_living_person") != "no",
        lambda d: bool(d.lawful_basis),
        "Name the UK GDPR Article 6 lawful basis for sharing",
    ),
    RecordCheck(
        "consent_override_justification",
        lambda d: d.outcome in SHARING and d.consent_position in OVERRIDDEN,
        lambda d: bool(d.consent_override_justification.strip()),
        "Consent was refused or withdrawn: give the facts that justify sharing without it",
    ),
    RecordCheck(
        "not_told_reason",
        lambda d: d.outcome in SHARING and not d.family_informed,
        lambda d: d.not_told_reason is not None,
        "Say why the child or family will not be told about this sharing",
    ),
    RecordCheck(
        "lawful_basis",
        lambda d: d.lawful_basis == Art6Basis.CONSENT.value,
        lambda d: d.consent_position is ConsentPosition.GIVEN,
        "Consent cannot be the lawful basis unless consent was given",
    ),
)

NEEDED_FROM_GUIDANCE: dict[RecordField, tuple[str, Callable[[DecisionIn], bool]]] = {
    RecordField.ADVICE_SOUGHT: ("advice_request_ids", lambda d: bool(d.advice_request_ids)),
    RecordField.LAWFUL_BASIS: ("lawful_basis", lambda d: bool(d.lawful_basis)),
    RecordField.ART9_CONDITION: ("art9_condition", lambda d: bool(d.art9_condition)),
    RecordField.ART10_CONDITION: ("art10_condition", lambda d: bool(d.art10_condition)),
    RecordField.CONSENT_OVERRIDE_JUSTIFICATION: (
        "consent_override_justification",
        lambda d: bool(d.consent_override_justification.strip()),
    ),
    RecordField.FAMILY_INFORMED_OR_REASON: (
        "not_told_reason",
        lambda d: d.family_informed or d.not_told_reason is not None,
    ),
    RecordField.ACCURACY_CAVEATS: ("accuracy_caveats", lambda d: bool(d.accuracy_caveats.strip())),
}
"""Fields the guidance can ask for that live on the decision record. The others are met
elsewhere: ``reasons`` is required by the schema, ``items_and_fields`` by every
disclosure, and ``protected_identities`` by redaction, which is on unless a decision
gives a reason to reveal."""

CONSENT_ANSWERS: dict[str, frozenset[ConsentPosition]] = {
    "not_sought": frozenset(
        {ConsentPosition.NOT_SOUGHT_OTHER, ConsentPosition.NOT_SOUGHT_WOULD_INCREASE_RISK}
    ),
}
"""Consent answers of older editions that cover more than one recorded position."""

CODES: dict[str, frozenset[str]] = {
    "lawful_basis": frozenset(b.value for b in Art6Basis),
    "art9_condition": frozenset(c.value for c in Art9Condition),
    "art10_condition": frozenset(c.value for c in Art10Condition),
}

SAFEGUARDING_AGENCIES = frozenset(k for k in AgencyKind if k is not AgencyKind.OTHER)


def _problems(data: DecisionIn, advice: Recommendation) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    for name, allowed in CODES.items():
        value = getattr(data, name)
        if value is not None and value not in allowed:
            problems.append((name, f"Choose one of: {', '.join(sorted(allowed))}"))
    for check in RECORD_CHECKS:
        if check.applies(data) and not check.present(data):
            problems.append((check.field, check.message))
    if data.outcome.value != advice.outcome.value and not data.departure_reason.strip():
        problems.append(
            (
                "departure_reason",
                f"The guidance recommends '{advice.outcome.value}': say why you decided otherwise",
            )
        )
    if data.outcome in SHARING or data.outcome.value == advice.outcome.value:
        for needed in advice.still_needed:
            if needed.field in NEEDED_FROM_GUIDANCE:
                field, present = NEEDED_FROM_GUIDANCE[needed.field]
                if not present(data):
                    problems.append((field, needed.explanation))
    answered = data.answers.get("consent")
    matching = CONSENT_ANSWERS.get(answered or "", frozenset())
    if (
        answered is not None
        and answered not in ("not_sure", data.consent_position.value)
        and data.consent_position not in matching
    ):
        problems.append(
            ("consent_position", "The consent position differs from your answer on consent")
        )
    unique: dict[str, str] = {}
    for field, message in problems:
        unique.setdefault(field, message)
    return list(unique.items())


def _check_links(session: Session, actor: Actor, data: DecisionIn, subject_id: int) -> None:
    recipient = session.get(Agency, data.recipient_agency_id)
    if recipient is None:
        raise InvalidInput.one("recipient_agency_id", "There is no such agency")
    if recipient.kind not in SAFEGUARDING_AGENCIES:
        raise InvalidInput.one(
            "recipient_agency_id",
            "Share only with an agency that has a safeguarding or support role",
        )
    if data.recipient_practitioner_id is not None:
        person = session.get(Practitioner, data.recipient_practitioner_id)
        if person is None or person.agency_id != recipient.id or not person.active:
            raise InvalidInput.one(
                "recipient_practitioner_id", "The recipient must work for the recipient agency"
            )
        if person.role not in FRONTLINE:
            raise InvalidInput.one(
                "recipient_practitioner_id",
                "Share only with a practitioner who has a safeguarding or support role",
            )
    if data.request_id is not None:
        request = session.get(InformationRequest, data.request_id)
        if request is None or request.recipient_agency_id != actor.agency_id:
            raise InvalidInput.one("request_id", "That request was not made to your agency")
        if request.requester_agency_id != data.recipient_agency_id:
            raise InvalidInput.one(
                "recipient_agency_id", "A decision on a request answers the requesting agency"
            )
    if data.reconsiders_id is not None:
        earlier = session.get(SharingDecision, data.reconsiders_id)
        if (
            earlier is None
            or earlier.agency_id != actor.agency_id
            or earlier.subject_record_id != subject_id
        ):
            raise InvalidInput.one(
                "reconsiders_id", "Reconsider one of your agency's decisions about this child"
            )
        if session.scalar(
            select(SharingDecision.id).where(SharingDecision.reconsiders_id == earlier.id)
        ):
            raise InvalidInput.one(
                "reconsiders_id",
                "That decision has already been reconsidered; reconsider the latest",
            )
    for advice_id in data.advice_request_ids:
        advice = session.get(AdviceRequest, advice_id)
        if advice is None or advice.asked_by_id != actor.practitioner_id:
            raise InvalidInput.one("advice_request_ids", f"You did not ask for advice {advice_id}")


def _check_consent_record(session: Session, data: DecisionIn, subject_id: int) -> None:
    recorded = current_consent(session, subject_id, data.purpose)
    if recorded is None:
        return
    claimed = {
        ConsentPosition.GIVEN: ConsentStatus.GIVEN,
        ConsentPosition.REFUSED: ConsentStatus.REFUSED,
        ConsentPosition.WITHDRAWN: ConsentStatus.WITHDRAWN,
    }.get(data.consent_position)
    if claimed is not None and claimed is not recorded:
        raise InvalidInput.one(
            "consent_position",
            f"The consent record for this purpose says '{recorded.value}'",
        )


def decide(db: Database, actor: Actor, data: DecisionIn) -> DecisionOut:
    edition = load_edition(data.guidance_edition)
    advice = recommend(edition, data.answers)
    with db.transaction() as session:
        subject = own_subject(session, actor, data.subject_record_id)
        problems = _problems(data, advice)
        if problems:
            raise InvalidInput(*[FieldProblem(f, m) for f, m in problems])
        _check_links(session, actor, data, subject.id)
        _check_consent_record(session, data, subject.id)
        assert actor.practitioner_id is not None
        decision = SharingDecision(
            agency_id=subject.agency_id,
            subject_record_id=subject.id,
            decided_by_id=actor.practitioner_id,
            request_id=data.request_id,
            reconsiders_id=data.reconsiders_id,
            recipient_agency_id=data.recipient_agency_id,
            recipient_practitioner_id=data.recipient_practitioner_id,
            purpose=data.purpose,
            answers=dict(sorted(data.answers.items())),
            guidance_edition=advice.edition,
            guidance_version=advice.version,
            recommendation=advice.outcome.value,
            recommendation_rules=[r.id for r in advice.rules],
            outcome=data.outcome,
            departure_reason=data.departure_reason,
            reasons=data.reasons,
            lawful_basis=data.lawful_basis,
            art9_condition=data.art9_condition,
            art10_condition=data.art10_condition,
            consent_position=data.consent_position,
            consent_override_justification=data.consent_override_justification,
            family_informed=data.family_informed,
            not_told_reason=data.not_told_reason,
            reveal_protected_reason=data.reveal_protected_reason,
            accuracy_caveats=data.accuracy_caveats,
            decided_at=utcnow(),
        )
        session.add(decision)
        session.flush()
        for advice_id in sorted(set(data.advice_request_ids)):
            session.add(DecisionAdvice(decision_id=decision.id, advice_request_id=advice_id))
        audit.append(
            session,
            actor,
            AuditAction.DECISION_RECORDED,
            "sharing_decision",
            decision.id,
            purpose=data.purpose.value,
            refs={
                "agency_record": subject.id,
                "outcome": data.outcome.value,
                "recipient_agency": data.recipient_agency_id,
                **({"request": data.request_id} if data.request_id else {}),
                **({"reconsiders": data.reconsiders_id} if data.reconsiders_id else {}),
            },
        )
        session.flush()
        return decision_out(session, decision)


def decision_out(session: Session, decision: SharingDecision) -> DecisionOut:
    out = DecisionOut.model_validate(decision)
    out.advice_request_ids = list(
        session.scalars(
            select(DecisionAdvice.advice_request_id)
            .where(DecisionAdvice.decision_id == decision.id)
            .order_by(DecisionAdvice.advice_request_id)
        )
    )
    out.reconsidered_by_id = session.scalar(
        select(SharingDecision.id).where(SharingDecision.reconsiders_id == decision.id)
    )
    return out


def request_grant(request: InformationRequest) -> policy.Entity:
    return policy.information_request(
        request.id, request.requester_agency_id, request.recipient_agency_id
    )


@audited_read(AuditAction.DECISION_VIEWED)
def view_decision(db: Database, actor: Actor, decision_id: int) -> DecisionOut:
    with db.transaction() as session:
        decision = session.get(SharingDecision, decision_id)
        if decision is None or not policy.allowed(
            actor, Permission.VIEW_DECISION, policy.decision(decision.id, decision.agency_id)
        ):
            raise NotFound("sharing decision", decision_id)
        audit.append(session, actor, AuditAction.DECISION_VIEWED, "sharing_decision", decision.id)
        return decision_out(session, decision)


@audited_read(AuditAction.DECISION_VIEWED)
def decisions_for_request(db: Database, actor: Actor, request_id: int) -> list[RefusalOut]:
    """What the requesting agency sees of the answers: outcome and reasons, so a refusal
    can be understood, challenged, or reconsidered when new information arrives."""
    with db.transaction() as session:
        request = session.get(InformationRequest, request_id)
        if request is None or not policy.allowed(
            actor, Permission.VIEW_REQUEST, request_grant(request)
        ):
            raise NotFound("information request", request_id)
        rows = list(
            session.scalars(
                select(SharingDecision)
                .where(SharingDecision.request_id == request_id)
                .order_by(SharingDecision.id)
            )
        )
        audit.append(
            session,
            actor,
            AuditAction.DECISION_VIEWED,
            "information_request",
            request_id,
            refs={"decisions": [r.id for r in rows]},
        )
        return [
            RefusalOut(
                id=r.id,
                request_id=r.request_id,
                outcome=r.outcome,
                reasons=r.reasons,
                decided_at=r.decided_at,
                reconsidered_by_id=decision_out(session, r).reconsidered_by_id,
            )
            for r in rows
        ]
