"""Scoring a clustering against ground truth, by counting rather than listing pairs.

Pairwise precision and recall need the number of record pairs put together, the
number truly together, and the number both. All three follow from the table of
(predicted cluster, true person) counts: a group of ``k`` records has k(k-1)/2
pairs. Counting that way costs one pass over the records however large the clusters.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any


def pairs(k: int) -> int:
    return k * (k - 1) // 2


@dataclass(frozen=True)
class PairMetrics:
    true_pairs: int
    predicted_pairs: int
    correct_pairs: int
    precision: float
    recall: float
    f1: float
    purity: float
    """Share of records that belong to their cluster's most common true person."""
    completeness: float
    """Share of records that sit in the cluster holding most of their true person."""
    clusters: int
    persons: int
    records: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def ratio(top: int, bottom: int) -> float:
    return top / bottom if bottom else 1.0


def f1_score(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def score_clusters(
    predicted: Mapping[int, int], truth: Mapping[int, str], records: Iterable[int] | None = None
) -> PairMetrics:
    """``predicted`` maps record -> cluster, ``truth`` maps record -> true person.

    Only records present in both are scored (``records`` narrows further).
    """
    chosen = [r for r in (records if records is not None else truth) if r in predicted]
    by_cluster: Counter[int] = Counter()
    by_person: Counter[str] = Counter()
    both: Counter[tuple[int, str]] = Counter()
    for record in chosen:
        cluster_id, person = predicted[record], truth[record]
        by_cluster[cluster_id] += 1
        by_person[person] += 1
        both[(cluster_id, person)] += 1
    true_pairs = sum(pairs(k) for k in by_person.values())
    predicted_pairs = sum(pairs(k) for k in by_cluster.values())
    correct = sum(pairs(k) for k in both.values())
    majority_cluster: Counter[int] = Counter()
    majority_person: Counter[str] = Counter()
    for (cluster_id, person), k in both.items():
        majority_cluster[cluster_id] = max(majority_cluster[cluster_id], k)
        majority_person[person] = max(majority_person[person], k)
    precision = ratio(correct, predicted_pairs)
    recall = ratio(correct, true_pairs)
    return PairMetrics(
        true_pairs=true_pairs,
        predicted_pairs=predicted_pairs,
        correct_pairs=correct,
        precision=precision,
        recall=recall,
        f1=f1_score(precision, recall),
        purity=ratio(sum(majority_cluster.values()), len(chosen)),
        completeness=ratio(sum(majority_person.values()), len(chosen)),
        clusters=len(by_cluster),
        persons=len(by_person),
        records=len(chosen),
    )
