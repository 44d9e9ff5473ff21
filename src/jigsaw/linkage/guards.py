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

What the rest of the table says settles some of those pairs without a reviewer
(``settled_across_agencies``). Twins are known to the agencies that hold them as two
children: a GP, a school or a health visitor keeps both on its list at once, and
health records know each by their own NHS number. So where no agency holds two
records of that birth with plainly different given names and the birth's records
hold no two NHS numbers nor two UPNs with none in common (``TWIN_RECORDS_TABLE``),
the table shows no twins. Then a pair the cap would hold (the same birthday, not
recorded with different sexes, no NHS number on a side, given names plainly
different) that is two agencies' records, born on exactly the same date, agreeing on
the family name and not holding different numbers under a shared scheme (UPNs), is
more likely one child whose name one agency recorded otherwise (a middle name, a name
changed, a sibling's typed by mistake) than twins whom no agency has ever seen
together. Nothing else is asked of it: not the home, which one child's records at
two agencies often hold differently, and which the model weighs as for any pair.
Such a pair keeps its weight. Within one agency, where the table shows two children
of that birth, or for a search (which holds no table and comes from no agency), the
cap stands. The relaxation rests on the agencies that hold whole families (GPs,
schools) being loaded, or on NHS numbers and UPNs: twins each known to one agency
only, with no NHS number, no UPN on both sides and no sex recorded apart, would be
linked.

The same double counting runs the other way across generations: a father and the son
named after him share a given name as well as the family name and the home, and
differ only in date of birth. Once a wrong date of birth costs what it does in real
records (``training.REALISTIC_M_FLOORS``) rather than a veto, such a pair would link;
so a pair of one family name at one home whose dates of birth say two birthdays
(``two_birthdays_at_home``) is left to a reviewer (``REVIEW_CAP``) unless the NHS
numbers agree.

A name found across the two fields (``crossed``: Rachel Dinnison and "Kersalke Rachel")
is read as the family name two siblings share, one of whose records was entered the
wrong way round, unless the run's records say the name is a given name: recorded as one
at least ``GIVEN_NAME_LEAST`` times and ``GIVEN_NAME_MAJORITY`` times as often as a
family name (``given_names_sql``). Then it is one person's given name, with the other
record's family name changed since, and the pair is scored on its evidence
(``crossed_given_pairs_sql``) unless the two were born on one day or share a child,
where twins or parents with a family name that is also a given name look the same; a
different sex, the home and the NHS number are still asked. A search has no table to
ask and guards such a pair as a household's.

A pair with nothing personal to compare (``nothing_to_tell``: no given name on one
side or only an initial, no date of birth on one side, and no NHS number nor shared
identifier in common) is held for a reviewer (``REVIEW_CAP``) where the run's records
show two people of that family name at either record's home (``household_records_sql``).
Such a pair is told only by the family name, the home and the sex, which every brother
or sister of one sex shares: "a Gill girl at Flat 5" is any of the Gill girls there, and
"J. Gill" any of its J's (a sex recorded apart is
the twin guard's, as for any family pair). The household may be shown by any two people
of the name there, a mother and her son as well as two sisters. Where the records hold
one person of that name at the home, the family name and the home are the evidence the
model weighs, and the pair keeps its weight. A search, which has no table to ask,
holds such a pair for a reviewer.

A record with no given name (or only an initial) born on the day of twins is either
twin (``unnamed_at_twins_birth``): "the Khan baby born 9 March" from a maternity record, beside
a school's Amelia and Isla Khan. The date, the family name and the home agree with both,
so without a cap it would link to each, and clustering would join the twins through it.
Where the run's twins table flags either record's birth (``TWIN_RECORDS_TABLE``), such
a pair with no NHS number nor shared identifier in common waits for a reviewer
(``REVIEW_CAP``); a search, with no table, holds every such pair. The table errs on the
safe side: it also flags a child one agency holds twice under two given names, and
children of one birthday and one family Soundex elsewhere with numbers of their own, so
some single children's nameless records wait too (in the generator's records about one
in a hundred pairs born on one day, were one of them nameless). It shares the twins'
relaxation's limit (``settled_across_agencies``): twins each known to one agency only,
with no NHS number nor UPN, flag nothing, and a nameless record joins them as their own
pair already does.
"""

# ruff: noqa: S608 - SQL here is assembled from the comparisons' own level SQL and
# this package's table names, never from input.

from __future__ import annotations

from collections.abc import Mapping

from jigsaw.linkage import comparisons
from jigsaw.linkage.comparisons import (
    ADDRESS,
    CROSSED_NEAR_SQL,
    DATE_OF_BIRTH,
    FAMILY_NAME,
    GIVEN_NAME,
    NHS_NUMBER,
    SAME_AGENCY,
    SEX,
    SHARED_CHILD,
    SHARED_IDENTIFIER,
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
TWIN_GIVEN_LEVELS = frozenset({"different", "loosely_similar", "crossed"})
"""``crossed`` is one record's family name found as the other's given name, the other
name differing: with the names swapped on one record, that is a shared family name and
two given names, as twins one of whose records was entered the wrong way round show."""
CROSSED = "crossed"
"""The ``given_name`` level on which the family name is shared across the two fields."""
TWIN_SEX_LEVELS = frozenset({"different"})
"""A different recorded sex marks a family pair as two people as plainly as a different
name: a mother and father whose names sound alike (Jo and Joe)."""
HOME_LEVELS = frozenset({"same_address", "same_street", "similar_address"})
"""Levels of ``address`` that put a pair in one home: a mistyped address line with the
postcode agreeing is the same home as an exact one, and so the same household."""
FAMILY_LEVELS = frozenset({"shared"})
"""Levels of ``shared_child`` that put a pair in one family, as a shared home does."""
FAMILY_NAME_AGREES = frozenset({"exact", "part", "similar", "typo", "sounds_alike"})
"""Levels of ``family_name`` on which a pair agrees on the family (twins share one): a
pair whose family names differ as well as its given names is not settled without a
reviewer, however the rest agrees."""
ACROSS_AGENCIES = "different"
"""The ``same_agency`` level of two agencies' records."""
NUMBERS_DIFFER = "different"
"""The ``shared_identifier`` level of two records holding numbers under one shared
scheme (UPNs), none the same: two children as plainly as two NHS numbers, so such a
pair is never settled without a reviewer."""
TWO_BIRTHDAYS_DOB_LEVELS = frozenset({"two_slips", "same_year", "different"})
"""Levels of ``date_of_birth`` that say two birthdays rather than one date keyed with a
slip (one digit, a day out, day and month swapped)."""
HOUSEHOLD_NAME_LEVELS = FAMILY_NAME_AGREES | {"swapped"}
"""Levels of ``family_name`` that share one family name for ``two_birthdays_at_home``:
with given and family names entered the wrong way round the family name is still
shared, and the model weighs the swap as exact agreement on both names."""
TWIN_RECORDS_TABLE = "jigsaw_twin_records"
"""Records of a birth the table shows to be two children (``twin_records_sql``)."""
GIVEN_NAMES_TABLE = "jigsaw_given_names"
"""Names the table records as given names far more often than as family names
(``given_names_sql``)."""
HOUSEHOLD_RECORDS_TABLE = "jigsaw_household_records"
"""Records at a home the table shows two people of their family name at
(``household_records_sql``)."""
HOME_KEYS = ("postcode", "house_street")
"""The records' columns that, with the family name's Soundex, place a household's home."""
NOTHING_TO_TELL_MISSING = (GIVEN_NAME, DATE_OF_BIRTH)
"""The comparisons a pair ``nothing_to_tell`` cannot make: the details that tell the
members of one household apart."""
INITIAL = comparisons.INITIAL.key
"""The ``given_name`` level of a name written as its initial."""
UNTOLD_GIVEN_LEVELS = frozenset({"missing", INITIAL})
"""Levels of ``given_name`` that tell nothing of which member of a household a record is:
no given name on a side, or one written as an initial (``comparisons.INITIAL``), which
"J." shares with Jack, James and their father John alike."""
UNTOLD_LEVELS = {GIVEN_NAME.name: UNTOLD_GIVEN_LEVELS, DATE_OF_BIRTH.name: frozenset({"missing"})}
"""For each of ``NOTHING_TO_TELL_MISSING``, the levels on which it tells nothing."""
NUMBERS_IN_COMMON = "exact"
"""The level of ``nhs_number`` and ``shared_identifier`` on which two records hold one
number: one person, whatever else is missing."""
GIVEN_NAME_MAJORITY = 3
"""How many times more often a name must be recorded as a given name than as a family
name to be read as one (Rachel, not Smith or Lodge)."""
GIVEN_NAME_LEAST = 3
"""How often at the least it must be recorded as a given name: a name met once or
twice says nothing about which field it belongs in."""


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


