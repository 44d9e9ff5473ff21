from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import (
    AfterValidator,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from jigsaw import clock
from jigsaw.people import identifiers as schemes
from jigsaw.people.identifiers import IdentifierScheme
from jigsaw.people.models import LinkStatus, PersonRole, RelationshipKind, Sex
from jigsaw.people.nhs_number import normalise
from jigsaw.schemas import CalendarDate, Id, Input, Output

NHSNumber = Annotated[str, AfterValidator(normalise)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Postcode = Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, max_length=10)]
RecordedName = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]
"""A name on an agency's record, which may be empty (not recorded)."""
MAX_IDENTIFIERS = 20


class IdentifierIn(Input):
    """One identifier as given: the value is checked and normalised by its scheme's rule."""

    scheme: IdentifierScheme
    value: Annotated[str, StringConstraints(max_length=100)]

    @field_validator("value")
    @classmethod
    def _valid_for_its_scheme(cls, value: str, info: ValidationInfo) -> str:
        scheme = info.data.get("scheme")
        return value if scheme is None else schemes.normalise(scheme, value)


class IdentifierOut(Output):
    scheme: IdentifierScheme
    value: str


class AgencyRecordIn(Input):
    free_text = frozenset({"address"})

    agency_id: Id
    local_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
    role: PersonRole
    given_name: RecordedName = ""
    family_name: RecordedName = ""
    """An agency may hold a record with no name (a baby not yet named, a referral that
    gave none): left empty, it is "not recorded", never a placeholder such as "-"."""
    date_of_birth: CalendarDate | None = None
    sex: Sex = Sex.UNKNOWN
    address: str = Field(default="", max_length=300)
    postcode: Postcode = ""
    nhs_number: NHSNumber | None = None
    identifiers: list[IdentifierIn] = Field(default_factory=list, max_length=MAX_IDENTIFIERS)
    """Any schemes'; an NHS number here is the ``nhs_number`` (given both ways, they must
    agree), and after validation this list holds the other schemes only."""

    @field_validator("date_of_birth")
    @classmethod
    def _born_in_the_past(cls, value: date | None) -> date | None:
        if value is not None and value > clock.today():
            raise ValueError("A date of birth cannot be in the future")
        return value

    @field_validator("identifiers")
    @classmethod
    def _one_nhs_number(cls, value: list[IdentifierIn], info: ValidationInfo) -> list[IdentifierIn]:
        schemes.reconcile(info.data.get("nhs_number"), [(i.scheme, i.value) for i in value])
        return value

    @model_validator(mode="after")
    def _nhs_number_is_the_column(self) -> AgencyRecordIn:
        """An NHS number given only as an identifier becomes the record's NHS number; the
        list keeps the other schemes, each once."""
        nhs, others = schemes.reconcile(
            self.nhs_number, [(i.scheme, i.value) for i in self.identifiers]
        )
        self.nhs_number = nhs
        self.identifiers = [IdentifierIn.model_construct(scheme=s, value=v) for s, v in others]
        return self

    @model_validator(mode="after")
    def _someone_is_identified(self) -> AgencyRecordIn:
        """Without a name, a date of birth or an identifier a record describes nobody
        linkage or a practitioner could find again."""
        if not (
            self.given_name
            or self.family_name
            or self.date_of_birth
            or self.nhs_number
            or self.identifiers
        ):
            raise ValueError("Give a name, a date of birth or an NHS number")
        return self

    def record_fields(self) -> dict[str, object]:
        """The record's own columns (identifiers are rows of their own)."""
        return self.model_dump(exclude={"identifiers"})


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
    identifiers: list[IdentifierOut] = []
    """Every identifier of the record, its NHS number included; the people service's
    reads fill in the other schemes."""

    @model_validator(mode="after")
    def _nhs_number_is_an_identifier(self) -> AgencyRecordOut:
        if self.nhs_number is not None and not any(
            i.scheme is IdentifierScheme.NHS_NUMBER for i in self.identifiers
        ):
            self.identifiers = [
                IdentifierOut(scheme=s, value=v)
                for s, v in schemes.listed(
                    self.nhs_number, [(i.scheme, i.value) for i in self.identifiers]
                )
            ]
        return self


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
