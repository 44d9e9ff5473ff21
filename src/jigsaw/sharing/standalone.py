"""Recording sharing decisions that are not about one child's record with a safeguarding
agency, so that every decision, to share or not, has its reasons on record (golden rule 7).

A ``SharingDecision`` needs one child's record, a purpose from the closed list and a
recipient with a safeguarding role. Three real decisions fit none of that:

- anonymised information shared (termly figures for the safeguarding partnership, a
  case discussed without names). Information that identifies no living person is not
  personal data, but only if it cannot identify someone once put together with what
  the recipient already knows, so that check is part of the record;
- a request refused because whoever asked has no safeguarding or support role (a
  parent asking who made a referral, whose identity is protected by golden rule 5; a
  landlord, a journalist, a member of the public);
- a request refused because it gave no purpose, whoever made it.

Each is written once by ``record_standalone``, with its audit entry, in one
transaction; it is never changed. Only the deciding agency reads them (rule R2, as for
its other decisions); another agency's are answered as missing.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from jigsaw.audit import service as audit
from jigsaw.audit.actions import AuditAction
from jigsaw.audit.reads import audited_read
from jigsaw.clock import utcnow
from jigsaw.db import Database
from jigsaw.errors import FieldProblem, InvalidInput, NotFound
from jigsaw.identity.models import Agency
from jigsaw.people.models import AgencyRecord
from jigsaw.people.own import own_record, own_subject
from jigsaw.policy import authorize as policy
from jigsaw.policy.actor import Actor
from jigsaw.policy.authorize import Permission
from jigsaw.sharing.advice import identifying_details
from jigsaw.sharing.decisions import SAFEGUARDING_AGENCIES
from jigsaw.sharing.models import (
    STANDALONE_OUTCOMES,
    RequesterKind,
    StandaloneDecision,
    StandaloneKind,
)
from jigsaw.sharing.schemas import StandaloneDecisionIn, StandaloneDecisionOut

OUTCOME_MESSAGES: dict[StandaloneKind, str] = {
    StandaloneKind.ANONYMISED_SHARE: "Anonymised information is recorded as shared",
    StandaloneKind.REFUSED_NO_SAFEGUARDING_ROLE: "A refusal is recorded as not shared",
    StandaloneKind.REFUSED_NO_PURPOSE: "A refusal is recorded as not shared",
}
CHECK_NEEDED = (
    "Confirm you checked that what you shared cannot identify anyone, even put together "
    "with what the recipient already knows"
)
CHECK_ONLY_ANONYMISED = "Only anonymised sharing is checked for identifying anyone"
PURPOSE_NEEDED = (
    "Enter the purpose they gave. If they gave none, record a refusal of a request with no purpose"
)
NO_RECORD_WHEN_ANONYMISED = (
    "Anonymised information identifies no one, so it is not linked to a child's record: "
    "leave the child's record out"
)
NO_PURPOSE_GIVEN = (
    "You are recording a refusal because no purpose was given: leave the purpose blank, or "
    "record a refusal because whoever asked has no safeguarding or support role"
)
SAFEGUARDING_REQUESTER = (
    "A safeguarding agency has a safeguarding role: record a decision about the child's "
    "record, or a refusal of a request with no purpose"
)


def requirements(data: StandaloneDecisionIn) -> list[FieldProblem]:
    """What each kind needs that the answers alone show, all at once, so a page can ask
    before the check answers page and show each problem on its field."""
    found: list[FieldProblem] = []
    if data.outcome is not STANDALONE_OUTCOMES[data.kind]:
        found.append(FieldProblem("outcome", OUTCOME_MESSAGES[data.kind]))
    anonymised = data.kind is StandaloneKind.ANONYMISED_SHARE
    if anonymised and not data.identifiability_checked:
        found.append(FieldProblem("identifiability_checked", CHECK_NEEDED))
    if not anonymised and data.identifiability_checked:
        found.append(FieldProblem("identifiability_checked", CHECK_ONLY_ANONYMISED))
    if data.kind is not StandaloneKind.REFUSED_NO_PURPOSE and not data.stated_purpose:
        found.append(FieldProblem("stated_purpose", PURPOSE_NEEDED))
    if data.kind is StandaloneKind.REFUSED_NO_PURPOSE and data.stated_purpose:
        found.append(FieldProblem("stated_purpose", NO_PURPOSE_GIVEN))
    if anonymised and data.subject_record_id is not None:
        found.append(FieldProblem("subject_record_id", NO_RECORD_WHEN_ANONYMISED))
    if (
        data.kind is StandaloneKind.REFUSED_NO_SAFEGUARDING_ROLE
        and data.requester_kind is RequesterKind.SAFEGUARDING_AGENCY
    ):
        found.append(FieldProblem("requester_kind", SAFEGUARDING_REQUESTER))
    return found


def _naming_the_child(data: StandaloneDecisionIn, subject: AgencyRecord) -> list[FieldProblem]:
    """For anonymised sharing offered with a child's record: what in the information
    identifies that child, by the same check as anonymised advice
    (``advice.identifying_details``), so the practitioner sees what to take out as well
    as that the link goes. Without a record there is nothing to check the text against,
    and the practitioner's own check (``identifiability_checked``) is what stands."""
    if data.kind is not StandaloneKind.ANONYMISED_SHARE:
        return []
    found = ", ".join(dict.fromkeys(identifying_details(data.information, subject)))
    if not found:
        return []
    return [
        FieldProblem(
            "information", "Anonymised information must not identify the child: remove " + found
        )
    ]


