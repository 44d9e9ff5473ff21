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
from typing import Annotated, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
    field_validator,
    model_validator,
)

from jigsaw import datafiles
from jigsaw.people.models import RelationshipKind
from jigsaw.policy.roles import AgencyKind
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


def parse_rules(text: str, origin: str = "<string>") -> RuleSet:
    try:
        data = datafiles.load(text)
    except datafiles.DataProblems as error:
        raise InvalidRules(origin, error.problems) from error
    found, problems = datafiles.check(_RulesFile, data, top="rules")
    problems += _reference_problems(data)
    if found is None or problems:
        raise InvalidRules(origin, problems)
    return found.rule_set()


def _reference_problems(data: object) -> list[str]:
    """Flag ids used twice, and indicators a flag names that are not defined.

    Read from the file as written rather than from the models, so that these are
    reported alongside any mistakes of shape, not only once those are put right.
    """
    top = data if isinstance(data, dict) else {}
    defined = top.get("indicators")
    flags = top.get("flags")
    problems: list[str] = []
    seen: set[object] = set()
    for n, flag in enumerate(flags if isinstance(flags, list) else []):
        if not isinstance(flag, dict):
            continue
        ident = flag.get("id")
        if isinstance(ident, str) and ident in seen:
            problems.append(f"flags[{n}].id: {ident!r} is used twice")
        seen.add(ident)
        rule = flag.get("rule")
        if not isinstance(rule, dict) or not isinstance(defined, dict):
            continue
        named = rule.get("indicators", [])
        for name in [rule.get("indicator"), *(named if isinstance(named, list) else [])]:
            if name is not None and name not in defined:
                problems.append(f"flags[{n}].rule: no indicator named {name!r}")
    return problems


def _one_line(value: str) -> str:
    if not value.strip():
        raise ValueError("must be some text")
    return " ".join(value.split())


_Text = Annotated[str, AfterValidator(_one_line)]
_Names = Annotated[frozenset[StrictStr], datafiles.NonEmpty]
_Kinds = Annotated[frozenset[E], datafiles.NonEmpty]
_Count = Annotated[StrictInt, Field(ge=1)]


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Household(_Data):
    members: _Kinds[RelationshipKind]
    carers: _Kinds[RelationshipKind] = frozenset()
    through_carers: _Kinds[RelationshipKind] = frozenset()
    connected: _Kinds[RelationshipKind] = frozenset()


class _Indicator(_Data):
    label: _Text
    subtypes: _Names | None = None
    categories: _Kinds[Category] | None = None
    agency_kinds: _Kinds[AgencyKind] | None = None
    exclude_subtypes: _Names | None = None

    @model_validator(mode="after")
    def _has_a_criterion(self) -> _Indicator:
        if self.model_fields_set <= {"label"}:
            raise ValueError("needs at least one criterion")
        return self


class _Rule(_Data):
    kind: RuleKind
    indicator: StrictStr | None = None
    indicators: tuple[StrictStr, ...] | None = None
    at_least: _Count | None = None
    within_days: _Count | None = None

    @model_validator(mode="after")
    def _names_what_it_counts(self) -> _Rule:
        if self.kind is RuleKind.ALL_OF:
            if len(self.indicators or ()) < 2 or self.indicator or self.at_least is not None:
                raise ValueError("all_of names two or more `indicators` and nothing else")
        elif self.indicator is None or self.indicators is not None:
            raise ValueError(f"{self.kind.value} names exactly one `indicator`")
        elif self.at_least is None:
            raise ValueError(f"{self.kind.value} needs `at_least`, a whole number of at least 1")
        return self

    def names(self) -> tuple[str, ...]:
        return self.indicators or ((self.indicator,) if self.indicator else ())


class _Flag(_Data):
    id: _Text
    title: _Text
    why: _Text
    scope: ScopeName
    rule: _Rule


class _RulesFile(_Data):
    version: str
    household: _Household
    indicators: Annotated[dict[str, _Indicator], datafiles.NonEmpty]
    flags: Annotated[tuple[_Flag, ...], datafiles.NonEmpty]

    @field_validator("version", mode="before")
    @classmethod
    def _quoted(cls, value: object) -> object:
        if not isinstance(value, str) or not value:
            raise ValueError('must be quoted text, for example "2026.1"')
        return value

    def rule_set(self) -> RuleSet:
        return RuleSet(
            version=self.version,
            household=HouseholdRule(
                members=self.household.members,
                carers=self.household.carers,
                through_carers=self.household.through_carers,
                connected=self.household.connected,
            ),
            indicators={
                name: Indicator(
                    id=name,
                    label=found.label,
                    subtypes=found.subtypes,
                    categories=found.categories,
                    agency_kinds=found.agency_kinds,
                    exclude_subtypes=found.exclude_subtypes,
                )
                for name, found in self.indicators.items()
            },
            flags=tuple(
                FlagRule(
                    id=flag.id,
                    title=flag.title,
                    why=flag.why,
                    scope=flag.scope,
                    kind=flag.rule.kind,
                    indicators=flag.rule.names(),
                    at_least=flag.rule.at_least or 1,
                    within_days=flag.rule.within_days,
                )
                for flag in self.flags
            ),
        )
