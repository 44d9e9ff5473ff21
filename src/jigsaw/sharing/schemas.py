from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from jigsaw.consent.models import SharingPurpose
from jigsaw.deadlines.values import Rag
from jigsaw.records.models import Category, Nature, Verification
from jigsaw.schemas import CalendarDate, Id, Input, Output
from jigsaw.sharing.models import (
    AdviceRole,
    ConsentPosition,
    DecisionOutcome,
    NotToldReason,
    RequesterKind,
    StandaloneKind,
)

Said = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10000)]
Justification = Annotated[str, StringConstraints(strip_whitespace=True, max_length=10000)]
"""Why sharing is still lawful where no data sharing agreement allows it; blank otherwise."""


class AgreementReasonOut(Output):
    code: str
    text: str


class AgreementCheckOut(Output):
    """What the data sharing agreements in force said of a request or a disclosure."""

    verdict: str
    """``permit``, ``deny`` or ``review``."""
    reasons: list[AgreementReasonOut]
    agreement_id: int | None
    agreement_version: int | None
    agreement_reference: str | None = None
    delete_after_days: int | None = None
    review_confirmed: bool | None = None
    """For a REVIEW: whether the practitioner said they had considered it."""
    override_reason: str | None = None
    """For a DENY: why sharing was still lawful without an agreement."""


class RequestIn(Input):
    free_text = frozenset({"question", "agreement_override_reason"})

    subject_record_id: Id
    recipient_agency_id: Id
    purpose: SharingPurpose
    categories: list[Category] = Field(min_length=1)
    question: Said
    rag: Rag
    agreement_review_confirmed: bool = False
    """The requester has considered a REVIEW from the data sharing agreements."""
    agreement_override_reason: Justification = ""
    """Required where the agreements DENY the request: why asking is still lawful."""


class RerateIn(Input):
    free_text = frozenset({"rationale"})

    rag: Rag
    rationale: Said


class RagOut(Output):
    rag: Rag
    due_at: datetime
    rationale: str
    rated_by_id: int
    rated_at: datetime


class SubjectDetails(Output):
    """What a request tells the receiving agency about who the child is, to find its record."""

    given_name: str
    family_name: str
    date_of_birth: date | None
    postcode: str
    nhs_number: str | None


class RequestOut(Output):
    id: int
    requester_id: int
    requester_agency_id: int
    recipient_agency_id: int
    subject_record_id: int
    subject: SubjectDetails
    purpose: SharingPurpose
    categories: list[Category]
    question: str
    created_at: datetime
    rating: RagOut
    rating_history: list[RagOut]
    status: str
    overdue: bool
    decision_ids: list[int]
    agreement: AgreementCheckOut | None = None
    """What the data sharing agreements said when it was made; None before they were asked."""


class AdviceIn(Input):
    free_text = frozenset({"case_summary", "question"})

    subject_record_id: Id | None = None
    to_role: AdviceRole | None = None
    to_practitioner_id: Id | None = None
    anonymised: bool = True
    case_summary: Said
    question: Said


class AdviceAnswerIn(Input):
    free_text = frozenset({"answer"})

    answer: Said


class AdviceOut(Output):
    id: int
    asked_by_id: int
    agency_id: int
    subject_record_id: int | None
    to_role: AdviceRole | None
    to_practitioner_id: int | None
    anonymised: bool
    case_summary: str
    question: str
    asked_at: datetime
    answer: str | None = None
    answered_by_id: int | None = None
    answered_at: datetime | None = None


