"""Requests for information, advice, sharing decisions and disclosures.

Decisions and disclosures are write-once. What changes over time — a request's RAG
rating, a disclosure's acknowledgement or revocation, an answer to advice — is a row
of its own, so the record shows what was known and decided at each moment.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    select,
    text,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from jigsaw.consent.models import SharingPurpose
from jigsaw.db import Base, UTCDateTime, enum_column
from jigsaw.deadlines.values import Rag
from jigsaw.protection.keyring import AGENCY, AGENCY_RECORD, Subject
from jigsaw.protection.sealed import record_of, sealed


class DecisionOutcome(StrEnum):
    SHARE = "share"
    SHARE_IN_PART = "share_in_part"
    DO_NOT_SHARE = "do_not_share"


class ConsentPosition(StrEnum):
    GIVEN = "given"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"
    NOT_SOUGHT_WOULD_INCREASE_RISK = "not_sought_would_increase_risk"
    NOT_SOUGHT_OTHER = "not_sought_other"
    NOT_APPLICABLE = "not_applicable"


class NotToldReason(StrEnum):
    """Why the family was not told of the sharing (golden rule 2)."""

    RISK_TO_CHILD = "risk_to_child"
    VIOLENCE = "violence"
    CHILD_WITHDRAWAL = "child_withdrawal"
    PREJUDICE_ENQUIRY = "prejudice_enquiry"
    YOUNG_PERSON_ASKED = "young_person_asked"
    """A young person competent to decide asked that their parents are not told."""


class AdviceRole(StrEnum):
    MANAGER = "manager"
    DSL = "dsl"
    DPO = "dpo"
    CALDICOTT = "caldicott"
    LEGAL = "legal"


class InformationRequest(Base):
    """A request from one agency (often the MASH) to another for what it knows."""

    __tablename__ = "information_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("practitioners.id"))
    requester_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    subject_record_id: Mapped[int] = mapped_column(ForeignKey("agency_records.id"))
    recipient_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    purpose: Mapped[SharingPurpose] = mapped_column(enum_column(SharingPurpose))
    categories: Mapped[list[str]] = mapped_column(JSON)
    question: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    seal_id: Mapped[str | None] = mapped_column(String(32))
    agreement_verdict: Mapped[str | None] = mapped_column(String(16), default=None)
    """What the data sharing agreements in force said of the request when it was made
    (``agreements.validity``); NULL on requests made before they were consulted."""
    agreement_reasons: Mapped[list[dict[str, str]] | None] = mapped_column(JSON, default=None)
    agreement_id: Mapped[int | None] = mapped_column(Integer, default=None)
    agreement_version: Mapped[int | None] = mapped_column(Integer, default=None)
    agreement_review_confirmed: Mapped[bool | None] = mapped_column(Boolean, default=None)
    """The requester said they had considered a REVIEW verdict before asking."""
    agreement_override_reason: Mapped[str | None] = mapped_column(Text, default=None)
    """Why asking was still lawful when no agreement allowed it (a DENY verdict)."""


class RagRating(Base):
    """A request's urgency; the first is set with the request, each change needs a rationale."""

    __tablename__ = "rag_ratings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("information_requests.id"), index=True)
    rag: Mapped[Rag] = mapped_column(enum_column(Rag))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    rationale: Mapped[str] = mapped_column(Text, default="")
    rated_by_id: Mapped[int] = mapped_column(ForeignKey("practitioners.id"))
    rated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    seal_id: Mapped[str | None] = mapped_column(String(32))


sealed(
    InformationRequest,
    "question",
    "agreement_override_reason",
    subject=lambda _session, request: Subject(AGENCY_RECORD, request.subject_record_id),
    sealed_since=("agreement_override_reason",),
)
sealed(
    RagRating,
    "rationale",
    subject=lambda session, rating: record_of(session, InformationRequest, rating.request_id),
)


class AdviceRequest(Base):
    """Advice sought before deciding, optionally without naming the child."""

    __tablename__ = "advice_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    asked_by_id: Mapped[int] = mapped_column(ForeignKey("practitioners.id"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    subject_record_id: Mapped[int | None] = mapped_column(ForeignKey("agency_records.id"))
    to_role: Mapped[AdviceRole | None] = mapped_column(enum_column(AdviceRole))
    to_practitioner_id: Mapped[int | None] = mapped_column(ForeignKey("practitioners.id"))
    anonymised: Mapped[bool] = mapped_column(Boolean)
    case_summary: Mapped[str] = mapped_column(Text)
    question: Mapped[str] = mapped_column(Text)
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    seal_id: Mapped[str | None] = mapped_column(String(32))


