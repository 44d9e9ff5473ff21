"""Rules applied on top of the model's weights, where its independence assumption fails.

Fellegi-Sunter adds up the evidence of each field as if the fields were
independent. Within a family they are not: twins share a family name, a date of
birth and a home, so a pair of twins agrees on everything the model weighs most and
differs only in given name (and in NHS number, when both records have one). The
model would add the agreements up as if such a coincidence were one in billions and
link the twins. Brothers and sisters with no date of birth on file are the same
case without the birthday: one surname, one home, different names.

The guard takes that double counting back out: a pair born on the same day, or
living at the same address, whose given names are plainly different (not a
nickname, not a typo) or whose recorded sex differs loses ``TWIN_PENALTY`` bits
unless the NHS numbers agree.
A mother and father recorded with the same child are the same case once the child
links them (a shared child counts as a shared home). Twins with nothing else to tell
them apart then wait for a reviewer instead of being linked; with NHS numbers that
differ they fall below the review threshold too. Real matches that look like that (a
child recorded under a middle name, say) are rare, and the penalty is sized to leave
them in the review queue rather than drop them.
"""

from __future__ import annotations

from collections.abc import Mapping

from jigsaw.linkage.comparisons import (
    ADDRESS,
    DATE_OF_BIRTH,
    GIVEN_NAME,
    NHS_NUMBER,
    SEX,
    SHARED_CHILD,
    Comparison,
)

TWIN_PENALTY = 14.0
"""Bits taken off a twin-like pair: about what family, birthday and home together
over-count among the children of one household."""

TWIN_DOB_LEVELS = frozenset({"exact", "swapped", "near"})
TWIN_GIVEN_LEVELS = frozenset({"different", "loosely_similar"})
TWIN_SEX_LEVELS = frozenset({"different"})
"""A different recorded sex marks a family pair as two people as plainly as a different
name: a mother and father whose names sound alike (Jo and Joe)."""
HOME_LEVELS = frozenset({"same_address"})
FAMILY_LEVELS = frozenset({"shared"})
"""Levels of ``shared_child`` that put a pair in one family, as a shared home does."""


def _gammas(comparison: Comparison, keys: frozenset[str]) -> list[int]:
    return [comparison.gamma(i) for i, level in enumerate(comparison.levels) if level.key in keys]


def is_twin_like(levels: Mapping[str, str]) -> bool:
    """``levels`` maps comparison name to the key of the level the pair fell on."""
    return (
        (
            levels.get(GIVEN_NAME.name) in TWIN_GIVEN_LEVELS
            or levels.get(SEX.name) in TWIN_SEX_LEVELS
        )
        and levels.get(NHS_NUMBER.name) != "exact"
        and (
            levels.get(DATE_OF_BIRTH.name) in TWIN_DOB_LEVELS
            or levels.get(ADDRESS.name) in HOME_LEVELS
            or levels.get(SHARED_CHILD.name) in FAMILY_LEVELS
        )
    )


def penalty(levels: Mapping[str, str]) -> float:
    return TWIN_PENALTY if is_twin_like(levels) else 0.0


def guard_sql() -> tuple[str, float]:
    """The same rule over Splink's comparison vector columns, and its penalty."""
    dob = ", ".join(str(g) for g in _gammas(DATE_OF_BIRTH, TWIN_DOB_LEVELS))
    given = ", ".join(str(g) for g in _gammas(GIVEN_NAME, TWIN_GIVEN_LEVELS))
    sex = ", ".join(str(g) for g in _gammas(SEX, TWIN_SEX_LEVELS))
    home = ", ".join(str(g) for g in _gammas(ADDRESS, HOME_LEVELS))
    family = ", ".join(str(g) for g in _gammas(SHARED_CHILD, FAMILY_LEVELS))
    nhs_exact = _gammas(NHS_NUMBER, frozenset({"exact"}))[0]
    condition = (
        f"(gamma_{GIVEN_NAME.name} IN ({given}) OR gamma_{SEX.name} IN ({sex})) "
        f"AND gamma_{NHS_NUMBER.name} <> {nhs_exact} "
        f"AND (gamma_{DATE_OF_BIRTH.name} IN ({dob}) OR gamma_{ADDRESS.name} IN ({home}) "
        f"OR gamma_{SHARED_CHILD.name} IN ({family}))"
    )
    return condition, TWIN_PENALTY
