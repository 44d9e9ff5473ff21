"""The retention engine on birthdays, leap days and last activity, without a database."""

from __future__ import annotations

from datetime import date

import pytest

from jigsaw.people.models import PersonRole
from jigsaw.policy.roles import AgencyKind
from jigsaw.records.models import Category
from jigsaw.retention.schedule import (
    InvalidSchedule,
    RecordFacts,
    anniversary,
    due_on,
    erasure_date,
    parse_schedule,
    shipped_schedule,
)

SCHEDULE = shipped_schedule()


def facts(
    kind: AgencyKind = AgencyKind.SCHOOL,
    role: PersonRole = PersonRole.CHILD,
    born: date | None = date(2001, 6, 15),
    categories: frozenset[Category] = frozenset(),
    last: date = date(2010, 1, 1),
) -> RecordFacts:
    return RecordFacts(kind, role, born, categories, last)


def test_a_school_child_record_goes_on_the_25th_birthday_and_not_a_day_before() -> None:
    child = facts()
    assert due_on(SCHEDULE, child, date(2026, 6, 14)) is None
    due = due_on(SCHEDULE, child, date(2026, 6, 15))
    assert due is not None and (due.rule, due.due_on) == ("school-child", date(2026, 6, 15))


def test_a_29_february_birthday_falls_on_1_march_in_a_common_year() -> None:
    leapling = facts(born=date(2004, 2, 29))
    assert anniversary(date(2004, 2, 29), 25) == date(2029, 3, 1)
    assert anniversary(date(2004, 2, 29), 24) == date(2028, 2, 29)
    assert due_on(SCHEDULE, leapling, date(2029, 2, 28)) is None
    due = due_on(SCHEDULE, leapling, date(2029, 3, 1))
    assert due is not None and due.due_on == date(2029, 3, 1)


def test_last_activity_keeps_a_record_past_the_birthday_when_later() -> None:
    busy = facts(kind=AgencyKind.HEALTH, born=date(2000, 1, 1), last=date(2022, 5, 4))
    due = erasure_date(SCHEDULE, busy)
    assert due is not None and (due.rule, due.due_on) == ("health-child", date(2030, 5, 4))
    quiet = facts(kind=AgencyKind.HEALTH, born=date(2000, 1, 1), last=date(2010, 5, 4))
    due = erasure_date(SCHEDULE, quiet)
    assert due is not None and due.due_on == date(2025, 1, 1)


def test_years_after_last_activity_for_adults_and_from_a_leap_day() -> None:
    adult = facts(kind=AgencyKind.HOUSING, role=PersonRole.PARENT_CARER, born=None)
    adult = RecordFacts(adult.agency_kind, adult.role, None, frozenset(), date(2020, 2, 29))
    due = erasure_date(SCHEDULE, adult)
    assert due is not None and (due.rule, due.due_on) == ("default", date(2026, 3, 1))
    assert due_on(SCHEDULE, adult, date(2026, 2, 28)) is None


def test_a_category_held_on_the_record_can_choose_the_rule() -> None:
    risk = facts(
        kind=AgencyKind.POLICE,
        role=PersonRole.RISK_PERSON,
        categories=frozenset({Category.RISK_PERSON, Category.CHILD_WELFARE}),
        last=date(2015, 7, 1),
    )
    due = erasure_date(SCHEDULE, risk)
    assert due is not None and (due.rule, due.due_on) == ("police-risk-person", date(2025, 7, 1))
    other = facts(kind=AgencyKind.POLICE, role=PersonRole.OTHER_ADULT, last=date(2015, 7, 1))
    assert (d := erasure_date(SCHEDULE, other)) is not None and d.rule == "default"


def test_a_birthday_only_rule_keeps_a_record_without_a_date_of_birth_until_reviewed() -> None:
    assert erasure_date(SCHEDULE, facts(born=None)) is None
    assert due_on(SCHEDULE, facts(born=None), date(2200, 1, 1)) is None


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("version: '1'\nrules:\n  - id: a\n    roles: [child]\n    keep_until_age: 25\n", "last"),
        ("version: '1'\nrules:\n  - id: a\n", "keep_until_age"),
        ("version: '1'\nrules:\n  - id: a\n    keep_years: 3\n", "keep_years"),
        ("version: '1'\nrules:\n  - id: a\n    agency_kinds: [bank]\n", "agency_kinds"),
        ("version: '1'\nrules: [", "not valid YAML"),
    ],
)
def test_a_schedule_with_a_mistake_is_refused_saying_where(text: str, problem: str) -> None:
    with pytest.raises(InvalidSchedule, match=problem):
        parse_schedule(text, origin="mine.yaml")