class DecisionIn(Input):
    free_text = frozenset(
        {
            "reasons",
            "departure_reason",
            "consent_override_justification",
            "reveal_protected_reason",
            "accuracy_caveats",
            "urgent_reason",
        }
    )

    subject_record_id: Id
    request_id: Id | None = None
    reconsiders_id: Id | None = None
    recipient_agency_id: Id
    recipient_practitioner_id: Id | None = None
    purpose: SharingPurpose
    answers: dict[str, str]
    guidance_edition: str | None = None
    """The current edition, or none for it: a new decision is never made under an older one."""
    outcome: DecisionOutcome
    reasons: Said
    departure_reason: str = ""
    lawful_basis: str | None = None
    art9_condition: str | None = None
    art10_condition: str | None = None
    consent_position: ConsentPosition
    consent_override_justification: str = ""
    family_informed: bool
    not_told_reason: NotToldReason | None = None
    not_told_review_on: CalendarDate | None = None
    """When not telling the family will be reviewed: required when they are not told."""
    advice_request_ids: list[Id] = Field(default_factory=list)
    reveal_protected_reason: str = ""
    accuracy_caveats: str = ""
    withheld_item_ids: list[Id] = Field(default_factory=list)
    """For a decision not to share: the items held back (any version of each)."""
    urgent_reason: str = ""
    """Where the guidance said to seek advice and no advice is linked: why the decision
    could not wait for it."""


class SkippedQuestionOut(Output):
    """A guidance question not asked because the answers given already settled it."""

    question: str
    reason: str


class DecisionOut(Output):
    id: int
    agency_id: int
    subject_record_id: int
    decided_by_id: int
    request_id: int | None
    reconsiders_id: int | None
    reconsidered_by_id: int | None = None
    recipient_agency_id: int
    recipient_practitioner_id: int | None
    purpose: SharingPurpose
    answers: dict[str, str]
    guidance_edition: str
    guidance_version: str
    recommendation: str
    recommendation_rules: list[str]
    skipped_questions: list[SkippedQuestionOut] = Field(default_factory=list)
    followed_recommendation: bool
    outcome: DecisionOutcome
    departure_reason: str
    reasons: str
    lawful_basis: str | None
    art9_condition: str | None
    art10_condition: str | None
    consent_position: ConsentPosition
    consent_override_justification: str
    family_informed: bool
    not_told_reason: NotToldReason | None
    not_told_review_on: date | None = None
    reveal_protected_reason: str
    accuracy_caveats: str
    urgent_reason: str = ""
    advice_request_ids: list[int] = Field(default_factory=list)
    withheld_item_ids: list[int] = Field(default_factory=list)
    """The items a decision not to share held back, as the first version of each."""
    decided_at: datetime


class RefusalOut(Output):
    """What a requester sees of a decision not to share: the reasons, to answer or appeal."""

    id: int
    request_id: int | None
    outcome: DecisionOutcome
    reasons: str
    decided_at: datetime
    reconsidered_by_id: int | None


DISCLOSABLE_FIELDS = (
    "occurred_on",
    "category",
    "subtype",
    "summary",
    "detail",
    "nature",
    "source",
    "verification",
)
PROTECTED_FIELDS = ("detail", "source")
ALWAYS_CARRIED = ("nature",)
"""Fields every disclosed item carries, whichever the sharer chooses: whether it is fact
or opinion. The 2018 principles and the 2024 advice ask that what is shared be accurate,
with fact told apart from opinion; a summary read without its marking can pass an
opinion off as established fact."""


def carried_fields(chosen: Iterable[str]) -> list[str]:
    """The fields a disclosed item carries: those chosen and those always carried, in
    ``DISCLOSABLE_FIELDS`` order.

    Read through this, never from the stored list alone: disclosures made before the
    marking was always carried stored only what the sharer ticked, and reading them
    through here gives them the marking too. The recipient then sees the marking of the
    version they are shown (the newest, as for every other field), so it always belongs
    to the summary beside it; the marking of the version that was shared appears as
    "before" in any correction since that changed it.
    """
    wanted = {*chosen, *ALWAYS_CARRIED}
    return [f for f in DISCLOSABLE_FIELDS if f in wanted]


class DisclosedItemIn(Input):
    item_id: Id
    fields: list[str] = Field(
        min_length=1,
        description=(
            "The parts of the item to share, from: " + ", ".join(DISCLOSABLE_FIELDS) + ". "
            "Whether it is fact or opinion (nature) is always shared with it, "
            "listed or not."
        ),
    )
    reveal_protected: bool = False