def two_birthdays_at_home(levels: Mapping[str, str]) -> bool:
    """One family name at one home (or with one child) and two birthdays: a father and
    the son named after him, brothers or sisters born a year or so apart whose names
    share a nickname, or one person whose date of birth was keyed wrong (another family
    member's date, a date of registration). The family name and the home, which the
    model counts as independent evidence, are what every member of a household shares,
    so nothing recorded tells the two readings apart: such a pair is never linked
    without a reviewer (``REVIEW_CAP``). The realistic m floors in training
    (``training.REALISTIC_M_FLOORS``) let a wrong date of birth cost what it does in
    English records rather than a veto; this is what keeps a household's generations
    apart once it does. Settled only by the NHS number."""
    return (
        levels.get(DATE_OF_BIRTH.name) in TWO_BIRTHDAYS_DOB_LEVELS
        and (
            levels.get(FAMILY_NAME.name) in HOUSEHOLD_NAME_LEVELS
            or levels.get(GIVEN_NAME.name) == CROSSED
        )
        and (
            levels.get(ADDRESS.name) in HOME_LEVELS
            or levels.get(SHARED_CHILD.name) in FAMILY_LEVELS
        )
        and levels.get(NHS_NUMBER.name) != "exact"
    )


def left_to_review(levels: Mapping[str, str]) -> bool:
    """A twin-like pair nothing recorded can settle: born the same day, not recorded
    with different sexes, and no NHS number on one side (``REVIEW_CAP``)."""
    return (
        levels.get(DATE_OF_BIRTH.name) in TWIN_DOB_LEVELS
        and levels.get(SEX.name) not in TWIN_SEX_LEVELS
        and levels.get(NHS_NUMBER.name) == "missing"
    )


