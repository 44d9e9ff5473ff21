"""A disagreement real records make is never weighed as a veto, and the household guard
keeps a father and the son named after him apart once a wrong date of birth is not one."""

from __future__ import annotations

import copy
import math
from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from jigsaw.linkage import guards
from jigsaw.linkage.comparisons import DATE_OF_BIRTH, GIVEN_NAME, NHS_NUMBER
from jigsaw.linkage.features import PersonDetails, features_of
from jigsaw.linkage.person_model import M_FLOOR, U_FLOOR, LinkageModel, probability_to_bits
from jigsaw.linkage.source import feature_row
from jigsaw.linkage.training import REALISTIC_M_FLOORS, apply_realistic_m_floors
from tests.linkage.helpers import batch_frequencies, batch_weights


@pytest.fixture(scope="module")
def model() -> LinkageModel:
    return LinkageModel.load()


def _levels(settings: dict[str, Any], name: str) -> list[dict[str, Any]]:
    comparison = next(c for c in settings["comparisons"] if c["output_column_name"] == name)
    levels: list[dict[str, Any]] = comparison["comparison_levels"]
    return levels


def _bits(level: dict[str, Any]) -> float:
    return math.log2(level["m_probability"] / level["u_probability"])


def test_a_level_training_drove_to_nothing_is_raised_to_its_floor(model: LinkageModel) -> None:
    settings = copy.deepcopy(model.splink_settings)
    different = [lv.key for lv in DATE_OF_BIRTH.levels].index("different")
    _levels(settings, DATE_OF_BIRTH.name)[different]["m_probability"] = 1e-4
    floored = apply_realistic_m_floors(settings)
    level = _levels(floored, DATE_OF_BIRTH.name)[different]
    assert level["m_probability"] == REALISTIC_M_FLOORS[DATE_OF_BIRTH.name]["different"]
    assert -10.0 < _bits(level) < -8.0  # a cost, no longer a veto of -13 bits


def test_a_learned_m_above_the_floor_stands_and_a_fixed_m_is_never_touched(
    model: LinkageModel,
) -> None:
    settings = copy.deepcopy(model.splink_settings)
    exact = [lv.key for lv in DATE_OF_BIRTH.levels].index("exact")
    learned = _levels(settings, DATE_OF_BIRTH.name)[exact]["m_probability"]
    nhs_before = copy.deepcopy(_levels(settings, NHS_NUMBER.name))
    floored = apply_realistic_m_floors(settings, {"nhs_number": {"different": 0.5}})
    assert _levels(floored, DATE_OF_BIRTH.name)[exact]["m_probability"] == learned
    assert _levels(floored, NHS_NUMBER.name) == nhs_before


def test_a_floor_never_makes_a_level_outweigh_the_exact_agreement(model: LinkageModel) -> None:
    settings = copy.deepcopy(model.splink_settings)
    keys = [lv.key for lv in DATE_OF_BIRTH.levels]
    levels = _levels(settings, DATE_OF_BIRTH.name)
    levels[keys.index("near")]["m_probability"] = 1e-4  # never seen among the records
    levels[keys.index("near")]["u_probability"] = 1e-7  # nor among random pairs
    floored = apply_realistic_m_floors(settings)
    dob = _levels(floored, DATE_OF_BIRTH.name)
    assert _bits(dob[keys.index("near")]) <= _bits(dob[keys.index("exact")]) + 1e-9


def test_a_floor_only_raises_a_learned_m(model: LinkageModel) -> None:
    """Held under the exact level, a raised m never ends below what training learned,
    nor below ``M_FLOOR``, where Splink and the online match would weigh it apart."""
    settings = copy.deepcopy(model.splink_settings)
    keys = [lv.key for lv in GIVEN_NAME.levels]
    levels = _levels(settings, GIVEN_NAME.name)
    learned = 2 * M_FLOOR
    levels[keys.index("sounds_alike")]["m_probability"] = learned
    levels[keys.index("sounds_alike")]["u_probability"] = U_FLOOR  # never among random pairs
    floored = apply_realistic_m_floors(settings)
    level = _levels(floored, GIVEN_NAME.name)[keys.index("sounds_alike")]
    assert level["m_probability"] == learned


def test_the_shipped_model_carries_the_floors(model: LinkageModel) -> None:
    from jigsaw.linkage.comparisons import COMPARISONS

    for comparison in COMPARISONS:
        floors = REALISTIC_M_FLOORS.get(comparison.name, {})
        keys = [lv.key for lv in comparison.levels]
        levels = _levels(model.splink_settings, comparison.name) if floors else []
        for key, floor in floors.items():
            level = levels[keys.index(key)]
            exact = levels[keys.index("exact" if "exact" in keys else "same_address")]
            assert level["m_probability"] >= floor or _bits(level) == pytest.approx(_bits(exact))


FATHER_AND_SON = {
    "given_name": "exact",
    "family_name": "exact",
    "date_of_birth": "different",
    "address": "same_address",
    "sex": "exact",
    "nhs_number": "missing",
    "child_or_adult": "exact",
    "same_agency": "different",
    "shared_child": "missing",
}


def test_two_birthdays_at_one_home_wait_for_a_reviewer() -> None:
    assert guards.guarded_weight(20.0, FATHER_AND_SON) == guards.REVIEW_CAP
    assert guards.guarded_weight(20.0, FATHER_AND_SON, twins_known=False) == guards.REVIEW_CAP
    assert guards.guarded_weight(3.0, FATHER_AND_SON) == 3.0  # a cap, never a boost