def _agency_problems(session: Session, data: StandaloneDecisionIn) -> list[FieldProblem]:
    if data.recipient_agency_id is None:
        return []
    recipient = session.get(Agency, data.recipient_agency_id)
    if recipient is None:
        return [FieldProblem("recipient_agency_id", "There is no such agency")]
    if (
        data.kind is StandaloneKind.REFUSED_NO_SAFEGUARDING_ROLE
        and recipient.kind in SAFEGUARDING_AGENCIES
    ):
        return [FieldProblem("recipient_agency_id", SAFEGUARDING_REQUESTER)]
    return []


def record_standalone(
    db: Database, actor: Actor, data: StandaloneDecisionIn
) -> StandaloneDecisionOut:
    """Write the decision for the actor's own agency, or nothing at all.

    Only a front-line practitioner records (the policy's ``record_about_people`` on their
    own agency): an administrator without such a role cannot, and nobody can record for
    another agency, since the agency is always the actor's own.
    """
    with db.transaction() as session:
        policy.require(actor, Permission.RECORD_ABOUT_PEOPLE, actor.agency_id)
        assert actor.agency_id is not None and actor.practitioner_id is not None
        found = requirements(data) + _agency_problems(session, data)
        if data.subject_record_id is not None:
            try:
                subject = own_subject(session, actor, data.subject_record_id)
            except InvalidInput as refused:
                found.extend(refused.problems)
            else:
                found.extend(_naming_the_child(data, subject))
        if found:
            raise InvalidInput(*found)
        decision = StandaloneDecision(
            agency_id=actor.agency_id,
            decided_by_id=actor.practitioner_id,
            kind=data.kind,
            subject_record_id=data.subject_record_id,
            recipient_or_requester=data.recipient_or_requester,
            requester_kind=data.requester_kind,
            recipient_agency_id=data.recipient_agency_id,
            information=data.information,
            stated_purpose=data.stated_purpose,
            outcome=data.outcome,
            reasons=data.reasons,
            identifiability_checked=data.identifiability_checked,
            decided_at=utcnow(),
        )
        audit.append_new(
            session,
            actor,
            decision,
            AuditAction.STANDALONE_DECISION_RECORDED,
            "standalone_decision",
            refs={
                "kind": data.kind.value,
                "outcome": data.outcome.value,
                "requester_kind": data.requester_kind.value,
                **({"agency_record": data.subject_record_id} if data.subject_record_id else {}),
                **(
                    {"recipient_agency": data.recipient_agency_id}
                    if data.recipient_agency_id
                    else {}
                ),
            },
        )
        return StandaloneDecisionOut.model_validate(decision)


def _grant(decision: StandaloneDecision) -> policy.Entity:
    """The same grant as the agency's other decisions (rule R2): its own agency's."""
    return policy.decision(decision.id, decision.agency_id)


@audited_read(AuditAction.STANDALONE_DECISION_VIEWED)
def view_standalone(db: Database, actor: Actor, decision_id: int) -> StandaloneDecisionOut:
    with db.transaction() as session:
        decision = session.get(StandaloneDecision, decision_id)
        if decision is None or not policy.allowed(
            actor, Permission.VIEW_DECISION, _grant(decision)
        ):
            raise NotFound("sharing decision", decision_id)
        audit.append(
            session,
            actor,
            AuditAction.STANDALONE_DECISION_VIEWED,
            "standalone_decision",
            decision.id,
        )
        return StandaloneDecisionOut.model_validate(decision)


def _readable(
    session: Session, actor: Actor, rows: list[StandaloneDecision]
) -> list[StandaloneDecisionOut]:
    """The rows the policy lets the actor read, asked in one batch."""
    allowed = policy.allowed_each(actor, Permission.VIEW_DECISION, [_grant(d) for d in rows])
    return [
        StandaloneDecisionOut.model_validate(d) for d, ok in zip(rows, allowed, strict=True) if ok
    ]


@audited_read(AuditAction.STANDALONE_DECISION_VIEWED)
def agency_standalone(db: Database, actor: Actor) -> list[StandaloneDecisionOut]:
    """The actor's agency's decisions of these kinds, newest first."""
    with db.transaction() as session:
        where = StandaloneDecision.agency_id == actor.agency_id
        return _listed(session, actor, where, "agency", actor.agency_id)


@audited_read(AuditAction.STANDALONE_DECISION_VIEWED)
def standalone_about(
    db: Database, actor: Actor, subject_record_id: int
) -> list[StandaloneDecisionOut]:
    """Those that name one of the agency's own records, newest first, for the child's page."""
    with db.transaction() as session:
        record = own_record(session, actor, subject_record_id)
        where = StandaloneDecision.subject_record_id == record.id
        return _listed(session, actor, where, "agency_record", record.id)


def _listed(
    session: Session, actor: Actor, where: ColumnElement[bool], about: str, about_id: int | None
) -> list[StandaloneDecisionOut]:
    """The readable decisions matching ``where``, newest first, audited as one read of
    what they were listed for (the agency, or the child's record)."""
    rows = list(
        session.scalars(
            select(StandaloneDecision)
            .where(where)
            .order_by(StandaloneDecision.decided_at.desc(), StandaloneDecision.id.desc())
        )
    )
    found = _readable(session, actor, rows)
    audit.append(
        session,
        actor,
        AuditAction.STANDALONE_DECISION_VIEWED,
        about,
        about_id,
        refs={"standalone_decisions": [d.id for d in found]},
    )
    return found