class AdviceAnswer(Base):
    __tablename__ = "advice_answers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    advice_request_id: Mapped[int] = mapped_column(ForeignKey("advice_requests.id"), unique=True)
    answered_by_id: Mapped[int] = mapped_column(ForeignKey("practitioners.id"))
    answer: Mapped[str] = mapped_column(Text)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    seal_id: Mapped[str | None] = mapped_column(String(32))


def _advice_subject(agency_id: int, subject_record_id: int | None) -> Subject:
    """The child's agency record, or the asking agency when advice names no child."""
    if subject_record_id is None:
        return Subject(AGENCY, agency_id)
    return Subject(AGENCY_RECORD, subject_record_id)


def _answer_subject(session: Session, answer: AdviceAnswer) -> Subject:
    asked = session.connection().execute(
        select(AdviceRequest.agency_id, AdviceRequest.subject_record_id).where(
            AdviceRequest.id == answer.advice_request_id
        )
    )
    agency_id, subject_record_id = asked.one()
    return _advice_subject(agency_id, subject_record_id)


sealed(
    AdviceRequest,
    "case_summary",
    "question",
    subject=lambda _session, asked: _advice_subject(asked.agency_id, asked.subject_record_id),
)
sealed(AdviceAnswer, "answer", subject=_answer_subject)


class SharingDecision(Base):
    """One decision to share, share in part, or not share — with everything behind it."""

    __tablename__ = "sharing_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    subject_record_id: Mapped[int] = mapped_column(ForeignKey("agency_records.id"), index=True)
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("practitioners.id"))
    request_id: Mapped[int | None] = mapped_column(
        ForeignKey("information_requests.id"), index=True
    )
    reconsiders_id: Mapped[int | None] = mapped_column(
        ForeignKey("sharing_decisions.id"), unique=True
    )
    recipient_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    recipient_practitioner_id: Mapped[int | None] = mapped_column(ForeignKey("practitioners.id"))
    purpose: Mapped[SharingPurpose] = mapped_column(enum_column(SharingPurpose))
    answers: Mapped[dict[str, str]] = mapped_column(JSON)
    guidance_edition: Mapped[str] = mapped_column(String(16))
    guidance_version: Mapped[str] = mapped_column(String(32))
    recommendation: Mapped[str] = mapped_column(String(32))
    recommendation_rules: Mapped[list[str]] = mapped_column(JSON)
    skipped_questions: Mapped[list[dict[str, str]]] = mapped_column(
        JSON, default=list, server_default=text("'[]'")
    )
    """The guidance's questions not asked, each ``{"question", "reason"}``: the answers
    given already settled the recommendation (``guidance.settle``)."""
    outcome: Mapped[DecisionOutcome] = mapped_column(enum_column(DecisionOutcome))
    departure_reason: Mapped[str] = mapped_column(Text, default="")
    reasons: Mapped[str] = mapped_column(Text)
    lawful_basis: Mapped[str | None] = mapped_column(String(40))
    art9_condition: Mapped[str | None] = mapped_column(String(40))
    art10_condition: Mapped[str | None] = mapped_column(String(40))
    consent_position: Mapped[ConsentPosition] = mapped_column(enum_column(ConsentPosition))
    consent_override_justification: Mapped[str] = mapped_column(Text, default="")
    family_informed: Mapped[bool] = mapped_column(Boolean)
    not_told_reason: Mapped[NotToldReason | None] = mapped_column(enum_column(NotToldReason))
    not_told_review_on: Mapped[date | None] = mapped_column(Date)
    """When the decision not to tell the family will be looked at again (golden rule 2)."""
    reveal_protected_reason: Mapped[str] = mapped_column(Text, default="")
    accuracy_caveats: Mapped[str] = mapped_column(Text, default="")
    urgent_reason: Mapped[str] = mapped_column(Text, default="", server_default=text("''"))
    """Why a decision the guidance said to seek advice on could not wait for it (a child
    in immediate danger, no one reachable out of hours); blank where advice is linked."""
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime)
    seal_id: Mapped[str | None] = mapped_column(String(32))

    @property
    def followed_recommendation(self) -> bool:
        return self.recommendation == self.outcome.value


sealed(
    SharingDecision,
    "reasons",
    "departure_reason",
    "consent_override_justification",
    "reveal_protected_reason",
    "accuracy_caveats",
    "urgent_reason",
    subject=lambda _session, decision: Subject(AGENCY_RECORD, decision.subject_record_id),
    sealed_since=("urgent_reason",),
)


