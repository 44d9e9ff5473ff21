"""Answers in progress, kept in the signed session cookie between question pages.

Nothing is written to the database until the practitioner confirms on the check
answers page, and nothing is kept in server memory, so any worker can serve any
page. The session cookie is signed, so a draft cannot be forged, but it is not
encrypted and a browser keeps a cookie to about 4 KB: a draft is compressed, kept
under ``BUDGET`` characters, and cleared as soon as the decision is recorded.
"""

from __future__ import annotations

import base64
import binascii
import zlib
from collections.abc import MutableMapping
from datetime import date
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from jigsaw.consent.models import SharingPurpose
from jigsaw.sharing.models import ConsentPosition, DecisionOutcome, NotToldReason

DECISION_KEY = "decision_draft"
DISCLOSURE_KEY = "disclosure_draft"
BUDGET = 2400
"""Characters a draft may take in the cookie, leaving room for sign-in state."""


class DraftTooLarge(Exception):
    """The draft would not fit in the session cookie; the page asks for shorter text."""


class _Draft(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)

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

    decision_id: int
    fields: dict[int, list[str]] = Field(default_factory=dict)
    reveal_protected: list[int] = Field(default_factory=list)
    expires_on: date | None = None


D = TypeVar("D", bound=_Draft)


def _encode(draft: _Draft) -> str:
    packed = zlib.compress(draft.model_dump_json(exclude_defaults=True).encode(), 9)
    return base64.urlsafe_b64encode(packed).decode()


def _decode(kind: type[D], text: object) -> D | None:
    """The draft, or None if there is none or it was written by an older version."""
    if not isinstance(text, str):
        return None
    try:
        return kind.model_validate_json(zlib.decompress(base64.urlsafe_b64decode(text)))
    except (ValueError, ValidationError, zlib.error, binascii.Error):
        return None


def _save(session: MutableMapping[str, Any], key: str, draft: _Draft) -> None:
    encoded = _encode(draft)
    if len(encoded) > BUDGET:
        raise DraftTooLarge
    session[key] = encoded


def load_decision(session: MutableMapping[str, Any], record_id: int) -> DecisionDraft | None:
    """The draft decision about this child, if one is under way."""
    draft = _decode(DecisionDraft, session.get(DECISION_KEY))
    return draft if draft is not None and draft.subject_record_id == record_id else None


def save_decision(session: MutableMapping[str, Any], draft: DecisionDraft) -> None:
    _save(session, DECISION_KEY, draft)


def load_disclosure(session: MutableMapping[str, Any], decision_id: int) -> DisclosureDraft | None:
    draft = _decode(DisclosureDraft, session.get(DISCLOSURE_KEY))
    return draft if draft is not None and draft.decision_id == decision_id else None


def save_disclosure(session: MutableMapping[str, Any], draft: DisclosureDraft) -> None:
    _save(session, DISCLOSURE_KEY, draft)


def clear(session: MutableMapping[str, Any], key: str) -> None:
    session.pop(key, None)
