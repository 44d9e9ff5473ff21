from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import StringConstraints, field_validator, model_validator

from jigsaw import clock
from jigsaw.consent.models import ConsentStatus, Party, SharingPurpose, TellingMethod
from jigsaw.schemas import CalendarDate, Id, Input, Output

Said = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]


def _not_future(value: date) -> date:
    if value > clock.today():
        raise ValueError("This date cannot be in the future")
    return value


class TransparencyIn(Input):
    free_text = frozenset({"explained"})

    subject_record_id: Id
    told_on: CalendarDate
    method: TellingMethod
    told_to: Party
    explained: Said

    _past = field_validator("told_on")(_not_future)


class TransparencyOut(Output):
    id: int
    subject_record_id: int
    agency_id: int
    told_on: date
    method: TellingMethod
    told_by_id: int | None
    told_to: Party
    explained: str
    recorded_at: datetime


class ServiceAgreementIn(Input):
    subject_record_id: Id
    service: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    agreed: bool
    agreed_by: Party
    agreed_on: CalendarDate

    _past = field_validator("agreed_on")(_not_future)


class ServiceAgreementOut(Output):
    id: int
    subject_record_id: int
    agency_id: int
    service: str
    agreed: bool
    agreed_by: Party
    agreed_on: date
    recorded_at: datetime


class ConsentIn(Input):
    free_text = frozenset({"competence_reason", "notes"})

    subject_record_id: Id
    purpose: SharingPurpose
    status: ConsentStatus
    asked: Party
    child_competent: bool | None = None
    competence_reason: str = ""
    notes: str = ""

    @model_validator(mode="after")
    def _competence_when_the_child_decides(self) -> ConsentIn:
        """When the child is asked, the record says whether they could decide, and why."""
        if self.asked in (Party.CHILD, Party.CHILD_AND_PARENT_CARER):
            if self.child_competent is None:
                raise ValueError("child_competent: say whether the child is competent to decide")
            if not self.competence_reason.strip():
                raise ValueError("competence_reason: explain how you judged the child's competence")
        return self


class ConsentOut(Output):
    id: int
    subject_record_id: int
    agency_id: int
    purpose: SharingPurpose
    status: ConsentStatus
    asked: Party
    child_competent: bool | None
    competence_reason: str
    recorded_by_id: int | None
    recorded_at: datetime
    notes: str
