from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import EmailStr, Field, StringConstraints

from jigsaw.access.passwords import MIN_PASSWORD_LENGTH
from jigsaw.agencies.roles import AgencyKind, Role
from jigsaw.schemas import Input, Output

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class AgencyIn(Input):
    name: Name
    kind: AgencyKind


class AgencyOut(Output):
    id: int
    name: str
    kind: AgencyKind
    created_at: datetime


class PractitionerIn(Input):
    agency_id: int
    name: Name
    email: EmailStr
    role: Role
    job_title: str = Field(default="", max_length=200)
    phone: str = Field(default="", max_length=40)
    password: str | None = Field(default=None, min_length=MIN_PASSWORD_LENGTH, max_length=1000)


class PractitionerOut(Output):
    id: int
    agency_id: int
    name: str
    email: str
    role: Role
    job_title: str
    phone: str
