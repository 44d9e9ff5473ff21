"""Answers in progress, kept on the server between question pages.

Nothing reaches the record until the practitioner confirms on the check answers
page. Until then the answers are a row of ``page_drafts`` (``drafts``),
its body sealed under the practitioner's agency key like any other text about a
child, so any worker can serve any page and nothing a practitioner writes sits in
the browser. The session cookie carries only the row's id, one per kind of draft,
so it stays the same size however long the answers grow.

A draft is read only for the practitioner the request was authenticated as, and
only as the kind it was written as: an id copied into another practitioner's cookie,
or one whose draft has expired or was finished, is no draft, and the practitioner
starts again. A draft ends with the session that started it (``expires_at``), goes
as soon as the decision or disclosure is recorded, and every draft of a practitioner
goes when they sign out, since signing out ends all their sessions. Expired rows
are deleted whenever a draft is written.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request

from jigsaw import clock
from jigsaw.consent.models import SharingPurpose
from jigsaw.db import Database
from jigsaw.drafts import service as store
from jigsaw.drafts.service import Owner
from jigsaw.errors import NotSignedIn
from jigsaw.guidance import load_edition
from jigsaw.identity import sessions
from jigsaw.identity.dependencies import actor_of, get_settings_for, work_of
from jigsaw.sharing.models import ConsentPosition, DecisionOutcome, NotToldReason

DECISION_KEY = "decision_draft"
DISCLOSURE_KEY = "disclosure_draft"
RECORDING_KEY = "recording_draft"
STANDALONE_KEY = "standalone_decision_draft"


class _Draft(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    slot: ClassVar[str]
    """The kind of draft: the row's ``kind`` and the session key holding its id."""

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
    not_told_review_on: date | None = None
    accuracy_caveats: str = ""
    reveal_protected_reason: str = ""
    advice_request_ids: list[int] = Field(default_factory=list)
    withheld_item_ids: list[int] = Field(default_factory=list)
    urgent_reason: str = ""


class DisclosureDraft(_Draft):
    """What will go in a disclosure on a recorded share decision: items, fields, expiry."""

    slot: ClassVar[str] = DISCLOSURE_KEY

    decision_id: int
    fields: dict[int, list[str]] = Field(default_factory=dict)
    reveal_protected: list[int] = Field(default_factory=list)
    expires_on: date | None = None


class RecordingDraft(_Draft):
    """Something being recorded about a child and the people around them (an item, a
    relationship, an involvement, consent, what the family was told), from its question
    page to its check answers page: the answers as the page's form model wrote them."""

    slot: ClassVar[str] = RECORDING_KEY

    record_id: int
    kind: str
    answers: dict[str, Any] = Field(default_factory=dict)


class StandaloneDraft(_Draft):
    """A decision not about one child's record (anonymised sharing, a refusal), from its
    question page to its check answers page: the answers as the page's form model wrote
    them, and the agency's record of the child where one was named."""

    slot: ClassVar[str] = STANDALONE_KEY

    answers: dict[str, Any] = Field(default_factory=dict)
    subject_record_id: int | None = None


D = TypeVar("D", bound=_Draft)


def owner_of(request: Request) -> Owner | None:
    """Whom this request's drafts belong to: the person signed in (``identity.dependencies``).

    Read from the request rather than the cookie, so the owner is the account the
    request was authenticated as, never an id the cookie merely claims.
    """
    actor = actor_of(request)
    if (
        actor is None
        or actor.practitioner_id is None
        or actor.agency_id is None
        or actor.is_token
        or not actor.mfa_verified
    ):
        return None
    return Owner(actor.practitioner_id, actor.agency_id)


def read(db: Database, owner: Owner, kind: type[D], ident: int) -> D | None:
    """The owner's draft ``ident`` of this kind, or None if there is none to open.

    Someone else's, another kind, expired, finished, or written by an older version
    of the page: all are no draft, so the practitioner starts again.
    """
    body = store.read(db, owner, kind.slot, ident)
    if body is None:
        return None
    try:
        return kind.model_validate_json(body)
    except ValidationError:
        return None