class DecisionAdvice(Base):
    __tablename__ = "decision_advice"
    __table_args__ = (UniqueConstraint("decision_id", "advice_request_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("sharing_decisions.id"), index=True)
    advice_request_id: Mapped[int] = mapped_column(ForeignKey("advice_requests.id"))


class DecisionWithheldItem(Base):
    """An item a decision not to share held back, named by its chain (its first version),
    so the record says exactly what was refused, whatever corrections follow."""

    __tablename__ = "decision_withheld_items"
    __table_args__ = (UniqueConstraint("decision_id", "item_chain_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("sharing_decisions.id"), index=True)
    item_chain_id: Mapped[int] = mapped_column(ForeignKey("information_items.id"))


class Disclosure(Base):
    """What was shared, with whom, for what, until when — only ever from a share decision."""

    __tablename__ = "disclosures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("sharing_decisions.id"), index=True)
    disclosing_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    disclosed_by_id: Mapped[int] = mapped_column(ForeignKey("practitioners.id"))
    recipient_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    recipient_practitioner_id: Mapped[int | None] = mapped_column(
        ForeignKey("practitioners.id"), index=True
    )
    purpose: Mapped[SharingPurpose] = mapped_column(enum_column(SharingPurpose))
    onward_sharing_allowed: Mapped[bool] = mapped_column(Boolean, default=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    agreement_verdict: Mapped[str | None] = mapped_column(String(16), default=None)
    """What the data sharing agreements in force said of the disclosure when it was made
    (``agreements.validity``); NULL on disclosures made before they were consulted."""
    agreement_reasons: Mapped[list[dict[str, str]] | None] = mapped_column(JSON, default=None)
    agreement_id: Mapped[int | None] = mapped_column(Integer, default=None)
    agreement_version: Mapped[int | None] = mapped_column(Integer, default=None)
    agreement_review_confirmed: Mapped[bool | None] = mapped_column(Boolean, default=None)
    agreement_override_reason: Mapped[str | None] = mapped_column(Text, default=None)
    """Why sharing was still lawful when no agreement allowed it (a DENY verdict)."""
    seal_id: Mapped[str | None] = mapped_column(String(32))
    """Since migration 0035, which sealed the reasons written before it; NULL on an
    older disclosure with no reason, which has nothing sealed."""


def _disclosure_subject(session: Session, disclosure: Disclosure) -> Subject:
    """The agency record the disclosure's decision is about.

    Why a disclosure went ahead against the agreements is about that child as much as
    the decision's own reasons are, so it is sealed under the same key and erased with
    it under the disclosing agency's retention schedule (as a revocation's reason is).
    The decision is usually loaded already (making a disclosure, the register), so it
    is taken from the identity map and read from the database only when it is not: a
    list of disclosures pays one small query for each, never the chronology, which
    reads disclosures' columns and not their rows.
    """
    return record_of(session, SharingDecision, disclosure.decision_id)


sealed(Disclosure, "agreement_override_reason", subject=_disclosure_subject)


class DisclosedItem(Base):
    """One item in a disclosure and exactly which of its fields the recipient may see.

    It names the item's chain (its first version), so a correction reaches the
    recipient as the newest version, with the same fields, and the version that was
    current when it was shared (``version_id``; NULL on rows from before it was kept),
    so what was corrected *since* is decided by version, never by comparing times.
    """

    __tablename__ = "disclosed_items"
    __table_args__ = (UniqueConstraint("disclosure_id", "item_chain_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    disclosure_id: Mapped[int] = mapped_column(ForeignKey("disclosures.id"), index=True)
    item_chain_id: Mapped[int] = mapped_column(ForeignKey("information_items.id"), index=True)
    fields: Mapped[list[str]] = mapped_column(JSON)
    reveal_protected: Mapped[bool] = mapped_column(Boolean, default=False)
    version_id: Mapped[int | None] = mapped_column(ForeignKey("information_items.id"), default=None)


class DisclosureAcknowledgement(Base):
    __tablename__ = "disclosure_acknowledgements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    disclosure_id: Mapped[int] = mapped_column(ForeignKey("disclosures.id"), unique=True)
    acknowledged_by_id: Mapped[int] = mapped_column(ForeignKey("practitioners.id"))
    acknowledged_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DisclosureRevocation(Base):
    __tablename__ = "disclosure_revocations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    disclosure_id: Mapped[int] = mapped_column(ForeignKey("disclosures.id"), unique=True)
    revoked_by_id: Mapped[int] = mapped_column(ForeignKey("practitioners.id"))
    reason: Mapped[str] = mapped_column(Text)
    revoked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    seal_id: Mapped[str | None] = mapped_column(String(32))


def _revocation_subject(session: Session, revocation: DisclosureRevocation) -> Subject:
    """The agency record the revoked disclosure is about.

    A disclosure is made on one decision, which is about one agency record, and every
    item it carries must be about that same record (``disclosures._item_problems``); so
    why it was revoked is part of that record, sealed under its key and erased with it
    under the disclosing agency's retention schedule, like the decision's own reasons.
    """
    about = session.connection().execute(
        select(SharingDecision.subject_record_id)
        .join(Disclosure, Disclosure.decision_id == SharingDecision.id)
        .where(Disclosure.id == revocation.disclosure_id)
    )
    return Subject(AGENCY_RECORD, about.scalar_one())


sealed(DisclosureRevocation, "reason", subject=_revocation_subject)


class StandaloneKind(StrEnum):
    """A sharing decision that is not about one child's record with a safeguarding agency.

    Golden rule 7 asks for the reasons behind every decision, to share or not: these are
    the ones a ``SharingDecision`` (one child's record, a purpose from the closed list, a
    safeguarding recipient) cannot record truthfully.
    """

    ANONYMISED_SHARE = "anonymised_share"
    """Figures or a case description that identify nobody, shared."""
    REFUSED_NO_SAFEGUARDING_ROLE = "refused_no_safeguarding_role"
    """A request from someone with no safeguarding or support role, refused."""
    REFUSED_NO_PURPOSE = "refused_no_purpose"
    """A request that gave no purpose (from anyone, an agency too), refused."""


class RequesterKind(StrEnum):
    """Who asked, or whom anonymised information went to."""

    PARENT_OR_CARER = "parent_or_carer"
    OTHER_FAMILY_MEMBER = "other_family_member"
    LANDLORD = "landlord"
    JOURNALIST_OR_MEDIA = "journalist_or_media"
    MEMBER_OF_PUBLIC = "member_of_public"
    ORGANISATION_NO_SAFEGUARDING = "organisation_no_safeguarding"
    """An organisation with no safeguarding or support role."""
    SAFEGUARDING_AGENCY = "safeguarding_agency"
    OTHER = "other"


STANDALONE_OUTCOMES: dict[StandaloneKind, DecisionOutcome] = {
    StandaloneKind.ANONYMISED_SHARE: DecisionOutcome.SHARE,
    StandaloneKind.REFUSED_NO_SAFEGUARDING_ROLE: DecisionOutcome.DO_NOT_SHARE,
    StandaloneKind.REFUSED_NO_PURPOSE: DecisionOutcome.DO_NOT_SHARE,
}
"""The only outcome each kind can have: the database refuses any other too."""


class StandaloneDecision(Base):
    """A decision to share anonymised information, or to refuse a request that no
    ``SharingDecision`` could answer, with its reasons (golden rule 7).

    Write-once, like every decision. It may name one of the deciding agency's own
    records where a refusal concerns a child the agency knows (a parent asking who
    referred them, say); it never names another agency's.
    """

    __tablename__ = "standalone_decisions"
    __table_args__ = (
        CheckConstraint(
            "(kind = 'anonymised_share' AND outcome = 'share') OR "
            "(kind <> 'anonymised_share' AND outcome = 'do_not_share')",
            name="outcome_fits_kind",
        ),
        CheckConstraint(
            "kind <> 'anonymised_share' OR identifiability_checked",
            name="anonymised_checked",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("practitioners.id"))
    kind: Mapped[StandaloneKind] = mapped_column(enum_column(StandaloneKind))
    subject_record_id: Mapped[int | None] = mapped_column(
        ForeignKey("agency_records.id"), index=True
    )
    recipient_or_requester: Mapped[str] = mapped_column(Text)
    requester_kind: Mapped[RequesterKind] = mapped_column(enum_column(RequesterKind))
    recipient_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    information: Mapped[str] = mapped_column(Text)
    """What was asked for, or what was shared."""
    stated_purpose: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[DecisionOutcome] = mapped_column(enum_column(DecisionOutcome))
    reasons: Mapped[str] = mapped_column(Text)
    identifiability_checked: Mapped[bool] = mapped_column(Boolean, default=False)
    """For anonymised sharing: the practitioner checked that what was shared cannot
    identify anyone once put together with what the recipient already knows. False
    for a refusal, where nothing went."""
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime)
    seal_id: Mapped[str | None] = mapped_column(String(32))


def _standalone_subject(_session: Session, decision: StandaloneDecision) -> Subject:
    """The child's agency record where the decision names one, so what was written goes
    with that record's key when it is erased; otherwise the deciding agency, whose own
    decision it is (the same choice as for advice asked without naming a child)."""
    if decision.subject_record_id is None:
        return Subject(AGENCY, decision.agency_id)
    return Subject(AGENCY_RECORD, decision.subject_record_id)


sealed(
    StandaloneDecision,
    "recipient_or_requester",
    "information",
    "stated_purpose",
    "reasons",
    subject=_standalone_subject,
)
