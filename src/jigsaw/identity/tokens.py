"""API tokens for other systems: scoped, expiring, revocable, stored only as a hash.

A token reads ``jgs_<prefix>_<secret>``. The prefix (random, not secret) finds
the row; the whole token's SHA-256 is compared in constant time. A token acts as
one service account of an agency, never as a person, and can do no more than that
account's role (practitioner) allows, narrowed further to its scopes.

Tokens are issued by an administrator of the service account's own agency who signed
in within the last few minutes (``policy.cedar`` A1a and F5); the issue is audited
with who issued it for which account, told to the agency's accountable person and on
their alert list. A token can never make, list or revoke another token, and a token
whose account is not a service account (one issued before service accounts existed)
is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import Field
from sqlalchemy import select

from jigsaw.audit import service as audit
from jigsaw.audit.actions import AuditAction
from jigsaw.audit.reads import not_a_person_read
from jigsaw.clock import utcnow
from jigsaw.db import Database
from jigsaw.errors import InvalidInput, NotFound, NotPermitted, NotSignedIn
from jigsaw.identity.models import ApiToken, Practitioner
from jigsaw.identity.service import tell_oversight
from jigsaw.policy import scopes
from jigsaw.policy.actor import Actor
from jigsaw.policy.authorize import (
    Permission,
    is_permitted,
    may_issue_api_tokens,
    refusal,
    require,
)
from jigsaw.schemas import Id, Input, Output

TOKEN_MARK = "jgs"  # noqa: S105 (the tokens' public marker, not a secret)
PREFIX_BYTES = 6
SECRET_BYTES = 32
MAX_DAYS = 366


class Scope(StrEnum):
    """What a token may be used for; each API router declares the ones it needs."""

    RECORDS_READ = "records:read"
    RECORDS_WRITE = "records:write"
    SHARING_READ = "sharing:read"
    SHARING_WRITE = "sharing:write"
    AUDIT_READ = "audit:read"
    AUDIT_WRITE = "audit:write"
    DIRECTORY_READ = "directory:read"
    DIRECTORY_WRITE = "directory:write"


class TokenRefused(NotSignedIn):
    """The token is unknown, expired or revoked; deliberately does not say which."""


class TokenIn(Input):
    practitioner_id: Id
    name: str = Field(min_length=1, max_length=200)
    scopes: list[Scope] = Field(min_length=1)
    expires_in_days: int = Field(default=90, ge=1, le=MAX_DAYS)


class TokenOut(Output):
    id: int
    practitioner_id: int
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


class NewToken(TokenOut):
    """Returned once, when the token is made; the service cannot show it again."""

    token: str


def _hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


NOT_A_SERVICE_ACCOUNT = (
    "API tokens are issued only for service accounts, never for a person: add a service "
    "account for the system first"
)


def _oversee(actor: Actor) -> None:
    require(actor, Permission.OVERSEE_API_TOKENS, actor.agency_id)


def create_token(
    db: Database, actor: Actor, data: TokenIn, *, agency_id: int | None = None
) -> NewToken:
    """A token for one of the administrator's own agency's service accounts.

    Another agency's account answers exactly like a missing one; a person's account is
    refused whoever asks, the command line included. The command line, which belongs
    to no agency, names the agency the token is for (``agency_id``): a service account
    of any other agency is then refused in the same words, so a token made for one
    agency never acts in another.
    """
    now = db.clock.now()
    agency = actor.agency_id if agency_id is None else agency_id
    if not may_issue_api_tokens(actor, agency, now=now):
        raise NotPermitted(refusal(Permission.ISSUE_API_TOKENS))
    with db.transaction() as session:
        owner = session.get(Practitioner, data.practitioner_id)
        if (
            owner is None
            or not owner.active
            or (agency_id is not None and owner.agency_id != agency_id)
            or not may_issue_api_tokens(actor, owner.agency_id, now=now)
        ):
            where = "your agency" if agency_id is None else f"agency {agency_id}"
            raise InvalidInput.one(
                "practitioner_id",
                f"There is no active service account with id {data.practitioner_id} in {where}",
            )
        if not owner.service_account:
            raise InvalidInput.one("practitioner_id", NOT_A_SERVICE_ACCOUNT)
        prefix = secrets.token_hex(PREFIX_BYTES)
        token = f"{TOKEN_MARK}_{prefix}_{secrets.token_urlsafe(SECRET_BYTES)}"
        row = ApiToken(
            practitioner_id=owner.id,
            name=data.name.strip(),
            prefix=prefix,
            token_hash=_hash(token),
            scopes=sorted({s.value for s in data.scopes}),
            created_at=now,
            created_by_id=actor.practitioner_id,
            expires_at=now + timedelta(days=data.expires_in_days),
        )
        audit.append_new(
            session,
            actor,
            row,
            AuditAction.API_TOKEN_CREATED,
            "api_token",
            refs={
                "practitioner": owner.id,
                "agency": owner.agency_id,
                "scopes": " ".join(row.scopes),
            },
        )
        tell_oversight(session, actor, owner.agency_id, "api_token", row.id)
        return NewToken(**TokenOut.model_validate(row).model_dump(), token=token)


@not_a_person_read("API tokens: names, scopes and dates of systems' credentials, nobody's details")
def list_tokens(db: Database, actor: Actor) -> list[TokenOut]:
    """The tokens of the administrator's own agency's service accounts."""
    _oversee(actor)
    with db.reading() as session:
        query = (
            select(ApiToken)
            .join(Practitioner, Practitioner.id == ApiToken.practitioner_id)
            .where(scopes.of_agency(actor, Permission.OVERSEE_API_TOKENS, Practitioner.agency_id))
        )
        rows = session.scalars(query.order_by(ApiToken.id))
        return [TokenOut.model_validate(r) for r in rows]


def revoke_token(db: Database, actor: Actor, token_id: int) -> TokenOut:
    """Revoking needs no fresh sign-in: stopping a credential should never be slowed."""
    _oversee(actor)
    with db.transaction() as session:
        row = session.get(ApiToken, token_id)
        owner = None if row is None else session.get(Practitioner, row.practitioner_id)
        if (
            row is None
            or owner is None
            or not is_permitted(actor, Permission.OVERSEE_API_TOKENS, owner.agency_id)
        ):
            raise NotFound("API token", token_id)
        if row.revoked_at is None:
            row.revoked_at = utcnow()
            audit.append(
                session,
                actor,
                AuditAction.API_TOKEN_REVOKED,
                "api_token",
                row.id,
                refs={"practitioner": owner.id, "agency": owner.agency_id},
            )
        return TokenOut.model_validate(row)


def _prefix_of(token: str) -> str | None:
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_MARK or len(parts[1]) != 2 * PREFIX_BYTES:
        return None
    return parts[1]


def authenticate(db: Database, token: str, now: datetime | None = None) -> Actor:
    """The actor a bearer token stands for, or ``TokenRefused``.

    Tokens count as having passed a second factor: systems cannot answer one, and
    the token itself was issued by an administrator who did.
    """
    now = now or utcnow()
    prefix = _prefix_of(token.strip())
    with db.reading() as session:
        row = (
            None
            if prefix is None
            else session.scalar(select(ApiToken).where(ApiToken.prefix == prefix))
        )
        # Compare against something even when the prefix is unknown, to keep timing flat.
        expected = row.token_hash if row is not None else _hash(secrets.token_hex(8))
        matches = hmac.compare_digest(expected, _hash(token.strip()))
        if row is None or not matches or row.revoked_at is not None or row.expires_at <= now:
            raise TokenRefused("The API token is not valid; it may have expired or been revoked")
        owner = session.get(Practitioner, row.practitioner_id)
        if owner is None or not owner.active or not owner.service_account:
            raise TokenRefused("The API token is not valid; it may have expired or been revoked")
        return Actor(
            owner.id,
            owner.agency_id,
            owner.role,
            mfa_verified=True,
            scopes=frozenset(row.scopes),
            token_id=row.id,
        )