def write(
    db: Database, owner: Owner, draft: _Draft, ident: int | None, expires_at: datetime
) -> int:
    """Keep the draft, in row ``ident`` if that is still the owner's, and return its id."""
    body = draft.model_dump_json(exclude_defaults=True)
    return store.write(db, owner, draft.slot, body, ident, expires_at)


def _session_ends(request: Request) -> datetime:
    """When this request's session reaches its absolute limit, and so its drafts."""
    lifetime = timedelta(seconds=get_settings_for(request).session_max_age_seconds)
    state = sessions.read(request.session)
    started = clock.utcnow() if state is None else state.started_at
    return started + lifetime


def _held(request: Request, kind: type[_Draft]) -> int | None:
    """The draft id the session holds for this kind; anything else is none."""
    ident = request.session.get(kind.slot)
    return ident if isinstance(ident, int) and not isinstance(ident, bool) else None


def _load(request: Request, kind: type[D]) -> D | None:
    owner = owner_of(request)
    ident = _held(request, kind)
    if owner is None or ident is None:
        return None
    return read(work_of(request), owner, kind, ident)


def _save(request: Request, draft: _Draft) -> None:
    owner = owner_of(request)
    if owner is None:
        raise NotSignedIn("Sign in to continue")
    ident = _held(request, type(draft))
    kept = write(work_of(request), owner, draft, ident, _session_ends(request))
    request.session[draft.slot] = kept


def load_decision(request: Request, record_id: int) -> DecisionDraft | None:
    """The draft decision about this child, if one is under way, on the current edition."""
    draft = _load(request, DecisionDraft)
    if draft is None or draft.subject_record_id != record_id:
        return None
    return on_current_edition(draft)


def on_current_edition(draft: DecisionDraft) -> DecisionDraft:
    """The draft moved to the current guidance edition, if a new one came out after it
    was started: a decision is only ever recorded under the current edition.

    Answers to questions the current edition still asks, with an answer it still offers,
    are kept; the others are dropped, so the pages ask them again (or ask the new
    questions) before the check answers page. Everything else in the draft is kept.
    """
    current = load_edition(None)
    if draft.edition == current.edition:
        return draft
    allowed = {q.id: q.allowed for q in current.questions}
    kept = {q: a for q, a in draft.answers.items() if a in allowed.get(q, ())}
    return draft.model_copy(update={"edition": current.edition, "answers": kept})


def save_decision(request: Request, draft: DecisionDraft) -> None:
    _save(request, draft)


def load_disclosure(request: Request, decision_id: int) -> DisclosureDraft | None:
    draft = _load(request, DisclosureDraft)
    return draft if draft is not None and draft.decision_id == decision_id else None


def save_disclosure(request: Request, draft: DisclosureDraft) -> None:
    _save(request, draft)


def load_recording(request: Request, record_id: int, kind: str) -> RecordingDraft | None:
    """The answers in progress for this kind of record about this child, if any."""
    draft = _load(request, RecordingDraft)
    return (
        draft if draft is not None and (draft.record_id, draft.kind) == (record_id, kind) else None
    )


def save_recording(request: Request, draft: RecordingDraft) -> None:
    _save(request, draft)


def load_standalone(request: Request) -> StandaloneDraft | None:
    return _load(request, StandaloneDraft)


def save_standalone(request: Request, draft: StandaloneDraft) -> None:
    _save(request, draft)


def clear(request: Request, kind: type[_Draft]) -> None:
    """The journey is finished: its draft goes from the database and the cookie."""
    ident = request.session.pop(kind.slot, None)
    owner = owner_of(request)
    if owner is not None and isinstance(ident, int) and not isinstance(ident, bool):
        store.discard(work_of(request), owner, kind.slot, ident)
