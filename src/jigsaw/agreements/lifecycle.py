"""Where a version stands on a given day, from its own dates and what happened to it.

Nothing about a version is stored as a changing status: approval, supersession and
ending are events with the date they take effect, so the answer for any past day is
the same today as it was then, and a request made last spring is judged against the
version that was in force last spring. For the same reason nothing takes effect in the
past: a version is in force from its start date or the day it was approved, whichever
is later, and supersession and ending take effect today or later.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum

from jigsaw.agreements.models import AgreementEvent, AgreementStatus, EventKind
from jigsaw.agreements.terms import Terms
from jigsaw.clock import UK_TIME


class OnTheDay(StrEnum):
    """How a version stands on one day."""

    DRAFT = "draft"
    NOT_YET = "not_yet_in_force"
    IN_FORCE = "in_force"
    EXPIRED = "expired"
    SUPERSEDED = "superseded"
    ENDED = "ended"


@dataclass(frozen=True)
class Standing:
    """What has happened to a version, read from its events."""

    approved_on: date | None
    closed_on: date | None
    """From this day on it no longer applies (superseded or ended); the day before was
    its last."""
    closed_by: EventKind | None
    approved_at: datetime | None = None
    """When approval was recorded, if that was on the day it took effect: the version
    applies from that moment, not from the midnight before it."""
    closed_at: datetime | None = None
    """The same for supersession or ending recorded on the day it takes effect."""

    @property
    def status(self) -> AgreementStatus:
        if self.approved_on is None:
            return AgreementStatus.DRAFT
        if self.closed_by is EventKind.SUPERSEDED:
            return AgreementStatus.SUPERSEDED
        if self.closed_by is EventKind.ENDED:
            return AgreementStatus.ENDED
        return AgreementStatus.IN_FORCE

    def on(self, terms: Terms, day: date, at: datetime | None = None) -> OnTheDay:
        """How it stands on ``day``; given ``at`` (on that day), a change made that same
        day counts only from the moment it was made, so a request judged at nine is
        judged the same way after a supersession at ten."""
        if self.approved_on is None or not _since(day, at, self.approved_on, self.approved_at):
            return OnTheDay.DRAFT
        if self.closed_on is not None and _since(day, at, self.closed_on, self.closed_at):
            return OnTheDay.SUPERSEDED if self.closed_by is EventKind.SUPERSEDED else OnTheDay.ENDED
        if day < terms.starts_on:
            return OnTheDay.NOT_YET
        if terms.ends_on is not None and day > terms.ends_on:
            return OnTheDay.EXPIRED
        return OnTheDay.IN_FORCE


def _since(day: date, at: datetime | None, effective_on: date, moment: datetime | None) -> bool:
    if day != effective_on:
        return day > effective_on
    return moment is None or at is None or at >= moment


def _moment(event: AgreementEvent) -> datetime | None:
    recorded = event.recorded_at
    if recorded.tzinfo is None:
        recorded = recorded.replace(tzinfo=UTC)
    return recorded if recorded.astimezone(UK_TIME).date() == event.effective_on else None


def standing_of(events: Iterable[AgreementEvent]) -> Standing:
    """The earliest approval and the earliest closing event decide (there is one of each
    at most; the service refuses a second)."""
    events = list(events)
    approved = sorted(
        (e for e in events if e.kind is EventKind.APPROVED), key=lambda e: e.effective_on
    )
    closing = sorted(
        (e for e in events if e.kind is not EventKind.APPROVED), key=lambda e: e.effective_on
    )
    return Standing(
        approved_on=approved[0].effective_on if approved else None,
        closed_on=closing[0].effective_on if closing else None,
        closed_by=closing[0].kind if closing else None,
        approved_at=_moment(approved[0]) if approved else None,
        closed_at=_moment(closing[0]) if closing else None,
    )