@pytest.mark.parametrize(
    ("level", "key"),
    [
        ("nhs_number", "exact"),  # one NHS number: one person whatever the date says
        ("date_of_birth", "near"),  # one digit out: a slip, scored on its evidence
        ("date_of_birth", "swapped"),
        ("address", "different"),  # not one home: nothing shared is double counted
        ("family_name", "different"),
    ],
)
def test_the_cap_is_only_for_one_family_at_one_home(level: str, key: str) -> None:
    assert guards.guarded_weight(20.0, {**FATHER_AND_SON, level: key}) == 20.0


@pytest.mark.parametrize(
    ("level", "key"),
    [
        ("date_of_birth", "missing"),  # nothing says two birthdays
        ("address", "missing"),  # nothing says one home
        ("family_name", "missing"),
    ],
)
def test_a_missing_detail_never_counts_as_two_birthdays_at_home(level: str, key: str) -> None:
    assert guards.guarded_weight(20.0, {**FATHER_AND_SON, level: key}) == 20.0


@pytest.mark.parametrize(
    ("level", "key"),
    [
        ("date_of_birth", "two_slips"),  # two digits out: 2 March and 9 May
        ("date_of_birth", "same_year"),
        ("family_name", "swapped"),  # the son's record with its names the wrong way round
        ("address", "similar_address"),
        ("shared_child", "shared"),
        ("nhs_number", "different"),
    ],
)
def test_two_birthdays_wait_for_a_reviewer_however_the_household_shows(
    level: str, key: str
) -> None:
    levels = {**FATHER_AND_SON, level: key}
    if level == "shared_child":
        levels["address"] = "different"  # the family shown by a child, not the home
    assert guards.guarded_weight(20.0, levels) == guards.REVIEW_CAP


def test_a_household_pair_twin_like_by_its_home_keeps_the_cap_after_the_penalty() -> None:
    """A mother and daughter: twin-like by the home (a different given name), with two
    birthdays; the twin penalty alone would leave a strong enough pair above the cap."""
    levels = {**FATHER_AND_SON, "given_name": "different", "sex": "exact"}
    assert guards.is_twin_like(levels)
    assert guards.guarded_weight(40.0, levels) == guards.REVIEW_CAP
    assert guards.guarded_weight(10.0, levels) == 10.0 - guards.TWIN_PENALTY


KEVIN = PersonDetails(
    given_name="Kevin",
    family_name="Ashworth",
    date_of_birth=date(1968, 3, 2),
    sex="male",
    postcode="NB1 2AB",
    address="10 Melrose Drive, Grandview",
    role="parent",
)


def _batch_and_online(
    model: LinkageModel, left: PersonDetails, right: PersonDetails
) -> tuple[float, float, float]:
    """The pair's weight from a batch run (guards applied over the edges, the run's
    records beside them) and from a search, with the search's weight before the guard."""
    left, right = replace(left, agency=1), replace(right, agency=2)
    rows = [feature_row(1, left, features_of(left)), feature_row(2, right, features_of(right))]
    batch = batch_weights(model, rows)[(1, 2)]
    pair = (features_of(left), features_of(right))
    online = model.score(*pair, len(rows), batch_frequencies(model, pair)(pair[0]))
    unguarded = probability_to_bits(model.prior_for(len(rows))) + sum(
        e.match_weight for e in online.evidence
    )
    return batch, online.match_weight, unguarded


@pytest.mark.parametrize(
    ("right", "held"),
    [
        (replace(KEVIN, date_of_birth=date(1994, 11, 20)), True),  # the son named after him
        (replace(KEVIN, date_of_birth=date(1968, 5, 9)), True),  # two digits
        (replace(KEVIN, date_of_birth=date(1968, 11, 20)), True),  # the same year
        (replace(KEVIN, given_name="Ashworth", family_name="Kevin",
                 date_of_birth=date(1994, 11, 20)), True),  # names swapped
        (replace(KEVIN, date_of_birth=date(1968, 3, 7)), False),  # one digit keyed wrong
        (replace(KEVIN, date_of_birth=date(1968, 2, 3)), False),  # day and month swapped
        (replace(KEVIN, date_of_birth=None), False),
        (replace(KEVIN, date_of_birth=date(1994, 11, 20), postcode="", address=""), False),
        (replace(KEVIN, date_of_birth=date(1994, 11, 20), family_name=""), False),
        (replace(KEVIN, date_of_birth=date(1994, 11, 20), nhs_number="4857773457"), False),
    ],
)  # fmt: skip
def test_a_run_and_a_search_guard_a_household_alike(
    model: LinkageModel, right: PersonDetails, held: bool
) -> None:
    left = KEVIN if right.nhs_number is None else replace(KEVIN, nhs_number=right.nhs_number)
    batch, online, unguarded = _batch_and_online(model, left, right)
    assert online == pytest.approx(batch, abs=1e-6)
    if held:
        assert unguarded > guards.REVIEW_CAP  # the guard, not the evidence, holds it back
        assert online == pytest.approx(guards.REVIEW_CAP)
        assert batch == pytest.approx(guards.REVIEW_CAP)
    else:
        assert online == pytest.approx(unguarded)
