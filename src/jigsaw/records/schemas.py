from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import Field, StringConstraints, field_validator

from jigsaw import clock
from jigsaw.records.models import Category, Nature, Verification
from jigsaw.records.types import MAX_DESCRIPTION
from jigsaw.schemas import CalendarDate, Id, Input, Output

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class ItemIn(Input):
    free_text = frozenset({"detail"})

    subject_record_id: Id
    category: Category
    subtype: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
    """A code from the controlled list (``records/item_types.yaml``), or ``other``."""
    subtype_other: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_DESCRIPTION)] | None
    ) = None
    """What the type is, when ``subtype`` is ``other``; ignored for a listed type."""
    occurred_on: CalendarDate
    summary: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
    detail: str = Field(default="", max_length=20000)
    nature: Nature
    source: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    verification: Verification = Verification.UNVERIFIED
    special_category: bool = False
    criminal_offence: bool = False
    protected_identity: bool = False

    @field_validator("occurred_on")
    @classmethod
    def _not_in_the_future(cls, value: date) -> date:
        if value > clock.today():
            raise ValueError("An event cannot have happened in the future")
        return value


class CorrectionIn(ItemIn):
    """A correction restates the whole item; the old version stays as it was."""

    free_text = frozenset({"detail", "reason"})

    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class RetractionIn(Input):
    free_text = frozenset({"reason"})

    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class ItemOut(Output):
    id: int
    subject_record_id: int
    agency_id: int
    author_id: int | None
    category: Category
    subtype: str
    subtype_other: str | None = None
    occurred_on: date
    recorded_at: datetime
    summary: str
    detail: str
    nature: Nature
    source: str
    verification: Verification
    special_category: bool
    criminal_offence: bool
    protected_identity: bool
    supersedes_id: int | None
    version: int
    correction_reason: str | None = None
    retracted: bool = False
    superseded: bool = False


class RetractionOut(Output):
    reason: str
    retracted_by: int | None
    retracted_at: datetime


class ItemHistoryOut(Output):
    """An item as its agency sees it: the latest version, every version (newest first,
    each with its reason and author), and its retraction if there is one."""

    latest: ItemOut
    versions: list[ItemOut]
    retraction: RetractionOut | None = None
