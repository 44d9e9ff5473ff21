"""Loading timescale profiles: the shipped data, overrides, and refusals."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from jigsaw.deadlines import (
    InvalidTimescales,
    Rag,
    Timescale,
    Unit,
    UnknownProfile,
    UnknownTimescale,
    WorkingCalendar,
    due_at,
    is_working_time,
    load_profile,
    parse_timescales,
    profile_names,
    read_timescales,
    shipped_timescales,
    statutory_due_at,
)
from jigsaw.errors import NotFound

LONDON = ZoneInfo("Europe/London")

AUTHORITY = """
version: "test-1"
defaults:
  calendar:
    timezone: Europe/London
    opens: "09:00"
    closes: "17:00"
    weekdays: [monday, tuesday, wednesday, thursday, friday]
    bank_holidays: ENG
  rag:
    red: {amount: 4, unit: hours}
    amber: {amount: 24, unit: working_hours}
    green: {amount: 72, unit: working_hours}
statutory: []
profiles:
  longer-days:
    title: An authority open 08:30 to 17:30
    calendar:
      opens: "08:30"
      closes: "17:30"
      closed_days: [2026-12-24]
  amber-only:
    title: An authority that changes only Amber
    rag:
      amber: {amount: 8, unit: working_hours}
"""


def test_shipped_profiles() -> None:
    assert profile_names() == ("default", "surrey", "merton")
    default = load_profile()
    assert default.name == "default"
    assert default.version == shipped_timescales().version
    assert default.red == Timescale(4, Unit.HOURS)
    assert default.amber == Timescale(24, Unit.WORKING_HOURS)
    assert default.green == Timescale(72, Unit.WORKING_HOURS)
    assert default.calendar == WorkingCalendar(
        timezone="Europe/London",
        opens=time(9),
        closes=time(17),
        weekdays=frozenset(range(5)),
        bank_holidays="ENG",
    )
    merton = load_profile("merton")
    assert (merton.red, merton.amber, merton.green) == (
        Timescale(2, Unit.HOURS),
        Timescale(6, Unit.WORKING_HOURS),
        Timescale(24, Unit.WORKING_HOURS),
    )
    surrey = load_profile("surrey")
    assert [surrey.timescale(rag).describe() for rag in Rag] == [
        "4 hours",
        "24 working hours",
        "72 working hours",
    ]


def test_statutory_timescales_of_working_together_2023() -> None:
    profile = load_profile()
    expected = {
        "referral_decision": 1,
        "assessment": 45,
        "initial_child_protection_conference": 15,
    }
    for name, days in expected.items():
        entry = profile.statutory_timescale(name)
        assert entry.timescale == Timescale(days, Unit.WORKING_DAYS)
        assert "Working Together" in entry.source
    assert profile.statutory_timescale("assessment").timescale.describe() == "45 working days"
    assert (
        "strategy discussion"
        in profile.statutory_timescale("initial_child_protection_conference").counted_from
    )


def test_rag_values() -> None:
    assert [rag.value for rag in Rag] == ["red", "amber", "green"]
    assert Rag("amber") is Rag.AMBER


def test_unknown_profile_is_refused_with_the_known_names() -> None:
    with pytest.raises(UnknownProfile, match="'croydon'; known profiles: default, surrey, merton"):
        load_profile("croydon")
    with pytest.raises(NotFound):
        load_profile("Default")


def test_unknown_statutory_timescale_is_refused() -> None:
    start = datetime(2026, 3, 9, 10, tzinfo=LONDON)
    with pytest.raises(UnknownTimescale, match="'section_47'; known: referral_decision"):
        statutory_due_at(start, "section_47", load_profile())


def test_an_authority_can_override_working_hours_and_close_extra_days() -> None:
    timescales = parse_timescales(AUTHORITY, origin="authority.yaml")
    profile = load_profile("longer-days", timescales)
    assert profile.version == "test-1"
    assert profile.calendar.opens == time(8, 30)
    assert profile.calendar.closes == time(17, 30)
    assert profile.amber == Timescale(24, Unit.WORKING_HOURS)
    assert is_working_time(datetime(2026, 3, 9, 8, 30, tzinfo=LONDON), profile.calendar)
    assert is_working_time(datetime(2026, 3, 9, 17, 29, tzinfo=LONDON), profile.calendar)
    # Nine-hour days. Amber 24 working hours from Monday 9 March 2026 08:30 GMT:
    # Mon 9h (15 left), Tue 9h (6 left), Wed 08:30 + 6h = 14:30.
    start = datetime(2026, 3, 9, 8, 30, tzinfo=LONDON)
    assert due_at(start, Rag.AMBER, profile) == datetime(2026, 3, 11, 14, 30, tzinfo=LONDON)
    # The authority closes on Christmas Eve 2026 too. Amber from Wednesday 23 December
    # 16:30: 1h Wed (23 left); Thu 24 closed; Fri 25, Mon 28 bank holidays; Tue 29 9h
    # (14 left), Wed 30 9h (5 left), Thu 31 08:30 + 5h = 13:30 GMT.
    start = datetime(2026, 12, 23, 16, 30, tzinfo=LONDON)
    assert due_at(start, Rag.AMBER, profile) == datetime(2026, 12, 31, 13, 30, tzinfo=LONDON)


def test_a_profile_overriding_one_rating_keeps_the_others() -> None:
    profile = load_profile("amber-only", parse_timescales(AUTHORITY))
    assert profile.red == Timescale(4, Unit.HOURS)
    assert profile.amber == Timescale(8, Unit.WORKING_HOURS)
    assert profile.green == Timescale(72, Unit.WORKING_HOURS)
    assert profile.calendar.opens == time(9)


def test_an_authority_file_can_be_read_from_disk(tmp_path: Path) -> None:
    path = tmp_path / "timescales.yaml"
    path.write_text(AUTHORITY, encoding="utf-8")
    timescales = read_timescales(path)
    assert timescales.origin == str(path)
    assert timescales.profile_names == ("longer-days", "amber-only")
    assert timescales.profile("longer-days").calendar.closed_days == frozenset({date(2026, 12, 24)})


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (('closes: "17:00"', "closes: 17:00"), "write the time in quotes"),
        (("amber: {amount: 24", "ambr: {amount: 24"), "unknown key ambr"),
        (("unit: working_hours}\n    green", "unit: workinghours}\n    green"), "must be one of"),
        (("amount: 4,", "amount: 0,"), "longer than zero"),
        (("amount: 4,", "amount: .inf,"), "finite"),
        (("amount: 4,", "amount: four,"), "must be a number"),
        (("[2026-12-24]", "[2026-12-24 10:00:00]"), "not a date"),
        (("bank_holidays: ENG", "bank_holidays: XYZ"), "UK subdivision"),
        (("timezone: Europe/London", "timezone: Europe/Londn"), "unknown time zone"),
        (("[monday, tuesday,", "[moonday, tuesday,"), "not a day name"),
        (('opens: "08:30"', 'opens: "18:30"'), "close after it opens"),
        (("longer-days:", "Longer Days:"), "profile name"),
        (('version: "test-1"', "version: ''"), "version: must be non-empty text"),
        (("[2026-12-24]", "[24/12/2026]"), "not a date"),
    ],
)
def test_invalid_data_is_refused_with_where_the_problem_is(
    change: tuple[str, str], problem: str
) -> None:
    old, new = change
    assert old in AUTHORITY
    with pytest.raises(InvalidTimescales, match=problem) as caught:
        parse_timescales(AUTHORITY.replace(old, new, 1), origin="authority.yaml")
    assert caught.value.origin == "authority.yaml"
    assert caught.value.problems


def test_every_problem_is_reported_at_once_where_it_was_written() -> None:
    broken = AUTHORITY.replace('closes: "17:00"', "closes: 17:00").replace(
        "amber: {amount: 8", "amber: {amount: -8"
    )
    with pytest.raises(InvalidTimescales) as caught:
        parse_timescales(broken)
    problems = caught.value.problems
    assert len(problems) == 2
    assert problems[0].startswith("defaults.calendar.closes: write the time in quotes")
    assert problems[1].startswith("profiles.amber-only.rag.amber.amount: a timescale must be")


def test_a_setting_missing_everywhere_is_named_for_each_profile() -> None:
    without_timezone = AUTHORITY.replace("    timezone: Europe/London\n", "")
    with pytest.raises(InvalidTimescales) as caught:
        parse_timescales(without_timezone)
    assert caught.value.problems == (
        "profiles.longer-days.calendar: needs timezone",
        "profiles.amber-only.calendar: needs timezone",
    )


def test_not_yaml_is_refused() -> None:
    with pytest.raises(InvalidTimescales, match="not valid YAML"):
        parse_timescales("profiles: [unclosed")
    with pytest.raises(InvalidTimescales, match="must be a mapping"):
        parse_timescales("- just a list")


def test_working_calendar_checks_itself() -> None:
    with pytest.raises(ValueError, match="close after it opens"):
        WorkingCalendar("Europe/London", time(17), time(9), frozenset({0}), "ENG")
    with pytest.raises(ValueError, match="at least one working weekday"):
        WorkingCalendar("Europe/London", time(9), time(17), frozenset(), "ENG")
    with pytest.raises(ValueError, match="whole number"):
        Timescale(1.5, Unit.WORKING_DAYS)
    assert Timescale(1.5, Unit.WORKING_HOURS).describe() == "1.5 working hours"
    assert timedelta(hours=Timescale(1.5, Unit.HOURS).amount) == timedelta(minutes=90)
