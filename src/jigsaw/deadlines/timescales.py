"""Reading the timescale data: the file shipped with Jigsaw, or an authority's own.

Timescales are local practice, not code: each authority sets its own RAG hours and
working calendar, and they change. Keeping them as versioned data lets the people who
know the local procedure review them, and lets a request record the version that set
its due time. The data is checked whole when read, and every problem is reported with
where it is, so a typo ("ambr", an unquoted 17:00) fails loudly instead of silently
changing a deadline.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Annotated, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    ValidationInfo,
    field_validator,
)

from jigsaw import datafiles
from jigsaw.deadlines.errors import InvalidTimescales
from jigsaw.deadlines.values import (
    Profile,
    Rag,
    StatutoryTimescale,
    Timescale,
    TimescaleSet,
    Unit,
    WorkingCalendar,
)

SHIPPED = "timescales.yaml"
DEFAULT_PROFILE = "default"

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")
_CLOCK = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$")
_CALENDAR_KEYS = frozenset(
    {"timezone", "opens", "closes", "weekdays", "bank_holidays", "closed_days"}
)


def shipped_timescales() -> TimescaleSet:
    """The timescale data shipped with Jigsaw, read and checked once per process."""
    return _shipped()


@cache
def _shipped() -> TimescaleSet:
    text = resources.files(__package__ or "jigsaw.deadlines").joinpath(SHIPPED)
    return parse_timescales(text.read_text(encoding="utf-8"), origin=SHIPPED)


def read_timescales(path: Path) -> TimescaleSet:
    """An authority's own timescale file, in the same format as the shipped one."""
    return parse_timescales(path.read_text(encoding="utf-8"), origin=str(path))


def load_profile(name: str = DEFAULT_PROFILE, timescales: TimescaleSet | None = None) -> Profile:
    """The profile selected by ``name``, from ``timescales`` or the shipped data.

    An unknown name raises ``UnknownProfile`` naming the profiles there are, rather than
    falling back to the default: a wrong due time is worse than a clear error.
    """
    return (timescales or shipped_timescales()).profile(name)


def profile_names(timescales: TimescaleSet | None = None) -> tuple[str, ...]:
    """The names a profile can be selected by."""
    return (timescales or shipped_timescales()).profile_names


def parse_timescales(text: str, origin: str = "<string>") -> TimescaleSet:
    """Timescale data from YAML text, checked whole; ``InvalidTimescales`` lists problems.

    The models check each setting where it is written; what needs the defaults and a
    profile together (a setting given in neither, opening hours that close before they
    open) is checked once the file's shape is right, for each profile.
    """
    try:
        data = datafiles.read(_TimescalesFile, text)
    except datafiles.DataProblems as error:
        raise InvalidTimescales(origin, error.problems) from error
    statutory = tuple(entry.statutory() for entry in data.statutory)
    profiles: list[Profile] = []
    problems = [] if data.profiles else ["profiles: at least one profile is needed"]
    for name, own in data.profiles.items():
        profile = _profile(name, data.version, data.defaults, own, statutory, problems)
        if profile is not None:
            profiles.append(profile)
    if problems:
        raise InvalidTimescales(origin, problems)
    return TimescaleSet(
        version=data.version, origin=origin, profiles=tuple(profiles), statutory=statutory
    )


def _profile(
    name: str,
    version: str,
    defaults: _Layer,
    own: _ProfileIn,
    statutory: tuple[StatutoryTimescale, ...],
    problems: list[str],
) -> Profile | None:
    """The profile from its own settings laid over the defaults; else its problems."""
    where = f"profiles.{name}"
    calendar = {**defaults.calendar.given(), **own.calendar.given()}
    rags = {**defaults.rag.given(), **own.rag.given()}
    missing = sorted(_CALENDAR_KEYS - {"closed_days"} - calendar.keys())
    if missing:
        problems.append(f"{where}.calendar: needs " + ", ".join(missing))
    for rag in Rag:
        if rag not in rags:
            problems.append(f"{where}.rag.{rag.value}: not set here or in defaults.rag")
    if missing or len(rags) < len(Rag):
        return None
    try:
        working = WorkingCalendar(
            timezone=cast(str, calendar["timezone"]),
            opens=cast(time, calendar["opens"]),
            closes=cast(time, calendar["closes"]),
            weekdays=cast(frozenset[int], calendar["weekdays"]),
            bank_holidays=cast(str, calendar["bank_holidays"]),
            closed_days=cast(frozenset[date], calendar.get("closed_days", frozenset())),
        )
    except ValueError as error:
        problems.append(f"{where}.calendar: {error}")
        return None
    return Profile(
        name=name,
        title=own.title,
        version=version,
        calendar=working,
        red=rags[Rag.RED],
        amber=rags[Rag.AMBER],
        green=rags[Rag.GREEN],
        statutory=statutory,
        source=own.source,
    )


# The value checks: each turns what YAML read into the value, or says what is wrong.


