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
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import cache
from importlib import resources
from pathlib import Path
from typing import cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
import yaml

from jigsaw.deadlines.errors import InvalidTimescales
from jigsaw.deadlines.models import (
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
_RAG_KEYS = frozenset(rag.value for rag in Rag)


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
    """Timescale data from YAML text, checked whole; ``InvalidTimescales`` lists problems."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise InvalidTimescales(origin, [f"not valid YAML: {error}"]) from error
    reader = _Reader()
    result = reader.document(data)
    if reader.problems or result is None:
        raise InvalidTimescales(origin, reader.problems or ["no timescales found"])
    version, profiles, statutory = result
    return TimescaleSet(version=version, origin=origin, profiles=profiles, statutory=statutory)


@dataclass(frozen=True)
class _Layer:
    """Settings given at one level (defaults or a profile), and the keys that failed there.

    A key that failed is remembered so the profiles built on it are not also told it is
    missing: each problem is reported once, where it was written.
    """

    calendar: dict[str, object]
    rag: dict[str, Timescale]
    broken: frozenset[str]

    def under(self, own: _Layer) -> _Layer:
        """These settings with ``own`` laid over them, as a profile over the defaults."""
        return _Layer(
            {**self.calendar, **own.calendar}, {**self.rag, **own.rag}, self.broken | own.broken
        )


class _Reader:
    """Turns the YAML tree into models, collecting every problem with its location."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def problem(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}")

    def document(
        self, data: object
    ) -> tuple[str, tuple[Profile, ...], tuple[StatutoryTimescale, ...]] | None:
        top = self.mapping(data, "top level", {"version", "defaults", "statutory", "profiles"})
        if top is None:
            return None
        version = self.text(top.get("version"), "version")
        defaults = self.mapping(top.get("defaults", {}), "defaults", {"calendar", "rag"}) or {}
        base = self.layer(defaults, "defaults")
        statutory = self.statutory(top.get("statutory", []))
        profiles = self.profiles(top.get("profiles"), base, version or "", statutory)
        if version is None:
            return None
        return version, profiles, statutory

    def profiles(
        self,
        data: object,
        base: _Layer,
        version: str,
        statutory: tuple[StatutoryTimescale, ...],
    ) -> tuple[Profile, ...]:
        entries = self.mapping(data, "profiles", None)
        if entries is None:
            return ()
        if not entries:
            self.problem("profiles", "at least one profile is needed")
        found: list[Profile] = []
        for name, body in entries.items():
            where = f"profiles.{name}"
            if not _NAME.match(name):
                self.problem(where, "a profile name is lower-case letters, digits, - or _")
                continue
            fields = self.mapping(body, where, {"title", "source", "calendar", "rag"})
            if fields is None:
                continue
            title = self.text(fields.get("title"), f"{where}.title")
            source = self.optional_text(fields.get("source"), f"{where}.source")
            layer = base.under(self.layer(fields, where))
            calendar = self.calendar(layer, where)
            rags: dict[Rag, Timescale] = {}
            for rag in Rag:
                chosen = layer.rag.get(rag.value)
                if chosen is None and rag.value not in layer.broken:
                    self.problem(f"{where}.rag.{rag.value}", "not set here or in defaults.rag")
                elif chosen is not None:
                    rags[rag] = chosen
            if calendar is None or title is None or len(rags) < len(Rag):
                continue
            found.append(
                Profile(
                    name=name,
                    title=title,
                    version=version,
                    calendar=calendar,
                    red=rags[Rag.RED],
                    amber=rags[Rag.AMBER],
                    green=rags[Rag.GREEN],
                    statutory=statutory,
                    source=source,
                )
            )
        return tuple(found)

    def statutory(self, data: object) -> tuple[StatutoryTimescale, ...]:
        if not isinstance(data, list):
            self.problem("statutory", "must be a list of named timescales")
            return ()
        found: list[StatutoryTimescale] = []
        seen: set[str] = set()
        for index, entry in enumerate(data):
            where = f"statutory[{index}]"
            fields = self.mapping(
                entry, where, {"name", "amount", "unit", "counted_from", "source"}
            )
            if fields is None:
                continue
            name = self.text(fields.get("name"), f"{where}.name")
            if name is not None:
                where = f"statutory.{name}"
                if not _NAME.match(name):
                    self.problem(where, "a name is lower-case letters, digits, - or _")
                    name = None
                elif name in seen:
                    self.problem(where, "appears more than once")
                    name = None
                else:
                    seen.add(name)
            timescale = self.timescale({key: fields.get(key) for key in ("amount", "unit")}, where)
            counted_from = self.text(fields.get("counted_from"), f"{where}.counted_from")
            source = self.text(fields.get("source"), f"{where}.source")
            if name and timescale and counted_from and source:
                found.append(StatutoryTimescale(name, timescale, counted_from, source.strip()))
        return tuple(found)

    def layer(self, fields: dict[str, object], where: str) -> _Layer:
        """The calendar and RAG settings written at one level, each checked where it is."""
        calendar, calendar_broken = self.calendar_fields(
            fields.get("calendar", {}), f"{where}.calendar"
        )
        rag, rag_broken = self.rag_fields(fields.get("rag", {}), f"{where}.rag")
        return _Layer(calendar, rag, frozenset(calendar_broken | rag_broken))

    def calendar(self, layer: _Layer, where: str) -> WorkingCalendar | None:
        """A profile's calendar from its own settings over the defaults."""
        fields = layer.calendar
        missing = sorted(_CALENDAR_KEYS - {"closed_days"} - fields.keys() - layer.broken)
        if missing:
            self.problem(f"{where}.calendar", "needs " + ", ".join(missing))
        if not (_CALENDAR_KEYS - {"closed_days"}) <= fields.keys():
            return None
        try:
            return WorkingCalendar(
                timezone=cast(str, fields["timezone"]),
                opens=cast(time, fields["opens"]),
                closes=cast(time, fields["closes"]),
                weekdays=cast(frozenset[int], fields["weekdays"]),
                bank_holidays=cast(str, fields["bank_holidays"]),
                closed_days=cast(frozenset[date], fields.get("closed_days", frozenset())),
            )
        except ValueError as error:
            self.problem(f"{where}.calendar", str(error))
            return None

    def calendar_fields(self, data: object, where: str) -> tuple[dict[str, object], set[str]]:
        """The calendar settings given at one place, checked there; and those that failed."""
        fields = self.mapping(data, where, _CALENDAR_KEYS)
        if fields is None:
            return {}, set(_CALENDAR_KEYS)
        readers: dict[str, Callable[[object, str], object | None]] = {
            "timezone": self.timezone,
            "opens": self.clock,
            "closes": self.clock,
            "weekdays": self.weekdays,
            "bank_holidays": self.subdivision,
            "closed_days": self.dates,
        }
        checked: dict[str, object] = {}
        broken: set[str] = set()
        for key, value in fields.items():
            if key not in readers:
                continue
            result = readers[key](value, f"{where}.{key}")
            if result is None:
                broken.add(key)
            else:
                checked[key] = result
        return checked, broken

    def rag_fields(self, data: object, where: str) -> tuple[dict[str, Timescale], set[str]]:
        """The RAG timescales given at one place, checked there; and those that failed."""
        fields = self.mapping(data, where, _RAG_KEYS)
        if fields is None:
            return {}, set(_RAG_KEYS)
        checked: dict[str, Timescale] = {}
        broken: set[str] = set()
        for key, value in fields.items():
            if key not in _RAG_KEYS:
                broken.add(key)
                continue
            timescale = self.timescale(value, f"{where}.{key}")
            if timescale is None:
                broken.add(key)
            else:
                checked[key] = timescale
        return checked, broken

    def timescale(self, data: object, where: str) -> Timescale | None:
        fields = self.mapping(data, where, {"amount", "unit"})
        if fields is None:
            return None
        amount = fields.get("amount")
        unit = fields.get("unit")
        units = ", ".join(u.value for u in Unit)
        if unit not in {u.value for u in Unit}:
            self.problem(f"{where}.unit", f"must be one of {units}, not {unit!r}")
            return None
        if isinstance(amount, bool) or not isinstance(amount, int | float):
            self.problem(f"{where}.amount", f"must be a number, not {amount!r}")
            return None
        try:
            return Timescale(amount, Unit(str(unit)))
        except ValueError as error:
            self.problem(f"{where}.amount", str(error))
            return None

    def timezone(self, value: object, where: str) -> str | None:
        name = self.text(value, where)
        if name is None:
            return None
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            self.problem(where, f"unknown time zone {name!r}")
            return None
        return name

    def clock(self, value: object, where: str) -> time | None:
        if isinstance(value, int) and not isinstance(value, bool):
            self.problem(where, f'write the time in quotes, e.g. "17:00" (YAML read {value})')
            return None
        match = _CLOCK.match(value) if isinstance(value, str) else None
        if match is None:
            self.problem(where, f'must be a 24-hour time such as "09:00", not {value!r}')
            return None
        return time(int(match[1]), int(match[2]))

    def weekdays(self, value: object, where: str) -> frozenset[int] | None:
        if not isinstance(value, list) or not value:
            self.problem(where, "must be a list of day names, e.g. [monday, tuesday]")
            return None
        days: set[int] = set()
        for item in value:
            name = item.lower() if isinstance(item, str) else None
            if name not in _WEEKDAYS:
                self.problem(where, f"{item!r} is not a day name ({', '.join(_WEEKDAYS)})")
                return None
            days.add(_WEEKDAYS.index(name))
        return frozenset(days)

    def subdivision(self, value: object, where: str) -> str | None:
        code = self.text(value, where)
        if code is None:
            return None
        known = tuple(holidays.country_holidays("UK").subdivisions)
        if code not in known:
            self.problem(where, f"must be a UK subdivision of the holidays package {known}")
            return None
        return code

    def dates(self, value: object, where: str) -> frozenset[date] | None:
        if not isinstance(value, list):
            self.problem(where, "must be a list of dates, e.g. [2026-12-24]")
            return None
        days: set[date] = set()
        for item in value:
            if isinstance(item, date) and not isinstance(item, datetime):
                days.add(item)
                continue
            try:
                days.add(date.fromisoformat(str(item)))
            except ValueError:
                self.problem(where, f"{item!r} is not a date (YYYY-MM-DD)")
                return None
        return frozenset(days)

    def mapping(
        self, data: object, where: str, allowed: frozenset[str] | set[str] | None
    ) -> dict[str, object] | None:
        if not isinstance(data, dict):
            self.problem(where, f"must be a mapping, not {type(data).__name__}")
            return None
        if allowed is not None:
            unknown = sorted(str(key) for key in data if key not in allowed)
            if unknown:
                self.problem(
                    where,
                    f"unknown {'key' if len(unknown) == 1 else 'keys'} {', '.join(unknown)}"
                    f" (expected {', '.join(sorted(allowed))})",
                )
        return {str(key): value for key, value in data.items()}

    def text(self, value: object, where: str) -> str | None:
        if not isinstance(value, str) or not value.strip():
            self.problem(where, "must be non-empty text")
            return None
        return value.strip()

    def optional_text(self, value: object, where: str) -> str:
        if value is None:
            return ""
        return self.text(value, where) or ""
