"""From scored pairs to people: strongest links first, never merging two known persons.

Edges arrive strongest first. An edge at or above the auto threshold joins its two
records' clusters, unless both clusters already belong to different persons in the
index: people a practitioner may already have seen (or a reviewer has kept apart)
are never merged silently, so such an edge becomes a review item instead. Edges
between the thresholds never join anything; the strongest one between each pair of
final clusters becomes that pair's review item.

Taking the strongest edges first means a cluster grows along its surest links; a
weak edge can only ever add a record to a cluster, not decide which of two clusters
a record belongs to when a stronger edge has already said.

A person has one NHS number, so a cluster never holds two: an edge that would join a
cluster holding one valid number to a cluster holding another becomes a review item
too. Pairwise scores cannot see this. Sisters called Ella and Ellie share a surname,
a home and a nickname; the record of one that a housing team took without a birthday
scores as her sister as surely as herself, and would join the two girls' clusters,
each already sure of its own NHS number from the girls' health records.

Arrays indexed by record id (ids are dense in practice) keep memory to a few bytes
per record, so a run over millions of records fits in a few hundred megabytes.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

NO_PERSON = 0
NO_IDENTIFIER = 0


@dataclass(frozen=True)
class Edge:
    left: int
    right: int
    probability: float
    weight: float
    gammas: tuple[int, ...] = ()


@dataclass
class ReviewCandidate:
    left: int
    right: int
    probability: float
    weight: float
    gammas: tuple[int, ...]
    blocked: bool
    """True when the pair scored above the auto threshold but joins two known persons,
    or two clusters holding different NHS numbers."""


@dataclass
class Clustering:
    record_ids: array[int]
    parent: array[int]
    person_of_root: dict[int, int]
    best: array[float]
    candidates: list[ReviewCandidate] = field(default_factory=list)

    def root(self, record_id: int) -> int:
        parent = self.parent
        root = record_id
        while parent[root] != root:
            root = parent[root]
        while parent[record_id] != root:
            parent[record_id], record_id = root, parent[record_id]
        return root

    def best_probability(self, record_id: int) -> float | None:
        value = self.best[record_id]
        return None if value < 0 else value

    def clusters(self) -> dict[int, list[int]]:
        found: dict[int, list[int]] = {}
        for record_id in self.record_ids:
            found.setdefault(self.root(record_id), []).append(record_id)
        return found

    def review_items(self) -> list[ReviewCandidate]:
        """One item per pair of final clusters: the strongest edge between them."""
        best: dict[tuple[int, int], ReviewCandidate] = {}
        for candidate in self.candidates:
            a, b = self.root(candidate.left), self.root(candidate.right)
            if a == b:
                continue
            key = (min(a, b), max(a, b))
            held = best.get(key)
            if held is None or candidate.probability > held.probability:
                best[key] = candidate
        return sorted(best.values(), key=lambda c: (-c.probability, c.left, c.right))


def cluster(
    record_ids: Sequence[int],
    edges: Iterable[Edge],
    *,
    auto: float,
    review: float,
    current_person: Sequence[int] | None = None,
    identifiers: Mapping[int, int] | None = None,
) -> Clustering:
    """Cluster records given edges sorted by probability, strongest first.

    ``current_person[record_id]`` is the person a record already belongs to, or
    ``NO_PERSON`` for a new record. ``identifiers`` maps a record to the one
    identifier a person can hold (its valid NHS number, as a number); two clusters
    with different identifiers are never joined automatically. Edges below
    ``review`` are ignored.
    """
    ids = array("q", sorted(record_ids))
    size = (ids[-1] + 1) if ids else 1
    parent = array("q", range(size))
    best = array("d", [-1.0]) * size
    person_of_root: dict[int, int] = {}
    first_record_of_person: dict[int, int] = {}
    for record_id in ids:
        person = current_person[record_id] if current_person is not None else NO_PERSON
        if person == NO_PERSON:
            continue
        leader = first_record_of_person.setdefault(person, record_id)
        parent[record_id] = leader
        person_of_root[leader] = person

    identifier = array("q", [NO_IDENTIFIER]) * size
    for record_id, value in (identifiers or {}).items():
        root = parent[record_id]  # records of a person point straight at its leader
        if identifier[root] == NO_IDENTIFIER:
            identifier[root] = value

    result = Clustering(ids, parent, person_of_root, best)
    last = 2.0
    for edge in edges:
        if edge.probability > last:
            raise ValueError("Edges must come strongest first")
        last = edge.probability
        if edge.probability < review:
            continue
        a, b = result.root(edge.left), result.root(edge.right)
        if edge.probability >= auto:
            if a == b:
                _note_best(best, edge)
                continue
            pa_, pb_ = person_of_root.get(a, NO_PERSON), person_of_root.get(b, NO_PERSON)
            ia, ib = identifier[a], identifier[b]
            both_known = pa_ != NO_PERSON and pb_ != NO_PERSON
            two_identifiers = NO_IDENTIFIER not in (ia, ib) and ia != ib
            if both_known or two_identifiers:
                result.candidates.append(_candidate(edge, blocked=True))
                continue
            keep, gone = (a, b) if pa_ != NO_PERSON else (b, a)
            parent[gone] = keep
            if identifier[keep] == NO_IDENTIFIER:
                identifier[keep] = identifier[gone]
            _note_best(best, edge)
        elif a != b:
            result.candidates.append(_candidate(edge, blocked=False))
    return result


def _note_best(best: array[float], edge: Edge) -> None:
    if best[edge.left] < edge.probability:
        best[edge.left] = edge.probability
    if best[edge.right] < edge.probability:
        best[edge.right] = edge.probability


def _candidate(edge: Edge, *, blocked: bool) -> ReviewCandidate:
    return ReviewCandidate(
        edge.left, edge.right, edge.probability, edge.weight, edge.gammas, blocked
    )
