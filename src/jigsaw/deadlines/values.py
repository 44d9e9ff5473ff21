"""The values the deadline engine works with: ratings, timescales, calendars, profiles.

All of them are frozen and hashable, so a profile read once can be shared by every
request in the process, and a calendar can key a cache of its working periods.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, time
from enum import StrEnum

from jigsaw.deadlines.errors import UnknownProfile, UnknownTimescale


class Rag(StrEnum):
    """The MASH urgency rating given to a contact or a request for information."""

    RED = "red"
    AMBER = "amber"
    GREEN = "green"


class Unit(StrEnum):
    """How a timescale is counted.

    Red runs beyond working hours, so it is counted on the clock (``hours``, 24/7);
    Amber and Green only advance while the hub is staffed (``working_hours``); the
    statutory timescales of Working Together are written in ``working_days``.
    """

    HOURS = "hours"
    WORKING_HOURS = "working_hours"
    WORKING_DAYS = "working_days"


class Status(StrEnum):
    """Where a deadline stands at a given moment, for lists and dashboards."""

    ON_TIME = "on_time"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"


@dataclass(frozen=True)
class Timescale:
    """An amount of time and the way it is counted.

    Hours may be fractional (1.5 is an hour and a half); working days are whole days,
    because a statutory timescale ends at the close of a working day.
    """

    amount: float
    unit: Unit

    def __post_init__(self) -> None:
        if not (math.isfinite(self.amount) and self.amount > 0):
            raise ValueError(
                f"a timescale must be finite and longer than zero, not {self.amount!r}"
            )
        if self.unit is Unit.WORKING_DAYS and self.amount != int(self.amount):
            raise ValueError(f"working days must be a whole number, not {self.amount!r}")

    def describe(self) -> str:
        """Plain English for a page: "4 hours", "24 working hours", "1 working day"."""
        amount = int(self.amount) if self.amount == int(self.amount) else self.amount
        words = {
            Unit.HOURS: ("hour", "hours"),
            Unit.WORKING_HOURS: ("working hour", "working hours"),
            Unit.WORKING_DAYS: ("working day", "working days"),
        }[self.unit]
        return f"{amount} {words[0] if amount == 1 else words[1]}"


@dataclass(frozen=True)
class StatutoryTimescale:
    """A national timescale from statutory guidance, named so a workflow can ask for it."""

    name: str
    timescale: Timescale
    counted_from: str
    source: str


@dataclass(frozen=True)
class WorkingCalendar:
    """When a hub is working: local opening hours on working weekdays, less closed days.

    Times are local wall-clock times in ``timezone``, so 09:00 stays 09:00 across the
    change between GMT and BST. Closed days are the bank holidays of ``bank_holidays``
    (a subdivision of the UK in the ``holidays`` package, computed offline) plus any
    ``closed_days`` the authority adds. Weekdays are numbered as ``date.weekday()``
    does: Monday is 0.
    """

    timezone: str
    opens: time
    closes: time
    weekdays: frozenset[int]
    bank_holidays: str
    closed_days: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if self.opens.tzinfo is not None or self.closes.tzinfo is not None:
            raise ValueError("opening and closing times are local wall-clock times, without tzinfo")
        if not self.opens < self.closes:
            raise ValueError(
                f"a working day must close after it opens ({self.opens:%H:%M}-{self.closes:%H:%M})"
            )
        if not self.weekdays:
            raise ValueError("a calendar needs at least one working weekday")
        if not self.weekdays <= frozenset(range(7)):
            raise ValueError(f"weekdays are numbered 0 (Monday) to 6 (Sunday): {self.weekdays}")


@dataclass(frozen=True)
class Profile:
    """One authority's RAG timescales and working calendar, from one version of the data.

    The version travels with the profile so a request can record which timescales set
    its due time, and an old due time can be explained after the data changes.
    """

    name: str
    title: str
    version: str
    calendar: WorkingCalendar
    red: Timescale
    amber: Timescale
    green: Timescale
    statutory: tuple[StatutoryTimescale, ...] = ()
    source: str = ""

    def timescale(self, rag: Rag) -> Timescale:
        """The timescale this profile sets for a rating."""
        return {Rag.RED: self.red, Rag.AMBER: self.amber, Rag.GREEN: self.green}[Rag(rag)]

    def statutory_timescale(self, name: str) -> StatutoryTimescale:
        """A statutory timescale by name; an unknown name says which names there are."""
        for entry in self.statutory:
            if entry.name == name:
                return entry
        raise UnknownTimescale(name, tuple(entry.name for entry in self.statutory))


@dataclass(frozen=True)
class TimescaleSet:
    """Every profile and statutory timescale from one version of the timescale data."""

    version: str
    origin: str
    profiles: tuple[Profile, ...]
    statutory: tuple[StatutoryTimescale, ...]

    @property
    def profile_names(self) -> tuple[str, ...]:
        """The names a profile can be selected by, in the order the data lists them."""
        return tuple(profile.name for profile in self.profiles)

    def profile(self, name: str) -> Profile:
        """The profile with this name; an unknown name says which names there are."""
        for profile in self.profiles:
            if profile.name == name:
                return profile
        raise UnknownProfile(name, self.profile_names)
