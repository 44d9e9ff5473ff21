"""The model's evidence in a practitioner's words: how likely, and which details agreed.

A match probability alone asks to be trusted; the evidence lets a practitioner or a
reviewer check it. Each comparison's level is turned into agree, partly agree,
disagree or not compared, from the comparison's own order of levels (the first level
after "missing" is full agreement, the last is "anything else"), so a level added to
the model later is described without a change here. Only kinds of agreement are
named ("nickname", "same postcode sector"), never anyone's values.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from jigsaw.linkage import guards
from jigsaw.linkage.comparisons import (
    ADDRESS,
    COMPARISONS,
    FAMILY_NAME,
    NHS_NUMBER,
    SEX,
    SHARED_CHILD,
    SHARED_IDENTIFIER,
    Comparison,
)
from jigsaw.linkage.person_model import LevelEvidence

_BY_NAME: dict[str, Comparison] = {c.name: c for c in COMPARISONS}


class Agreement(StrEnum):
    AGREE = "agree"
    PARTLY_AGREE = "partly_agree"
    DISAGREE = "disagree"
    NOT_COMPARED = "not_compared"


AGREEMENT_WORDS: dict[Agreement, str] = {
    Agreement.AGREE: "Agrees",
    Agreement.PARTLY_AGREE: "Partly agrees",
    Agreement.DISAGREE: "Disagrees",
    Agreement.NOT_COMPARED: "Not compared",
}


@dataclass(frozen=True)
class FieldEvidence:
    """One comparison's outcome: which detail, how far it agreed, and the level's label."""

    comparison: str
    title: str
    agreement: Agreement
    label: str

    @property
    def words(self) -> str:
        return AGREEMENT_WORDS[self.agreement]


def _agreement(comparison: Comparison, level_key: str) -> tuple[Agreement, str]:
    levels = comparison.levels
    found = next((i for i, level in enumerate(levels) if level.key == level_key), None)
    if found is None:
        return Agreement.NOT_COMPARED, "Not compared"
    level = levels[found]
    if level.is_null:
        return Agreement.NOT_COMPARED, level.label
    # The exact level agrees; where there is none, the first that compares. An initial
    # comes ahead of the given name's exact level but agrees only in part.
    agrees = next(
        (i for i, lv in enumerate(levels) if lv.key == "exact"),
        next(i for i, lv in enumerate(levels) if not lv.is_null),
    )
    if found == agrees:
        return Agreement.AGREE, level.label
    if found == len(levels) - 1:
        return Agreement.DISAGREE, level.label
    return Agreement.PARTLY_AGREE, level.label


def describe_levels(levels: Mapping[str, str]) -> tuple[FieldEvidence, ...]:
    """Evidence stored as comparison name -> level key (a review's), in the model's order."""
    described = []
    for comparison in COMPARISONS:
        key = levels.get(comparison.name)
        if key is None:
            continue
        agreement, label = _agreement(comparison, key)
        described.append(FieldEvidence(comparison.name, comparison.title, agreement, label))
    return tuple(described)


def describe_scored(evidence: Iterable[LevelEvidence]) -> tuple[FieldEvidence, ...]:
    """Evidence from an online score, described the same way as a review's."""
    return describe_levels({e.comparison: e.level for e in evidence})


def by_comparison(evidence: Iterable[FieldEvidence]) -> dict[str, FieldEvidence]:
    return {e.comparison: e for e in evidence}


def likelihood(probability: float, about: str = "child") -> str:
    """The probability in words, so a number is never the only thing a person reads.

    ``about`` is "child", or "person" for a pair that is not two children's records."""
    if probability >= 0.99:
        return f"Very likely the same {about}"
    if probability >= 0.9:
        return f"Likely the same {about}"
    if probability >= 0.5:
        return f"Possibly the same {about}"
    return f"Unlikely to be the same {about}"


def percentage(probability: float) -> str:
    """One decimal place, rounded down, so nothing short of certain reads as 100%."""
    if probability >= 0.999:
        return "over 99.9%"
    return f"{math.floor(probability * 1000) / 10:.1f}%"


def in_words(probability: float, about: str = "child") -> str:
    """The words, an en dash, then the number: the way a results page shows it."""
    return f"{likelihood(probability, about)} \N{EN DASH} {percentage(probability)}"


def _nothing_apart(levels: Mapping[str, str]) -> bool:
    """No sex, NHS number or UPN that differs: a detail that would tell two people apart,
    which the evidence table then shows, so no caution is needed."""
    return all(levels.get(c.name) != "different" for c in (SEX, NHS_NUMBER, SHARED_IDENTIFIER))


def _one_family(levels: Mapping[str, str]) -> bool:
    """One family name at one home (or with one child), and nothing recorded apart."""
    return (
        levels.get(FAMILY_NAME.name) in guards.HOUSEHOLD_NAME_LEVELS
        and (
            levels.get(ADDRESS.name) in guards.HOME_LEVELS
            or levels.get(SHARED_CHILD.name) in guards.FAMILY_LEVELS
        )
        and _nothing_apart(levels)
    )


def _siblings_alike(levels: Mapping[str, str]) -> bool:
    return guards.nothing_to_tell(levels) and _one_family(levels)


def _either_twin(levels: Mapping[str, str]) -> bool:
    return guards.unnamed_at_twins_birth(levels) and _nothing_apart(levels)


def _twins(levels: Mapping[str, str]) -> bool:
    return (
        guards.is_twin_like(levels)
        and guards.left_to_review(levels)
        and levels.get(SHARED_IDENTIFIER.name) != "different"
    )


def _two_birthdays(levels: Mapping[str, str]) -> bool:
    return guards.two_birthdays_at_home(levels) and _one_family(levels)


CAUTIONS: tuple[tuple[Callable[[Mapping[str, str]], bool], str], ...] = (
    (
        _siblings_alike,
        "The records give no first name to compare (one has none, or only an initial) "
        "and no date of birth, so nothing recorded tells this {about} from a brother or "
        "sister of the same family at the same home. Check which {about} it is before "
        "confirming.",
    ),
    (
        _either_twin,
        "One record gives no first name, or only an initial, and they were born on the "
        "same day or on dates a slip apart: if that birth was twins, nothing recorded "
        "tells which twin this is. Check which {about} it is before confirming.",
    ),
    (
        _twins,
        "They were born on the same day, or on dates a slip apart, with different first "
        "names, and nothing else recorded tells them apart: they may be twins. Check "
        "before confirming.",
    ),
    (
        _two_birthdays,
        "They share a family name and a home or a child but have different dates of "
        "birth: they may be a parent and child, brothers or sisters, or partners. Check "
        "before confirming.",
    ),
)
"""What a reviewer is told of a pair the guards may have held back, first that fits.

The guards hold such a pair at a probability the page would otherwise call likely
(``guards.REVIEW_CAP``), and the evidence table shows each detail agreeing: the words
say what the agreement cannot tell, so the number is not read as the answer. Each is
said only where nothing recorded tells the two apart (a sex, an NHS number or a UPN
that differs would, and the table shows it); the brother-or-sister and two-birthday
words also need one family name at one home or with one child, which twins recorded
under two surnames may not show."""


def caution(levels: Mapping[str, str], about: str = "child") -> str | None:
    """The first of ``CAUTIONS`` that fits the pair's levels, or None."""
    return next((text.format(about=about) for fits, text in CAUTIONS if fits(levels)), None)
