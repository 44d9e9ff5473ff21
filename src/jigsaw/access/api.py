"""Signing in over the JSON API, and API tokens for systems.

A session starts with ``POST /api/session`` (email, password and, if the account
has an authenticator, ``totp_code``). Without a code the session is only half
signed in: ``second_factor`` in the answer says what is still needed, and
``POST /api/session/second-factor`` (or, for a first sign-in,
``POST /api/session/enrolment`` then the same) completes it.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from jigsaw import clock
from jigsaw.access import service, sessions, tokens
from jigsaw.access.tokens import NewToken, TokenIn, TokenOut
from jigsaw.agencies import service as agencies
from jigsaw.agencies.schemas import PractitionerOut
from jigsaw.errors import NotPermitted
from jigsaw.http import DB, Accounts, CurrentActor, SignedInActor

router = APIRouter(prefix="/api", tags=["sessions"])

SecondFactorState = Literal["verified", "required", "enrolment_required"]


class SignIn(BaseModel):
    email: str = Field(max_length=320)
    password: str = Field(max_length=1000)
    totp_code: str | None = Field(default=None, max_length=20)


class Code(BaseModel):
    totp_code: str = Field(max_length=20)


class Reauthentication(BaseModel):
    password: str = Field(max_length=1000)
    totp_code: str = Field(max_length=20)


class SessionOut(PractitionerOut):
    second_factor: SecondFactorState


class EnrolmentOut(BaseModel):
    secret: str
    otpauth_uri: str


def _session_out(db: DB, practitioner_id: int, state: SecondFactorState) -> SessionOut:
    practitioner = agencies.get_practitioner(db, practitioner_id)
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


@router.delete("/session", status_code=204)
def sign_out(request: Request, db: DB) -> None:
    state = sessions.read(request.session)
    if state is not None:
        service.end_sessions(db, state.practitioner_id)
    request.session.clear()


@router.get("/me", response_model=PractitionerOut)
def me(actor: CurrentActor, db: DB) -> PractitionerOut:
    assert actor.practitioner_id is not None
    return agencies.get_practitioner(db, actor.practitioner_id)


@router.post("/tokens", response_model=NewToken, status_code=201)
def create_token(body: TokenIn, actor: CurrentActor, db: DB) -> NewToken:
    """Make a token for a system. The answer is the only time the token is shown."""
    return tokens.create_token(db, actor, body)


@router.get("/tokens", response_model=list[TokenOut])
def list_tokens(actor: CurrentActor, db: DB) -> list[TokenOut]:
    return tokens.list_tokens(db, actor)


@router.delete("/tokens/{token_id}", response_model=TokenOut)
def revoke_token(token_id: int, actor: CurrentActor, db: DB) -> TokenOut:
    return tokens.revoke_token(db, actor, token_id)