def settled_across_agencies(levels: Mapping[str, str], *, twins_known: bool) -> bool:
    """A pair ``left_to_review`` that the table settles: two agencies' records of one
    exact date of birth agreeing on the family name, whatever their homes, where the
    table shows no twins of that birth (``twins_known`` is false for both records).
    The guard then leaves its weight as the model scored it. A date one digit or a
    swap apart is left to the reviewer: with the given name wholly different too that
    is two slips in one record, against a brother or sister born on the same day of
    another year. So is a pair holding
    different UPNs (``NUMBERS_DIFFER``): each twin has their own."""
    return (
        not twins_known
        and levels.get(DATE_OF_BIRTH.name) == "exact"
        and levels.get(SAME_AGENCY.name) == ACROSS_AGENCIES
        and (
            levels.get(FAMILY_NAME.name) in FAMILY_NAME_AGREES
            or levels.get(GIVEN_NAME.name) == CROSSED
        )
        and levels.get(SHARED_IDENTIFIER.name) != NUMBERS_DIFFER
        and left_to_review(levels)
    )


def nothing_to_tell(levels: Mapping[str, str]) -> bool:
    """Neither the given names nor the dates of birth can be compared (one is missing on
    either side, or a given name is only an initial), and no NHS number nor shared
    identifier is held in common: what is left (the family name, the home, the sex, a
    first letter) is what a household's brothers or sisters share."""
    return all(levels.get(name) in told for name, told in UNTOLD_LEVELS.items()) and all(
        levels.get(c.name) != NUMBERS_IN_COMMON for c in (NHS_NUMBER, SHARED_IDENTIFIER)
    )


