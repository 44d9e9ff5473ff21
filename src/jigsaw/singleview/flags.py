"""The one engine that applies the pattern flag rules (``flags.yaml``) to visible items.

It is a pure function of the rules and the entries it is given: the caller passes
only what the viewer may see (``chronology.visible_items``), already projected to
the fields the viewer may see, so the engine cannot use, count or hint at anything
hidden. Matching is on visible values only: a criterion on a withheld field fails.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import date, timedelta

from jigsaw.singleview.household import Household
from jigsaw.singleview.rules import FlagRule, Indicator, RuleKind, RuleSet, ScopeName
from jigsaw.singleview.schemas import ChronologyEntry, FlagEvidence, FlagOut, RuleOut

Matched = Mapping[str, Sequence[ChronologyEntry]]


def matches(indicator: Indicator, entry: ChronologyEntry) -> bool:
    """Whether a visible, unretracted entry is evidence of the indicator."""
    if entry.retracted:
        return False
    visible = set(entry.fields)
    if indicator.subtypes is not None and (
        "subtype" not in visible or entry.subtype not in indicator.subtypes
    ):
        return False
    if indicator.exclude_subtypes is not None and (
        "subtype" not in visible or entry.subtype in indicator.exclude_subtypes
    ):
        return False
    if indicator.categories is not None and (
        "category" not in visible or entry.category not in indicator.categories
    ):
        return False
    return indicator.agency_kinds is None or entry.agency_kind in indicator.agency_kinds


def describe(rule: FlagRule, indicators: Mapping[str, Indicator]) -> str:
    """The rule in plain English, built from the data so the words cannot drift from it."""
    labels = [indicators[name].label.lower() for name in rule.indicators]
    whose = {
        ScopeName.CHILD: "about the child",
        ScopeName.HOUSEHOLD: "about the child or the people they live with",
        ScopeName.CONNECTED: "about the child, their household or people linked to it",
    }[rule.scope]
    if rule.kind is RuleKind.ALL_OF:
        listed = ", ".join(labels[:-1]) + f" and {labels[-1]}"
        text = f"Raised when there is information {whose} showing {listed}"
    elif rule.kind is RuleKind.AGENCIES:
        text = f"Raised when {rule.at_least} or more different agencies record {labels[0]} {whose}"
    else:
        verb, things = ("is", "item") if rule.at_least == 1 else ("are", "items")
        text = (
            f"Raised when there {verb} {rule.at_least} or more {things} {whose} "
            f"recording {labels[0]}"
        )
    if rule.within_days is not None:
        text += f", all within {rule.within_days} days"
    return text + "."


def _satisfied(rule: FlagRule) -> Callable[[Matched], bool]:
    if rule.kind is RuleKind.ALL_OF:
        return lambda found: all(found[name] for name in rule.indicators)
    only = rule.indicators[0]
    if rule.kind is RuleKind.AGENCIES:
        return lambda found: len({e.agency_id for e in found[only]}) >= rule.at_least
    return lambda found: len(found[only]) >= rule.at_least


def _window(
    rule: FlagRule, matched: Matched
) -> tuple[date | None, date | None, dict[str, list[ChronologyEntry]]] | None:
    """The most recent set of evidence that meets the rule, or None."""
    satisfied = _satisfied(rule)
    if rule.within_days is None:
        found = {name: list(matched[name]) for name in rule.indicators}
        return (None, None, found) if satisfied(found) else None
    span = timedelta(days=rule.within_days)
    dated: dict[str, list[tuple[date, ChronologyEntry]]] = {
        name: sorted(
            ((e.occurred_on, e) for e in matched[name] if e.occurred_on is not None),
            key=lambda pair: (pair[0], pair[1].item_chain_id),
        )
        for name in rule.indicators
    }
    days = {name: [day for day, _ in pairs] for name, pairs in dated.items()}
    for end in sorted({d for listed in days.values() for d in listed}, reverse=True):
        start = end - span
        found = {
            name: [
                e for _, e in pairs[bisect_left(days[name], start) : bisect_right(days[name], end)]
            ]
            for name, pairs in dated.items()
        }
        if satisfied(found):
            first = min(day for listed in days.values() for day in listed if start <= day <= end)
            return first, end, found
    return None


def evaluate(
    rules: RuleSet, household: Household, entries: Sequence[ChronologyEntry]
) -> list[FlagOut]:
    """Every flag the rules raise on these entries, each with the entries behind it."""
    placed: list[tuple[ScopeName, ChronologyEntry]] = []
    for entry in entries:
        where = household.place(entry.about_person_id, entry.about_record_id)
        if where is not None:
            placed.append((where[0], replace(entry, about=where[1])))
    raised: list[FlagOut] = []
    for rule in rules.flags:
        in_scope = [e for scope, e in placed if _in(scope, rule.scope)]
        matched = {
            name: [e for e in in_scope if matches(rules.indicators[name], e)]
            for name in rule.indicators
        }
        window = _window(rule, matched)
        if window is None:
            continue
        start, end, found = window
        raised.append(
            FlagOut(
                id=rule.id,
                title=rule.title,
                why_it_matters=rule.why,
                rule=describe(rule, rules.indicators),
                window_start=start,
                window_end=end,
                evidence=[
                    FlagEvidence(label=rules.indicators[name].label, entries=found[name])
                    for name in rule.indicators
                ],
            )
        )
    return raised


def rule_list(rules: RuleSet) -> list[RuleOut]:
    return [
        RuleOut(id=r.id, title=r.title, rule=describe(r, rules.indicators)) for r in rules.flags
    ]


_SCOPES = (ScopeName.CHILD, ScopeName.HOUSEHOLD, ScopeName.CONNECTED)


def _in(member: ScopeName, scope: ScopeName) -> bool:
    return _SCOPES.index(member) <= _SCOPES.index(scope)
