"""The comparisons the person model makes, each level written once for SQL and for Python.

Batch linkage runs the SQL (through Splink, on DuckDB or Spark); the online match
runs the Python twin of the same level in process, because starting a database
engine per search would cost more than the 20 ms a search may take. Keeping both
forms side by side, and a test that checks they put sample pairs on the same level,
is what lets the online match use the batch model's trained weights honestly.

Levels are tried in order and the first that holds wins, as in SQL's CASE WHEN; the
null level comes first (the comparison says nothing when a side is missing) and the
"anything else" level last.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING, Any, Protocol

import jellyfish

from jigsaw.linkage.features import SHARED_WORDS, Features
from jigsaw.linkage.frequencies import FREQUENCY_WEIGHT, MINIMUM_FREQUENCY

if TYPE_CHECKING:
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import ColumnExpression
else:

    class _Deferred:
        """A Splink module imported the first time one of its names is used. Every level
        here is built by a function called when a model is made, never at import, and
        Splink (with DuckDB, pyarrow and numpy behind it) is about a second and a half
        of start-up that a command which only scores with the Python twins (an import
        linking its new records online) never needs."""

        def __init__(self, name: str) -> None:
            self._name = name

        def __getattr__(self, attr: str) -> Any:
            return getattr(import_module(self._name), attr)

    cll = _Deferred("splink.comparison_level_library")
    cl = _Deferred("splink.comparison_library")

    def ColumnExpression(*args: Any, **kwargs: Any) -> Any:
        return import_module("splink").ColumnExpression(*args, **kwargs)


Test = Callable[[Features, Features], bool]


class LevelCreator(Protocol):
    """What a level from ``splink.comparison_level_library`` offers this module.

    Splink's own base class for levels is private and may change between releases;
    this names only the part of it the person model relies on, so an upgrade that
    drops it fails the type check here rather than a training run.
    """

    def configure(
        self,
        *,
        label_for_charts: str = ...,
        is_null_level: bool = ...,
        m_probability: float = ...,
        fix_m_probability: bool = ...,
        tf_adjustment_column: str = ...,
        tf_adjustment_weight: float = ...,
        tf_minimum_u_value: float = ...,
    ) -> object: ...


@dataclass(frozen=True)
class Level:
    """One level of one comparison: what it is called, its SQL and its Python test."""

    key: str
    """Stable short name, used as the evidence a practitioner sees ("nickname")."""
    label: str
    sql: Callable[[], LevelCreator]
    test: Test
    is_null: bool = False
    fixed_m: float | None = None
    """Set from what is known about the field rather than estimated (see ``NHS_NUMBER``)."""
    frequency_column: str | None = None
    """Weighed by how common the shared value is (``frequencies``): exact names only."""

    def creator(self) -> LevelCreator:
        made = self.sql()
        made.configure(label_for_charts=self.label)
        if self.frequency_column is not None:
            made.configure(
                tf_adjustment_column=self.frequency_column,
                tf_adjustment_weight=FREQUENCY_WEIGHT,
                tf_minimum_u_value=MINIMUM_FREQUENCY,
            )
        if self.is_null:
            made.configure(is_null_level=True)
        if self.fixed_m is not None:
            made.configure(m_probability=self.fixed_m, fix_m_probability=True)
        return made


@dataclass(frozen=True)
class Comparison:
    name: str
    title: str
    levels: tuple[Level, ...]

    def splink(self) -> cl.CustomComparison:
        # Splink types the levels by its private base class, which ``LevelCreator``
        # stands in for; every level here comes from its public level library.
        levels: list[Any] = [level.creator() for level in self.levels]
        return cl.CustomComparison(
            comparison_levels=levels,
            output_column_name=self.name,
            comparison_description=self.title,
        )

    def level_index(self, left: Features, right: Features) -> int:
        """Position of the first level that holds (the last level always does)."""
        for index, level in enumerate(self.levels):
            if level.test(left, right):
                return index
        return len(self.levels) - 1

    def gamma(self, index: int) -> int:
        """Splink's comparison vector value for a level: -1 for null, else counts down to 0."""
        if self.levels[index].is_null:
            return -1
        return len(self.levels) - 1 - index


