"""Recording a sharing decision: the guidance's recommendation, and what was decided and why.

The guidance engine gives the recommendation from the answers; this module checks
that the record carries what the law and the guidance require for the outcome
chosen (``requirements``, which the decision pages follow too), then writes the
decision once. A decision is never
changed: reconsidering one writes a new decision that points at it.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from jigsaw.agreements.validity import Evaluation, evaluate
from jigsaw.audit import service as audit
from jigsaw.audit.actions import AuditAction
from jigsaw.audit.reads import audited_read, not_a_person_read
from jigsaw.clock import today, utcnow
from jigsaw.consent.models import ConsentStatus, SharingPurpose
from jigsaw.consent.service import current_competence, current_consent
from jigsaw.db import Database
from jigsaw.errors import FieldProblem, InvalidInput, NotFound
from jigsaw.guidance import list_editions
from jigsaw.identity.models import Agency, Practitioner
from jigsaw.notifications.models import NotificationKind
from jigsaw.notifications.service import notify
from jigsaw.people.own import own_record, own_subject
from jigsaw.policy import authorize as policy
from jigsaw.policy import scopes
from jigsaw.policy.actor import Actor
from jigsaw.policy.authorize import Permission
from jigsaw.policy.roles import AgencyKind
from jigsaw.records.models import InformationItem
from jigsaw.sharing import notices
from jigsaw.sharing.agreement_checks import AGREEMENTS_ONLY
from jigsaw.sharing.models import (
    AdviceRequest,
    ConsentPosition,
    DecisionAdvice,
    DecisionWithheldItem,
    InformationRequest,
    SharingDecision,
)
from jigsaw.sharing.notices import request_grant
from jigsaw.sharing.requirements import Draft, requirements
from jigsaw.sharing.schemas import DecisionIn, DecisionOut, RefusalOut

SAFEGUARDING_AGENCIES = frozenset(k for k in AgencyKind if k is not AgencyKind.OTHER)


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
        if person.role not in scopes.recipient_roles():
            raise InvalidInput.one(
                "recipient_practitioner_id",
                "Share only with a practitioner who has a safeguarding or support role",
            )
    if data.request_id is not None:
        request = session.get(InformationRequest, data.request_id)
        if request is None or not policy.allowed(
            actor, Permission.ANSWER_REQUEST, request_grant(request)
        ):
            raise InvalidInput.one("request_id", "That request was not made to your agency")
        if request.requester_agency_id != data.recipient_agency_id:
            raise InvalidInput.one(
                "recipient_agency_id", "A decision on a request answers the requesting agency"
            )
    if data.reconsiders_id is not None:
        earlier = session.get(SharingDecision, data.reconsiders_id)
        if (
            earlier is None
            or not may_act_on(actor, earlier)
            or earlier.subject_record_id != subject_id
        ):
            raise InvalidInput.one(
                "reconsiders_id", "Reconsider one of your agency's decisions about this child"
            )
        if reconsidered_by(session, earlier.id):
            raise InvalidInput.one(
                "reconsiders_id",
                "That decision has already been reconsidered; reconsider the latest",
            )
    for advice_id in data.advice_request_ids:
        advice = session.get(AdviceRequest, advice_id)
        if advice is None or advice.asked_by_id != actor.practitioner_id:
            raise InvalidInput.one("advice_request_ids", f"You did not ask for advice {advice_id}")
        # Advice about another child, or about no child's record at all, is not advice on
        # this decision: the guidance's "seek advice" is met only by advice on this child.
        # An anonymised request still keeps the child's record for the asker (the adviser
        # is never shown it), so asking anonymised costs nothing here.
        if advice.subject_record_id != subject_id:
            raise InvalidInput.one(
                "advice_request_ids",
                f"Advice {advice_id} was not asked about this child: link advice you asked "
                "about this child's record, or ask again naming them (the adviser is still "
                "not shown who they are if you ask anonymised)",
            )


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
    _check_competence(session, data, subject_id)


COMPETENCE = {"yes": True, "no": False}


def _check_competence(session: Session, data: DecisionIn, subject_id: int) -> None:
    """A decision cannot say the young person could decide for themselves when the
    consent record for the purpose judged otherwise (or the other way round): a refusal
    is respected, or overridden, on who was competent to give it."""
    claimed = COMPETENCE.get(data.answers.get("young_person_competent", ""))
    if claimed is None:
        return
    recorded = current_competence(session, subject_id, data.purpose)
    if recorded is None or recorded is claimed:
        return
    said = "competent" if recorded else "not competent"
    raise InvalidInput.one(
        "young_person_competent",
        f"The consent record for this purpose says the young person is {said} to decide "
        "this for themselves: change your answer, or record their consent again",
    )


def _withheld_chains(session: Session, data: DecisionIn, subject_id: int) -> list[int]:
    """The items a decision not to share held back, as chains; each must be about the
    child the decision is about (so only ever the deciding agency's own items)."""
    chains: set[int] = set()
    for item_id in data.withheld_item_ids:
        item = session.get(InformationItem, item_id)
        if item is None or item.subject_record_id != subject_id:
            raise InvalidInput.one(
                "withheld_item_ids", f"Item {item_id} is not about the child this decision is about"
            )
        chains.add(item.chain_id)
    return sorted(chains)


def _review_on(data: DecisionIn) -> date | None:
    """When not telling the family will be reviewed, kept only where they are not told."""
    if data.family_informed or data.not_told_review_on is None:
        return None
    if data.not_told_review_on < today():
        raise InvalidInput.one("not_told_review_on", "The review date must be today or later")
    return data.not_told_review_on


def _current_edition(data: DecisionIn) -> str:
    """The edition a new decision is made under: only ever the current one.

    Older editions stay loadable so that decisions made under them can be read and
    explained, but choosing one for a new decision would let a practitioner step round
    rules that have since changed.
    """
    current = list_editions()[0]
    if data.guidance_edition not in (None, current):
        raise InvalidInput.one(
            "guidance_edition",
            f"New decisions are made under the current guidance edition, {current}: "
            "leave the edition out or give that one",
        )
    return current


def decide(db: Database, actor: Actor, data: DecisionIn) -> DecisionOut:
    needs = requirements(Draft.of(data, _current_edition(data)))
    advice = needs.recommendation
    with db.transaction() as session:
        subject = own_subject(session, actor, data.subject_record_id)
        if needs.problems:
            raise InvalidInput(*[FieldProblem(f, m) for f, m in needs.problems])
        _check_links(session, actor, data, subject.id)
        _check_consent_record(session, data, subject.id)
        withheld = _withheld_chains(session, data, subject.id)
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
            skipped_questions=[skip.model_dump() for skip in advice.skipped],
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
            not_told_review_on=_review_on(data),
            reveal_protected_reason=data.reveal_protected_reason,
            accuracy_caveats=data.accuracy_caveats,
            urgent_reason=data.urgent_reason,
            decided_at=utcnow(),
        )
        session.add(decision)
        session.flush()
        for advice_id in sorted(set(data.advice_request_ids)):
            session.add(DecisionAdvice(decision_id=decision.id, advice_request_id=advice_id))
        for chain_id in withheld:
            session.add(DecisionWithheldItem(decision_id=decision.id, item_chain_id=chain_id))
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
                **({"withheld_items": withheld} if withheld else {}),
            },
        )
        session.flush()
        if decision.request_id is not None:
            answered = session.get_one(InformationRequest, decision.request_id)
            notify(
                session,
                NotificationKind.REQUEST_ANSWERED,
                f"request-{answered.id}-decision-{decision.id}",
                "information_request",
                answered.id,
                notices.requester(session, answered),
            )
        return decision_out(session, decision)


