"""What a linkage reviewer sends and is shown.

A reviewer decides whether two agencies' records are one person. That needs the
identity fields each agency holds, and nothing else: not the agency's name (a
refuge or a specialist service would be named by it), not the agency's own id for
the person (which often spells the agency), and nothing any agency recorded about
them. So each side of a pair says only what kind of agency holds it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import Field, Strict, StringConstraints

from jigsaw.linkage.models import ChangeKind, ReviewStatus
from jigsaw.people.models import PersonRole, Sex
from jigsaw.policy.roles import AgencyKind
from jigsaw.schemas import Id, Input, Output

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


PairAbout = Literal["child", "person"]
"""What a pair asks about: a child when both records are children's, otherwise a person
(adults are never asked whether they are "the same child")."""


def question(about: PairAbout) -> str:
    return f"Are these records the same {about}?"


class QueuedReview(Output):
    """One line of the queue: how likely, the kinds of agency and what the model compared.

    ``record`` and ``candidate`` (identity fields, as a pair shows them) are filled only
    when the reviewer asks for them, so scanning the queue does not put every waiting
    child's details on screen; asking is audited with the record ids."""

    id: int
    match_probability: float
    record_agency_kind: AgencyKind
    candidate_agency_kind: AgencyKind
    created_at: datetime
    about: PairAbout = "child"
    question: str = ""
    record_id: int = 0
    candidate_record_id: int = 0
    evidence: dict[str, Any] = Field(default_factory=dict)
    record: ReviewSide | None = None
    candidate: ReviewSide | None = None


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
    about: PairAbout = "child"
    question: str = ""
    can_undo: bool = False
    """The pair was confirmed, the confirmation moved records, and it is not undone yet."""
    undone: bool = False


class LinkDecisionIn(Input):
    """A reviewer's note on a decision: the one definition of what a note may hold,
    whether it comes through the API or the review page's text box (so line breaks)."""

    free_text = frozenset({"reason"})

    reason: Annotated[str, StringConstraints(max_length=MAX_REASON)] = ""


class UnmergeIn(Input):
    """Records to detach from the person they are linked to, and why."""

    free_text = frozenset({"reason"})

    # Strict: a list's numbers are not covered by ``RawInput``'s refusal of ``"7"`` for 7.
    record_ids: Annotated[list[Annotated[Id, Strict()]], Field(min_length=1, max_length=1000)]
    reason: Annotated[str, StringConstraints(max_length=MAX_REASON)] = ""


class LinkChangeOut(Output):
    change_id: int
    kind: ChangeKind
    records: tuple[int, ...]
    from_person_id: int | None
    to_person_id: int | None