# --- Python twins of the SQL building blocks -------------------------------------------
# SQL comparisons with NULL are never true, so each helper is False when a side is None.


def _either_null(column: str) -> Test:
    def test(left: Features, right: Features) -> bool:
        return getattr(left, column) is None or getattr(right, column) is None

    return test


def _equal(column: str) -> Test:
    def test(left: Features, right: Features) -> bool:
        a, b = getattr(left, column), getattr(right, column)
        return a is not None and b is not None and bool(a == b)

    return test


def _jaro_winkler_at_least(column: str, threshold: float) -> Test:
    def test(left: Features, right: Features) -> bool:
        a, b = getattr(left, column), getattr(right, column)
        if a is None or b is None:
            return False
        return bool(jellyfish.jaro_winkler_similarity(a, b) >= threshold)

    return test


def _arrays_share(column: str, at_least: int) -> Test:
    def test(left: Features, right: Features) -> bool:
        a, b = getattr(left, column), getattr(right, column)
        return a is not None and b is not None and len(set(a).intersection(b)) >= at_least

    return test


def _arrays_meet(column: str) -> Test:
    return _arrays_share(column, 1)


def _both(*tests: Test) -> Test:
    def test(left: Features, right: Features) -> bool:
        return all(t(left, right) for t in tests)

    return test


def _either(*tests: Test) -> Test:
    def test(left: Features, right: Features) -> bool:
        return any(t(left, right) for t in tests)

    return test


def _always(_left: Features, _right: Features) -> bool:
    return True


def _edits_at_most(column: str, edits: int) -> Test:
    def test(left: Features, right: Features) -> bool:
        a, b = getattr(left, column), getattr(right, column)
        if a is None or b is None:
            return False
        return bool(jellyfish.damerau_levenshtein_distance(a, b) <= edits)

    return test


def _shorter_at_least(column: str, letters: int) -> Test:
    def test(left: Features, right: Features) -> bool:
        a, b = getattr(left, column), getattr(right, column)
        return a is not None and b is not None and min(len(a), len(b)) >= letters

    return test


def _present(column: str) -> Test:
    def test(left: Features, right: Features) -> bool:
        return getattr(left, column) is not None and getattr(right, column) is not None

    return test


def _not(test: Test) -> Test:
    """SQL's NOT over a level's condition: a NULL comparison stays NULL (not true)."""

    def negated(left: Features, right: Features) -> bool:
        return not test(left, right)

    return negated


def _no_place(left: Features, right: Features) -> bool:
    return (left.postcode is None and left.address is None) or (
        right.postcode is None and right.address is None
    )


_postcodes_agree_or_missing = _either(_either_null("postcode"), _edits_at_most("postcode", 1))


def _dob_swapped(left: Features, right: Features) -> bool:
    return left.dob is not None and right.dob_swapped is not None and left.dob == right.dob_swapped


def _dob_within_days(days: int) -> Test:
    def test(left: Features, right: Features) -> bool:
        if left.dob is None or right.dob is None:
            return False
        return abs((left.dob - right.dob).days) <= days

    return test


def _dob_one_edit(left: Features, right: Features) -> bool:
    if left.dob is None or right.dob is None:
        return False
    return bool(
        jellyfish.damerau_levenshtein_distance(left.dob.isoformat(), right.dob.isoformat()) <= 1
    )


def _dob_two_edits(left: Features, right: Features) -> bool:
    """Two slips in one date (a day and a month both mistyped, or a year and a day): as
    a clerk keys a date digit by digit, each digit is a chance to slip, so a date two
    digits off is more often the same date than a stranger's birthday, which usually
    differs in more (how much more is learned, as for every level)."""
    if left.dob is None or right.dob is None:
        return False
    return bool(
        jellyfish.damerau_levenshtein_distance(left.dob.isoformat(), right.dob.isoformat()) <= 2
    )


# --- The person model's comparisons ---------------------------------------------------