def unnamed_at_twins_birth(levels: Mapping[str, str]) -> bool:
    """No given name on one side, or only an initial, born on one day (or dates a slip
    apart), and no NHS number nor shared identifier in common: at a birth of twins,
    either twin."""
    return (
        levels.get(GIVEN_NAME.name) in UNTOLD_GIVEN_LEVELS
        and levels.get(DATE_OF_BIRTH.name) in TWIN_DOB_LEVELS
        and all(levels.get(c.name) != NUMBERS_IN_COMMON for c in (NHS_NUMBER, SHARED_IDENTIFIER))
    )


def guarded_weight(
    weight: float,
    levels: Mapping[str, str],
    *,
    twins_known: bool = True,
    household_known: bool = True,
) -> float:
    """The pair's match weight once the guard has looked at it.

    ``twins_known`` is whether either record's birth is one an agency holds twins of
    (``TWIN_RECORDS_TABLE``), and ``household_known`` whether either record's home holds
    two people of its family name (``HOUSEHOLD_RECORDS_TABLE``); without the tables to
    ask, as in a search, assume so."""
    guarded = _twin_guarded(weight, levels, twins_known=twins_known)
    if (household_known and nothing_to_tell(levels)) or (
        twins_known and unnamed_at_twins_birth(levels)
    ):
        return min(guarded, REVIEW_CAP)
    return guarded


def _twin_guarded(weight: float, levels: Mapping[str, str], *, twins_known: bool) -> float:
    two_birthdays = two_birthdays_at_home(levels)
    if not is_twin_like(levels) or settled_across_agencies(levels, twins_known=twins_known):
        return min(weight, REVIEW_CAP) if two_birthdays else weight
    if left_to_review(levels):
        return min(weight, REVIEW_CAP)
    # A household's pair twin-like by its home (a mother and daughter) takes the penalty,
    # and, having two birthdays, the cap as well: never linked without a reviewer.
    return min(weight - TWIN_PENALTY, REVIEW_CAP) if two_birthdays else weight - TWIN_PENALTY


_RECORD_COLUMNS = (
    "given_names", "given_metaphone", "given", "names", "family", "dob_swapped", "dob",
    "birth_year", "sex",
)  # fmt: skip
"""The records table's columns the level SQL of ``_level_condition``'s comparisons reads."""


def _level_condition(
    comparison: Comparison, level_keys: frozenset[str], left: str, right: str
) -> str:
    """SQL that two records fall on one of ``level_keys`` of ``comparison`` (the
    comparison's own level SQL, first level that holds wins), written over two aliases
    of the records table rather than a pair's columns. A level whose SQL is NULL for the
    pair (a NULL column in a comparison) does not hold, as in the CASE Splink builds."""
    conditions = [
        level.sql_condition
        if level.sql_condition == "ELSE"
        else f"coalesce(({level.sql_condition}), FALSE)"
        for level in comparison.splink().get_comparison("duckdb").comparison_levels
    ]
    held: list[str] = []
    earlier: list[str] = []
    for level, sql in zip(comparison.levels, conditions, strict=True):
        if level.key in level_keys:
            ahead = " OR ".join(f"({c})" for c in earlier)
            held.append(f"NOT ({ahead})" if sql == "ELSE" else f"({sql}) AND NOT ({ahead})")
        if sql != "ELSE":
            earlier.append(sql)
    condition = " OR ".join(f"({h})" for h in held)
    for column in _RECORD_COLUMNS:
        condition = condition.replace(f'"{column}_l"', f"{left}.{column}").replace(
            f'"{column}_r"', f"{right}.{column}"
        )
    return condition


