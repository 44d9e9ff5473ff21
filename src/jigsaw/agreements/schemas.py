"""What the agreements API and pages take and give back."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import Field, StringConstraints, field_validator

from jigsaw.agreements.models import AgreementStatus, EventKind
from jigsaw.consent.models import SharingPurpose
from jigsaw.schemas import EARLIEST_DATE, LATEST_DATE, CalendarDate, Id, Input, Output


class AgreementOut(Output):
    """One version, with where it stands today."""

    id: int
    reference: str
    version: int
    tier: int
    title: str
    status: AgreementStatus
    starts_on: date
    ends_on: date | None
    approved_on: date | None
    closed_on: date | None
    """The first day it no longer applies (superseded or ended), if it has one."""
    keeper_agency_id: int
    supersedes_id: int | None
    created_at: datetime


class AgreementEventOut(Output):
    agreement_id: int
    kind: EventKind
    effective_on: date
    note: str
    recorded_by_id: int | None
    recorded_at: datetime


class AgreementDetail(AgreementOut):
    document: dict[str, Any]
    versions: list[AgreementOut]
    """Every version of this reference, oldest first (this one among them)."""
    events: list[AgreementEventOut]
    """What happened to every version of this reference, in order."""


class SupersedeIn(Input):
    document: dict[str, Any]
    """The new version; it applies from its ``start_date``, and the old one up to the day
    before."""


class EndIn(Input):
    free_text = frozenset({"note"})

    ends_on: CalendarDate
    """The first day it no longer applies."""
    note: str = Field(default="", max_length=2000)


class ApproveIn(Input):
    free_text = frozenset({"note"})

    note: str = Field(default="", max_length=2000)


class EvaluationIn(Input):
    provider_agency_id: Id
    recipient_agency_id: Id
    purpose: SharingPurpose
    categories: list[Annotated[str, StringConstraints(min_length=1, max_length=64)]] = Field(
        min_length=1, max_length=200
    )
    at: datetime | None = None
    """When the share would happen; now if not given."""
    onward: bool = False
    """The recipient would pass on information it received from someone else."""

    @field_validator("at", mode="before")
    @classmethod
    def _written_as_a_moment(cls, value: object) -> object:
        """An ISO 8601 moment, not a number of seconds someone has to guess the epoch of."""
        if value is None or isinstance(value, str | datetime):
            return value
        raise ValueError("Give the moment as ISO 8601, for example 2026-06-01T09:30:00Z")

    @field_validator("at")
    @classmethod
    def _in_service_years(cls, value: datetime | None) -> datetime | None:
        """Naive times are read as UTC; a moment outside the years Jigsaw records is refused."""
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        if not EARLIEST_DATE <= value.astimezone(UTC).date() <= LATEST_DATE:
            raise ValueError(f"Give a moment between {EARLIEST_DATE.year} and {LATEST_DATE.year}")
        return value


class ReasonOut(Output):
    code: str
    text: str


class EvaluationOut(Output):
    verdict: str
    reasons: list[ReasonOut]
    agreement_id: int | None
    agreement_reference: str | None
    agreement_version: int | None
    delete_after_days: int | None
