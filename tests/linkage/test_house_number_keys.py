"""The house-number blocking rules, batch and online: the same person or family at the
same house number is compared, and found by a search, when the street and postcode
were both mistyped (``settings.blocking_rules``, ``online.CANDIDATE_KEYS``, migration
0036)."""

from __future__ import annotations

import dataclasses
from datetime import date

from sqlalchemy import select

from jigsaw.db import Database
from jigsaw.linkage.batch import RunSummary
from jigsaw.linkage.features import PersonDetails, features_of, street_initial_of
from jigsaw.linkage.online import (
    CANDIDATE_KEYS,
    MAX_CANDIDATES,
    candidate_records,
    find_candidates,
    keys_for,
)
from jigsaw.synthetic.models import SyntheticTruth
from tests.linkage.helpers import (
    assert_migration_adds_and_removes_indexes,
    index_records,
    only_key,
)
from tests.linkage.test_online import _true_children

Linked = tuple[Database, RunSummary]

INDEXES = {"ix_match_keys_given_house_number", "ix_match_keys_family_soundex_house_number"}


def _records_of(db: Database, key: str) -> set[int]:
    with db.reading() as session:
        return set(
            session.scalars(
                select(SyntheticTruth.agency_record_id).where(SyntheticTruth.true_person_key == key)
            )
        )


def _mistyped_street(line: str, initial: str | None = None) -> str:
    """The house number and the street's first letter kept (or the letter ``initial``
    put in its place), every word of the street after it misspelled."""
    number, first, *rest = line.split(",")[0].split(" ")
    first = (initial or first[0]) + first[1:][::-1] + "x"
    return " ".join([number, first, *(word[::-1] + "x" for word in rest)])


def test_the_given_name_at_the_same_house_number_brings_the_record_in(
    linked_once: Linked,
) -> None:
    """A changed surname, no date of birth, no postcode and a mistyped street: only the
    given name and the house number are left, and they are enough to be compared."""
    db, _summary = linked_once
    key, given, _family, _dob, _sex, _postcode, line = _true_children()[0]
    details = PersonDetails(given_name=given, family_name="Zzyzx", address=_mistyped_street(line))
    alone, others = only_key(db, details, "given_house")
    own = _records_of(db, key)
    assert own & alone
    assert not own & others, "another key brings it in: the test shows nothing of this one"
    assert own & candidate_records(db, details)


def test_the_same_house_number_in_a_street_of_another_letter_is_not_looked_up(
    linked_once: Linked,
) -> None:
    """The rules ask for the street's first letter too (``settings._SAME_STREET_INITIAL``):
    number 12 of every street in the region is not one home."""
    db, _summary = linked_once
    key, given, family, _dob, _sex, _postcode, line = _true_children()[0]
    street = line.split(",")[0].split(" ")
    other = "q" if street[1][0].lower() != "q" else "z"
    own = _records_of(db, key)
    for name, details in (
        ("given_house", PersonDetails(given_name=given, family_name="Zzyzx")),
        ("family_house", PersonDetails(given_name="Qxbert", family_name=family)),
    ):
        same = dataclasses.replace(details, address=_mistyped_street(line))
        moved = dataclasses.replace(details, address=_mistyped_street(line, other))
        assert own & only_key(db, same, name)[0], name
        alone, _others = only_key(db, moved, name)
        assert not own & alone, name


def test_a_street_without_a_name_after_its_number_makes_no_house_number_look_up() -> None:
    """Without a letter to compare, the key would join every such street's number 12;
    ``street_of`` makes none such, and the key would not use one."""
    assert street_initial_of("12 mill road") == "m"
    assert street_initial_of("12") is None
    assert street_initial_of(None) is None
    search = features_of(PersonDetails(given_name="Ada", family_name="Quill", address="12"))
    assert not {key.name for key in keys_for(search)} & {"given_house", "family_house"}


def test_the_family_name_sound_at_the_same_house_number_brings_the_record_in(
    linked_once: Linked,
) -> None:
    """A nickname nobody lists, the surname misspelled to the same Soundex, no date of
    birth or postcode and a mistyped street: the family at that number is compared."""
    db, _summary = linked_once
    key, _given, family, _dob, _sex, _postcode, line = _true_children()[0]
    misspelled = family[0] + family[1:].replace("a", "e").replace("o", "u") + "h"
    assert features_of(PersonDetails(family_name=misspelled)).family_soundex == (
        features_of(PersonDetails(family_name=family)).family_soundex
    )
    details = PersonDetails(
        given_name="Qxbert", family_name=misspelled, address=_mistyped_street(line)
    )
    alone, others = only_key(db, details, "family_house")
    own = _records_of(db, key)
    assert own & alone
    assert not own & others, "another key brings it in: the test shows nothing of this one"


def test_a_search_without_an_address_makes_no_house_number_look_up() -> None:
    search = features_of(
        PersonDetails(given_name="Ada", family_name="Quill", date_of_birth=date(2015, 3, 4))
    )
    assert not {key.name for key in keys_for(search)} & {"given_house", "family_house"}
    with_address = features_of(
        PersonDetails(given_name="Ada", family_name="Quill", address="Flat 2, 12a Mill Rd")
    )
    assert {"given_house", "family_house"} <= {key.name for key in keys_for(with_address)}
    assert {k.name for k in CANDIDATE_KEYS} >= {"given_house", "family_house"}


def test_a_common_surname_at_a_common_number_cannot_crowd_out_the_record_itself(
    private_database: Database,
) -> None:
    """Among five million records one Soundex code at one house number and street letter
    can be thousands of records, more than a search scores: the record recorded exactly
    as searched for, found by its date of birth and address too, is kept and the crowd
    is cut."""
    crowd = [
        PersonDetails(given_name=f"Pat{n}", family_name="Smyth", address=f"15 Mill{n} Street")
        for n in range(MAX_CANDIDATES + 100)
    ]
    jack = PersonDetails(
        given_name="Jack",
        family_name="Smith",
        date_of_birth=date(2015, 3, 4),
        address="15 Mill Road",
        postcode="NB1 2AB",
    )
    index_records(private_database, [*crowd, jack])
    found = candidate_records(private_database, jack)
    assert len(found) == MAX_CANDIDATES
    assert len(crowd) + 1 in found
    (best, *_rest) = find_candidates(private_database, jack)
    assert best.match_probability > 0.99


def test_0036_adds_the_house_number_indexes_and_takes_them_away_again(
    empty_database_url: str,
) -> None:
    assert_migration_adds_and_removes_indexes(
        empty_database_url,
        "0036",
        "0035",
        INDEXES,
        "ix_match_keys_dob_given_prefix_house_number",
    )
