from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, EmailStr, Field, StringConstraints

from jigsaw.identity.passwords import MIN_PASSWORD_LENGTH
from jigsaw.identity.schemas import PractitionerOut
from jigsaw.policy.roles import AgencyKind, Role
from jigsaw.schemas import Id, Input

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class AgencyIn(Input):
    name: Name
    kind: AgencyKind


def _not_the_system(role: Role) -> Role:
    if role is Role.SYSTEM:
        raise ValueError("No account can be given the system's role")
    return role


AccountRole = Annotated[Role, AfterValidator(_not_the_system)]
"""A role a person's account can hold: any but the command line's own."""


class PractitionerIn(Input):
    """A new person's account.

    ``password`` is for the command line only (demo accounts, provisioning scripts): a
    person or system adding an account never chooses its password. The new account
    gets a one-time enrolment code instead, with which its holder sets their own.
    """

    agency_id: Id
    name: Name
    email: EmailStr
    role: AccountRole
    job_title: str = Field(default="", max_length=200)
    phone: str = Field(default="", max_length=40)
    password: str | None = Field(default=None, min_length=MIN_PASSWORD_LENGTH, max_length=1000)


class PractitionerChange(Input):
    """A change to an account: a new role, or disabling (or re-enabling) it."""

    role: AccountRole | None = None
    active: bool | None = None


class ServiceAccountIn(Input):
    """Another system's identity in an agency (the caller's own unless named)."""

    name: Name
    agency_id: Id | None = None


class NewPractitionerOut(PractitionerOut):
    """Returned once, when the account is made: the enrolment code is never shown again.

    Its holder sets their password with it (``POST /api/password-reset``, or the "Set a
    new password" page), then sets up their authenticator at first sign-in. None for a
    service account, which never signs in, and for an account the command line gave a
    password.
    """

    enrolment_code: str | None = None
    enrolment_code_expires_at: datetime | None = None
