"""``jigsaw linkage run``: link every agency record into the person index.

The run reads the records, scores candidate pairs in chunks, clusters them, and
then writes everything in one transaction, so a failed run changes nothing:

* records in a cluster whose strongest links pass the auto threshold are attached
  to one person (the cluster's existing person, or a new one), status ``auto``;
* a record that links to nobody gets a person of its own;
* pairs of clusters joined only by links between the thresholds, or by a strong link
  between two persons that already exist, become review items, and the subject
  record is marked ``in_review``: a person a practitioner may have seen is never
  merged without a reviewer.

Records already in the index are never moved by a run, only reviewed; every record a
run attaches is written to the link history under the run's change, so the run can be
undone record by record.
"""

from __future__ import annotations

import time
from array import array
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from jigsaw.audit import service as audit
from jigsaw.audit.actions import AuditAction
from jigsaw.clock import utcnow
from jigsaw.db import Base, Database
from jigsaw.linkage import frequencies, index, relational
from jigsaw.linkage import identifiers as shared_identifiers
from jigsaw.linkage.access import require_operator
from jigsaw.linkage.clustering import NO_PERSON, Clustering, Edge, ReviewCandidate, cluster
from jigsaw.linkage.comparisons import COMPARISONS
from jigsaw.linkage.engine import Backend, Workspace, workspace
from jigsaw.linkage.models import (
    ChangeKind,
    LinkageRun,
    LinkChange,
    LinkEvent,
    LinkReview,
    ReviewStatus,
)
from jigsaw.linkage.person_model import LinkageModel
from jigsaw.linkage.predict import EdgeStore, chunk_count, gamma_columns, predict_edges
from jigsaw.people.models import AgencyRecord, LinkStatus, Person
from jigsaw.policy.actor import Actor

WRITE_BATCH = 5_000


@dataclass(frozen=True)
class RunSummary:
    run_id: int
    model_version: str
    backend: str
    records: int
    scored_pairs: int
    persons_created: int
    records_linked: int
    reviews_opened: int
    seconds: float

    def describe(self) -> str:
        return (
            f"Linkage run {self.run_id} (model {self.model_version}, {self.backend}): "
            f"{self.records:,} records, {self.scored_pairs:,} pairs kept; "
            f"{self.records_linked:,} records linked into {self.persons_created:,} new persons; "
            f"{self.reviews_opened:,} pairs sent for review; {self.seconds:,.1f} s"
        )


@dataclass
class _Plan:
    """What the run will write, worked out before the write transaction opens."""

    attach: list[tuple[int, int, float | None]] = field(default_factory=list)
    """(record, cluster root, probability) for records new to the index."""
    roots_needing_person: list[int] = field(default_factory=list)
    reviews: list[ReviewCandidate] = field(default_factory=list)


def level_keys(gammas: tuple[int, ...]) -> dict[str, str]:
    """Comparison name -> level key, from Splink's comparison vector values."""
    keys: dict[str, str] = {}
    for comparison, gamma in zip(COMPARISONS, gammas, strict=True):
        index_ = 0 if gamma == -1 else len(comparison.levels) - 1 - gamma
        keys[comparison.name] = comparison.levels[index_].key
    return keys


def edges_from(store: EdgeStore, threshold: float) -> Iterator[Edge]:
    for batch in store.batches(threshold):
        data = batch.to_pydict()
        columns = [data[g] for g in store.gammas]
        for i in range(batch.num_rows):
            yield Edge(
                data["id_l"][i],
                data["id_r"][i],
                data["match_probability"][i],
                data["match_weight"][i],
                tuple(int(col[i]) for col in columns),
            )


def scored_edges(
    space: Workspace,
    model: LinkageModel,
    *,
    backend: Backend = "duckdb",
    spark: Any = None,
    on_chunk: Callable[[int, int], None] | None = None,
    floor: float | None = None,
) -> EdgeStore:
    """Score pairs (keeping those at or above ``floor``, the review threshold by
    default) and apply the guards: the edges alone, for what needs no clusters
    (training's estimate of the prior)."""
    model = model.with_shared_values(shared_identifiers.workspace_counts(space))
    gammas = gamma_columns()
    store = EdgeStore(space.con, gammas)
    store.create()
    if space.count >= 2:
        dialect = "spark" if backend == "spark" else "duckdb"
        linker = space.linker(model.splink_settings_for(space.count, dialect), backend, spark)
        threshold = model.thresholds.review if floor is None else floor
        for table in predict_edges(
            linker,
            chunks=chunk_count(space.count),
            threshold=max(threshold - 1e-9, 0.0),
            gammas=gammas,
            on_chunk=on_chunk,
        ):
            store.add(table)
    store.apply_guards()
    return store


