"""Answers in progress, kept in the session cookie between question pages.

Nothing is written to the database until the practitioner confirms on the check
answers page, and nothing is kept in server memory, so any worker can serve any
page. The session cookie is signed but not encrypted, and what a practitioner
writes about a child must not sit readable in the browser's cookie store, so each
draft is compressed, then encrypted with AES-256-GCM under a key for drafts alone
(``AccountKeys.seal_draft``: the master key and the secret key together), bound to
the signed-in practitioner and the kind of draft. A draft copied into another
practitioner's cookie, altered, sealed under a key since rotated, or written by an
older version does not open and is treated as no draft: the practitioner starts
again. Compressing before encrypting leaks only the length, and only the owner
writes the draft, so nobody can mix guesses into it and watch the length change.

A browser keeps a cookie to about 4 KB: a sealed draft is kept under ``BUDGET``
characters and cleared as soon as the decision is recorded.
"""

from __future__ import annotations

import base64
import binascii
import zlib
from collections.abc import MutableMapping
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request

from jigsaw.access.keys import AccountKeys, SecretUnreadable
from jigsaw.consent.models import SharingPurpose
from jigsaw.errors import NotSignedIn
from jigsaw.http import actor_of, get_accounts
from jigsaw.sharing.models import ConsentPosition, DecisionOutcome, NotToldReason

DECISION_KEY = "decision_draft"
DISCLOSURE_KEY = "disclosure_draft"
BUDGET = 2400
"""Characters a sealed draft may take in the cookie, leaving room for sign-in state."""


class DraftTooLarge(Exception):
    """The draft would not fit in the session cookie; the page asks for shorter text."""


class _Draft(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    slot: ClassVar[str]
    """The session key this kind of draft is kept under; also sealed into it."""

    done: list[str] = Field(default_factory=list)
    """Pages submitted, for pages whose answer may be blank or "none"."""

    def mark(self, step: str) -> None:
        if step not in self.done:
            self.done.append(step)

    def unmark(self, step: str) -> None:
        if step in self.done:
            self.done.remove(step)


class DecisionDraft(_Draft):
    """A sharing decision being made, from the recipient to the last record page."""

    slot: ClassVar[str] = DECISION_KEY

    subject_record_id: int
    edition: str
    request_id: int | None = None
    reconsiders_id: int | None = None
    recipient_agency_id: int | None = None
    recipient_practitioner_id: int | None = None
    purpose: SharingPurpose | None = None
    answers: dict[str, str] = Field(default_factory=dict)
    outcome: DecisionOutcome | None = None
    departure_reason: str = ""
    reasons: str = ""
    lawful_basis: str | None = None
    art9_condition: str | None = None
    art10_condition: str | None = None
    consent_position: ConsentPosition | None = None
    consent_override_justification: str = ""
    family_informed: bool | None = None
    not_told_reason: NotToldReason | None = None
    accuracy_caveats: str = ""
    reveal_protected_reason: str = ""
    advice_request_ids: list[int] = Field(default_factory=list)


class DisclosureDraft(_Draft):
    """What will go in a disclosure on a recorded share decision: items, fields, expiry."""

    slot: ClassVar[str] = DISCLOSURE_KEY

    decision_id: int
    fields: dict[int, list[str]] = Field(default_factory=dict)
    reveal_protected: list[int] = Field(default_factory=list)
    expires_on: date | None = None


D = TypeVar("D", bound=_Draft)


@dataclass(frozen=True)
class Owner:
    """The practitioner a session's drafts belong to, and the keys that seal them."""

    practitioner_id: int
    keys: AccountKeys


def owner_of(request: Request) -> Owner | None:
    """Whom this request's drafts belong to: the person ``jigsaw.http`` signed in, if any.

    Read from the request rather than the cookie, so the owner is the account the
    request was authenticated as, never an id the cookie merely claims.
    """
    actor = actor_of(request)
    if actor is None or actor.practitioner_id is None or actor.is_token or not actor.mfa_verified:
        return None
    return Owner(actor.practitioner_id, get_accounts(request).keys)


def seal(owner: Owner, draft: _Draft) -> str:
    """The draft as the cookie keeps it: compressed, encrypted for its owner, base64.

    Raises ``DraftTooLarge`` past ``BUDGET``; the size is measured after sealing,
    since that is what the cookie has to hold.
    """
    packed = zlib.compress(draft.model_dump_json(exclude_defaults=True).encode(), 9)
    sealed = owner.keys.seal_draft(owner.practitioner_id, draft.slot, packed)
    text = base64.urlsafe_b64encode(sealed).decode()
    if len(text) > BUDGET:
        raise DraftTooLarge
    return text


def unseal(kind: type[D], owner: Owner, text: object) -> D | None:
    """The draft, or None if there is none or it does not open for this owner.

    Altered, another practitioner's, sealed under a key since rotated, or written
    by an older version: all are no draft, so the practitioner starts again.
    """
    if not isinstance(text, str):
        return None
    try:
        sealed = base64.urlsafe_b64decode(text)
        packed = owner.keys.open_draft(owner.practitioner_id, kind.slot, sealed)
        return kind.model_validate_json(zlib.decompress(packed))
    except (SecretUnreadable, ValueError, ValidationError, zlib.error, binascii.Error):
        return None


def _load(request: Request, kind: type[D]) -> D | None:
    owner = owner_of(request)
    return None if owner is None else unseal(kind, owner, request.session.get(kind.slot))


def _save(request: Request, draft: _Draft) -> None:
    owner = owner_of(request)
    if owner is None:
        raise NotSignedIn("Sign in to continue")
    request.session[draft.slot] = seal(owner, draft)


def load_decision(request: Request, record_id: int) -> DecisionDraft | None:
    """The draft decision about this child, if one is under way."""
    draft = _load(request, DecisionDraft)
    return draft if draft is not None and draft.subject_record_id == record_id else None


def save_decision(request: Request, draft: DecisionDraft) -> None:
    _save(request, draft)


def load_disclosure(request: Request, decision_id: int) -> DisclosureDraft | None:
    draft = _load(request, DisclosureDraft)
    return draft if draft is not None and draft.decision_id == decision_id else None


def save_disclosure(request: Request, draft: DisclosureDraft) -> None:
    _save(request, draft)


def clear(session: MutableMapping[str, Any], key: str) -> None:
    session.pop(key, None)
