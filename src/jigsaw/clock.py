"""The current time, in one place, always timezone-aware UTC.

Everything that depends on time (disclosure expiry, session ends, code steps) asks
``utcnow()``, so every reader in one piece of work agrees on what "now" is. The time
comes from the ``Clock`` of the database being worked on: each ``Database`` carries
one, binds it for the length of every transaction (and the app binds it for the
length of every request), and a test holds *its* database's clock at a moment of its
choosing. Nothing is held process-wide: outside any work, ``utcnow()`` is real time.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class Clock:
    """Real time, unless held or moved on; a deployment does neither, a test may."""

    def __init__(self) -> None:
        self._held: datetime | None = None
        self._ahead = timedelta()

    def now(self) -> datetime:
        held = self._held
        return held if held is not None else datetime.now(UTC) + self._ahead

    def hold(self, at: datetime | None) -> None:
        """Stop this clock at ``at`` (aware UTC); ``None`` lets real time run again."""
        if at is not None and at.utcoffset() is None:
            raise ValueError("Hold the clock at an aware time")
        self._held, self._ahead = at, timedelta()

    def advance(self, by: timedelta) -> datetime:
        """Move the clock on ``by`` (as if someone walked away); a running clock keeps
        running from there, a held one stays held at the later time."""
        if self._held is not None:
            self._held += by
        else:
            self._ahead += by
        return self.now()


class _RealTime(Clock):
    """What ``utcnow()`` reads outside any piece of work: it cannot be held."""

    def hold(self, at: datetime | None) -> None:
        raise RuntimeError("Real time cannot be held; hold a database's clock instead")


_REAL_TIME = _RealTime()
_current: ContextVar[Clock] = ContextVar("jigsaw_clock", default=_REAL_TIME)


@contextmanager
def bound(clock: Clock) -> Iterator[Clock]:
    """Read ``clock`` for ``utcnow()`` inside this block (this thread or task only)."""
    token = _current.set(clock)
    try:
        yield clock
    finally:
        _current.reset(token)


def utcnow() -> datetime:
    return _current.get().now()


def _uk_time() -> tzinfo:
    """Practitioners' clocks, summer time included."""
    try:
        return ZoneInfo("Europe/London")
    except ZoneInfoNotFoundError:  # a machine without time zone data
        return UTC


UK_TIME = _uk_time()
"""The zone dates are entered and times shown in."""


def today() -> date:
    """Today's date as a practitioner in the UK reads it, from the bound clock.

    A date typed as "today" just after midnight in summer is still yesterday in UTC, so
    "not in the future" must be judged on the UK date, never the server's.
    """
    return utcnow().astimezone(UK_TIME).date()
