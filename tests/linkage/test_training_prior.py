"""The prior training estimates: from the model's own posteriors, not a guessed recall.

Splink's estimate counts the pairs a few deterministic rules find and divides by a
guess of their recall; how many true pairs those rules find depends on how the records
were kept, so the guess left every pair too light by 0.6 to 2.5 bits on the data sets
measured (``bench/results/linkage.md``). ``prior_from_posteriors`` is the fixed point
expectation maximisation reaches for the prior with m and u held."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sqlalchemy import select

from jigsaw.db import Database
from jigsaw.linkage.engine import workspace
from jigsaw.linkage.training import prior_from_posteriors, train_person_model
from jigsaw.synthetic.models import SyntheticTruth
from jigsaw.synthetic.service import generate_population


def _population(
    matches: int, non_matches: int, match_bits: float, other_bits: float, seed: int
) -> np.ndarray:
    """Scored pairs' Bayes factors, in bits: true pairs around ``match_bits``, pairs of
    two people that a blocking rule still joined around ``other_bits``."""
    rng = np.random.default_rng(seed)
    return np.concatenate(
        [rng.normal(match_bits, 4.0, matches), rng.normal(other_bits, 4.0, non_matches)]
    )


@pytest.mark.parametrize("start", [1e-9, 1e-6, 1e-4, 1e-2])
def test_the_estimate_finds_the_share_of_pairs_that_match_wherever_it_starts(
    start: float,
) -> None:
    records = 10_000
    all_pairs = records * (records - 1) / 2
    bits = _population(5_000, 50_000, match_bits=30.0, other_bits=-8.0, seed=1)
    estimated = prior_from_posteriors(bits, start, all_pairs)
    assert math.log2(estimated / (5_000 / all_pairs)) == pytest.approx(0.0, abs=0.05)


def test_a_starting_prior_too_low_is_raised_and_one_too_high_is_lowered() -> None:
    all_pairs = 5_000 * 4_999 / 2
    bits = _population(3_000, 20_000, match_bits=25.0, other_bits=-6.0, seed=2)
    truth = 3_000 / all_pairs
    low, high = truth / 6, truth * 6
    assert low < prior_from_posteriors(bits, low, all_pairs) < truth * 1.1
    assert truth * 0.9 < prior_from_posteriors(bits, high, all_pairs) < high


def test_without_scored_pairs_the_starting_prior_stands() -> None:
    empty = np.array([], dtype=np.float64)
    assert prior_from_posteriors(empty, 1e-5, 1e6) == 1e-5
    assert prior_from_posteriors(np.array([40.0]), 1e-5, 0.0) == 1e-5


def test_pairs_no_rule_scored_count_as_two_people() -> None:
    """Only the scored pairs carry evidence; a table twice the size with the same
    scored pairs has half the share of matching pairs."""
    bits = _population(1_000, 5_000, match_bits=30.0, other_bits=-8.0, seed=3)
    small = prior_from_posteriors(bits, 1e-4, 1e7)
    large = prior_from_posteriors(bits, 1e-4, 2e7)
    assert small / large == pytest.approx(2.0, rel=0.01)


def test_training_on_a_population_estimates_its_matches_closer_than_the_rules_do(
    private_database: Database,
) -> None:
    """On the generator's records, where the truth is known: the expected matches per
    record training stores is nearer the truth than Splink's count of the deterministic
    rules' pairs over their guessed recall, where the estimate starts."""
    db = private_database
    generate_population(db, children=300, seed=11, batch_size=300, progress=False)
    with db.reading() as session:
        people: dict[str, int] = {}
        for key in session.scalars(select(SyntheticTruth.true_person_key)):
            people[key] = people.get(key, 0) + 1
    records = sum(people.values())
    truth = sum(k * (k - 1) for k in people.values()) / records  # matches per record
    with workspace(db) as space:
        model = train_person_model(space, version="estimated")
    by_rules = model.trained["expected_matches_per_record_by_rules"]
    estimated = model.expected_matches_per_record
    assert abs(math.log2(estimated / truth)) < abs(math.log2(by_rules / truth))
    assert abs(math.log2(estimated / truth)) < 0.5
