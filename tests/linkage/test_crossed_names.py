"""Names entered the wrong way round with one of them changed since: one name matched
across the two fields is evidence of one person, not two members of a household."""

from __future__ import annotations

import dataclasses
import itertools
from datetime import date

import pytest

from jigsaw.linkage.comparisons import COMPARISONS, GIVEN_NAME, SHARED_CHILD
from jigsaw.linkage.features import PersonDetails, features_of
from jigsaw.linkage.guards import TWIN_PENALTY
from jigsaw.linkage.person_model import LinkageModel, Score, bits_to_probability
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


def _elsewhere(given: str, family: str, n: int) -> PersonDetails:
    return PersonDetails(
        given_name=given, family_name=family, date_of_birth=date(1960 + n, 1 + n % 12, 1 + n),
        address=f"{n + 1} Other Street, Elsewhere", postcode=f"9{n:03d}", agency=3,
    )  # fmt: skip


def _run_and_search(model: LinkageModel, people: list[PersonDetails]) -> tuple[float, Score]:
    """The first two people's pair as a batch run over all of ``people`` weighs it, and as
    a search of a table that size scores it."""
    rows = [feature_row(n, d, features_of(d)) for n, d in enumerate(people, start=1)]
    search = model.score(features_of(people[0]), features_of(people[1]), len(people))
    return batch_weights(model, rows)[(1, 2)], search


def test_a_name_the_records_hold_as_a_given_name_crossed_is_one_person(
    model: LinkageModel,
) -> None:
    """Rachel Dinnison at the GP; "Kersalke Rachel" at the council, her names entered the
    wrong way round and her family name since changed, no date of birth, at the same
    home. Rachel is a given name in the table's other records, so the run reads the name
    crossed as hers, not as a family name two siblings share: the guard lets the pair
    through to a reviewer. A search, with no table to ask, still holds it back."""
    rachel = PersonDetails(
        given_name="Rachel", family_name="Dinnison", date_of_birth=date(1941, 5, 10),
        address="14 Canopus Crescent, Barrack Heights", postcode="3221", agency=1,
    )  # fmt: skip
    swapped = dataclasses.replace(
        rachel, given_name="Kersalke", family_name="Rachel", date_of_birth=None, agency=2
    )
    assert _given_level(rachel, swapped) == "crossed"
    others = [_elsewhere("Rachel", family, n) for n, family in enumerate(("Ames", "Bell", "Cole"))]
    batch, search = _run_and_search(model, [rachel, swapped, *others])
    assert search.guarded
    assert batch == pytest.approx(search.match_weight + TWIN_PENALTY)
    # Without the other Rachels the table cannot tell which field the name belongs in.
    batch, search = _run_and_search(model, [rachel, swapped])
    assert batch == pytest.approx(search.match_weight)


def test_a_family_name_crossed_between_siblings_stays_guarded(model: LinkageModel) -> None:
    """Gillian Lodge and her sister Adele, taken down as "Lodge Adele", at one home:
    Lodge is a family name in the table, so the run guards the pair as the household
    it is, whatever else the records hold."""
    gillian = PersonDetails(
        given_name="Gillian", family_name="Lodge", date_of_birth=date(1990, 6, 26),
        address="29 Stacy Street, Menangle", postcode="2765", agency=1,
    )  # fmt: skip
    adele = dataclasses.replace(
        gillian, given_name="Lodge", family_name="Adele", date_of_birth=None, agency=2
    )
    assert _given_level(gillian, adele) == "crossed"
    others = [_elsewhere(given, "Lodge", n) for n, given in enumerate(("Amy", "Ben", "Cal"))]
    batch, search = _run_and_search(model, [gillian, adele, *others])
    assert search.guarded
    assert batch == pytest.approx(search.match_weight)
    at_scale = model.score(features_of(gillian), features_of(adele), RECORDS)
    assert at_scale.match_probability < model.thresholds.review


def test_twins_whose_family_name_is_a_given_name_stay_guarded(model: LinkageModel) -> None:
    """Harry James and his twin Oliver, both on the GP's list, with Oliver taken down at
    the council as "James Oliver": James is a given name in the table's other records, but
    a pair born on one day at one home is held back whichever name was crossed."""
    harry = PersonDetails(
        given_name="Harry", family_name="James", date_of_birth=date(2019, 3, 4),
        address="8 Warrambool Close, Clarkson", postcode="3021", agency=1,
    )  # fmt: skip
    oliver = dataclasses.replace(harry, given_name="James", family_name="Oliver", agency=2)
    assert _given_level(harry, oliver) == "crossed"
    at_the_gp = dataclasses.replace(harry, given_name="Oliver")
    families = ("Ames", "Bell", "Cole", "Dunn", "Eyre", "Ford", "Gray")
    others = [_elsewhere("James", family, n) for n, family in enumerate(families)]
    batch, search = _run_and_search(model, [harry, oliver, at_the_gp, *others])
    assert search.guarded
    assert batch == pytest.approx(search.match_weight)


def test_parents_with_a_child_in_common_stay_guarded(model: LinkageModel) -> None:
    """Sarah James and her husband Oliver, taken down at the school as "James Oliver"
    with no date of birth, both recorded with their child: James is a given name in the
    table's other records, but a pair recorded with one child is the household the guard
    is for, however the name crossed reads."""
    home = {"address": "87 Kaur Road, Northbridge", "postcode": "NB3 6WA", "role": "parent"}
    sarah = PersonDetails(
        given_name="Sarah", family_name="James", date_of_birth=date(1988, 2, 3), sex="female",
        agency=1, **home,
    )  # fmt: skip
    oliver = PersonDetails(given_name="James", family_name="Oliver", agency=2, **home)
    families = ("Ames", "Bell", "Cole", "Dunn", "Eyre", "Ford")
    people = [sarah, oliver, *(_elsewhere("James", f, n) for n, f in enumerate(families))]
    rows = [feature_row(n, d, features_of(d)) for n, d in enumerate(people, start=1)]
    rows[0]["linked_children"] = rows[1]["linked_children"] = [42]
    one_child = batch_weights(model, rows)[(1, 2)]
    rows[1]["linked_children"] = [43]
    apart = batch_weights(model, rows)[(1, 2)]
    # The child in common adds its weight, and the guard takes its penalty off.
    child = COMPARISONS.index(SHARED_CHILD)
    keys = [level.key for level in SHARED_CHILD.levels]
    gained = model.level_weight(child, keys.index("shared")) - model.level_weight(
        child, keys.index("different")
    )
    assert one_child == pytest.approx(apart + gained - TWIN_PENALTY)
