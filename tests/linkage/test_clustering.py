"""Clustering: strongest links first, thresholds respected, known persons never merged."""

from __future__ import annotations

from array import array

from jigsaw.linkage.clustering import NO_PERSON, Edge, cluster

AUTO, REVIEW = 0.99, 0.5


def test_auto_links_join_and_review_band_only_proposes() -> None:
    edges = [Edge(1, 2, 0.999, 10), Edge(2, 3, 0.995, 8), Edge(3, 4, 0.7, 1), Edge(4, 5, 0.2, -2)]
    result = cluster([1, 2, 3, 4, 5], edges, auto=AUTO, review=REVIEW)
    assert result.root(1) == result.root(2) == result.root(3)
    assert len({result.root(4), result.root(1), result.root(5)}) == 3
    items = result.review_items()
    assert [(i.left, i.right) for i in items] == [(3, 4)]
    assert result.best_probability(1) == 0.999
    assert result.best_probability(3) == 0.995
    assert result.best_probability(5) is None


def test_one_review_item_per_pair_of_clusters_the_strongest() -> None:
    edges = [Edge(1, 2, 0.999, 10), Edge(1, 3, 0.8, 2), Edge(2, 3, 0.6, 1)]
    items = cluster([1, 2, 3], edges, auto=AUTO, review=REVIEW).review_items()
    assert [(i.left, i.right, i.probability) for i in items] == [(1, 3, 0.8)]


def test_two_known_persons_are_never_merged_automatically() -> None:
    persons = array("q", [NO_PERSON, 100, 200, NO_PERSON])
    result = cluster([1, 2, 3], [Edge(1, 2, 0.9999, 12), Edge(2, 3, 0.999, 10)],
                     auto=AUTO, review=REVIEW, current_person=persons)  # fmt: skip
    assert result.root(1) != result.root(2)
    assert result.root(3) == result.root(2)
    assert result.person_of_root[result.root(3)] == 200
    items = result.review_items()
    assert len(items) == 1 and items[0].blocked


def test_edges_out_of_order_are_refused() -> None:
    import pytest

    with pytest.raises(ValueError, match="strongest first"):
        cluster([1, 2, 3], [Edge(1, 2, 0.6, 1), Edge(2, 3, 0.9, 3)], auto=AUTO, review=REVIEW)


def test_two_clusters_with_different_nhs_numbers_wait_for_a_reviewer() -> None:
    """Ella (1, 2) and Ellie (3, 4) each hold their own NHS number; Ellie's record with no
    number (5) joins her, then scores as Ella too, and that link would join the girls."""
    edges = [
        Edge(1, 2, 0.99999, 20),
        Edge(3, 4, 0.99999, 20),
        Edge(4, 5, 0.9999, 14),
        Edge(2, 5, 0.999, 12),
        Edge(5, 6, 0.995, 8),
    ]
    numbers = {1: 4857773457, 2: 4857773457, 3: 9434765919, 4: 9434765919}
    result = cluster([1, 2, 3, 4, 5, 6], edges, auto=AUTO, review=REVIEW, identifiers=numbers)
    assert result.root(1) == result.root(2) != result.root(3)
    assert result.root(3) == result.root(4) == result.root(5) == result.root(6)
    items = result.review_items()
    assert [(i.left, i.right, i.blocked) for i in items] == [(2, 5, True)]
    without = cluster([1, 2, 3, 4, 5, 6], edges, auto=AUTO, review=REVIEW)
    assert len({without.root(r) for r in range(1, 7)}) == 1
