"""Names entered the wrong way round with one of them changed since: one name matched
across the two fields is evidence of one person, not two members of a household."""

from __future__ import annotations

import dataclasses
import itertools
from datetime import date

import pytest

from jigsaw.linkage.comparisons import COMPARISONS, GIVEN_NAME
from jigsaw.linkage.features import PersonDetails, features_of
from jigsaw.linkage.person_model import LinkageModel, bits_to_probability
from jigsaw.linkage.source import feature_row
from tests.linkage.helpers import batch_weights, sql_and_python_levels

RECORDS = 10_000

SIENNA = PersonDetails(
    given_name="Sienna",
    family_name="Musolino",
    date_of_birth=date(1989, 5, 25),
    address="22 Smeaton Circuit, McKinnon",
    postcode="2700",
    agency=1,
)


@pytest.fixture(scope="module")
def model() -> LinkageModel:
    return LinkageModel.load()


def _given_level(left: PersonDetails, right: PersonDetails) -> str:
    index = GIVEN_NAME.level_index(features_of(left), features_of(right))
    return GIVEN_NAME.levels[index].key


def test_names_swapped_and_the_given_name_changed_meet_across(model: LinkageModel) -> None:
    """Sienna Musolino at one agency, "Musolino Ryan" at another: the names were
    entered the wrong way round and the given name recorded otherwise. The family name
    is found across the two fields (with a slip as well, too), which the old levels
    counted as two different names."""
    moved_on = dataclasses.replace(SIENNA, given_name="Musolino", family_name="Ryan", agency=2)
    assert _given_level(SIENNA, moved_on) == "crossed"
    slipped = dataclasses.replace(moved_on, given_name="Musolnio")
    assert _given_level(SIENNA, slipped) == "crossed"
    index = COMPARISONS.index(GIVEN_NAME)
    keys = [level.key for level in GIVEN_NAME.levels]
    assert model.level_weight(index, keys.index("crossed")) > model.level_weight(
        index, keys.index("different")
    )


def test_a_crossed_pair_no_agency_holds_twins_of_links_in_a_run(model: LinkageModel) -> None:
    """Born the same day at one home with the family name shared across the fields, the
    pair looks like twins one of whose records was entered the wrong way round: a search
    (which cannot ask the table) leaves it to a reviewer rather than drop it, and a run
    whose records show no twins of that birth links it, as for any renamed child."""
    moved_on = dataclasses.replace(SIENNA, given_name="Musolino", family_name="Ryan", agency=2)
    search = model.score(features_of(SIENNA), features_of(moved_on), RECORDS)
    assert search.guarded
    assert model.thresholds.review <= search.match_probability < model.thresholds.auto
    rows = [feature_row(n, d, features_of(d)) for n, d in ((1, SIENNA), (2, moved_on))]
    assert batch_weights(model, rows)[(1, 2)] > search.match_weight


def test_twins_one_of_whose_records_is_swapped_stay_apart(model: LinkageModel) -> None:
    """Joshua and Harry Coles, twins a GP holds both of; the housing service took Harry
    down as "Coles Harry". His family name is found across Joshua's fields, but the GP's
    two records of the birth show twins, so the run does not link Joshua to him."""
    joshua = PersonDetails(
        given_name="Joshua",
        family_name="Coles",
        date_of_birth=date(2021, 6, 14),
        sex="male",
        address="87 Kaur Road, Northbridge",
        postcode="NB3 6WA",
        role="child",
        agency=1,
    )
    harry = dataclasses.replace(joshua, given_name="Harry")
    swapped = dataclasses.replace(harry, given_name="Coles", family_name="Harry", agency=2)
    assert _given_level(joshua, swapped) == "crossed"
    rows = [feature_row(n, d, features_of(d)) for n, d in ((1, joshua), (2, harry), (3, swapped))]
    weights = batch_weights(model, rows)
    assert bits_to_probability(weights[(1, 3)]) < model.thresholds.auto


def test_sisters_at_one_home_stay_apart(model: LinkageModel) -> None:
    """Sisters share the family name, so neither's given name is found across; twins
    are still held back and a sister born two years later is not linked."""
    twin = dataclasses.replace(SIENNA, given_name="Ruby", agency=2)
    younger = dataclasses.replace(twin, date_of_birth=date(1991, 2, 3))
    for sister in (twin, younger):
        assert _given_level(SIENNA, sister) == "different"
        score = model.score(features_of(SIENNA), features_of(sister), RECORDS)
        assert score.guarded
        assert score.match_probability < model.thresholds.auto
    younger_score = model.score(features_of(SIENNA), features_of(younger), RECORDS)
    assert younger_score.match_probability < model.thresholds.review


def test_a_short_name_one_letter_from_the_other_family_name_is_not_crossed() -> None:
    """Two slips are allowed only in a long name, as for a typo: Amy and Ana are two
    letters apart and short, so Amy Ross and Roxy Ana do not meet across."""
    amy = dataclasses.replace(SIENNA, given_name="Amy", family_name="Ross")
    other = dataclasses.replace(SIENNA, given_name="Roxy", family_name="Ana")
    assert _given_level(amy, other) == "different"


def test_the_batch_run_weighs_a_crossed_pair_as_a_search_does(model: LinkageModel) -> None:
    """Away from the home and the birthday the guard has nothing to say, so the level's
    SQL and its Python twin must give one weight."""
    moved_on = dataclasses.replace(
        SIENNA, given_name="Musolino", family_name="Ryan", date_of_birth=None,
        address="3 Palmer Street, Lake Heights", postcode="2430", agency=2,
    )  # fmt: skip
    rows = [feature_row(n, d, features_of(d)) for n, d in ((1, SIENNA), (2, moved_on))]
    batch = batch_weights(model, rows)[(1, 2)]
    search = model.score(features_of(SIENNA), features_of(moved_on), 2)
    assert batch == pytest.approx(search.match_weight)
    crossed = [level.key for level in GIVEN_NAME.levels].index("crossed")
    assert {e.level for e in search.evidence if e.comparison == GIVEN_NAME.name} == {"crossed"}
    assert model.level_weight(COMPARISONS.index(GIVEN_NAME), crossed) > 0


EDGE_NAMES = (
    *("", "Ann", "MANN", "Leo", "Lee", "Ryan", "ryans", "Abcde", "Abxye"),
    *("Abcdef", "Abxdyf", "Musolino", "MUSOLNIO", "Jos\u00e9", "Jose", "Zo\u00eb", "O'Neil"),
)
"""Names at the edges of ``crossed``: missing, one edit in a short name, two at five and
six letters, case, accents and punctuation, as records hold them."""


def test_the_level_in_sql_is_the_level_in_python_at_the_edges() -> None:
    """Every given and family name of ``EDGE_NAMES`` on each side: the batch run's SQL
    (the levels' conditions in order, first true wins, as Splink's CASE) and the online
    match's Python twins put each pair on one level."""
    people = [
        PersonDetails(given_name=given, family_name=family)
        for given, family in itertools.product(EDGE_NAMES, repeat=2)
    ]
    found = sql_and_python_levels(GIVEN_NAME, people)
    crossed = [level.key for level in GIVEN_NAME.levels].index("crossed")
    assert sum(1 for *_pair, level, _python in found if level == crossed) > 100
    for left, right, level, python in found:
        assert level == python, (people[left], people[right])
