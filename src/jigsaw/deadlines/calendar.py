"""Deadlines on a working-hours calendar: pure functions over aware datetimes.

Why it is shaped this way:

* Moments go in and come out as timezone-aware datetimes, UTC out, because that is how
  Jigsaw stores time. Working hours are local wall-clock times, so each working day is
  turned into one UTC interval through ``zoneinfo``; after that the arithmetic is plain
  UTC subtraction and the change between GMT and BST needs no special case.
* The engine steps a day at a time and takes each working period whole, so the cost
  grows with the number of calendar days crossed, never with hours or minutes: 72
  working hours over Christmas is about twenty steps.
* Working periods are half-open, [opens, closes): 09:00 is working time and 17:00 is
  not. A deadline is the *earliest* moment by which enough working time has passed, so
  it can be exactly 17:00, the end of a period, rather than 09:00 the next working day.
* A start outside working hours starts counting at the next working period.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from functools import cache, lru_cache
from zoneinfo import ZoneInfo

import holidays

from jigsaw.deadlines.errors import NaiveDatetime
from jigsaw.deadlines.values import (
    Profile,
    Rag,
    Status,
    StatutoryTimescale,
    Timescale,
    Unit,
    WorkingCalendar,
)

DUE_SOON_WITHIN = timedelta(hours=2)
"""How close a deadline must be to count as due soon, unless the caller says otherwise."""

_ONE_DAY = timedelta(days=1)
_LONGEST_CLOSURE = 366
"""Consecutive closed days after which a calendar is taken to have no working time left."""


def due_at(start: datetime, rag: Rag, profile: Profile) -> datetime:
    """When a contact or request rated ``rag`` at ``start`` is due under ``profile``."""
    return deadline(start, profile.timescale(rag), profile.calendar)


def statutory_due_at(start: datetime, name: str, profile: Profile) -> datetime:
    """When a named statutory timescale (e.g. ``assessment``) runs out from ``start``."""
    entry: StatutoryTimescale = profile.statutory_timescale(name)
    return deadline(start, entry.timescale, profile.calendar)


def deadline(start: datetime, timescale: Timescale, calendar: WorkingCalendar) -> datetime:
    """The end of ``timescale`` counted from ``start``, in the way its unit says."""
    if timescale.unit is Unit.HOURS:
        return _aware(start, "start").astimezone(UTC) + timedelta(hours=timescale.amount)
    if timescale.unit is Unit.WORKING_HOURS:
        return add_working_hours(start, timescale.amount, calendar)
    return add_working_days(start, int(timescale.amount), calendar)


def add_working_hours(
    start: datetime, hours: float | timedelta, calendar: WorkingCalendar
) -> datetime:
    """The earliest moment by which ``hours`` of working time have passed since ``start``.

    Zero hours is ``start`` itself. Otherwise the result always lies inside a working
    period or exactly at its close.
    """
    moment = _aware(start, "start").astimezone(UTC)
    remaining = _duration(hours)
    if not remaining:
        return moment
    day = _local_date(moment, calendar)
    closed_run = 0
    while True:
        period = _period(day, calendar)
        if period is None:
            closed_run += 1
            if closed_run > _LONGEST_CLOSURE:
                raise ValueError("the calendar has no working time left to count")
        else:
            closed_run = 0
            opens, closes = period
            begin = max(moment, opens)
            if begin < closes:
                available = closes - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
        day += _ONE_DAY


def add_working_days(start: datetime, days: int, calendar: WorkingCalendar) -> datetime:
    """The close of the ``days``-th working day after the local date of ``start``.

    Statutory timescales are written in whole working days from a date (a referral, a
    strategy discussion), so they are counted that way: the day of receipt is day zero
    whatever the hour, and a timescale ends when the last of its days ends. So one
    working day from a Monday referral, morning or evening, is the close of Tuesday;
    from a Saturday, the close of Monday. This never gives less time than counting from
    the moment of receipt would.
    """
    moment = _aware(start, "start").astimezone(UTC)
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise ValueError(f"working days must be a whole number of at least 1, not {days!r}")
    day = _local_date(moment, calendar)
    counted = 0
    closed_run = 0
    while True:
        day += _ONE_DAY
        period = _period(day, calendar)
        if period is None:
            closed_run += 1
            if closed_run > _LONGEST_CLOSURE:
                raise ValueError("the calendar has no working days left to count")
            continue
        closed_run = 0
        counted += 1
        if counted == days:
            return period[1]


def is_working_time(moment: datetime, calendar: WorkingCalendar) -> bool:
    """Whether ``moment`` falls inside a working period (opening time in, closing time out)."""
    moment = _aware(moment, "moment").astimezone(UTC)
    period = _period(_local_date(moment, calendar), calendar)
    return period is not None and period[0] <= moment < period[1]


def next_working_time(moment: datetime, calendar: WorkingCalendar) -> datetime:
    """``moment`` if it is working time, otherwise the opening of the next working period.

    This is where counting starts for a contact received out of hours.
    """
    moment = _aware(moment, "moment").astimezone(UTC)
    day = _local_date(moment, calendar)
    for _ in range(_LONGEST_CLOSURE + 1):
        period = _period(day, calendar)
        if period is not None and moment < period[1]:
            return max(moment, period[0])
        day += _ONE_DAY
    raise ValueError("the calendar has no working time left")


def working_hours_between(a: datetime, b: datetime, calendar: WorkingCalendar) -> timedelta:
    """The working time from ``a`` to ``b``; negative when ``b`` is before ``a``.

    Returned as a ``timedelta`` so "how much time is left" can be shown in hours and
    minutes without rounding; an overdue item shows how far over it is, in working time.
    """
    first = _aware(a, "a").astimezone(UTC)
    second = _aware(b, "b").astimezone(UTC)
    if second < first:
        return -working_hours_between(second, first, calendar)
    total = timedelta(0)
    day = _local_date(first, calendar)
    last = _local_date(second, calendar)
    while day <= last:
        period = _period(day, calendar)
        if period is not None:
            begin = max(first, period[0])
            end = min(second, period[1])
            if begin < end:
                total += end - begin
        day += _ONE_DAY
    return total


def status(
    due_at: datetime,
    now: datetime,
    *,
    within: timedelta = DUE_SOON_WITHIN,
    calendar: WorkingCalendar | None = None,
) -> Status:
    """On time, due soon (``within`` or less to go) or overdue (``now`` is past due).

    Time left is measured on the clock, or in working time when a ``calendar`` is
    given: a Green item due at 10:00 on Monday is not urgent at 16:30 on the Friday
    before on the clock, but only an hour and a half of working time remains.
    Exactly at the due time an item is due soon, not yet overdue.
    """
    due = _aware(due_at, "due_at").astimezone(UTC)
    current = _aware(now, "now").astimezone(UTC)
    if current > due:
        return Status.OVERDUE
    left = due - current if calendar is None else working_hours_between(current, due, calendar)
    return Status.DUE_SOON if left <= within else Status.ON_TIME


def bank_holidays(subdivision: str, year: int) -> frozenset[date]:
    """The UK bank holidays of one subdivision (e.g. ``ENG``) in one year.

    England and Wales share their bank holidays; the ``holidays`` package models them
    as the subdivisions ``ENG`` and ``WLS``, whose dates agree for every year from 1990
    to 2039. The profiles use ``ENG``.
    """
    return _bank_holidays(subdivision, year)


def is_working_day(day: date, calendar: WorkingCalendar) -> bool:
    """Whether the hub works at all on this local date."""
    return _period(day, calendar) is not None


@cache
def _bank_holidays(subdivision: str, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("UK", subdiv=subdivision, years=year).keys())


@lru_cache(maxsize=8192)
def _period(day: date, calendar: WorkingCalendar) -> tuple[datetime, datetime] | None:
    """The working period of a local date as a UTC interval, or None on a closed day."""
    if day.weekday() not in calendar.weekdays or day in calendar.closed_days:
        return None
    if day in _bank_holidays(calendar.bank_holidays, day.year):
        return None
    zone = ZoneInfo(calendar.timezone)
    opens = datetime.combine(day, calendar.opens, tzinfo=zone).astimezone(UTC)
    closes = datetime.combine(day, calendar.closes, tzinfo=zone).astimezone(UTC)
    if closes <= opens:
        # Only possible when a clock change swallows the whole of a very short day.
        return None
    return opens, closes


def _local_date(moment: datetime, calendar: WorkingCalendar) -> date:
    return moment.astimezone(ZoneInfo(calendar.timezone)).date()


def _aware(value: datetime, argument: str) -> datetime:
    if not isinstance(value, datetime):
        raise TypeError(f"{argument} must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise NaiveDatetime(argument, value)
    return value


def _duration(hours: float | timedelta) -> timedelta:
    if isinstance(hours, timedelta):
        amount = hours
    else:
        if isinstance(hours, bool) or not math.isfinite(hours):
            raise ValueError(f"hours must be a finite number, not {hours!r}")
        amount = timedelta(hours=hours)
    if amount < timedelta(0):
        raise ValueError(f"hours cannot be negative: {hours!r}")
    return amount
