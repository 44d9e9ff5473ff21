"""Reading the pattern flag rules: the file shipped with Jigsaw, or an authority's own.

The rules are data so that the people who know safeguarding practice can read and
change them without reading code, and so every flag can say exactly which rule, in
which version, raised it. The file is checked whole when read and every problem is
reported with where it is, so a typo ("subtype:" for "subtypes:", an unknown
category) fails loudly instead of silently never raising a flag.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import yaml

from jigsaw.agencies.roles import AgencyKind
from jigsaw.people.models import RelationshipKind
from jigsaw.records.models import Category

SHIPPED = "flags.yaml"
E = TypeVar("E", bound=StrEnum)


class InvalidRules(ValueError):
    """The rules file has problems; ``problems`` lists each with where it is."""

    def __init__(self, origin: str, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(f"{origin}: " + "; ".join(problems))


class ScopeName(StrEnum):
    CHILD = "child"
    HOUSEHOLD = "household"
    CONNECTED = "connected"


class RuleKind(StrEnum):
    COUNT = "count"
    AGENCIES = "agencies"
    ALL_OF = "all_of"


@dataclass(frozen=True)
class HouseholdRule:
    members: frozenset[RelationshipKind]
    carers: frozenset[RelationshipKind]
    through_carers: frozenset[RelationshipKind]
    connected: frozenset[RelationshipKind]


@dataclass(frozen=True)
class Indicator:
    id: str
    label: str
    subtypes: frozenset[str] | None = None
    categories: frozenset[Category] | None = None
    agency_kinds: frozenset[AgencyKind] | None = None
    exclude_subtypes: frozenset[str] | None = None


@dataclass(frozen=True)
class FlagRule:
    id: str
    title: str
    why: str
    scope: ScopeName
    kind: RuleKind
    indicators: tuple[str, ...]
    at_least: int
    within_days: int | None


@dataclass(frozen=True)
class RuleSet:
    version: str
    household: HouseholdRule
    indicators: Mapping[str, Indicator]
    flags: tuple[FlagRule, ...]


def shipped_rules() -> RuleSet:
    """The rules shipped with Jigsaw, read and checked once per process."""
    return _shipped()


@cache
def _shipped() -> RuleSet:
    text = resources.files(__package__ or "jigsaw.singleview").joinpath(SHIPPED)
    return parse_rules(text.read_text(encoding="utf-8"), origin=SHIPPED)


def read_rules(path: Path) -> RuleSet:
    return parse_rules(path.read_text(encoding="utf-8"), origin=str(path))


def parse_rules(text: str, origin: str = "<string>") -> RuleSet:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise InvalidRules(origin, [f"not valid YAML: {error}"]) from error
    reader = _Reader()
    rules = reader.document(data)
    if reader.problems or rules is None:
        raise InvalidRules(origin, reader.problems or ["empty"])
    return rules


class _Reader:
    def __init__(self) -> None:
        self.problems: list[str] = []

    def problem(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}")

    def mapping(self, data: object, where: str, allowed: frozenset[str]) -> dict[str, Any]:
        if not isinstance(data, dict):
            self.problem(where, "must be a mapping")
            return {}
        for key in sorted(set(map(str, data)) - allowed):
            self.problem(f"{where}.{key}", f"unknown key; expected one of {sorted(allowed)}")
        return {str(k): v for k, v in data.items()}

    def text(self, data: Mapping[str, Any], key: str, where: str) -> str:
        value = data.get(key)
        if not isinstance(value, str) or not value.strip():
            self.problem(f"{where}.{key}", "must be some text")
            return ""
        return " ".join(value.split())

    def names(self, value: object, where: str) -> frozenset[str]:
        if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
            self.problem(where, "must be a non-empty list of names")
            return frozenset()
        return frozenset(value)

    def enums(self, value: object, where: str, enum: type[E]) -> frozenset[E]:
        found: set[E] = set()
        for name in self.names(value, where):
            try:
                found.add(enum(name))
            except ValueError:
                self.problem(where, f"{name!r} is not one of {[e.value for e in enum]}")
        return frozenset(found)

    def count(self, data: Mapping[str, Any], key: str, where: str, *, needed: bool) -> int | None:
        value = data.get(key)
        if value is None and not needed:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            self.problem(f"{where}.{key}", "must be a whole number of at least 1")
            return None
        return value

    def document(self, data: object) -> RuleSet | None:
        keys = frozenset({"version", "household", "indicators", "flags"})
        top = self.mapping(data, "rules", keys)
        if not top:
            return None
        version = top.get("version")
        if not isinstance(version, str) or not version:
            self.problem("version", 'must be quoted text, for example "2026.1"')
            version = ""
        household = self.household(top.get("household"))
        indicators = self.indicators(top.get("indicators"))
        flags = self.flags(top.get("flags"), indicators)
        return RuleSet(version, household, indicators, flags)

    def household(self, data: object) -> HouseholdRule:
        keys = ("members", "carers", "through_carers", "connected")
        fields = self.mapping(data, "household", frozenset(keys))
        kinds = {
            k: self.enums(fields.get(k), f"household.{k}", RelationshipKind)
            if k in fields
            else frozenset()
            for k in keys
        }
        if not kinds["members"]:
            self.problem("household.members", "must name at least one relationship kind")
        return HouseholdRule(**kinds)

    def indicators(self, data: object) -> dict[str, Indicator]:
        if not isinstance(data, dict) or not data:
            self.problem("indicators", "must be a mapping of indicator names to criteria")
            return {}
        allowed = frozenset({"label", "subtypes", "categories", "agency_kinds", "exclude_subtypes"})
        found: dict[str, Indicator] = {}
        for name, raw in data.items():
            where = f"indicators.{name}"
            fields = self.mapping(raw, where, allowed)
            if not set(fields) - {"label"}:
                self.problem(where, "needs at least one criterion")
            found[str(name)] = Indicator(
                id=str(name),
                label=self.text(fields, "label", where),
                subtypes=self.names(fields["subtypes"], f"{where}.subtypes")
                if "subtypes" in fields
                else None,
                categories=self.enums(fields["categories"], f"{where}.categories", Category)
                if "categories" in fields
                else None,
                agency_kinds=self.enums(fields["agency_kinds"], f"{where}.agency_kinds", AgencyKind)
                if "agency_kinds" in fields
                else None,
                exclude_subtypes=self.names(fields["exclude_subtypes"], f"{where}.exclude_subtypes")
                if "exclude_subtypes" in fields
                else None,
            )
        return found

    def flags(self, data: object, indicators: Mapping[str, Indicator]) -> tuple[FlagRule, ...]:
        if not isinstance(data, list) or not data:
            self.problem("flags", "must be a list of flags")
            return ()
        found: list[FlagRule] = []
        seen: set[str] = set()
        for n, raw in enumerate(data):
            where = f"flags[{n}]"
            fields = self.mapping(raw, where, frozenset({"id", "title", "why", "scope", "rule"}))
            ident = self.text(fields, "id", where)
            if ident in seen:
                self.problem(f"{where}.id", f"{ident!r} is used twice")
            seen.add(ident)
            scope = self.choice(fields.get("scope"), f"{where}.scope", ScopeName)
            rule = self.rule(fields.get("rule"), f"{where}.rule", indicators)
            if scope is None or rule is None:
                continue
            kind, names, at_least, within = rule
            found.append(
                FlagRule(
                    id=ident,
                    title=self.text(fields, "title", where),
                    why=self.text(fields, "why", where),
                    scope=scope,
                    kind=kind,
                    indicators=names,
                    at_least=at_least,
                    within_days=within,
                )
            )
        return tuple(found)

    def choice(self, value: object, where: str, enum: type[E]) -> E | None:
        try:
            return enum(str(value))
        except ValueError:
            self.problem(where, f"{value!r} is not one of {[e.value for e in enum]}")
            return None

    def rule(
        self, data: object, where: str, indicators: Mapping[str, Indicator]
    ) -> tuple[RuleKind, tuple[str, ...], int, int | None] | None:
        allowed = frozenset({"kind", "indicator", "indicators", "at_least", "within_days"})
        fields = self.mapping(data, where, allowed)
        kind = self.choice(fields.get("kind"), f"{where}.kind", RuleKind)
        if kind is None:
            return None
        if kind is RuleKind.ALL_OF:
            raw_names = fields.get("indicators")
            names = tuple(raw_names) if isinstance(raw_names, list) else ()
            if len(names) < 2 or "indicator" in fields or "at_least" in fields:
                self.problem(where, "all_of names two or more `indicators` and nothing else")
            at_least: int | None = 1
        else:
            names = (fields.get("indicator"),) if "indicator" in fields else ()
            if not names or "indicators" in fields:
                self.problem(where, f"{kind.value} names exactly one `indicator`")
            at_least = self.count(fields, "at_least", where, needed=True)
        for name in names:
            if name not in indicators:
                self.problem(where, f"no indicator named {name!r}")
        within = self.count(fields, "within_days", where, needed=False)
        if at_least is None:
            return None
        return kind, tuple(str(n) for n in names), at_least, within
