"""What a linkage reviewer sends and is shown.

A reviewer decides whether two agencies' records are one person. That needs the
identity fields each agency holds, and nothing else: not the agency's name (a
refuge or a specialist service would be named by it), not the agency's own id for
the person (which often spells the agency), and nothing any agency recorded about
them. So each side of a pair says only what kind of agency holds it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import StringConstraints

from jigsaw.linkage.models import ChangeKind, ReviewStatus
from jigsaw.people.models import PersonRole, Sex
from jigsaw.policy.roles import AgencyKind
from jigsaw.schemas import Input, Output

MAX_REASON = 500


class ReviewSide(Output):
    """One record of a pair, as the reviewer sees it: who, and what kind of agency knows them."""

    record_id: int
    agency_kind: AgencyKind
    role: PersonRole
    given_name: str
    family_name: str
    date_of_birth: date | None
    sex: Sex
    address: str
    postcode: str
    nhs_number: str | None


class QueuedReview(Output):
    """One line of the queue: how likely, and the kinds of agency, never anyone's details."""

    id: int
    match_probability: float
    record_agency_kind: AgencyKind
    candidate_agency_kind: AgencyKind
    created_at: datetime


class ReviewQueueOut(Output):
    total: int
    reviews: list[QueuedReview]


class ReviewPairOut(Output):
    id: int
    status: ReviewStatus
    match_probability: float
    evidence: dict[str, Any]
    created_at: datetime
    record: ReviewSide
    """The subject: confirming moves its person's records to the candidate's person."""
    candidate: ReviewSide
    records_moving: int
    """How many agency records a confirmation would move (the subject's person's)."""


class LinkDecisionIn(Input):
    """A reviewer's note on a decision: the one definition of what a note may hold,
    whether it comes through the API or the review page's text box (so line breaks)."""

    free_text = frozenset({"reason"})

    reason: Annotated[str, StringConstraints(max_length=MAX_REASON)] = ""


class LinkChangeOut(Output):
    change_id: int
    kind: ChangeKind
    records: tuple[int, ...]
    from_person_id: int | None
    to_person_id: int | None
