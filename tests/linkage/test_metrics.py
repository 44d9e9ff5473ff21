"""Evaluation metrics on a truth small enough to check by hand."""

from __future__ import annotations

import pytest

from jigsaw.linkage.metrics import score_clusters


def test_pairwise_metrics_and_purity_by_hand() -> None:
    # Truth: A = {1, 2, 3}, B = {4, 5}, C = {6}: 3 + 1 = 4 true pairs.
    truth = {1: "A", 2: "A", 3: "A", 4: "B", 5: "B", 6: "C"}
    # Predicted: {1, 2}, {3, 4, 5}, {6}: pairs (1,2) (3,4) (3,5) (4,5) = 4 predicted.
    predicted = {1: 10, 2: 10, 3: 20, 4: 20, 5: 20, 6: 30}
    m = score_clusters(predicted, truth)
    assert (m.true_pairs, m.predicted_pairs, m.correct_pairs) == (4, 4, 2)  # (1,2) and (4,5)
    assert m.precision == pytest.approx(0.5)
    assert m.recall == pytest.approx(0.5)
    assert m.f1 == pytest.approx(0.5)
    # Majority counts: cluster 10 -> 2 (A), 20 -> 2 (B), 30 -> 1: purity 5/6.
    assert m.purity == pytest.approx(5 / 6)
    # Person A's biggest piece is 2, B's 2, C's 1: completeness 5/6.
    assert m.completeness == pytest.approx(5 / 6)
    assert (m.clusters, m.persons, m.records) == (3, 3, 6)


def test_perfect_and_empty_clusterings() -> None:
    truth = {1: "A", 2: "A", 3: "B"}
    perfect = score_clusters({1: 1, 2: 1, 3: 2}, truth)
    assert (perfect.precision, perfect.recall, perfect.f1, perfect.purity) == (1, 1, 1, 1)
    singletons = score_clusters({1: 1, 2: 2, 3: 3}, truth)
    assert singletons.predicted_pairs == 0
    assert singletons.precision == 1.0  # nothing claimed, nothing wrong
    assert singletons.recall == 0.0
    assert singletons.f1 == 0.0