def _null(column: str, label: str) -> Level:
    return Level("missing", label, lambda: cll.NullLevel(column), _either_null(column), True)


def _else(label: str = "Disagree") -> Level:
    return Level("different", label, lambda: cll.ElseLevel(), _always)


TYPO_LONG_NAME = 6
"""From this many letters a name may take two slips (one in a short name is already a
different name as often as a typo: Ava and Eva)."""


def _shorter_at_least_sql(column: str, letters: int) -> cll.CustomLevel:
    return cll.CustomLevel(
        f'least(length("{column}_l"), length("{column}_r")) >= {letters}',
        base_dialect_str="duckdb",
    )


def _typo(column: str, label: str, *, shortest: int = 1) -> Level:
    """A slip of the keyboard: one insertion, deletion, substitution or transposition,
    or two in a name long enough that two slips still leave it recognisable. Where
    ``shortest`` is more than one, both names have at least that many letters: an
    initial is one edit from every other initial (J and A), which is no slip."""

    def sql() -> LevelCreator:
        slip = cll.Or(
            cll.DamerauLevenshteinLevel(column, 1),
            cll.And(
                cll.DamerauLevenshteinLevel(column, 2),
                _shorter_at_least_sql(column, TYPO_LONG_NAME),
            ),
        )
        return slip if shortest <= 1 else cll.And(_shorter_at_least_sql(column, shortest), slip)

    slip = _either(
        _edits_at_most(column, 1),
        _both(_edits_at_most(column, 2), _shorter_at_least(column, TYPO_LONG_NAME)),
    )
    test = slip if shortest <= 1 else _both(_shorter_at_least(column, shortest), slip)
    return Level("typo", label, sql, test)


NAME_NOT_INITIAL = 2
"""The fewest letters a given name has for a spelling, a slip, a sound or a name found
across the fields to be compared: one letter is an initial, which agrees with a name
only as its first letter (``INITIAL``), whoever it stands for."""


def _initial_of_other(left: Features, right: Features) -> bool:
    a, b = left.given, right.given
    if a is None or b is None:
        return False
    short, long = sorted((a, b), key=len)
    return len(short) == 1 and long.startswith(short)


INITIAL_SQL = (
    '(length("given_l") = 1 AND substr("given_r", 1, 1) = "given_l") OR '
    '(length("given_r") = 1 AND substr("given_l", 1, 1) = "given_r")'
)
"""``_initial_of_other`` in SQL."""

INITIAL = Level(
    "initial",
    "One given name only an initial, the other's first letter",
    lambda: cll.CustomLevel(INITIAL_SQL, base_dialect_str="duckdb"),
    _initial_of_other,
)
"""A given name written as its initial ("J." on a form with room for one letter, a
clerk in a hurry) beside a name it may stand for, or beside the same initial. It says
the first letter and no more: not which of a household's J's (Jack, James, their father
John) the record is, so the guards read it as they read no given name at all
(``guards.UNTOLD_GIVEN_LEVELS``), and two records of "J" are not the same name. Before
this level, one letter was a slip from every other (J and A) and two equal letters the
same name, weighed by how rare "j" is: it comes first, ahead of the exact level, which
Splink's frequency adjustment needs to be a plain exact match."""


def _swapped_names(label: str) -> Level:
    """Given and family name entered the wrong way round (forms that ask for "name" and
    "surname", or a family name first as many cultures write it), perhaps with a slip
    in one: both names plainly differ side by side, yet the two read alike in
    alphabetical order. (Zoe and Zara Smith read alike in that order too, which is why
    the family names must differ as well.) Set to weigh as the exact level
    (``training.swapped_names_weigh_as_exact``), so every name must be more than an
    initial: "Smith J" and "J Smith" are not two agreeing names.
    """
    return Level(
        "swapped",
        label,
        lambda: cll.And(
            cll.JaroWinklerLevel("names", 0.92),
            cll.Not(cll.JaroWinklerLevel("given", 0.80)),
            cll.Not(cll.JaroWinklerLevel("family", 0.80)),
            _shorter_at_least_sql("given", NAME_NOT_INITIAL),
            _shorter_at_least_sql("family", NAME_NOT_INITIAL),
        ),
        _both(
            _jaro_winkler_at_least("names", 0.92),
            _present("given"),
            _present("family"),
            _not(_jaro_winkler_at_least("given", 0.80)),
            _not(_jaro_winkler_at_least("family", 0.80)),
            _shorter_at_least("given", NAME_NOT_INITIAL),
            _shorter_at_least("family", NAME_NOT_INITIAL),
        ),
    )