def twin_records_sql(records_table: str) -> str:
    """Create ``TWIN_RECORDS_TABLE``: every record of a birth the table shows to be two
    children. A birth is the date of birth with the family name (Soundex) or with the
    postcode, since one twin's record may carry another surname (a parent's, a new
    one) while the home is the same. Two children show where one agency holds two
    records of the birth with plainly different given names, or one of them only an
    initial (an agency holds one record of a child: "J." beside its James is Jack, his
    twin), or where the birth's
    records hold two different valid NHS numbers (a GP practice or another health
    record knows each twin by their own), or two of its records hold numbers under one
    shared scheme with none in common (twins at two schools, each with their own UPN;
    a record holding a child's temporary UPN beside the permanent one still meets
    another holding either)."""
    different = _level_condition(GIVEN_NAME, TWIN_GIVEN_LEVELS | {INITIAL}, "a", "b")
    seen_twice = (
        f"SELECT a.dob, a.{{key}} AS value FROM {records_table} a JOIN {records_table} b "
        "ON a.agency = b.agency AND a.dob = b.dob AND a.{key} = b.{key} "
        f"AND a.unique_id < b.unique_id WHERE {different}"
    )
    numbered = (
        f"SELECT dob, {{key}} AS value FROM {records_table} "
        "WHERE dob IS NOT NULL AND {key} IS NOT NULL AND nhs_number IS NOT NULL "
        "GROUP BY dob, {key} HAVING count(DISTINCT nhs_number) >= 2"
    )
    own_numbers = (
        f"SELECT a.dob, a.{{key}} AS value FROM {records_table} a JOIN {records_table} b "
        "ON a.dob = b.dob AND a.{key} = b.{key} AND a.unique_id < b.unique_id "
        "WHERE a.shared_ids IS NOT NULL AND b.shared_ids IS NOT NULL "
        "AND list_has_any(a.shared_id_schemes, b.shared_id_schemes) "
        "AND NOT list_has_any(a.shared_ids, b.shared_ids)"
    )
    births = {
        key: " UNION ".join(sql.format(key=key) for sql in (seen_twice, numbered, own_numbers))
        for key in ("family_soundex", "postcode")
    }
    return f"CREATE OR REPLACE TABLE {TWIN_RECORDS_TABLE} AS " + " UNION ".join(
        f"SELECT r.unique_id FROM {records_table} r "
        f"JOIN ({sql}) births ON r.dob = births.dob AND r.{key} = births.value"
        for key, sql in births.items()
    )


def given_names_sql(records_table: str) -> str:
    """Create ``GIVEN_NAMES_TABLE``: the names the run's records hold as given names at
    least ``GIVEN_NAME_LEAST`` times and ``GIVEN_NAME_MAJORITY`` times as often as family
    names.

    A name found across the two fields (``crossed``) is shared either way: one person's
    given name with the other record's names swapped and its family name changed ("Rachel
    Dinnison" and "Kersalke Rachel"), or the family name of two siblings one of whose
    records was swapped ("Lodge Adele" and "Gillian Lodge"). Which field the name belongs
    in says which, and the records themselves say it: Rachel is a given name in hundreds
    of them, Lodge a family name. The nickname table was tried and does not say it (it
    knows Smith and Webb, not Natalia or Kelsey)."""
    return (
        f"CREATE OR REPLACE TABLE {GIVEN_NAMES_TABLE} AS "
        "SELECT name FROM ("
        f"SELECT given AS name, 1 AS as_given, 0 AS as_family FROM {records_table} "
        "WHERE given IS NOT NULL "
        f"UNION ALL SELECT family, 0, 1 FROM {records_table} WHERE family IS NOT NULL"
        ") GROUP BY name "
        f"HAVING sum(as_given) >= {GIVEN_NAME_LEAST} "
        f"AND sum(as_given) >= {GIVEN_NAME_MAJORITY} * sum(as_family)"
    )


