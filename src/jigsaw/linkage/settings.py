"""Splink settings: the person model's and, for comparison, a generic tutorial-style one.

Blocking rules decide which pairs are scored at all, so a true pair no rule
produces can never be linked. These were chosen on the synthetic population by
measuring, for each rule, how many true pairs only it finds (``jigsaw linkage
evaluate`` reports the union's recall):

* NHS number: decisive when both sides have it (health records nearly always do).
* Date of birth with family-name Soundex, with given-name Metaphone, or with the
  postcode district: the same child recorded with a new surname, a nickname, or
  after a move.
* Date of birth day/month swapped, with family-name Soundex (both directions, so
  each is still an equi-join).
* Given name with family-name Soundex, and family name with given-name Metaphone:
  adults whose date of birth the agency never took (schools rarely hold parents'),
  after the family moved, even with a slip in one name. An exact name pair would
  leave a person with a mistyped surname, no date of birth and a mistyped postcode
  with no rule to meet on; the phonetic code of the other name keeps the join an
  equality while tolerating the slips a clerk makes (Maynard and Maymard share
  M563). Each is a superset of exact given and family name.
* Given and family name swapped (one equi-join: each side's given against the other's
  family name).
* The same date of birth with one name written where the other should be, the same
  first two letters of the given name, or the same house number: a record whose
  family name changed and whose given name and postcode were mistyped still shares
  these. The date is the join key; the rest filters the day's few records.
* The same with the date's day and month swapped (both directions): a date keyed the
  other way round as well as a name changed or mistyped, which none of the rules above
  meets when the family name's Soundex differs too ("Preston-Stanley Alexander" and
  "Alexander Preston-Stanley", born on 2 May and on 5 February, at "11 Procto r
  Street"). Screened: true pairs no other rule found / pairs added, FEBRL4-hard seed 1
  6 / 18, seed 2 8 / 18, FEBRL4 0 / 12, FEBRL3 0 / 8, the generator's hard profile
  0 / 21; its pairs on the generator's hard profile, 194, 1,522 and 4,300 at 10,000,
  50,000 and 100,000 records, against 4,070, 21,858 and 47,439 for the exact date's.
* Normalised address: everyone at one address, whatever their names were recorded as.
* House number and street (``street``): one home whatever town, locality or flat name
  the clerk added or left out, and whatever the postcode says.
* The postcode alone, in whatever format it was recorded: a UK postcode holds a few
  dozen people, and the rules that cut it into sector and district only fire on UK
  ones. With the two rules above, every rule that needs an exact date of birth or an
  exact name has another that does not, so no single mistyped field loses a pair.
* The house number and the street name's first letter, with the given name or with the
  family name's Soundex: the same person or family at the same number when the street
  was mistyped ("38 Onslow Sreet", "31 Kennewellp Lace"), written with a locality first
  or as a flat's name, and the postcode was mistyped or left out too. A house number
  alone holds one household in every street; without the letter, a name narrowed that
  only to a number's worth of streets, and the pairs grew with the square of the
  population (4.2 and 9.0 million at half a million records). FEBRL4: 5 of the 14
  true pairs no other rule found, for 351 more candidate pairs (0.6%; 7 for 5,157
  without the letter); FEBRL4 hard 32 of 150 for 252; the generator's hard profile 508.
* The date of birth with the first word of the street's name (``street_name``;
  ``features.house_street_of`` reads it wherever the line puts it, number first or
  last, type word mistyped or not): a person born that day on that street when the
  house number was mistyped too ("58" and "85 barnard circuit") and the names changed
  or were left out. Measured with the screen (``bench/linkage_blocking_screen.py``),
  true pairs no other rule found / candidate pairs added: FEBRL4-hard seed 1 25 / 25,
  seed 2 14 / 14, FEBRL3 15 / 15, FEBRL4 2 / 2, the generator's hard profile 0 / 29.
  Its pairs grow about as the records do while most are one person's two records
  (the generator's hard profile: 3,989, 16,308, 42,479 and 145,385 at 10,000, 40,000,
  100,000 and 300,000 records); those of two people (199, 1,004, 4,279, 31,057) grow
  faster, as a day's records on one street name do when the streets stay the same, so
  the street's name is read whole: "King's Road" is 'kings', not an 's' shared with
  every Queen's Street (5,113 of the two people's pairs at 300,000 before). The house number with
  the street's name word (``house_street``, the issue's "number and first word")
  recovered 22, 16, 10 and 1 more for 100, 98, 42 and 63 pairs, but beyond ``street``
  it joins "12 mill road" with every "12 mill lane": those pairs went from 4,432 to
  317,996 for ten times the records, the square of the population, so it is not a rule.
* Given name with the postcode sector, and family Soundex with given Metaphone and
  year of birth: the last few pairs the others miss.
* A linked child in common (each record's ``linked_children`` exploded, so still an
  equality join): parents whose records share nothing else a rule can join on, a
  changed surname, a stale address and no date of birth. Empty on the first pass of a
  run; the second pass (``relational``) fills it and rescores only those records.

Every rule is an equality join, so the database can hash-join it instead of
comparing every record with every other. The one that grows fastest with the
population is given name + family name (common names meet common names; with the
family name's Soundex rather than its spelling, somewhat more): 2.6
million pairs at 100,000 children for the exact pair, growing with the square of the population, so
some 250 million at a million children. Chunked prediction copes, but it is the
first rule to revisit for a region (add year of birth where it is known).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import splink.comparison_library as cl
from splink import SettingsCreator
from splink.blocking_rule_library import CustomRule, block_on

from jigsaw.linkage.comparisons import TRAINED_COMPARISONS, splink_comparisons


class BlockingRule(Protocol):
    """A rule as ``block_on`` or ``CustomRule`` makes it, ready for any SQL dialect.

    Splink's class for these is private; this names the one thing every rule must
    do, so the lists below are checked without depending on it. Splink takes the
    rules as its own type, so they are handed over as ``Any`` (see ``as_splink``).
    """

    def get_blocking_rule(self, sql_dialect_str: str) -> object: ...


def as_splink(rules: Sequence[BlockingRule | str]) -> list[Any]:
    """The rules typed as Splink's methods take them, which name its private class."""
    return list(rules)


