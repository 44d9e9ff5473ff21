from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints, ValidationInfo, field_validator

from jigsaw import clock
from jigsaw.people.models import LinkStatus, PersonRole, RelationshipKind, Sex
from jigsaw.people.nhs_number import normalise
from jigsaw.schemas import CalendarDate, Id, Input, Output

NHSNumber = Annotated[str, AfterValidator(normalise)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Postcode = Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, max_length=10)]


class AgencyRecordIn(Input):
    free_text = frozenset({"address"})

    agency_id: Id
    local_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
    role: PersonRole
    given_name: Name
    family_name: Name
    date_of_birth: CalendarDate | None = None
    sex: Sex = Sex.UNKNOWN
    address: str = Field(default="", max_length=300)
    postcode: Postcode = ""
    nhs_number: NHSNumber | None = None

    @field_validator("date_of_birth")
    @classmethod
    def _born_in_the_past(cls, value: date | None) -> date | None:
        if value is not None and value > clock.today():
            raise ValueError("A date of birth cannot be in the future")
        return value


class AgencyRecordOut(Output):
    id: int
    agency_id: int
    local_id: str
    role: PersonRole
    given_name: str
    family_name: str
    date_of_birth: date | None
    sex: Sex
    address: str
    postcode: str
    nhs_number: str | None
    person_id: int | None
    link_status: LinkStatus
    match_probability: float | None
    created_at: datetime
    recorded_by_id: int | None = None
    """Who made the record; None when the service made it."""


class RecordToConfirm(Output):
    """A record a practitioner made that still waits for a second person of the agency."""

    record: AgencyRecordOut
    recorded_by_name: str
    reason: str | None
    """Why it was recorded, when it was recorded from a search."""


class ConfirmationOut(Output):
    id: int
    agency_record_id: int
    confirmed_by_id: int
    confirmed_at: datetime


class RelationshipIn(Input):
    from_record_id: Id
    to_record_id: Id
    kind: RelationshipKind


class RelationshipOut(Output):
    id: int
    agency_id: int
    from_record_id: int
    to_record_id: int
    kind: RelationshipKind
    created_at: datetime


class InvolvementIn(Input):
    agency_record_id: Id
    practitioner_id: Id | None = None
    description: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)
    ]
    contact_phone: str = Field(default="", max_length=40)
    contact_email: str = Field(default="", max_length=320)
    started_on: CalendarDate
    ended_on: CalendarDate | None = None

    @field_validator("ended_on")
    @classmethod
    def _ends_after_it_starts(cls, value: date | None, info: ValidationInfo) -> date | None:
        started = info.data.get("started_on")
        if value is not None and started is not None and value < started:
            raise ValueError("An involvement cannot end before it starts")
        return value


class InvolvementOut(Output):
    id: int
    agency_record_id: int
    practitioner_id: int | None
    description: str
    contact_phone: str
    contact_email: str
    started_on: date
    ended_on: date | None
    created_at: datetime


class PersonOut(Output):
    id: int
    nhs_number: str | None
    created_at: datetime