def household_records_sql(records_table: str) -> str:
    """Create ``HOUSEHOLD_RECORDS_TABLE``: every record at a home where the table holds two
    people of its family name. A home is the family name (Soundex) with the postcode or
    with the house number and the street's name (``features.house_street_of``: one home
    whatever flat, locality or country the line adds). Two people show where two of its
    records hold plainly different given names (``TWIN_GIVEN_LEVELS``), are a child's and
    an adult's (a parent "J. Webb" and a son James), or hold given names and say two
    birthdays (``TWO_BIRTHDAYS_DOB_LEVELS``) or two sexes: sisters whose names are alike
    (Ella and Ellie) as well as brothers named Oliver and Harry.
    One person's records whose given name was mistyped, shortened, spelled otherwise or
    written as its initial (Amy and Aym, Tom and Thomas, J and James) show no household;
    those recorded under a middle name or a placeholder ("Baby") do, and their pairs with
    nothing to tell then wait for a reviewer, the safe side of the mistake.

    Made once per workspace (``IF NOT EXISTS``): it reads only what a run never changes
    in its records (names, births, sexes, homes), and comparing the names and births of
    every pair at one home is the guard's dearest step (19 s of a 264 s run over the
    generator's 512,540 records, against under a second for ``twin_records_sql``)."""
    plainly_different = _level_condition(GIVEN_NAME, TWIN_GIVEN_LEVELS, "a", "b")
    child_and_adult = "a.role_group <> b.role_group"
    both_named = "a.given IS NOT NULL AND b.given IS NOT NULL"
    two_birthdays = _level_condition(DATE_OF_BIRTH, TWO_BIRTHDAYS_DOB_LEVELS, "a", "b")
    two_sexes = _level_condition(SEX, TWIN_SEX_LEVELS, "a", "b")
    homes = (
        f"SELECT DISTINCT a.family_soundex, a.{{key}} AS value FROM {records_table} a "
        f"JOIN {records_table} b ON a.family_soundex = b.family_soundex "
        "AND a.{key} = b.{key} AND a.unique_id < b.unique_id "
        f"WHERE ({plainly_different}) OR ({child_and_adult}) OR ({both_named} "
        f"AND (({two_birthdays}) OR ({two_sexes})))"
    )
    return f"CREATE TABLE IF NOT EXISTS {HOUSEHOLD_RECORDS_TABLE} AS " + " UNION ".join(
        f"SELECT r.unique_id FROM {records_table} r "
        f"JOIN ({homes.format(key=key)}) homes "
        f"ON r.family_soundex = homes.family_soundex AND r.{key} = homes.value"
        for key in HOME_KEYS
    )


ONE_PERSON_TABLE = "jigsaw_crossed_given_pairs"
"""Edges whose name found across the fields is a given name (``crossed_given_pairs_sql``)."""

_PAIR_KEY = "(CAST({p}id_l AS HUGEINT) * 18446744073709551616 + {p}id_r)"
"""One number per pair of record ids, so a set of pairs is looked up as one hash join."""


def crossed_given_pairs_sql(edges_table: str, records_table: str) -> str:
    """Create ``ONE_PERSON_TABLE``: the ``crossed`` edges whose name found across the
    fields is, by ``GIVEN_NAMES_TABLE``, a given name, whose family names do not
    otherwise agree, who were not born on one day and are not recorded with one child:
    read so, their given names agree. Twins and parents stay guarded whatever name was
    crossed: a family name that is also a given name (Harry James and his twin Oliver, or
    Sarah James and her husband Oliver, taken down as "James Oliver") is crossed as a
    given name would be. The guard uses it only for the given name's part of its rules:
    a different sex, the home and the NHS number are asked as for any pair. Made once per
    guard pass, so the guard's condition is a plain look-up rather than a join per edge."""
    crossed = _gammas(GIVEN_NAME, frozenset({CROSSED}))[0]
    agrees = ", ".join(str(g) for g in _gammas(FAMILY_NAME, HOUSEHOLD_NAME_LEVELS))
    born_together = ", ".join(str(g) for g in _gammas(DATE_OF_BIRTH, TWIN_DOB_LEVELS))
    child_in_common = ", ".join(str(g) for g in _gammas(SHARED_CHILD, FAMILY_LEVELS))
    given_names = f"SELECT name FROM {GIVEN_NAMES_TABLE}"
    one_way = (
        CROSSED_NEAR_SQL.format(a="l.given", b="r.family") + f" AND l.given IN ({given_names})"
    )
    other_way = (
        CROSSED_NEAR_SQL.format(a="l.family", b="r.given") + f" AND r.given IN ({given_names})"
    )
    return (
        f"CREATE OR REPLACE TABLE {ONE_PERSON_TABLE} AS "
        f"SELECT {_PAIR_KEY.format(p='e.')} AS pair_key FROM {edges_table} e "
        f"JOIN {records_table} l ON l.unique_id = e.id_l "
        f"JOIN {records_table} r ON r.unique_id = e.id_r "
        f"WHERE e.gamma_{GIVEN_NAME.name} = {crossed} "
        f"AND e.gamma_{FAMILY_NAME.name} NOT IN ({agrees}) "
        f"AND e.gamma_{DATE_OF_BIRTH.name} NOT IN ({born_together}) "
        f"AND e.gamma_{SHARED_CHILD.name} NOT IN ({child_in_common}) "
        f"AND (({one_way}) OR ({other_way}))"
    )