UNIQUE_ID = "unique_id"

DEFAULT_PRIOR = 5e-6


_SAME_HOUSE_NUMBER = "split_part(l.street, ' ', 1) = split_part(r.street, ' ', 1)"
"""The house number that starts ``street`` (``features.house_number_of``), as SQL: an
equality of two expressions, which the engine still hash-joins."""

_SAME_STREET_INITIAL = (
    "left(split_part(l.street, ' ', 2), 1) = left(split_part(r.street, ' ', 2), 1) "
    "AND split_part(l.street, ' ', 2) <> ''"
)
"""The first letter of the street's name (``features.street_initial_of``), as SQL; a
street with no word after the number would otherwise meet every other such street."""


_NAME_OR_HOUSE = (
    "(l.given = r.family OR l.family = r.given OR left(l.given, 2) = left(r.given, 2) "
    f"OR {_SAME_HOUSE_NUMBER})"
)
"""What the rules on a date of birth and on its day/month swap ask besides the date."""


def blocking_rules() -> list[BlockingRule]:
    return [
        block_on("nhs_number"),
        block_on("dob", "family_soundex"),
        block_on("dob", "given_metaphone"),
        block_on("dob", "postcode_district"),
        CustomRule("l.dob = r.dob_swapped AND l.family_soundex = r.family_soundex"),
        CustomRule("l.dob_swapped = r.dob AND l.family_soundex = r.family_soundex"),
        block_on("given", "family_soundex"),
        block_on("family", "given_metaphone"),
        CustomRule("l.given = r.family AND l.family = r.given"),
        CustomRule(f"l.dob = r.dob AND {_NAME_OR_HOUSE}"),
        CustomRule(f"l.dob = r.dob_swapped AND {_NAME_OR_HOUSE}"),
        CustomRule(f"l.dob_swapped = r.dob AND {_NAME_OR_HOUSE}"),
        block_on("address"),
        block_on("street"),
        block_on("postcode"),
        CustomRule(f"l.given = r.given AND {_SAME_HOUSE_NUMBER} AND {_SAME_STREET_INITIAL}"),
        CustomRule(
            f"l.family_soundex = r.family_soundex AND {_SAME_HOUSE_NUMBER} "
            f"AND {_SAME_STREET_INITIAL}"
        ),
        block_on("dob", "street_name"),
        block_on("given", "postcode_sector"),
        block_on("family_soundex", "given_metaphone", "birth_year"),
        block_on("linked_children", arrays_to_explode=["linked_children"]),
    ]


PERSON_IDENTIFIER = "nhs_number"
"""The feature a person holds exactly one value of: clustering never joins two clusters
holding different values without a reviewer (``clustering``)."""


def training_rules() -> list[BlockingRule | str]:
    """EM sessions: each leaves the comparisons it blocks on to be estimated by another.

    Blocking on date of birth estimates names, address, sex and NHS number; blocking
    on given and family name then estimates date of birth (and refines the rest).
    """
    return [block_on("dob"), block_on("given", "family")]


def deterministic_rules() -> list[BlockingRule | str]:
    """Pairs almost certainly the same person, to estimate how common matches are."""
    return [
        "l.nhs_number = r.nhs_number",
        "l.dob = r.dob AND l.given = r.given AND l.family = r.family AND l.postcode = r.postcode",
    ]


def person_settings(prior: float = DEFAULT_PRIOR) -> SettingsCreator:
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name=UNIQUE_ID,
        comparisons=splink_comparisons(TRAINED_COMPARISONS),
        blocking_rules_to_generate_predictions=as_splink(blocking_rules()),
        probability_two_random_records_match=prior,
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
        max_iterations=25,
        em_convergence=0.0001,
    )


def generic_settings(prior: float = DEFAULT_PRIOR) -> SettingsCreator:
    """The configuration Splink's tutorials start from: names, date of birth, postcode.

    Raw recorded values (lower-cased), default comparisons, term-frequency
    adjustment on exact names, and the tutorials' style of blocking. Kept only so
    the evaluation can show what the person model adds.
    """
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name=UNIQUE_ID,
        comparisons=[
            cl.NameComparison("first_name"),
            cl.NameComparison("surname"),
            cl.DateOfBirthComparison("dob", input_is_string=False),
            cl.PostcodeComparison("postcode_raw"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("first_name", "surname"),
            block_on("dob"),
            block_on("postcode_raw"),
        ],
        probability_two_random_records_match=prior,
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )


def generic_training_rules() -> list[BlockingRule | str]:
    return [block_on("dob"), block_on("first_name", "surname")]


def generic_deterministic_rules() -> list[BlockingRule | str]:
    return ["l.first_name = r.first_name AND l.surname = r.surname AND l.dob = r.dob"]
