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

One such pair is left to a reviewer instead (``REVIEW_CAP``): the same birthday,
the same recorded sex (or one unrecorded) and no NHS number on a side to settle it.
Twins, and one person whose given name one agency recorded differently (a middle
name used as the first, a name changed, a form filled in by someone else), look
alike there and nothing recorded tells them apart; the pair is never linked without
a person deciding, but is not silently dropped either. Where the NHS numbers differ,
or the sex does, they are two people and the penalty stands.

"Plainly different" is what tells twins from a typo. Parents give twins and siblings
names that differ (Oliver and Harry), not names a keystroke apart; a clerk's slip
leaves the name a keystroke or two from itself (Micheal, Jonh, Ava for Eva). So the
given-name levels for a slip (``typo``: one edit, or two in a name of six letters or
more), for a spelling variant and for a name that sounds the same all sit ahead of
the levels the guard looks at, and a mistyped name born on the same day is scored
on its evidence, not held back as a twin. Twins whose names are that close (Ella and
Ellie) were never told apart by the guard: a nickname or a near spelling always
came first; the same-agency and one-NHS-number rules are what keep those apart.
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
REVIEW_CAP = 5.0
"""The most a twin-like pair with nothing to settle it may weigh: a match probability
of 0.97, inside the review band of any thresholds that leave one (the shipped model's
0.5 to 0.99), so a reviewer decides."""

TWIN_DOB_LEVELS = frozenset({"exact", "swapped", "near"})
TWIN_GIVEN_LEVELS = frozenset({"different", "loosely_similar"})
TWIN_SEX_LEVELS = frozenset({"different"})
"""A different recorded sex marks a family pair as two people as plainly as a different
name: a mother and father whose names sound alike (Jo and Joe)."""
HOME_LEVELS = frozenset({"same_address", "same_street", "similar_address"})
"""Levels of ``address`` that put a pair in one home: a mistyped address line with the
postcode agreeing is the same home as an exact one, and so the same household."""
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


def left_to_review(levels: Mapping[str, str]) -> bool:
    """A twin-like pair nothing recorded can settle: born the same day, not recorded
    with different sexes, and no NHS number on one side (``REVIEW_CAP``)."""
    return (
        levels.get(DATE_OF_BIRTH.name) in TWIN_DOB_LEVELS
        and levels.get(SEX.name) not in TWIN_SEX_LEVELS
        and levels.get(NHS_NUMBER.name) == "missing"
    )


def guarded_weight(weight: float, levels: Mapping[str, str]) -> float:
    """The pair's match weight once the guard has looked at it."""
    if not is_twin_like(levels):
        return weight
    if left_to_review(levels):
        return min(weight, REVIEW_CAP)
    return weight - TWIN_PENALTY


def guard_sql() -> tuple[str, str]:
    """The same rule over Splink's comparison vector columns: the condition for a pair
    to be guarded, and its guarded ``match_weight`` as an SQL expression."""
    dob = ", ".join(str(g) for g in _gammas(DATE_OF_BIRTH, TWIN_DOB_LEVELS))
    given = ", ".join(str(g) for g in _gammas(GIVEN_NAME, TWIN_GIVEN_LEVELS))
    sex = ", ".join(str(g) for g in _gammas(SEX, TWIN_SEX_LEVELS))
    home = ", ".join(str(g) for g in _gammas(ADDRESS, HOME_LEVELS))
    family = ", ".join(str(g) for g in _gammas(SHARED_CHILD, FAMILY_LEVELS))
    nhs_exact = _gammas(NHS_NUMBER, frozenset({"exact"}))[0]
    nhs_missing = _gammas(NHS_NUMBER, frozenset({"missing"}))[0]
    condition = (
        f"(gamma_{GIVEN_NAME.name} IN ({given}) OR gamma_{SEX.name} IN ({sex})) "
        f"AND gamma_{NHS_NUMBER.name} <> {nhs_exact} "
        f"AND (gamma_{DATE_OF_BIRTH.name} IN ({dob}) OR gamma_{ADDRESS.name} IN ({home}) "
        f"OR gamma_{SHARED_CHILD.name} IN ({family}))"
    )
    review = (
        f"gamma_{DATE_OF_BIRTH.name} IN ({dob}) AND gamma_{SEX.name} NOT IN ({sex}) "
        f"AND gamma_{NHS_NUMBER.name} = {nhs_missing}"
    )
    weight = (
        f"CASE WHEN {review} THEN least(match_weight, {REVIEW_CAP}) "
        f"ELSE match_weight - {TWIN_PENALTY} END"
    )
    return condition, weight