def guard_sql(twin_records: str | None = None, *, one_person: str | None = None) -> tuple[str, str]:
    """The same rules over Splink's comparison vector columns: the condition for a pair
    to be guarded (twin-like, or ``two_birthdays_at_home``), and its guarded
    ``match_weight`` as an SQL expression.

    ``twin_records`` names a table of the records whose birth an agency holds twins of
    (``twin_records_sql``); with none, every pair is taken as possibly twins. For a pair
    in ``one_person`` (``crossed_given_pairs_sql``: a ``crossed`` pair whose shared name
    the run's records hold as a given name) the crossed name no longer counts as two
    given names nor as a shared family name; the rest of the rules stand. A search, with
    no table to ask, counts it as both. ``nothing_to_tell_sql`` is applied after it."""
    dob = ", ".join(str(g) for g in _gammas(DATE_OF_BIRTH, TWIN_DOB_LEVELS))
    given = ", ".join(str(g) for g in _gammas(GIVEN_NAME, TWIN_GIVEN_LEVELS))
    sex = ", ".join(str(g) for g in _gammas(SEX, TWIN_SEX_LEVELS))
    home = ", ".join(str(g) for g in _gammas(ADDRESS, HOME_LEVELS))
    family = ", ".join(str(g) for g in _gammas(SHARED_CHILD, FAMILY_LEVELS))
    nhs_exact = _gammas(NHS_NUMBER, frozenset({"exact"}))[0]
    nhs_missing = _gammas(NHS_NUMBER, frozenset({"missing"}))[0]
    # A pair in ``one_person`` has its crossed name read as a given name: that alone no
    # longer makes it a household's, but a different sex, a child in common, the home
    # and the NHS number are asked as for any pair.
    read_as_given = (
        "FALSE"
        if one_person is None
        else f"{_PAIR_KEY.format(p='')} IN (SELECT pair_key FROM {one_person})"
    )
    condition = (
        f"((gamma_{GIVEN_NAME.name} IN ({given}) AND NOT ({read_as_given})) "
        f"OR gamma_{SEX.name} IN ({sex})) "
        f"AND gamma_{NHS_NUMBER.name} <> {nhs_exact} "
        f"AND (gamma_{DATE_OF_BIRTH.name} IN ({dob}) OR gamma_{ADDRESS.name} IN ({home}) "
        f"OR gamma_{SHARED_CHILD.name} IN ({family}))"
    )
    review = (
        f"gamma_{DATE_OF_BIRTH.name} IN ({dob}) AND gamma_{SEX.name} NOT IN ({sex}) "
        f"AND gamma_{NHS_NUMBER.name} = {nhs_missing}"
    )
    if twin_records is not None:
        across = _gammas(SAME_AGENCY, frozenset({ACROSS_AGENCIES}))[0]
        agrees = ", ".join(str(g) for g in _gammas(FAMILY_NAME, FAMILY_NAME_AGREES))
        crossed = _gammas(GIVEN_NAME, frozenset({CROSSED}))[0]
        exact_dob = _gammas(DATE_OF_BIRTH, frozenset({"exact"}))[0]
        numbers_differ = _gammas(SHARED_IDENTIFIER, frozenset({NUMBERS_DIFFER}))[0]
        settled = (
            f"({review}) AND gamma_{DATE_OF_BIRTH.name} = {exact_dob} "
            f"AND gamma_{SAME_AGENCY.name} = {across} "
            f"AND (gamma_{FAMILY_NAME.name} IN ({agrees}) "
            f"OR gamma_{GIVEN_NAME.name} = {crossed}) "
            f"AND gamma_{SHARED_IDENTIFIER.name} <> {numbers_differ} "
            f"AND id_l NOT IN (SELECT unique_id FROM {twin_records}) "
            f"AND id_r NOT IN (SELECT unique_id FROM {twin_records})"
        )
        condition = f"({condition}) AND NOT ({settled})"
    two_birthdays = _two_birthdays_sql(read_as_given)
    weight = (
        f"CASE WHEN NOT ({condition}) THEN least(match_weight, {REVIEW_CAP}) "
        f"WHEN {review} THEN least(match_weight, {REVIEW_CAP}) "
        f"WHEN ({two_birthdays}) THEN least(match_weight - {TWIN_PENALTY}, {REVIEW_CAP}) "
        f"ELSE match_weight - {TWIN_PENALTY} END"
    )
    return f"({condition}) OR ({two_birthdays})", weight


