"""Retention schedules as data (``schedules.yaml``) and the one engine that applies them.

The engine is pure: given the facts about one agency record and a date it says
whether the record is due for erasure, under which rule and since when. Reading the
facts from the database and erasing are for ``retention.service``; keeping them apart
is what lets the schedule be tested on birthdays, leap days and quiet years without
a database, and lets a dry run show exactly what a real run would do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from jigsaw import datafiles
from jigsaw.people.models import PersonRole
from jigsaw.policy.roles import AgencyKind
from jigsaw.records.models import Category

SHIPPED = "schedules.yaml"


class InvalidSchedule(ValueError):
    """The schedule file cannot be used; the message says where and why."""


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, max_length=64)
    agency_kinds: frozenset[AgencyKind] = frozenset()
    roles: frozenset[PersonRole] = frozenset()
    categories: frozenset[Category] = frozenset()
    keep_until_age: int | None = Field(default=None, ge=1, le=150)
    keep_years_after_last_activity: int | None = Field(default=None, ge=1, le=150)

    @model_validator(mode="after")
    def _says_how_long(self) -> Rule:
        if self.keep_until_age is None and self.keep_years_after_last_activity is None:
            raise ValueError("give keep_until_age, keep_years_after_last_activity or both")
        return self

    @property
    def unconditional(self) -> bool:
        return not (self.agency_kinds or self.roles or self.categories)

    def applies_to(self, facts: RecordFacts) -> bool:
        return (
            (not self.agency_kinds or facts.agency_kind in self.agency_kinds)
            and (not self.roles or facts.role in self.roles)
            and (not self.categories or bool(self.categories & facts.categories))
        )


class Schedule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str = Field(min_length=1, max_length=32)
    rules: Annotated[tuple[Rule, ...], datafiles.NonEmpty]

    @model_validator(mode="after")
    def _every_record_has_a_rule(self) -> Schedule:
        ids = [rule.id for rule in self.rules]
        if len(set(ids)) != len(ids):
            raise ValueError("rule ids must be unique")
        if not self.rules[-1].unconditional:
            raise ValueError("the last rule must have no conditions, so every record has one")
        return self

    def rule_for(self, facts: RecordFacts) -> Rule:
        return next(rule for rule in self.rules if rule.applies_to(facts))


@dataclass(frozen=True)
class RecordFacts:
    """What the schedule may look at about one agency record: no names, no narrative."""

    agency_kind: AgencyKind
    role: PersonRole
    date_of_birth: date | None
    categories: frozenset[Category]
    last_activity: date


@dataclass(frozen=True)
class Due:
    """A record's erasure date under a rule; ``due_on`` may be in the future."""

    rule: str
    due_on: date


def anniversary(start: date, years: int) -> date:
    """The date ``years`` years on; 29 February falls on 1 March in a common year."""
    try:
        return start.replace(year=start.year + years)
    except ValueError:
        return date(start.year + years, 3, 1)


def erasure_date(schedule: Schedule, facts: RecordFacts) -> Due | None:
    """When the record's schedule says it goes; None while it must be kept until reviewed."""
    rule = schedule.rule_for(facts)
    dates: list[date] = []
    if rule.keep_until_age is not None and facts.date_of_birth is not None:
        dates.append(anniversary(facts.date_of_birth, rule.keep_until_age))
    if rule.keep_years_after_last_activity is not None:
        dates.append(anniversary(facts.last_activity, rule.keep_years_after_last_activity))
    elif facts.date_of_birth is None:
        return None
    return Due(rule.id, max(dates))


def due_on(schedule: Schedule, facts: RecordFacts, today: date) -> Due | None:
    """The rule and date that make the record due for erasure by ``today``, if any."""
    due = erasure_date(schedule, facts)
    return due if due is not None and due.due_on <= today else None


def parse_schedule(text: str, origin: str = "<string>") -> Schedule:
    try:
        return datafiles.read(Schedule, text, top="schedule")
    except datafiles.DataProblems as error:
        raise InvalidSchedule(f"{origin}: {error}") from error


def read_schedule(path: Path) -> Schedule:
    return parse_schedule(path.read_text(encoding="utf-8"), origin=str(path))


@cache
def shipped_schedule() -> Schedule:
    text = resources.files(__package__ or "jigsaw.retention").joinpath(SHIPPED)
    return parse_schedule(text.read_text(encoding="utf-8"), origin=SHIPPED)