def score_and_cluster(
    space: Workspace,
    model: LinkageModel,
    *,
    backend: Backend = "duckdb",
    spark: Any = None,
    current_person: array[int] | None = None,
    on_chunk: Callable[[int, int], None] | None = None,
    floor: float | None = None,
    relational_pass: bool = True,
) -> tuple[Clustering, EdgeStore]:
    """Score pairs (``scored_edges``) and cluster at the model's thresholds; then score
    again the adults those clusters give linked children, and cluster again."""
    model = model.with_shared_values(shared_identifiers.workspace_counts(space))
    store = scored_edges(space, model, backend=backend, spark=spark, on_chunk=on_chunk, floor=floor)
    identifiers = space.identifiers()

    def clustered() -> Clustering:
        return cluster(
            space.record_ids(),
            edges_from(store, model.thresholds.review),
            auto=model.thresholds.auto,
            review=model.thresholds.review,
            current_person=current_person,
            identifiers=identifiers,
        )

    clustering = clustered()
    if relational_pass and relational.fill_linked_children(space, clustering):
        threshold = model.thresholds.review if floor is None else floor
        relational.rescore_related(space, model.splink_settings_for(space.count), store, threshold)
        clustering = clustered()
    return clustering, store


def run_linkage(
    db: Database,
    actor: Actor | None = None,
    *,
    model: LinkageModel | None = None,
    backend: Backend = "duckdb",
    spark: Any = None,
    progress: bool = False,
    console: Console | None = None,
    memory_limit: str | None = None,
) -> RunSummary:
    actor = actor or Actor.system()
    require_operator(actor)
    model = model or LinkageModel.load()
    started_at = db.clock.now()
    started = time.perf_counter()
    current = _current_persons(db)
    extra: dict[str, Any] = {"memory_limit": memory_limit} if memory_limit else {}
    with _progress(progress, console) as bar:
        reading = bar("Reading records", current.count)
        with workspace(db, on_batch=reading, **extra) as space:
            chunks = chunk_count(space.count)
            scoring = bar("Scoring pairs (chunks)", chunks * chunks)
            clustering, store = score_and_cluster(
                space,
                model,
                backend=backend,
                spark=spark,
                current_person=current.persons,
                on_chunk=lambda _done, _total: scoring(1),
            )
            scored = store.count()
            plan = _plan(clustering, current.persons)
            writing = bar("Writing links", len(plan.attach) + space.count)
            run_id, created, linked, opened = _write(
                db, actor, model, backend, space, clustering, plan, current,
                scored=scored, started_at=started_at, advance=writing,
            )  # fmt: skip
    shared_identifiers.forget_counts()  # the run's numbers, for the searches that follow
    frequencies.forget()  # and the names
    return RunSummary(
        run_id=run_id,
        model_version=model.version,
        backend=backend,
        records=space.count,
        scored_pairs=scored,
        persons_created=created,
        records_linked=linked,
        reviews_opened=opened,
        seconds=round(time.perf_counter() - started, 2),
    )


@dataclass
class _Current:
    persons: array[int]
    """Person of each record id, ``NO_PERSON`` when unlinked."""
    statuses: dict[int, LinkStatus]
    nhs: dict[int, str]
    count: int


def _current_persons(db: Database, page: int = 100_000) -> _Current:
    """Who each record belongs to now, read in keyset pages to keep memory flat."""
    persons = array("q", [NO_PERSON])
    statuses: dict[int, LinkStatus] = {}
    nhs: dict[int, str] = {}
    last = 0
    count = 0
    while True:
        with db.reading() as session:
            rows = session.execute(
                select(
                    AgencyRecord.id,
                    AgencyRecord.person_id,
                    AgencyRecord.link_status,
                    AgencyRecord.nhs_number,
                )
                .where(AgencyRecord.id > last)
                .order_by(AgencyRecord.id)
                .limit(page)
            ).all()
        if not rows:
            break
        for record_id, person_id, status, nhs_number in rows:
            if record_id >= len(persons):
                persons.extend([NO_PERSON] * (record_id + 1 - len(persons)))
            persons[record_id] = person_id or NO_PERSON
            if status is not LinkStatus.UNLINKED:
                statuses[record_id] = status
            if nhs_number:
                nhs[record_id] = nhs_number
        count += len(rows)
        last = rows[-1][0]
    return _Current(persons, statuses, nhs, count)