def _crossed(left: Features, right: Features) -> bool:
    def near(a: str | None, b: str | None) -> bool:
        if a is None or b is None or min(len(a), len(b)) < NAME_NOT_INITIAL:
            return False
        edits = jellyfish.levenshtein_distance(a, b)
        return edits <= 1 or (edits <= 2 and min(len(a), len(b)) >= TYPO_LONG_NAME)

    return near(left.given, right.family) or near(left.family, right.given)


CROSSED_NEAR_SQL = (
    f"(least(length({{a}}), length({{b}})) >= {NAME_NOT_INITIAL} "
    "AND (levenshtein({a}, {b}) <= 1 OR (levenshtein({a}, {b}) <= 2 "
    f"AND least(length({{a}}), length({{b}})) >= {TYPO_LONG_NAME})))"
)
"""Two names within a slip of each other as ``_crossed`` counts one (``{a}``, ``{b}``:
SQL expressions), for the level and for the guard that asks which name was crossed. An
initial is no name to find across the fields: W is one edit from the family name Wu."""


def _crossed_sql() -> str:
    return " OR ".join(
        CROSSED_NEAR_SQL.format(a=f'"{a}_l"', b=f'"{b}_r"')
        for a, b in (("given", "family"), ("family", "given"))
    )


CROSSED_NAMES = Level(
    "crossed",
    "Given name found as the other's family name (names swapped, one of them changed)",
    lambda: cll.CustomLevel(_crossed_sql(), base_dialect_str="duckdb"),
    _crossed,
)
"""Given and family name entered the wrong way round *and* one of them changed as well
(a new family name after marriage, an anglicised given name, a name taken down by
someone else): one record's given name is the other's family name, give or take a slip
(one edit, two in a long name, as ``_typo``), while the other name differs. The swapped
level cannot see it, since the two names no longer read alike in any order; without
this level both name comparisons fall to "different" and the pair looks like two
brothers at one address. One name matched across is weaker evidence than both
(``swapped``), so it is learned on its own. Brothers and sisters share the family
name, so one sibling's given name is the other's family name only where a child is
named with the family's own surname; the level sits in ``given_name`` so such a pair is
not taken for a household's two members by the twin guard, which looks at plainly
different given names."""


GIVEN_NAME = Comparison(
    "given_name",
    "Given name",
    (
        _null("given", "Given name missing"),
        INITIAL,
        Level(
            "exact",
            "Same given name",
            lambda: cll.ExactMatchLevel("given"),
            _equal("given"),
            frequency_column="given",
        ),
        _swapped_names("Given and family names swapped"),
        Level(
            "nickname",
            "Nickname or short form of the same name",
            lambda: cll.ArrayIntersectLevel("given_names", 1),
            _arrays_meet("given_names"),
        ),
        Level(
            "similar",
            "Given names spelled almost alike (Jaro-Winkler >= 0.92)",
            lambda: cll.JaroWinklerLevel("given", 0.92),
            _jaro_winkler_at_least("given", 0.92),
        ),
        _typo(
            "given",
            "Given names a slip of the keyboard apart (one edit, two in a long name)",
            shortest=NAME_NOT_INITIAL,
        ),
        Level(
            "sounds_alike",
            "Given names sound alike (Metaphone)",
            lambda: cll.And(
                cll.ExactMatchLevel("given_metaphone"),
                _shorter_at_least_sql("given", NAME_NOT_INITIAL),
            ),
            _both(_equal("given_metaphone"), _shorter_at_least("given", NAME_NOT_INITIAL)),
        ),
        CROSSED_NAMES,
        Level(
            "loosely_similar",
            "Given names loosely alike (Jaro-Winkler >= 0.80)",
            lambda: cll.JaroWinklerLevel("given", 0.80),
            _jaro_winkler_at_least("given", 0.80),
        ),
        _else("Different given names"),
    ),
)

