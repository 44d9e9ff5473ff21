"""Properties every deadline must have, for any start and any amount of time.

Starts are drawn from 2025 to 2028 (every clock change, Easter and Christmas in
between), and half the time pinned to the edges that break calendars: opening and
closing time, a minute either side, midnight and the small hours of a clock change.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from jigsaw.deadlines import (
    Profile,
    Rag,
    WorkingCalendar,
    add_working_days,
    add_working_hours,
    due_at,
    is_working_day,
    is_working_time,
    load_profile,
    parse_timescales,
    working_hours_between,
)

LONDON = ZoneInfo("Europe/London")
_EXTENDED = parse_timescales(
    """
version: "property"
defaults:
  calendar:
    timezone: Europe/London
    opens: "08:30"
    closes: "17:30"
    weekdays: [monday, tuesday, wednesday, thursday, friday]
    bank_holidays: ENG
  rag:
    red: {amount: 1.5, unit: hours}
    amber: {amount: 7.25, unit: working_hours}
    green: {amount: 40, unit: working_hours}
statutory: []
profiles:
  extended:
    title: Longer days and odd timescales
"""
)
PROFILES: list[Profile] = [
    load_profile("default"),
    load_profile("merton"),
    _EXTENDED.profile("extended"),
]
CALENDARS: list[WorkingCalendar] = [profile.calendar for profile in PROFILES]
_EDGES = [
    time(0, 0),
    time(1, 30),
    time(8, 29),
    time(8, 30),
    time(8, 59),
    time(9, 0),
    time(9, 1),
    time(16, 59),
    time(17, 0),
    time(17, 1),
    time(17, 30),
    time(23, 59),
]

any_moment = st.datetimes(
    min_value=datetime(2025, 1, 1),
    max_value=datetime(2028, 12, 31),
    timezones=st.sampled_from([UTC, LONDON]),
)
edge_moment = st.builds(
    lambda day, at: datetime.combine(day, at, tzinfo=LONDON),
    st.dates(min_value=date(2025, 1, 1), max_value=date(2028, 12, 31)),
    st.sampled_from(_EDGES),
)
moments = st.one_of(any_moment, edge_moment)
durations = st.integers(min_value=0, max_value=400 * 60).map(lambda m: timedelta(minutes=m))
positive_durations = durations.filter(bool)
calendars = st.sampled_from(CALENDARS)


def at_end_of_working_period(moment: datetime, calendar: WorkingCalendar) -> bool:
    """Just after working time and not in it: the close of a working period."""
    return not is_working_time(moment, calendar) and is_working_time(
        moment - timedelta(microseconds=1), calendar
    )


@settings(deadline=None)
@given(start=moments, hours=durations, calendar=calendars)
def test_working_time_from_start_to_due_is_exactly_the_hours_added(
    start: datetime, hours: timedelta, calendar: WorkingCalendar
) -> None:
    due = add_working_hours(start, hours, calendar)
    assert due.tzinfo is UTC
    assert working_hours_between(start, due, calendar) == hours


@settings(deadline=None)
@given(start=moments, hours=positive_durations, calendar=calendars)
def test_a_working_hours_due_time_is_never_in_closed_time(
    start: datetime, hours: timedelta, calendar: WorkingCalendar
) -> None:
    due = add_working_hours(start, hours, calendar)
    assert is_working_time(due, calendar) or at_end_of_working_period(due, calendar)


@settings(deadline=None)
@given(
    start=moments,
    rag=st.sampled_from([Rag.AMBER, Rag.GREEN]),
    profile=st.sampled_from(PROFILES),
)
def test_amber_and_green_are_due_in_working_time_or_at_its_close(
    start: datetime, rag: Rag, profile: Profile
) -> None:
    due = due_at(start, rag, profile)
    assert due > start
    calendar = profile.calendar
    assert is_working_time(due, calendar) or at_end_of_working_period(due, calendar)
    expected = timedelta(hours=profile.timescale(rag).amount)
    assert working_hours_between(start, due, calendar) == expected


@settings(deadline=None)
@given(start=moments, profile=st.sampled_from(PROFILES))
def test_red_counts_every_hour(start: datetime, profile: Profile) -> None:
    due = due_at(start, Rag.RED, profile)
    assert due.tzinfo is UTC
    assert due - start == timedelta(hours=profile.red.amount)


@settings(deadline=None)
@given(start=moments, hours=st.lists(durations, min_size=2, max_size=2), calendar=calendars)
def test_more_hours_are_never_due_earlier(
    start: datetime, hours: list[timedelta], calendar: WorkingCalendar
) -> None:
    fewer, more = sorted(hours)
    assert add_working_hours(start, fewer, calendar) <= add_working_hours(start, more, calendar)


@settings(deadline=None)
@given(starts=st.lists(moments, min_size=2, max_size=2), hours=durations, calendar=calendars)
def test_a_later_start_is_never_due_earlier(
    starts: list[datetime], hours: timedelta, calendar: WorkingCalendar
) -> None:
    earlier, later = sorted(starts)
    assert add_working_hours(earlier, hours, calendar) <= add_working_hours(later, hours, calendar)


@settings(deadline=None)
@given(points=st.lists(moments, min_size=3, max_size=3), calendar=calendars)
def test_working_time_adds_up_along_the_way(
    points: list[datetime], calendar: WorkingCalendar
) -> None:
    a, b, c = points
    assert working_hours_between(a, b, calendar) + working_hours_between(
        b, c, calendar
    ) == working_hours_between(a, c, calendar)
    assert working_hours_between(a, b, calendar) == -working_hours_between(b, a, calendar)


@settings(deadline=None)
@given(start=moments, days=st.integers(min_value=1, max_value=60), calendar=calendars)
def test_working_days_end_at_the_close_of_a_working_day(
    start: datetime, days: int, calendar: WorkingCalendar
) -> None:
    due = add_working_days(start, days, calendar)
    local = due.astimezone(LONDON)
    assert due > start
    assert is_working_day(local.date(), calendar)
    assert local.time() == calendar.closes
    assert add_working_days(start, days + 1, calendar) > due
    # Exactly ``days`` working days lie after the start's date, up to and including it.
    first = start.astimezone(LONDON).date() + timedelta(days=1)
    counted = sum(
        is_working_day(first + timedelta(days=n), calendar)
        for n in range((local.date() - first).days + 1)
    )
    assert counted == days