def _plan(clustering: Clustering, persons: array[int]) -> _Plan:
    plan = _Plan()
    needing: dict[int, None] = {}
    for record_id in clustering.record_ids:
        if record_id < len(persons) and persons[record_id] != NO_PERSON:
            continue
        root = clustering.root(record_id)
        plan.attach.append((record_id, root, clustering.best_probability(record_id)))
        if root not in clustering.person_of_root:
            needing.setdefault(root, None)
    plan.roots_needing_person = list(needing)
    plan.reviews = clustering.review_items()
    return plan


def _table(model: type[Base]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


def _write(
    db: Database,
    actor: Actor,
    model: LinkageModel,
    backend: str,
    space: Workspace,
    clustering: Clustering,
    plan: _Plan,
    current: _Current,
    *,
    scored: int,
    started_at: Any,
    advance: Callable[[int], None],
) -> tuple[int, int, int, int]:
    now = db.clock.now()
    with db.transaction() as session:
        run = LinkageRun(
            model_version=model.version,
            backend=backend,
            auto_threshold=model.thresholds.auto,
            review_threshold=model.thresholds.review,
            records=space.count,
            scored_pairs=scored,
            persons_created=0,
            records_linked=0,
            reviews_opened=0,
            started_at=started_at,
            finished_at=now,
        )
        session.add(run)
        session.flush()
        change = LinkChange(
            kind=ChangeKind.RUN, run_id=run.id, actor_id=actor.practitioner_id, created_at=now
        )
        session.add(change)
        session.flush()

        person_of_root = dict(clustering.person_of_root)
        person_of_root.update(
            _create_persons(session, plan.roots_needing_person, clustering, current.nhs, now)
        )
        new_person_of_record: dict[int, int] = {}
        linked = 0
        for start in range(0, len(plan.attach), WRITE_BATCH):
            chunk = plan.attach[start : start + WRITE_BATCH]
            updates = []
            events = []
            for record_id, root, probability in chunk:
                person_id = person_of_root[root]
                new_person_of_record[record_id] = person_id
                updates.append(
                    {"rid": record_id, "pid": person_id, "prob": probability, "st": LinkStatus.AUTO}
                )
                events.append(
                    {
                        "change_id": change.id,
                        "agency_record_id": record_id,
                        "from_person_id": None,
                        "to_person_id": person_id,
                        "from_status": current.statuses.get(record_id, LinkStatus.UNLINKED),
                        "to_status": LinkStatus.AUTO,
                        "match_probability": probability,
                    }
                )
            result = session.execute(
                update(_table(AgencyRecord))
                .where(
                    _table(AgencyRecord).c.id == bindparam("rid"),
                    _table(AgencyRecord).c.person_id.is_(None),
                )
                .values(
                    person_id=bindparam("pid"),
                    match_probability=bindparam("prob"),
                    link_status=bindparam("st"),
                ),
                updates,
            )
            counted = getattr(result, "rowcount", -1)
            linked += counted if counted >= 0 else len(updates)
            session.execute(insert(_table(LinkEvent)), events)
            advance(len(chunk))

        opened = _open_reviews(session, run.id, change.id, plan.reviews, clustering, current, now)

        for rows in index.key_rows(space.feature_batches()):
            index.write_keys(session, rows)
            advance(len(rows))
        index.drop_erased(session)

        run.persons_created = len(plan.roots_needing_person)
        run.records_linked = linked
        run.reviews_opened = opened
        run.finished_at = utcnow()
        audit.append(
            session,
            actor,
            AuditAction.LINKAGE_RUN,
            "linkage_run",
            run.id,
            refs={
                "change": change.id,
                "records": space.count,
                "persons_created": run.persons_created,
                "records_linked": linked,
                "reviews_opened": opened,
                "model_version": model.version,
            },
        )
        if linked:
            audit.append(
                session,
                actor,
                AuditAction.LINK_MERGED,
                "link_change",
                change.id,
                refs={"run": run.id, "records": linked},
            )
        return run.id, run.persons_created, linked, opened


def _create_persons(
    session: Session,
    roots: list[int],
    clustering: Clustering,
    nhs: dict[int, str],
    now: Any,
) -> dict[int, int]:
    """One new person per cluster, carrying the NHS number its records agree on."""
    if not roots:
        return {}
    wanted = set(roots)
    numbers: dict[int, set[str]] = {}
    for record_id, number in nhs.items():
        if record_id < len(clustering.parent):
            root = clustering.root(record_id)
            if root in wanted:
                numbers.setdefault(root, set()).add(number)
    created: dict[int, int] = {}
    for start in range(0, len(roots), WRITE_BATCH):
        chunk = roots[start : start + WRITE_BATCH]
        rows = []
        for root in chunk:
            found = numbers.get(root, set())
            rows.append({"nhs_number": next(iter(found)) if len(found) == 1 else None,
                         "created_at": now})  # fmt: skip
        ids = session.scalars(
            insert(_table(Person)).returning(_table(Person).c.id, sort_by_parameter_order=True),
            rows,
        ).all()
        created.update(zip(chunk, ids, strict=True))
    return created


def _open_reviews(
    session: Session,
    run_id: int,
    change_id: int,
    candidates: list[ReviewCandidate],
    clustering: Clustering,
    current: _Current,
    now: Any,
) -> int:
    """One review per pair of persons not already reviewed; subject: the smaller side."""
    if not candidates:
        return 0
    sizes: Counter[int] = Counter(clustering.root(r) for r in clustering.record_ids)
    reviewed = _pairs_already_reviewed(session)
    opened = 0
    subjects: list[int] = []
    for candidate in candidates:
        left_root, right_root = clustering.root(candidate.left), clustering.root(candidate.right)
        subject, other = candidate.left, candidate.right
        if (sizes[left_root], left_root) > (sizes[right_root], right_root):
            subject, other = other, subject
        persons = frozenset(
            {_person_now(session, candidate.left), _person_now(session, candidate.right)}
        )
        if persons in reviewed:
            continue
        reviewed.add(persons)
        session.add(
            LinkReview(
                run_id=run_id,
                record_id=subject,
                candidate_record_id=other,
                match_probability=candidate.probability,
                match_weight=candidate.weight,
                evidence=level_keys(candidate.gammas),
                status=ReviewStatus.OPEN,
                created_at=now,
            )
        )
        subjects.append(subject)
        opened += 1
    _mark_in_review(session, change_id, subjects)
    return opened


def _person_now(session: Session, record_id: int) -> int | None:
    return session.scalar(select(AgencyRecord.person_id).where(AgencyRecord.id == record_id))


def _pairs_already_reviewed(session: Session) -> set[frozenset[int | None]]:
    """Person pairs with a review of any status: a decided pair is not asked about again."""
    rows = session.execute(select(LinkReview.record_id, LinkReview.candidate_record_id)).all()
    return {frozenset({_person_now(session, a), _person_now(session, b)}) for a, b in rows}


def _mark_in_review(session: Session, change_id: int, record_ids: list[int]) -> None:
    for record_id in dict.fromkeys(record_ids):
        record = session.get(AgencyRecord, record_id)
        if record is None or record.link_status is LinkStatus.IN_REVIEW:
            continue
        session.add(
            LinkEvent(
                change_id=change_id,
                agency_record_id=record_id,
                from_person_id=record.person_id,
                to_person_id=record.person_id,
                from_status=record.link_status,
                to_status=LinkStatus.IN_REVIEW,
                match_probability=record.match_probability,
            )
        )
        record.link_status = LinkStatus.IN_REVIEW


ProgressAdvance = Callable[[int], None]


@contextmanager
def _progress(
    enabled: bool, console: Console | None
) -> Iterator[Callable[[str, int], ProgressAdvance]]:
    if not enabled:
        yield lambda _label, _total: lambda _n: None
        return
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console or Console(stderr=True),
    ) as progress:

        def add(label: str, total: int) -> ProgressAdvance:
            task = progress.add_task(label, total=total)
            return lambda n: progress.advance(task, n)

        yield add