FAMILY_NAME = Comparison(
    "family_name",
    "Family name",
    (
        _null("family", "Family name missing"),
        Level(
            "exact",
            "Same family name (ignoring hyphens, spaces and case)",
            lambda: cll.ExactMatchLevel("family"),
            _equal("family"),
            frequency_column="family",
        ),
        _swapped_names("Family and given names swapped"),
        Level(
            "part",
            "One part of a double-barrelled family name matches",
            lambda: cll.ArrayIntersectLevel("family_parts", 1),
            _arrays_meet("family_parts"),
        ),
        Level(
            "similar",
            "Family names spelled almost alike (Jaro-Winkler >= 0.92)",
            lambda: cll.JaroWinklerLevel("family", 0.92),
            _jaro_winkler_at_least("family", 0.92),
        ),
        _typo("family", "Family names a slip of the keyboard apart (one edit, two in a long name)"),
        Level(
            "sounds_alike",
            "Family names sound alike (Soundex)",
            lambda: cll.ExactMatchLevel("family_soundex"),
            _equal("family_soundex"),
        ),
        _else("Different family names (perhaps a change of name)"),
    ),
)

DATE_OF_BIRTH = Comparison(
    "date_of_birth",
    "Date of birth",
    (
        _null("dob", "Date of birth missing"),
        Level("exact", "Same date of birth", lambda: cll.ExactMatchLevel("dob"), _equal("dob")),
        Level(
            "swapped",
            "Day and month swapped",
            lambda: cll.CustomLevel('"dob_l" = "dob_swapped_r"', base_dialect_str="duckdb"),
            _dob_swapped,
        ),
        Level(
            "near",
            "One day apart or one digit different",
            lambda: cll.Or(
                cll.AbsoluteDateDifferenceLevel(
                    "dob", input_is_string=False, threshold=1, metric="day"
                ),
                cll.DamerauLevenshteinLevel(ColumnExpression("dob").cast_to_string(), 1),
            ),
            _either(_dob_within_days(1), _dob_one_edit),
        ),
        Level(
            "two_slips",
            "Two digits different",
            lambda: cll.DamerauLevenshteinLevel(ColumnExpression("dob").cast_to_string(), 2),
            _dob_two_edits,
        ),
        Level(
            "same_year",
            "Born in the same year",
            lambda: cll.ExactMatchLevel("birth_year"),
            _equal("birth_year"),
        ),
        _else("Different dates of birth"),
    ),
)

_SIMILAR_ADDRESS = (
    "Addresses spelled almost alike (postcodes agree, one character apart or one missing)"
)