def _text(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be non-empty text")
    return value.strip()


def _name(value: str) -> str:
    if not _NAME.match(value):
        raise ValueError("a name is lower-case letters, digits, - or _")
    return value


def _profile_name(value: str) -> str:
    if not _NAME.match(value):
        raise ValueError("a profile name is lower-case letters, digits, - or _")
    return value


def _timezone(value: object) -> str:
    name = _text(value)
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}") from None
    return name


def _clock(value: object) -> time:
    if isinstance(value, int) and not isinstance(value, bool):
        raise ValueError(f'write the time in quotes, e.g. "17:00" (YAML read {value})')
    match = _CLOCK.match(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f'must be a 24-hour time such as "09:00", not {value!r}')
    return time(int(match[1]), int(match[2]))


def _weekdays(value: object) -> frozenset[int]:
    if not isinstance(value, list) or not value:
        raise ValueError("must be a list of day names, e.g. [monday, tuesday]")
    days: set[int] = set()
    for item in value:
        name = item.lower() if isinstance(item, str) else None
        if name not in _WEEKDAYS:
            raise ValueError(f"{item!r} is not a day name ({', '.join(_WEEKDAYS)})")
        days.add(_WEEKDAYS.index(name))
    return frozenset(days)


def _subdivision(value: object) -> str:
    code = _text(value)
    known = tuple(holidays.country_holidays("UK").subdivisions)
    if code not in known:
        raise ValueError(f"must be a UK subdivision of the holidays package {known}")
    return code


def _dates(value: object) -> frozenset[date]:
    if not isinstance(value, list):
        raise ValueError("must be a list of dates, e.g. [2026-12-24]")
    days: set[date] = set()
    for item in value:
        if isinstance(item, date) and not isinstance(item, datetime):
            days.add(item)
            continue
        try:
            days.add(date.fromisoformat(str(item)))
        except ValueError:
            raise ValueError(f"{item!r} is not a date (YYYY-MM-DD)") from None
    return frozenset(days)


def _unit(value: object) -> Unit:
    if value not in {u.value for u in Unit}:
        units = ", ".join(u.value for u in Unit)
        raise ValueError(f"must be one of {units}, not {value!r}")
    return Unit(str(value))


def _number(value: object) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"must be a number, not {value!r}")
    return value


_Text = Annotated[str, BeforeValidator(_text)]


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _CalendarIn(_Data):
    timezone: Annotated[str, BeforeValidator(_timezone)] | None = None
    opens: Annotated[time, BeforeValidator(_clock)] | None = None
    closes: Annotated[time, BeforeValidator(_clock)] | None = None
    weekdays: Annotated[frozenset[int], BeforeValidator(_weekdays)] | None = None
    bank_holidays: Annotated[str, BeforeValidator(_subdivision)] | None = None
    closed_days: Annotated[frozenset[date], BeforeValidator(_dates)] | None = None

    def given(self) -> dict[str, object]:
        """The settings written at this level, to lay over or under another's."""
        return {key: getattr(self, key) for key in _CALENDAR_KEYS if getattr(self, key) is not None}


class _TimescaleIn(_Data):
    unit: Annotated[Unit, BeforeValidator(_unit)]
    amount: Annotated[int | float, BeforeValidator(_number)]

    @field_validator("amount")
    @classmethod
    def _in_range(cls, amount: int | float, info: ValidationInfo) -> int | float:
        if "unit" in info.data:
            Timescale(amount, info.data["unit"])
        return amount

    def timescale(self) -> Timescale:
        return Timescale(self.amount, self.unit)


class _RagIn(_Data):
    red: _TimescaleIn | None = None
    amber: _TimescaleIn | None = None
    green: _TimescaleIn | None = None

    def given(self) -> dict[Rag, Timescale]:
        found = {Rag.RED: self.red, Rag.AMBER: self.amber, Rag.GREEN: self.green}
        return {rag: entry.timescale() for rag, entry in found.items() if entry is not None}


class _Layer(_Data):
    """Settings given at one level: the defaults, or a profile over them."""

    calendar: _CalendarIn = _CalendarIn()
    rag: _RagIn = _RagIn()


class _ProfileIn(_Layer):
    title: _Text
    source: _Text = ""


class _StatutoryIn(_TimescaleIn):
    name: Annotated[str, BeforeValidator(_text), AfterValidator(_name)]
    counted_from: _Text
    source: _Text

    def statutory(self) -> StatutoryTimescale:
        return StatutoryTimescale(self.name, self.timescale(), self.counted_from, self.source)


class _TimescalesFile(_Data):
    version: _Text
    defaults: _Layer = _Layer()
    statutory: tuple[_StatutoryIn, ...] = ()
    profiles: dict[Annotated[str, AfterValidator(_profile_name)], _ProfileIn]

    @field_validator("statutory")
    @classmethod
    def _named_once(cls, entries: tuple[_StatutoryIn, ...]) -> tuple[_StatutoryIn, ...]:
        names = [entry.name for entry in entries]
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise ValueError(f"{', '.join(twice)} appears more than once")
        return entries
