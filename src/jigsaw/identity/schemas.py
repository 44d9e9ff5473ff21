"""What an account and its agency look like to the pages and the API."""

from __future__ import annotations

from datetime import datetime

from jigsaw.policy.roles import AgencyKind, Role
from jigsaw.schemas import Output


class AgencyOut(Output):
    id: int
    name: str
    kind: AgencyKind
    created_at: datetime


class PractitionerOut(Output):
    id: int
    agency_id: int
    name: str
    email: str
    role: Role
    job_title: str
    phone: str
    service_account: bool = False
    active: bool = True