def nothing_to_tell_sql(household_records: str | None = None) -> str:
    """``nothing_to_tell`` over the comparison vector columns, for a pair either of whose
    records is in ``household_records`` (``household_records_sql``), or, with no such
    table, for every such pair: the pairs ``guarded_weight`` caps at ``REVIEW_CAP`` after
    the twin guard, which ``guard_sql`` is."""
    untold = [
        f"gamma_{c.name} IN ({', '.join(str(g) for g in _gammas(c, UNTOLD_LEVELS[c.name]))})"
        for c in NOTHING_TO_TELL_MISSING
    ]
    return _capped_sql(untold, household_records)


def unnamed_at_twins_birth_sql(twin_records: str | None = None) -> str:
    """``unnamed_at_twins_birth`` over the comparison vector columns, for a pair either of
    whose records is in ``twin_records`` (``twin_records_sql``), or, with no such table,
    for every such pair: capped at ``REVIEW_CAP`` with ``nothing_to_tell_sql``."""
    untold = ", ".join(str(g) for g in _gammas(GIVEN_NAME, UNTOLD_GIVEN_LEVELS))
    born_together = ", ".join(str(g) for g in _gammas(DATE_OF_BIRTH, TWIN_DOB_LEVELS))
    return _capped_sql(
        [
            f"gamma_{GIVEN_NAME.name} IN ({untold})",
            f"gamma_{DATE_OF_BIRTH.name} IN ({born_together})",
        ],
        twin_records,
    )


def _capped_sql(conditions: list[str], records: str | None) -> str:
    """``conditions``, no NHS number nor shared identifier in common, and either record in
    the table ``records`` where one is named: a pair one of the caps holds."""
    numbers = [
        f"gamma_{c.name} <> {_gammas(c, frozenset({NUMBERS_IN_COMMON}))[0]}"
        for c in (NHS_NUMBER, SHARED_IDENTIFIER)
    ]
    either = (
        []
        if records is None
        else [
            f"(id_l IN (SELECT unique_id FROM {records}) "
            f"OR id_r IN (SELECT unique_id FROM {records}))"
        ]
    )
    return "(" + " AND ".join([*conditions, *numbers, *either]) + ")"


def _two_birthdays_sql(read_as_given: str = "FALSE") -> str:
    """``two_birthdays_at_home`` over the comparison vector columns; a crossed name counts
    as a shared family name unless ``read_as_given`` holds for the pair."""
    dob = ", ".join(str(g) for g in _gammas(DATE_OF_BIRTH, TWO_BIRTHDAYS_DOB_LEVELS))
    agrees = ", ".join(str(g) for g in _gammas(FAMILY_NAME, HOUSEHOLD_NAME_LEVELS))
    crossed = _gammas(GIVEN_NAME, frozenset({CROSSED}))[0]
    home = ", ".join(str(g) for g in _gammas(ADDRESS, HOME_LEVELS))
    family = ", ".join(str(g) for g in _gammas(SHARED_CHILD, FAMILY_LEVELS))
    nhs_exact = _gammas(NHS_NUMBER, frozenset({"exact"}))[0]
    return (
        f"gamma_{DATE_OF_BIRTH.name} IN ({dob}) "
        f"AND (gamma_{FAMILY_NAME.name} IN ({agrees}) "
        f"OR (gamma_{GIVEN_NAME.name} = {crossed} AND NOT ({read_as_given}))) "
        f"AND (gamma_{ADDRESS.name} IN ({home}) OR gamma_{SHARED_CHILD.name} IN ({family})) "
        f"AND gamma_{NHS_NUMBER.name} <> {nhs_exact}"
    )