@not_a_person_read(AGREEMENTS_ONLY)
def check_share(
    db: Database,
    actor: Actor,
    subject_record_id: int,
    recipient_agency_id: int,
    purpose: SharingPurpose,
    request_id: int | None = None,
) -> Evaluation:
    """What the agreements would say now of sharing about this child with this agency,
    shown where the practitioner decides whether to share. What would go is not chosen
    yet: it is what the request asked for, or else every kind of information the agency
    holds about the child. The disclosure is checked again on exactly what it carries."""
    with db.transaction() as session:
        subject = own_subject(session, actor, subject_record_id)
        request = session.get(InformationRequest, request_id) if request_id else None
        if request is not None and policy.allowed(
            actor, Permission.ANSWER_REQUEST, request_grant(request)
        ):
            categories = list(request.categories)
        else:
            categories = sorted(
                {
                    c.value
                    for c in session.scalars(
                        select(InformationItem.category).where(
                            InformationItem.subject_record_id == subject.id
                        )
                    )
                }
            )
        return evaluate(
            session,
            provider_agency_id=subject.agency_id,
            recipient_agency_id=recipient_agency_id,
            purpose=purpose,
            categories=categories,
            at=utcnow(),
        )


def decision_out(session: Session, decision: SharingDecision) -> DecisionOut:
    out = DecisionOut.model_validate(decision)
    out.advice_request_ids = list(
        session.scalars(
            select(DecisionAdvice.advice_request_id)
            .where(DecisionAdvice.decision_id == decision.id)
            .order_by(DecisionAdvice.advice_request_id)
        )
    )
    out.withheld_item_ids = list(
        session.scalars(
            select(DecisionWithheldItem.item_chain_id)
            .where(DecisionWithheldItem.decision_id == decision.id)
            .order_by(DecisionWithheldItem.item_chain_id)
        )
    )
    out.reconsidered_by_id = reconsidered_by(session, decision.id)
    return out


def reconsidered_by(session: Session, decision_id: int) -> int | None:
    """The decision that reconsiders this one: only the latest of a chain can be acted on."""
    return session.scalar(
        select(SharingDecision.id).where(SharingDecision.reconsiders_id == decision_id)
    )


def may_act_on(actor: Actor, decision: SharingDecision) -> bool:
    return policy.allowed(
        actor, Permission.ACT_ON_DECISION, policy.decision(decision.id, decision.agency_id)
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
def decisions_about(db: Database, actor: Actor, subject_record_id: int) -> list[DecisionOut]:
    """The decisions the actor's agency made about one of its own records, newest first.

    The child's page lists them, share and do-not-share alike, so that whoever opens
    the record sees what has already been decided and why before deciding again. Each
    is asked of the policy (R2): another agency's decisions are never among them.
    """
    with db.transaction() as session:
        record = own_record(session, actor, subject_record_id)
        rows = session.scalars(
            select(SharingDecision)
            .where(SharingDecision.subject_record_id == record.id)
            .order_by(SharingDecision.decided_at.desc(), SharingDecision.id.desc())
        )
        found = [
            decision_out(session, d)
            for d in rows
            if policy.allowed(actor, Permission.VIEW_DECISION, policy.decision(d.id, d.agency_id))
        ]
        audit.append(
            session,
            actor,
            AuditAction.DECISION_VIEWED,
            "agency_record",
            record.id,
            refs={"decisions": [d.id for d in found]},
        )
        return found


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