ADDRESS = Comparison(
    "address",
    "Postcode and address",
    (
        Level(
            "missing",
            "Neither postcode nor address on one side",
            lambda: cll.CustomLevel(
                '("postcode_l" IS NULL AND "address_l" IS NULL) '
                'OR ("postcode_r" IS NULL AND "address_r" IS NULL)',
                base_dialect_str="duckdb",
            ),
            _no_place,
            is_null=True,
        ),
        Level(
            "same_address",
            "Same address (postcodes agree, one character apart or one missing)",
            lambda: cll.And(
                cll.ExactMatchLevel("address"),
                cll.Or(cll.NullLevel("postcode"), cll.DamerauLevenshteinLevel("postcode", 1)),
            ),
            _both(_equal("address"), _postcodes_agree_or_missing),
        ),
        Level(
            "same_street",
            "Same house number and street (postcodes agree, one character apart or one missing)",
            lambda: cll.And(
                cll.ExactMatchLevel("street"),
                cll.Or(cll.NullLevel("postcode"), cll.DamerauLevenshteinLevel("postcode", 1)),
            ),
            _both(_equal("street"), _postcodes_agree_or_missing),
        ),
        Level(
            "similar_address",
            _SIMILAR_ADDRESS,
            lambda: cll.And(
                cll.JaroWinklerLevel("address", 0.92),
                cll.Or(cll.NullLevel("postcode"), cll.DamerauLevenshteinLevel("postcode", 1)),
            ),
            _both(_jaro_winkler_at_least("address", 0.92), _postcodes_agree_or_missing),
        ),
        Level(
            "postcode",
            "Same postcode",
            lambda: cll.ExactMatchLevel("postcode"),
            _equal("postcode"),
        ),
        Level(
            "near",
            "Postcodes one character apart, or addresses spelled almost alike",
            lambda: cll.Or(
                cll.DamerauLevenshteinLevel("postcode", 1),
                cll.JaroWinklerLevel("address", 0.92),
            ),
            _either(_edits_at_most("postcode", 1), _jaro_winkler_at_least("address", 0.92)),
        ),
        Level(
            "shared_words",
            "Addresses sharing three of the words that say where they are",
            lambda: cll.ArrayIntersectLevel("address_words", SHARED_WORDS),
            _arrays_share("address_words", SHARED_WORDS),
        ),
        Level(
            "sector",
            "Same postcode sector",
            lambda: cll.ExactMatchLevel("postcode_sector"),
            _equal("postcode_sector"),
        ),
        Level(
            "district",
            "Same postcode district",
            lambda: cll.ExactMatchLevel("postcode_district"),
            _equal("postcode_district"),
        ),
        _else("Different areas"),
    ),
)
"""Where the person lives, compared so that no one part decides: an address with no
postcode, a postcode with no address, a postcode that is not a UK one (no sector or
district to fall back on) or one mistyped by a character all still say something.
Only when a side has neither is the comparison silent.

A slip in the address line (a letter dropped, two words run together, a space in the
wrong place: "12 Mill Raod", "12 MillRoad") leaves it spelled almost alike while the
postcode still agrees: that is one home mistyped (``similar_address``), a far rarer
coincidence than two homes in one postcode, so it sits above the bare postcode level
rather than falling to it and losing what the address says.

Below the postcode's own levels, two lines sharing three words that say where they are
(``features.address_words_of``: the street's name, the locality and the town) are one
street in one place whatever the postcode says (``shared_words``): an address written
number last, with a flat's name added, with its postcode missing or mistyped. On FEBRL4
with the hard corruptions, 62 of the true pairs scored under the review threshold had
their address on "Different areas" or a postcode's district or sector; the lines of 48
shared two such words, of 33 three. Two was measured and not adopted: in one town's
records the locality and the town are two words one random pair in seven shares, and on
the generator's hard profile it added 49 pairs of two people to the review queue and no
true pair. It sits above the postcode sector: a street in a town is narrower than a
sector, and a sector is all a foreign postcode never has."""

SEX = Comparison(
    "sex",
    "Sex",
    (
        _null("sex", "Sex missing or unknown"),
        Level("exact", "Same sex", lambda: cll.ExactMatchLevel("sex"), _equal("sex")),
        _else("Different sex"),
    ),
)

NHS_NUMBER_DISAGREES = 0.0005
"""How often two records of one person hold different *valid* NHS numbers.

Fixed rather than learned: EM cannot tell twins (same surname, birthday and home,
different NHS numbers) from one child recorded twice, so it learns that NHS numbers
disagree for a few per cent of true matches and the number loses its force. The
check digit catches single-digit slips and transpositions, so a valid number that
differs is a different person bar a rare clerical mix-up: about 1 in 2,000 is
assumed here, which makes a disagreement worth about -11 bits and a match about +17.
"""

NHS_NUMBER = Comparison(
    "nhs_number",
    "NHS number",
    (
        _null("nhs_number", "NHS number missing on one side"),
        Level(
            "exact",
            "Same valid NHS number",
            lambda: cll.ExactMatchLevel("nhs_number"),
            _equal("nhs_number"),
            fixed_m=1.0 - NHS_NUMBER_DISAGREES,
        ),
        Level(
            "different",
            "Different NHS numbers",
            lambda: cll.ElseLevel(),
            _always,
            fixed_m=NHS_NUMBER_DISAGREES,
        ),
    ),
)

