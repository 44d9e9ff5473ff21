"""Two address lines that share the words saying where they are (the street's name, the
locality, the town) are one street in one place, whatever the postcode says."""

from __future__ import annotations

import dataclasses
import itertools
from datetime import date

import pytest

from jigsaw.linkage.comparisons import ADDRESS, COMPARISONS
from jigsaw.linkage.features import PersonDetails, address_words_of, features_of
from jigsaw.linkage.index import features_from_key, key_row
from jigsaw.linkage.person_model import LinkageModel
from jigsaw.linkage.source import feature_row
from jigsaw.linkage.training import REALISTIC_M_FLOORS
from tests.linkage.helpers import batch_frequencies, batch_weights, sql_and_python_levels

COURTNEY = PersonDetails(
    given_name="Courtney",
    family_name="Gilbertson",
    date_of_birth=date(1991, 1, 5),
    address="10 Goldner Circuit, Kilnsey, Auburn, VIC",
    postcode="2646",
    agency=1,
)


@pytest.fixture(scope="module")
def model() -> LinkageModel:
    return LinkageModel.load()


def _address_level(left: PersonDetails, right: PersonDetails) -> str:
    index = ADDRESS.level_index(features_of(left), features_of(right))
    return ADDRESS.levels[index].key


def test_the_words_are_where_the_address_is_not_how_it_was_written() -> None:
    assert address_words_of("flat 2 12 mill road headingley leeds") == (
        "headingley",
        "leeds",
        "mill",
    )
    # Numbers, street-type words, filler and initials say nothing about the place.
    assert address_words_of("12a the mill road apt 3 uk") == ("mill",)
    assert address_words_of("12 a b road") is None
    # A place's name of several words does not fill the count alone.
    assert address_words_of("1 acorn street newcastle upon tyne") == ("acorn", "newcastle", "tyne")
    assert address_words_of("88 zebra road west yorkshire") == ("yorkshire", "zebra")
    assert address_words_of(None) is None
    assert features_of(COURTNEY).address_words == ("auburn", "goldner", "kilnsey", "vic")


def test_an_address_written_number_last_with_no_postcode_shares_its_words() -> None:
    """Written as abroad, a mistyped street type, the postcode left out: no whole-line
    level sees them alike, and before this level they were 'different areas'."""
    abroad = dataclasses.replace(
        COURTNEY, address="Goldner Ircuit 17, Kilnsey, Auburn, Australia", postcode="", agency=2
    )
    assert _address_level(COURTNEY, abroad) == "shared_words"
    # The street's name and the locality alone are as often the locality and the town,
    # which a whole local authority shares.
    two_words = dataclasses.replace(abroad, address="17 Goldner Close, Kilnsey")
    assert _address_level(COURTNEY, two_words) == "different"


def test_the_same_postcode_still_ranks_above_shared_words() -> None:
    moved_next_door = dataclasses.replace(COURTNEY, address="12 Goldner Circuit, Kilnsey", agency=2)
    assert _address_level(COURTNEY, moved_next_door) == "postcode"


def test_shared_words_weigh_more_than_different_areas_and_less_than_one_address(
    model: LinkageModel,
) -> None:
    """One street in one place is evidence for one person, weaker than one address; the
    m floor keeps a training that never sees such a pair from making it a veto."""
    index = COMPARISONS.index(ADDRESS)
    keys = [level.key for level in ADDRESS.levels]
    words = model.level_weight(index, keys.index("shared_words"))
    assert model.level_weight(index, keys.index("different")) < 0 < words
    assert words < model.level_weight(index, keys.index("same_address"))
    assert REALISTIC_M_FLOORS["address"]["shared_words"] > 0


def test_the_online_index_gives_the_words_back(model: LinkageModel) -> None:
    """A search rebuilds a record's features from its stored key row, which holds the
    normalised address, so it compares the words as the batch run does."""
    features = features_of(COURTNEY)
    row = feature_row(1, COURTNEY, features)
    assert features_from_key(key_row(row)).address_words == features.address_words


def test_the_batch_run_weighs_shared_words_as_a_search_does(model: LinkageModel) -> None:
    abroad = dataclasses.replace(
        COURTNEY, given_name="Courtney", family_name="Dabinet", address="Goldner Ircuit 17, "
        "Kilnsey, Auburn, Australia", postcode="", agency=2,
    )  # fmt: skip
    rows = [feature_row(n, d, features_of(d)) for n, d in ((1, COURTNEY), (2, abroad))]
    batch = batch_weights(model, rows)[(1, 2)]
    pair = (features_of(COURTNEY), features_of(abroad))
    search = model.score(*pair, 2, batch_frequencies(model, pair)(pair[0]))
    assert batch == pytest.approx(search.match_weight)
    assert {e.level for e in search.evidence if e.comparison == ADDRESS.name} == {"shared_words"}


ADDRESSES = (
    "",
    "12 Mill Road, Headingley, Leeds",
    "Mill Road 12, Headingley, Leeds, UK",
    "Mill Road 12, Headingley",
    "12 Mill Rd",
    "Flat 2, Church Street, Headingley, Leeds",
    "3 Church Lane, Leeds",
    "King's Road 4, Chelsea, London, UK",
    "4 Kings Road, Chelsea",
)
POSTCODES = ("", "LS6 2AB", "LS6 2AC", "2646")


def test_the_level_in_sql_is_the_level_in_python() -> None:
    """Every address and postcode above on each side: the batch run's SQL (first true
    condition wins, as Splink's CASE) and the online match's Python twins agree."""
    people = [
        PersonDetails(given_name="Ann", address=address, postcode=postcode)
        for address, postcode in itertools.product(ADDRESSES, POSTCODES)
    ]
    found = sql_and_python_levels(ADDRESS, people)
    words = [level.key for level in ADDRESS.levels].index("shared_words")
    assert sum(1 for *_pair, level, _python in found if level == words) > 10
    for left, right, level, python in found:
        assert level == python, (people[left], people[right])
