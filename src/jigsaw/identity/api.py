"""Signing in over the JSON API, and API tokens for systems.

A session starts with ``POST /api/session`` (email, password and, if the account
has an authenticator, ``totp_code``). Without a code the session is only half
signed in: ``second_factor`` in the answer says what is still needed, and
``POST /api/session/second-factor`` (or, for a first sign-in,
``POST /api/session/enrolment`` then the same) completes it.

Sensitive actions (tokens, password changes, administrators' changes to accounts)
need a recent sign-in: ``POST /api/session/reauthentication`` first. A practitioner
who forgot their password uses a code from an administrator at
``POST /api/password-reset``; it signs nobody in.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from jigsaw import clock
from jigsaw.errors import NotPermitted
from jigsaw.identity import service, sessions, tokens
from jigsaw.identity.dependencies import (
    DB,
    Accounts,
    CurrentActor,
    RecentlyAuthenticatedActor,
    SignedInActor,
)
from jigsaw.identity.schemas import PractitionerOut
from jigsaw.identity.tokens import NewToken, TokenIn, TokenOut
from jigsaw.schemas import Id, RawInput

router = APIRouter(prefix="/api", tags=["sessions"])

SecondFactorState = Literal["verified", "required", "enrolment_required"]


class SignIn(RawInput):
    free_text = frozenset({"password"})

    email: str = Field(max_length=320)
    password: str = Field(max_length=1000)
    totp_code: str | None = Field(default=None, max_length=20)


class Code(RawInput):
    totp_code: str = Field(max_length=20)


class Reauthentication(RawInput):
    free_text = frozenset({"password"})

    password: str = Field(max_length=1000)
    totp_code: str = Field(max_length=20)


class PasswordChange(RawInput):
    free_text = frozenset({"current_password", "new_password"})

    current_password: str = Field(max_length=1000)
    new_password: str = Field(max_length=1000)


class PasswordResetUse(RawInput):
    free_text = frozenset({"new_password"})

    email: str = Field(max_length=320)
    code: str = Field(max_length=40)
    new_password: str = Field(max_length=1000)


class PasswordResetOut(BaseModel):
    """The code is shown this once; only its hash is kept."""

    practitioner_id: int
    code: str
    expires_at: datetime


class SessionOut(PractitionerOut):
    second_factor: SecondFactorState


class EnrolmentOut(BaseModel):
    secret: str
    otpauth_uri: str


def _session_out(db: DB, practitioner_id: int, state: SecondFactorState) -> SessionOut:
    practitioner = service.get_practitioner(db, practitioner_id)
    return SessionOut(**practitioner.model_dump(), second_factor=state)


def _person(actor_id: int | None, is_token: bool) -> int:
    if actor_id is None or is_token:
        raise NotPermitted("This is for people signed in with a session, not API tokens.")
    return actor_id


@router.post("/session", response_model=SessionOut)
def sign_in(body: SignIn, request: Request, db: DB, accounts: Accounts) -> SessionOut:
    checked = service.check_password(db, accounts, body.email, body.password)
    practitioner_id = checked.actor.practitioner_id
    assert practitioner_id is not None
    sessions.start(request.session, practitioner_id, clock.utcnow(), mfa_verified=False)
    if not checked.enrolled:
        return _session_out(db, practitioner_id, "enrolment_required")
    if body.totp_code is None:
        return _session_out(db, practitioner_id, "required")
    service.verify_code(db, accounts, practitioner_id, body.totp_code)
    sessions.second_factor_passed(request.session, clock.utcnow())
    return _session_out(db, practitioner_id, "verified")


@router.post("/session/enrolment", response_model=EnrolmentOut)
def start_enrolment(actor: SignedInActor, db: DB, accounts: Accounts) -> EnrolmentOut:
    """A new authenticator secret, for an account that has none yet."""
    practitioner_id = _person(actor.practitioner_id, actor.is_token)
    enrolment = service.start_enrolment(db, accounts, practitioner_id)
    return EnrolmentOut(secret=enrolment.secret, otpauth_uri=enrolment.uri)


@router.post("/session/second-factor", response_model=SessionOut)
def second_factor(
    body: Code, request: Request, actor: SignedInActor, db: DB, accounts: Accounts
) -> SessionOut:
    practitioner_id = _person(actor.practitioner_id, actor.is_token)
    if service.second_factor_enrolled(db, practitioner_id):
        service.verify_code(db, accounts, practitioner_id, body.totp_code)
    else:
        service.confirm_enrolment(db, accounts, practitioner_id, body.totp_code)
    sessions.second_factor_passed(request.session, clock.utcnow())
    return _session_out(db, practitioner_id, "verified")


@router.post("/session/reauthentication", response_model=SessionOut)
def reauthenticate(
    body: Reauthentication, request: Request, actor: CurrentActor, db: DB, accounts: Accounts
) -> SessionOut:
    """Prove both factors again, for actions that ask for a recent sign-in."""
    practitioner_id = _person(actor.practitioner_id, actor.is_token)
    service.reauthenticate(db, accounts, practitioner_id, body.password, body.totp_code)
    sessions.reauthenticated(request.session, clock.utcnow())
    return _session_out(db, practitioner_id, "verified")


@router.post("/session/password", response_model=SessionOut)
def change_password(
    body: PasswordChange,
    request: Request,
    actor: RecentlyAuthenticatedActor,
    db: DB,
    accounts: Accounts,
) -> SessionOut:
    """Every other session of the account ends; this one carries on as a new session."""
    practitioner_id = _person(actor.practitioner_id, actor.is_token)
    ended = service.change_password(db, accounts, actor, body.current_password, body.new_password)
    sessions.restart_after(request.session, practitioner_id, ended, clock.utcnow())
    return _session_out(db, practitioner_id, "verified")


@router.post("/password-reset", status_code=204)
def use_password_reset(body: PasswordResetUse, db: DB, accounts: Accounts) -> None:
    """Set a new password with an administrator's code, then sign in as usual."""
    service.use_password_reset(db, accounts, body.email, body.code, body.new_password)