CHILD_OR_ADULT = Comparison(
    "child_or_adult",
    "Child or adult",
    (
        _null("role_group", "Not known whether child or adult"),
        Level(
            "exact",
            "Both children or both adults",
            lambda: cll.ExactMatchLevel("role_group"),
            _equal("role_group"),
        ),
        _else("One a child, the other an adult"),
    ),
)

SHARED_CHILD = Comparison(
    "shared_child",
    "A child both are recorded with",
    (
        _null("linked_children", "No linked child on one side"),
        Level(
            "shared",
            "Recorded with the same child",
            lambda: cll.ArrayIntersectLevel("linked_children", 1),
            _arrays_meet("linked_children"),
        ),
        _else("No child in common"),
    ),
)
"""Relational evidence for adults: each side's ``linked_children`` are the persons of
the children its agency records it with, as the first pass of a batch run linked them.
A mother known to a GP at the old address under her maiden name and to a school with no
date of birth still shares her child; the child's own records, linked with near
certainty, carry that over to her. Unknown (the null level, no weight) on the first
pass and in a search, which have no linked children to offer."""

SAME_AGENCY = Comparison(
    "same_agency",
    "Recorded by one agency",
    (
        _null("agency", "Agency not known (a search)"),
        Level(
            "same",
            "Both records held by one agency",
            lambda: cll.ExactMatchLevel("agency"),
            _equal("agency"),
        ),
        _else("Records held by different agencies"),
    ),
)
"""An agency keeps one record per person, so two of its records are two people bar a
duplicate; EM learns how rare those are. This is what tells apart sisters at one school
whose names share a nickname (Ella and Ellie), and a child's two mothers recorded by one
GP, whom names, home and a shared child otherwise make look like one woman."""


def _no_shared_scheme(left: Features, right: Features) -> bool:
    a, b = left.shared_id_schemes, right.shared_id_schemes
    return a is None or b is None or set(a).isdisjoint(b)


SHARED_IDENTIFIER = Comparison(
    "shared_identifier",
    "An identifier agencies share",
    (
        Level(
            "missing",
            "No shared identifier scheme held by both",
            lambda: cll.Or(
                cll.NullLevel("shared_id_schemes"),
                cll.Not(cll.ArrayIntersectLevel("shared_id_schemes", 1)),
            ),
            _no_shared_scheme,
            is_null=True,
        ),
        Level(
            "exact",
            "Same number under a scheme agencies share (such as the UPN)",
            lambda: cll.ArrayIntersectLevel("shared_ids", 1),
            _arrays_meet("shared_ids"),
        ),
        _else("Different numbers under a scheme agencies share"),
    ),
)
"""A UPN (or another shared scheme's number, not the NHS number, which has its own
comparison) held by both records. Its m and u are set, not trained, and come from
``identifiers`` (``identifiers.configure``); a police reference or a local case number
is not a shared scheme and never reaches it."""

COMPARISONS: tuple[Comparison, ...] = (
    GIVEN_NAME,
    FAMILY_NAME,
    DATE_OF_BIRTH,
    ADDRESS,
    SEX,
    NHS_NUMBER,
    CHILD_OR_ADULT,
    SAME_AGENCY,
    SHARED_CHILD,
    SHARED_IDENTIFIER,
)

CONFIGURED: frozenset[str] = frozenset({SHARED_IDENTIFIER.name})
"""Comparisons whose m and u are set from what is known rather than trained: training
leaves them out, and the model gives them their set values when it is used."""

TRAINED_COMPARISONS: tuple[Comparison, ...] = tuple(
    c for c in COMPARISONS if c.name not in CONFIGURED
)


def splink_comparisons(comparisons: Sequence[Comparison] = COMPARISONS) -> list[Any]:
    return [c.splink() for c in comparisons]
