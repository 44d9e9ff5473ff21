"""Hand-checked deadlines on the default profile.

Default profile: Red 4 hours on the clock; Amber 24 and Green 72 working hours;
working hours Monday to Friday 09:00-17:00 Europe/London, less England and Wales bank
holidays (``holidays`` subdivision ENG). A full working day is 8 hours, so Amber is
three full working days and Green nine. Each expected value below was worked out by
hand first; the reasoning is in the test.
"""

from __future__ import annotations

import time as timer
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest

from jigsaw.deadlines import (
    NaiveDatetime,
    Rag,
    Status,
    add_working_days,
    add_working_hours,
    bank_holidays,
    due_at,
    is_working_day,
    is_working_time,
    load_profile,
    next_working_time,
    status,
    statutory_due_at,
    working_hours_between,
)

LONDON = ZoneInfo("Europe/London")
DEFAULT = load_profile("default")
CALENDAR = DEFAULT.calendar


def london(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A London wall-clock time, as practitioners read it."""
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# --- Amber from a Friday afternoon ------------------------------------------------


def test_amber_friday_1600_is_due_wednesday_1600() -> None:
    # Friday 6 March 2026, 16:00 GMT. 24 working hours to count:
    #   Fri 6 Mar 16:00-17:00   1h  -> 23 left
    #   Sat 7, Sun 8            weekend, not counted
    #   Mon 9 Mar 09:00-17:00   8h  -> 15 left
    #   Tue 10 Mar              8h  ->  7 left
    #   Wed 11 Mar 09:00 + 7h = 16:00 GMT (= 16:00 UTC in winter)
    due = due_at(london(2026, 3, 6, 16), Rag.AMBER, DEFAULT)
    assert due == utc(2026, 3, 11, 16)
    assert due.tzinfo is UTC


def test_amber_friday_1600_before_a_bank_holiday_monday_is_due_thursday() -> None:
    # Friday 22 May 2026, 16:00 BST; Monday 25 May is the Spring bank holiday.
    #   Fri 22 May 16:00-17:00  1h  -> 23 left
    #   Sat, Sun, Mon 25 May    weekend and bank holiday
    #   Tue 26 May              8h  -> 15 left
    #   Wed 27 May              8h  ->  7 left
    #   Thu 28 May 09:00 + 7h = 16:00 BST = 15:00 UTC
    assert date(2026, 5, 25) in bank_holidays("ENG", 2026)
    assert due_at(london(2026, 5, 22, 16), Rag.AMBER, DEFAULT) == utc(2026, 5, 28, 15)


# --- Red counts every hour --------------------------------------------------------


def test_red_at_saturday_2300_is_due_sunday_0300() -> None:
    # Red runs beyond working hours: 4 hours on the clock from Saturday 7 March 2026
    # 23:00 GMT is Sunday 8 March 03:00 GMT, although neither day is a working day.
    assert due_at(london(2026, 3, 7, 23), Rag.RED, DEFAULT) == london(2026, 3, 8, 3)


def test_red_across_the_spring_clock_change_counts_real_hours() -> None:
    # Saturday 28 March 2026 23:00 GMT (23:00 UTC). Clocks go forward at 01:00 GMT on
    # Sunday 29 March. Four real hours later is 03:00 UTC, which London calls 04:00 BST.
    due = due_at(london(2026, 3, 28, 23), Rag.RED, DEFAULT)
    assert due == utc(2026, 3, 29, 3)
    assert due.astimezone(LONDON).hour == 4


def test_red_across_the_autumn_clock_change_counts_real_hours() -> None:
    # Saturday 24 October 2026 23:00 BST (22:00 UTC). Clocks go back at 02:00 BST on
    # Sunday 25 October. Four real hours later is 02:00 UTC, which London calls 02:00 GMT.
    due = due_at(london(2026, 10, 24, 23), Rag.RED, DEFAULT)
    assert due == utc(2026, 10, 25, 2)
    assert due.astimezone(LONDON).hour == 2


# --- Green over Christmas and New Year 2026/27 -------------------------------------


def test_christmas_2026_bank_holidays_including_the_substitute_day() -> None:
    # Christmas Day 2026 is a Friday and New Year's Day 2027 a Friday, both on the day.
    # Boxing Day 2026 is a Saturday, so its substitute bank holiday is Monday 28 Dec.
    eng = holidays.country_holidays("UK", subdiv="ENG", years=[2026, 2027])
    assert eng[date(2026, 12, 25)] == "Christmas Day"
    assert eng[date(2026, 12, 28)] == "Boxing Day (observed)"
    assert eng[date(2027, 1, 1)] == "New Year's Day"
    # England and Wales share their bank holidays; ENG and WLS agree.
    wls = holidays.country_holidays("UK", subdiv="WLS", years=[2026, 2027])
    assert set(eng) == set(wls)
    for closed in (date(2026, 12, 25), date(2026, 12, 28), date(2027, 1, 1)):
        assert not is_working_day(closed, CALENDAR)
    # Christmas Eve and New Year's Eve are ordinary working days.
    assert is_working_day(date(2026, 12, 24), CALENDAR)
    assert is_working_day(date(2026, 12, 31), CALENDAR)


def test_green_across_christmas_and_new_year_is_due_friday_8_january() -> None:
    # Wednesday 23 December 2026, 10:00 GMT. 72 working hours to count:
    #   Wed 23 Dec 10:00-17:00   7h -> 65 left
    #   Thu 24 Dec               8h -> 57 left
    #   Fri 25 Dec               Christmas Day (bank holiday)
    #   Sat 26, Sun 27           weekend (Boxing Day falls on the Saturday)
    #   Mon 28 Dec               Boxing Day substitute (bank holiday)
    #   Tue 29, Wed 30, Thu 31   24h -> 33 left
    #   Fri 1 Jan 2027           New Year's Day (bank holiday)
    #   Sat 2, Sun 3             weekend
    #   Mon 4 .. Thu 7 Jan       32h ->  1 left
    #   Fri 8 Jan 09:00 + 1h = 10:00 GMT
    start = london(2026, 12, 23, 10)
    due = due_at(start, Rag.GREEN, DEFAULT)
    assert due == utc(2027, 1, 8, 10)
    assert working_hours_between(start, due, CALENDAR) == timedelta(hours=72)


def test_green_over_christmas_takes_microseconds() -> None:
    # Whole working days are taken in one step, so this is some twenty steps.
    start = london(2026, 12, 23, 10)
    due_at(start, Rag.GREEN, DEFAULT)
    began = timer.perf_counter()
    for _ in range(1000):
        due_at(start, Rag.GREEN, DEFAULT)
    per_call = (timer.perf_counter() - began) / 1000
    assert per_call < 0.001


# --- Edges of the working day ------------------------------------------------------


def test_opening_time_is_working_time_and_closing_time_is_not() -> None:
    assert is_working_time(london(2026, 3, 9, 9), CALENDAR)
    assert is_working_time(london(2026, 3, 9, 16, 59), CALENDAR)
    assert not is_working_time(london(2026, 3, 9, 17), CALENDAR)
    assert not is_working_time(london(2026, 3, 9, 8, 59), CALENDAR)
    assert not is_working_time(london(2026, 3, 7, 12), CALENDAR)  # Saturday


def test_amber_started_exactly_at_1700_counts_from_0900_next_day() -> None:
    # Monday 9 March 2026, 17:00 GMT: the working day has just closed, so counting
    # starts at Tuesday 09:00. Tue 8h, Wed 8h, Thu 8h: due Thursday 12 March 17:00,
    # the end of that working period (not Friday 09:00, which is no later in working
    # time but later on the clock).
    start = london(2026, 3, 9, 17)
    assert next_working_time(start, CALENDAR) == london(2026, 3, 10, 9)
    assert due_at(start, Rag.AMBER, DEFAULT) == utc(2026, 3, 12, 17)


def test_a_full_working_day_from_opening_ends_at_closing() -> None:
    start = london(2026, 3, 9, 9)
    assert add_working_hours(start, 8, CALENDAR) == london(2026, 3, 9, 17)
    assert add_working_hours(start, timedelta(hours=8, minutes=1), CALENDAR) == london(
        2026, 3, 10, 9, 1
    )


def test_a_start_before_opening_counts_from_opening() -> None:
    # Tuesday 10 March 2026 07:30 GMT, 2 working hours: 09:00 + 2h = 11:00.
    assert add_working_hours(london(2026, 3, 10, 7, 30), 2, CALENDAR) == london(2026, 3, 10, 11)


def test_zero_hours_is_the_start_itself() -> None:
    start = london(2026, 3, 7, 12)
    assert add_working_hours(start, 0, CALENDAR) == start


def test_fractional_hours() -> None:
    # Monday 9 March 2026 16:30 GMT + 1.5 working hours: 30 min on Monday, 1h on
    # Tuesday from 09:00, so Tuesday 10:00.
    assert add_working_hours(london(2026, 3, 9, 16, 30), 1.5, CALENDAR) == london(2026, 3, 10, 10)


# --- The clock changes -------------------------------------------------------------


def test_amber_across_the_spring_clock_change_keeps_local_working_hours() -> None:
    # Friday 27 March 2026 16:00 GMT (16:00 UTC). Clocks go forward on Sunday 29 March.
    #   Fri 27 Mar 16:00-17:00 GMT   1h -> 23 left
    #   Mon 30 Mar 09:00-17:00 BST   8h -> 15 left
    #   Tue 31 Mar                   8h ->  7 left
    #   Wed 1 Apr 09:00 BST + 7h = 16:00 BST = 15:00 UTC
    # (Counting in UTC alone would wrongly give 16:00 UTC, 17:00 BST.)
    assert due_at(london(2026, 3, 27, 16), Rag.AMBER, DEFAULT) == utc(2026, 4, 1, 15)


def test_amber_across_the_autumn_clock_change_keeps_local_working_hours() -> None:
    # Friday 23 October 2026 16:00 BST (15:00 UTC). Clocks go back on Sunday 25 October.
    #   Fri 23 Oct 16:00-17:00 BST   1h -> 23 left
    #   Mon 26, Tue 27 Oct (GMT)     16h ->  7 left
    #   Wed 28 Oct 09:00 GMT + 7h = 16:00 GMT = 16:00 UTC
    assert due_at(london(2026, 10, 23, 16), Rag.AMBER, DEFAULT) == utc(2026, 10, 28, 16)


def test_working_hours_between_across_the_clock_change() -> None:
    # Friday 27 March 09:00 GMT to Monday 30 March 17:00 BST: two full working days,
    # 16 working hours. On the clock it is 79 hours: 80 by the wall clock, less the
    # hour skipped when the clocks went forward.
    start, end = london(2026, 3, 27, 9), london(2026, 3, 30, 17)
    assert working_hours_between(start, end, CALENDAR) == timedelta(hours=16)
    assert working_hours_between(end, start, CALENDAR) == -timedelta(hours=16)
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=79)


# --- Statutory timescales (Working Together 2023) ----------------------------------


def test_referral_decision_is_due_at_the_close_of_the_next_working_day() -> None:
    # The day of receipt is not counted: a referral on Monday 9 March 2026 at 10:00 or
    # at 18:00 is decided by the close of Tuesday 10 March; one received on Saturday
    # 7 March by the close of Monday 9 March.
    for received in (london(2026, 3, 9, 10), london(2026, 3, 9, 18)):
        assert statutory_due_at(received, "referral_decision", DEFAULT) == london(2026, 3, 10, 17)
    assert statutory_due_at(london(2026, 3, 7, 11), "referral_decision", DEFAULT) == london(
        2026, 3, 9, 17
    )


def test_assessment_45_working_days_across_easter_and_may_day() -> None:
    # Referral Monday 2 March 2026. Working days counted from Tuesday 3 March:
    #   3-6 Mar 4 (4), 9-13 5 (9), 16-20 5 (14), 23-27 5 (19),
    #   30 Mar-2 Apr 4 (23)  [Fri 3 Apr Good Friday, Mon 6 Apr Easter Monday]
    #   7-10 Apr 4 (27), 13-17 5 (32), 20-24 5 (37), 27 Apr-1 May 5 (42)
    #   [Mon 4 May Early May bank holiday] Tue 5 (43), Wed 6 (44), Thu 7 May (45).
    # Due at the close of Thursday 7 May 2026: 17:00 BST = 16:00 UTC.
    due = statutory_due_at(london(2026, 3, 2, 10), "assessment", DEFAULT)
    assert due == utc(2026, 5, 7, 16)


def test_initial_child_protection_conference_15_working_days_over_christmas() -> None:
    # Strategy discussion Wednesday 16 December 2026. Working days from Thursday 17:
    #   Thu 17 (1), Fri 18 (2), Mon 21 (3), Tue 22 (4), Wed 23 (5), Thu 24 (6),
    #   [25 Christmas, 26-27 weekend, 28 Boxing Day substitute]
    #   Tue 29 (7), Wed 30 (8), Thu 31 (9), [1 Jan New Year's Day, 2-3 weekend]
    #   Mon 4 (10), Tue 5 (11), Wed 6 (12), Thu 7 (13), Fri 8 (14), Mon 11 Jan (15).
    due = statutory_due_at(london(2026, 12, 16, 14), "initial_child_protection_conference", DEFAULT)
    assert due == utc(2027, 1, 11, 17)


def test_add_working_days_refuses_less_than_one_day() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        add_working_days(london(2026, 3, 9, 10), 0, CALENDAR)


# --- Other profiles ----------------------------------------------------------------


def test_merton_timescales() -> None:
    merton = load_profile("merton")
    # Red 2 hours on the clock: Sunday 8 March 2026 22:30 -> Monday 00:30.
    assert due_at(london(2026, 3, 8, 22, 30), Rag.RED, merton) == london(2026, 3, 9, 0, 30)
    # Amber 6 working hours from Friday 6 March 15:00: 2h Friday, 4h Monday -> 13:00.
    assert due_at(london(2026, 3, 6, 15), Rag.AMBER, merton) == london(2026, 3, 9, 13)
    # Green 24 working hours from Monday 9 March 09:00: three full days -> Wed 17:00.
    assert due_at(london(2026, 3, 9, 9), Rag.GREEN, merton) == london(2026, 3, 11, 17)


def test_surrey_matches_the_default_timescales() -> None:
    surrey = load_profile("surrey")
    start = london(2026, 3, 6, 16)
    for rag in Rag:
        assert due_at(start, rag, surrey) == due_at(start, rag, DEFAULT)


# --- Status ------------------------------------------------------------------------


def test_status_on_the_clock() -> None:
    due = london(2026, 3, 9, 12)
    assert status(due, london(2026, 3, 9, 9)) is Status.ON_TIME
    assert status(due, london(2026, 3, 9, 10)) is Status.DUE_SOON
    assert status(due, due) is Status.DUE_SOON
    assert status(due, due + timedelta(minutes=1)) is Status.OVERDUE
    assert status(due, london(2026, 3, 9, 11), within=timedelta(minutes=30)) is Status.ON_TIME


def test_status_in_working_time_sees_through_the_weekend() -> None:
    # Due Monday 9 March 10:00. At Friday 16:30 it is 65.5 hours away on the clock but
    # only 1.5 working hours (30 min Friday, 1h Monday).
    due, now = london(2026, 3, 9, 10), london(2026, 3, 6, 16, 30)
    assert status(due, now) is Status.ON_TIME
    assert status(due, now, calendar=CALENDAR) is Status.DUE_SOON


# --- Refusals ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda naive: due_at(naive, Rag.AMBER, DEFAULT),
        lambda naive: due_at(naive, Rag.RED, DEFAULT),
        lambda naive: add_working_hours(naive, 1, CALENDAR),
        lambda naive: add_working_days(naive, 1, CALENDAR),
        lambda naive: is_working_time(naive, CALENDAR),
        lambda naive: working_hours_between(naive, london(2026, 3, 9), CALENDAR),
        lambda naive: status(naive, london(2026, 3, 9)),
    ],
)
def test_naive_datetimes_are_refused(call) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NaiveDatetime, match="timezone-aware"):
        call(datetime(2026, 3, 9, 10))


def test_negative_and_non_finite_hours_are_refused() -> None:
    start = london(2026, 3, 9, 10)
    with pytest.raises(ValueError, match="negative"):
        add_working_hours(start, -1, CALENDAR)
    with pytest.raises(ValueError, match="finite"):
        add_working_hours(start, float("nan"), CALENDAR)
