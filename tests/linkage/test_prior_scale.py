"""The prior follows the size of the table, so one threshold means the same thing on a
council's 10,000 records and on a region's 5 million.

Each person has a handful of records however many people there are, so the chance
that two records picked at random are the same person falls as the table grows, and
coincidences grow with it: in 5 million records thousands of different people share a
full name and a birthday; in 10,000 almost none do. The model stores expected matches
per record and turns it into a prior for each run (``LinkageModel.prior_for``), in the
batch run (the Splink settings) and in the online match (``LinkageModel.score``) alike.
"""

from __future__ import annotations

import math
from datetime import date

import pytest

from jigsaw.linkage.features import PersonDetails, features_of
from jigsaw.linkage.person_model import LinkageModel, probability_to_bits

SMALL = 10_000
LARGE = 5_000_000

HOME = {"postcode": "NB4 2AB", "address": "4 Mill Road, Millbrook"}
ELSEWHERE = {"postcode": "XY1 9ZZ", "address": "77 High Street, Otherton"}


@pytest.fixture(scope="module")
def model() -> LinkageModel:
    return LinkageModel.load()


def _child(**details: object) -> PersonDetails:
    base: dict[str, object] = {
        "given_name": "Amara",
        "family_name": "Osei",
        "date_of_birth": date(2015, 2, 3),
        "sex": "female",
        "role": "child",
    }
    return PersonDetails(**{**base, **details})  # type: ignore[arg-type]


@pytest.mark.parametrize("records", [2, SMALL, LARGE])
def test_expected_matches_per_record_stay_put_whatever_the_size(
    model: LinkageModel, records: int
) -> None:
    assert model.prior_for(records) * (records - 1) == pytest.approx(
        min(model.expected_matches_per_record, 0.5 * (records - 1))
    )
    settings = model.splink_settings_for(records)
    assert settings["probability_two_random_records_match"] == model.prior_for(records)


def test_the_same_pair_needs_about_nine_more_bits_in_five_million_records(
    model: LinkageModel,
) -> None:
    """The batch run and the online match add the same prior odds, so a pair's weight
    differs between the sizes by exactly the difference of the prior log-odds: nearly
    the log of the ratio of the tables' sizes."""
    left, right = _child(**HOME), _child(**ELSEWHERE)
    small = model.score(features_of(left), features_of(right), SMALL)
    large = model.score(features_of(left), features_of(right), LARGE)
    assert not small.guarded and not large.guarded
    prior_odds = probability_to_bits(model.prior_for(SMALL)) - probability_to_bits(
        model.prior_for(LARGE)
    )
    assert small.match_weight - large.match_weight == pytest.approx(prior_odds)
    assert prior_odds == pytest.approx(math.log2((LARGE - 1) / (SMALL - 1)), abs=0.01)


def test_the_evidence_asked_for_is_what_the_thresholds_documentation_says(
    model: LinkageModel,
) -> None:
    """``training.DEFAULT_THRESHOLDS`` promises about 19 bits at 10,000 records and 28
    at 5 million for an automatic link."""
    auto = probability_to_bits(model.thresholds.auto)
    assert auto - probability_to_bits(model.prior_for(SMALL)) == pytest.approx(19, abs=1)
    assert auto - probability_to_bits(model.prior_for(LARGE)) == pytest.approx(28, abs=1)


@pytest.mark.parametrize("records", [SMALL, LARGE])
def test_a_child_recorded_alike_but_for_the_nhs_number_links_at_any_size(
    model: LinkageModel, records: int
) -> None:
    left, right = _child(**HOME), _child(**HOME)
    score = model.score(features_of(left), features_of(right), records)
    assert score.match_probability >= model.thresholds.auto


def test_a_name_and_birthday_alone_against_a_different_home_are_not_enough_in_a_large_table(
    model: LinkageModel,
) -> None:
    """Among 10,000 records two different children with one full name and one birthday
    are very rare, and a move of house is the likelier story; among 5 million they are
    common enough that a person decides."""
    left, right = _child(**HOME), _child(**ELSEWHERE)
    small = model.score(features_of(left), features_of(right), SMALL)
    large = model.score(features_of(left), features_of(right), LARGE)
    assert small.match_probability >= model.thresholds.auto
    assert model.thresholds.review <= large.match_probability < model.thresholds.auto