class DisclosureIn(Input):
    free_text = frozenset({"agreement_override_reason"})

    decision_id: Id
    items: list[DisclosedItemIn] = Field(min_length=1)
    expires_on: CalendarDate
    onward_sharing_allowed: bool = False
    agreement_review_confirmed: bool = False
    """The sharer has considered a REVIEW from the data sharing agreements."""
    agreement_override_reason: Justification = ""
    """Required where the agreements DENY the disclosure: why sharing is still lawful."""


class RevocationIn(Input):
    free_text = frozenset({"reason"})

    reason: Said


class FieldChange(Output):
    """One disclosed field a correction changed, as the recipient may see it before and after."""

    field: str
    before: date | str | None
    after: date | str | None


class CorrectionShown(Output):
    """A correction made after the disclosure: what changed in the fields the recipient was
    given, and why. Fields they were not given are never compared, so never hinted at; the
    reason is left out when nothing they were given changed, and withheld when the item
    hides someone's identity from them."""

    version: int
    corrected_at: datetime
    reason: str | None = None
    # True when a reason was kept from them because the item hides someone's identity.
    reason_withheld: bool = False
    changes: list[FieldChange] = Field(default_factory=list)


class ReceivedItem(Output):
    """One disclosed item as the recipient sees it: only the disclosed fields are filled."""

    item_chain_id: int
    version: int
    corrected: bool
    retracted: bool
    fields: list[str] = Field(
        description="The parts of the item shared; always includes nature (fact or opinion)."
    )
    occurred_on: date | None = None
    category: Category | None = None
    subtype: str | None = None
    summary: str | None = None
    detail: str | None = None
    nature: Nature | None = Field(
        default=None,
        description=(
            "Whether the item is fact or opinion (an opinion is the view of whoever "
            "recorded it). Always carried; null only where it was not recorded."
        ),
    )
    source: str | None = None
    verification: Verification | None = None
    corrections: list[CorrectionShown] = Field(default_factory=list)
    """Corrections since it was shared, oldest first."""


class DisclosureOut(Output):
    id: int
    decision_id: int
    disclosing_agency_id: int
    disclosed_by_id: int
    recipient_agency_id: int
    recipient_practitioner_id: int | None
    purpose: SharingPurpose
    onward_sharing_allowed: bool
    expires_at: datetime
    created_at: datetime
    acknowledged_at: datetime | None = None
    revoked_at: datetime | None = None
    revocation_reason: str | None = None
    subject: SubjectDetails | None = None
    items: list[ReceivedItem] = Field(default_factory=list)
    agreement: AgreementCheckOut | None = None
    """What the data sharing agreements said when it was made; None before they were asked."""


StatedPurpose = Annotated[str, StringConstraints(strip_whitespace=True, max_length=10000)]
"""A purpose in the requester's words; empty when they gave none."""


class StandaloneDecisionIn(Input):
    """A sharing decision that is not about one child's record with a safeguarding agency:
    anonymised information shared, or a request refused (``standalone``)."""

    free_text = frozenset({"recipient_or_requester", "information", "stated_purpose", "reasons"})

    kind: StandaloneKind
    subject_record_id: Id | None = None
    """One of the deciding agency's own records, where the decision concerns a child it
    holds (a parent asking who referred them); never another agency's, and never for
    anonymised sharing, which identifies no one."""
    recipient_or_requester: Said
    """Who asked, or whom it went to, in words (a role or an organisation is enough)."""
    requester_kind: RequesterKind
    recipient_agency_id: Id | None = None
    information: Said
    """What was asked for, or what was shared."""
    stated_purpose: StatedPurpose = ""
    outcome: DecisionOutcome
    """Share for anonymised information; do not share for either refusal."""
    reasons: Said
    identifiability_checked: bool = False
    """Anonymised sharing only, and then required: it was checked that what was shared
    cannot identify anyone once put with what the recipient already knows."""


class StandaloneDecisionOut(Output):
    id: int
    agency_id: int
    decided_by_id: int
    kind: StandaloneKind
    subject_record_id: int | None
    recipient_or_requester: str
    requester_kind: RequesterKind
    recipient_agency_id: int | None
    information: str
    stated_purpose: str
    outcome: DecisionOutcome
    reasons: str
    identifiability_checked: bool
    decided_at: datetime