@router.post(
    "/practitioners/{practitioner_id}/password-reset",
    response_model=PasswordResetOut,
    status_code=201,
)
def issue_password_reset(
    practitioner_id: Id, actor: RecentlyAuthenticatedActor, db: DB
) -> PasswordResetOut:
    issued = service.issue_password_reset(db, actor, practitioner_id)
    return PasswordResetOut(
        practitioner_id=issued.practitioner_id, code=issued.code, expires_at=issued.expires_at
    )


@router.post("/practitioners/{practitioner_id}/second-factor/reset", status_code=204)
def reset_second_factor(practitioner_id: Id, actor: RecentlyAuthenticatedActor, db: DB) -> None:
    """For a lost authenticator: the practitioner sets up a new one at their next sign-in."""
    service.reset_second_factor(db, actor, practitioner_id)


@router.delete("/session", status_code=204)
def sign_out(request: Request, db: DB) -> None:
    state = sessions.read(request.session)
    if state is not None:
        service.end_sessions(db, state.practitioner_id)
    request.session.clear()


@router.get("/me", response_model=PractitionerOut)
def me(actor: CurrentActor, db: DB) -> PractitionerOut:
    assert actor.practitioner_id is not None
    return service.get_practitioner(db, actor.practitioner_id)


@router.post("/tokens", response_model=NewToken, status_code=201)
def create_token(body: TokenIn, actor: RecentlyAuthenticatedActor, db: DB) -> NewToken:
    """Make a token for one of your agency's service accounts (``POST /api/service-accounts``),
    never for a person. The answer is the only time the token is shown."""
    return tokens.create_token(db, actor, body)


@router.get("/tokens", response_model=list[TokenOut])
def list_tokens(actor: CurrentActor, db: DB) -> list[TokenOut]:
    return tokens.list_tokens(db, actor)


@router.delete("/tokens/{token_id}", response_model=TokenOut)
def revoke_token(token_id: Id, actor: CurrentActor, db: DB) -> TokenOut:
    return tokens.revoke_token(db, actor, token_id)
