"""The current time, in one place, always timezone-aware UTC.

Everything that depends on time (disclosure expiry, session ends, code steps) asks
here, so a test can hold the clock at a moment of its choosing and move it on, and
every reader agrees on what "now" is. Nothing outside tests holds the clock.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class _Held:
    at: datetime | None = None


def utcnow() -> datetime:
    held = _Held.at
    return held if held is not None else datetime.now(UTC)


def hold(at: datetime | None) -> None:
    """Stop the clock at ``at`` (aware UTC); ``None`` lets real time run again."""
    if at is not None and at.utcoffset() is None:
        raise ValueError("Hold the clock at an aware time")
    _Held.at = at


def _uk_time() -> tzinfo:
    """Practitioners' clocks, summer time included."""
    try:
        return ZoneInfo("Europe/London")
    except ZoneInfoNotFoundError:  # a machine without time zone data
        return UTC


UK_TIME = _uk_time()
"""The zone dates are entered and times shown in."""


def today() -> date:
    """Today's date as a practitioner in the UK reads it, from the held clock if held.

    A date typed as "today" just after midnight in summer is still yesterday in UTC, so
    "not in the future" must be judged on the UK date, never the server's.
    """
    return utcnow().astimezone(UK_TIME).date()
