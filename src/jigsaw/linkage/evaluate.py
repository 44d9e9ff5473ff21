"""``jigsaw linkage evaluate``: how well linkage does against the generator's truth,
or, with ``--truth FILE``, against a sample a clerk labelled on any database
(``evaluate_labels``: the person index as it stands, scored over the labelled records).

Only a synthetic population has a truth table, and only this module reads it. The
table belongs to the generator, not to the service's schema, so it is imported here
when an evaluation runs and never when the service starts. For each model it reports:

* blocking recall: the share of true pairs any blocking rule makes a candidate, on
  either pass of the person model (a pair that is never scored can never be linked);
* pairwise precision, recall and F1 of the automatic links (clusters at the auto
  threshold), and again as if every review item were decided correctly, which is
  what the service delivers once reviewers have worked the queue;
* the size of the review queue and how many of its items are true matches;
* cluster purity (records in their cluster's majority person) and completeness.

The person model is compared, in the same run and on the same records, with a
generic configuration in the style of Splink's tutorials, trained the same way.
Nothing here writes to the service database.
"""

# ruff: noqa: S608 - SQL here is assembled from this module's own table names and
# numeric thresholds, never from input.

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
from sqlalchemy import select

from jigsaw.db import Database
from jigsaw.errors import JigsawError
from jigsaw.identity.models import Agency
from jigsaw.linkage import relational
from jigsaw.linkage.batch import edges_from
from jigsaw.linkage.clustering import Clustering, Edge, cluster
from jigsaw.linkage.engine import Workspace, workspace
from jigsaw.linkage.identifiers import workspace_counts
from jigsaw.linkage.metrics import PairMetrics, score_clusters
from jigsaw.linkage.person_model import LinkageModel, Thresholds
from jigsaw.linkage.predict import EdgeStore, chunk_count, gamma_columns, predict_edges
from jigsaw.linkage.training import TrainingOptions, train_generic_settings, train_person_model
from jigsaw.people.models import AgencyRecord

TRUTH_TABLE = "jigsaw_truth"
GENERIC_VERSION = "generic-tutorial"


@dataclass
class ModelReport:
    name: str
    version: str
    thresholds: dict[str, float]
    candidate_pairs: int
    blocking_recall: float
    automatic: dict[str, Any]
    after_review: dict[str, Any]
    review_items: int
    review_items_true: int
    seconds: float


@dataclass
class EvaluationReport:
    records: int
    true_pairs: int
    models: list[ModelReport] = field(default_factory=list)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def read_truth(db: Database) -> list[tuple[int, str]]:
    """Each generated record's true person, or a refusal where there is none to score
    against (any database not filled by ``jigsaw generate``, production above all)."""
    from jigsaw.synthetic.models import SyntheticTruth, has_truth_table

    if not has_truth_table(db.engine):
        raise JigsawError(
            "This database has no synthetic truth table: evaluation needs a population "
            "made by `jigsaw generate`."
        )
    with db.reading() as session:
        rows = session.execute(
            select(SyntheticTruth.agency_record_id, SyntheticTruth.true_person_key)
        ).all()
    if not rows:
        raise JigsawError(
            "This database has no synthetic truth: evaluation needs a generated population."
        )
    return [(row[0], row[1]) for row in rows]


def load_truth_pairs(rows: list[tuple[int, str]], space: Workspace) -> int:
    table = pa.table({"id": [r[0] for r in rows], "person": [r[1] for r in rows]})
    space.con.register("jigsaw_truth_rows", table)
    space.con.execute(f"CREATE OR REPLACE TABLE {TRUTH_TABLE} AS SELECT * FROM jigsaw_truth_rows")
    space.con.unregister("jigsaw_truth_rows")
    space.con.execute(
        "CREATE OR REPLACE TABLE jigsaw_true_pairs AS SELECT a.id AS id_l, b.id AS id_r "
        f"FROM {TRUTH_TABLE} a JOIN {TRUTH_TABLE} b ON a.person = b.person AND a.id < b.id"
    )
    return int(space.query("SELECT count(*) FROM jigsaw_true_pairs")[0][0])


def _truth(space: Workspace) -> dict[int, str]:
    return dict(space.query(f"SELECT id, person FROM {TRUTH_TABLE}"))  # type: ignore[arg-type]


def blocking_recall(
    space: Workspace, settings: dict[str, Any], true_pairs: int
) -> tuple[int, float]:
    linker = space.duckdb_linker(settings)
    blocked = linker.inference.compute_blocked_pairs_for_predict()
    name = blocked.physical_name
    candidates, found = space.query(
        f"WITH b AS (SELECT DISTINCT least(join_key_l, join_key_r) AS l, "
        f"greatest(join_key_l, join_key_r) AS r FROM {name}) "
        "SELECT (SELECT count(*) FROM b), "
        "(SELECT count(*) FROM jigsaw_true_pairs t JOIN b ON b.l = t.id_l AND b.r = t.id_r)"
    )[0]
    blocked.drop_table_from_database_and_remove_from_cache()
    return int(candidates), (found / true_pairs if true_pairs else 1.0)


def _perfect_review(clustering: Clustering, truth: dict[int, str]) -> tuple[int, int]:
    """Decide every review item as a reviewer who knew the truth would; count them."""
    items = clustering.review_items()
    true_items = 0
    for item in items:
        if truth.get(item.left) is not None and truth.get(item.left) == truth.get(item.right):
            true_items += 1
            a, b = clustering.root(item.left), clustering.root(item.right)
            if a != b:
                clustering.parent[b] = a
    return len(items), true_items


def _metrics(clustering: Clustering, truth: dict[int, str]) -> PairMetrics:
    predicted = {r: clustering.root(r) for r in clustering.record_ids}
    return score_clusters(predicted, truth)


def _plain_edges(store: EdgeStore, threshold: float) -> Iterator[Edge]:
    for batch in store.batches(threshold):
        data = batch.to_pydict()
        for i in range(batch.num_rows):
            yield Edge(
                data["id_l"][i], data["id_r"][i], data["match_probability"][i],
                data["match_weight"][i],
            )  # fmt: skip


def evaluate_settings(
    space: Workspace,
    name: str,
    version: str,
    settings: dict[str, Any],
    thresholds: Thresholds,
    truth: dict[int, str],
    true_pairs: int,
    *,
    guarded: bool,
    on_step: Callable[[str], None] | None = None,
) -> ModelReport:
    started = time.perf_counter()
    step = on_step or (lambda _message: None)
    step(f"{name}: scoring pairs")
    linker = space.duckdb_linker(settings)
    gammas = gamma_columns() if guarded else []
    store = EdgeStore(space.con, gammas, table=f"jigsaw_edges_{name}")
    store.create()
    for table in predict_edges(
        linker,
        chunks=chunk_count(space.count),
        threshold=max(thresholds.review - 1e-9, 0.0),
        gammas=gammas,
    ):
        store.add(table)
    if guarded:
        store.apply_guards()
    step(f"{name}: clustering")

    identifiers = space.identifiers() if guarded else None

    def clustered() -> Clustering:
        edges = (
            edges_from(store, thresholds.review)
            if guarded
            else _plain_edges(store, thresholds.review)
        )
        return cluster(
            space.record_ids(),
            edges,
            auto=thresholds.auto,
            review=thresholds.review,
            identifiers=identifiers,
        )

    clustering = clustered()
    if guarded and relational.fill_linked_children(space, clustering):
        step(f"{name}: scoring adults again through their linked children")
        relational.rescore_related(space, settings, store, thresholds.review)
        clustering = clustered()
    # After the second pass, so the linked children's blocking rule counts too.
    step(f"{name}: blocking")
    candidates, recall = blocking_recall(space, settings, true_pairs)
    automatic = _metrics(clustering, truth)
    items, true_items = _perfect_review(clustering, truth)
    reviewed = _metrics(clustering, truth)
    return ModelReport(
        name=name,
        version=version,
        thresholds={"auto": thresholds.auto, "review": thresholds.review},
        candidate_pairs=candidates,
        blocking_recall=recall,
        automatic=automatic.as_dict(),
        after_review=reviewed.as_dict(),
        review_items=items,
        review_items_true=true_items,
        seconds=round(time.perf_counter() - started, 2),
    )


def evaluate(
    db: Database,
    *,
    model: LinkageModel | None = None,
    retrain: bool = False,
    compare_generic: bool = True,
    options: TrainingOptions | None = None,
    on_step: Callable[[str], None] | None = None,
    memory_limit: str | None = None,
) -> EvaluationReport:
    """Score the person model (and the generic one) on this database's population.

    With ``retrain`` the person model is trained on these records first (as a
    deployment would), instead of using the shipped parameters.
    """
    started = time.perf_counter()
    step = on_step or (lambda _message: None)
    model = model or LinkageModel.load()
    extra: dict[str, Any] = {"memory_limit": memory_limit} if memory_limit else {}
    rows = read_truth(db)
    step("reading records")
    with workspace(db, **extra) as space:
        true_pairs = load_truth_pairs(rows, space)
        truth = _truth(space)
        report = EvaluationReport(records=space.count, true_pairs=true_pairs)
        if retrain:
            step("training the person model on these records")
            model = train_person_model(
                space, version=f"{model.version}-retrained", thresholds=model.thresholds,
                options=options,
            )  # fmt: skip
        report.models.append(
            evaluate_settings(
                space,
                "person",
                model.version,
                model.with_shared_values(workspace_counts(space)).splink_settings_for(space.count),
                model.thresholds,
                truth,
                true_pairs,
                guarded=True,
                on_step=step,
            )
        )
        if compare_generic:
            step("generic: training")
            generic = train_generic_settings(space, options)
            generic["retain_matching_columns"] = False
            report.models.append(
                evaluate_settings(
                    space,
                    "generic",
                    GENERIC_VERSION,
                    generic,
                    model.thresholds,
                    truth,
                    true_pairs,
                    guarded=False,
                    on_step=step,
                )
            )
    report.seconds = round(time.perf_counter() - started, 2)
    return report


# Against a clerically labelled sample: any database, not only a generated one

TRUTH_COLUMNS = ("local_id", "entity_id")
AGENCY_COLUMN = "agency"


@dataclass(frozen=True)
class Label:
    """One labelled record as the truth file names it: the agency's own id for the
    record, the entity (true person) a clerk put it in, and optionally the agency."""

    local_id: str
    entity_id: str
    agency: str | None
    line: int


@dataclass
class LabelledReport:
    truth_file: str
    labelled_records: int
    entities: int
    true_pairs: int
    linked: dict[str, Any]
    """Pairwise scores of the person index as it stands (runs and reviewers' decisions)."""
    model_version: str | None = None
    candidate_pairs: int | None = None
    blocking_recall: float | None = None
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def read_labels(path: Path) -> list[Label]:
    """The truth file's rows, or one line saying what is wrong with it.

    A CSV with a header of ``local_id,entity_id`` and, where one local id is used by
    more than one agency, an ``agency`` column holding the agency's id or exact name.
    """
    if not path.is_file():
        raise JigsawError(f"No truth file at {path}: give a CSV of local_id,entity_id")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise JigsawError(f"Cannot read the truth file {path}: {exc}") from None
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    allowed = {*TRUTH_COLUMNS, AGENCY_COLUMN}
    if not set(TRUTH_COLUMNS) <= set(header) or set(header) - allowed:
        raise JigsawError(
            f"The truth file's header is {','.join(header) or 'empty'}: it must be "
            "local_id,entity_id (and optionally agency)"
        )
    reader.fieldnames = header
    labels: list[Label] = []
    seen: set[tuple[str, str | None]] = set()
    for number, row in enumerate(reader, start=2):
        local = (row.get("local_id") or "").strip()
        entity = (row.get("entity_id") or "").strip()
        agency = (row.get(AGENCY_COLUMN) or "").strip() or None
        if not local or not entity:
            raise JigsawError(f"Line {number} of the truth file has no local_id or entity_id")
        if (local, agency) in seen:
            raise JigsawError(f"Line {number} of the truth file repeats local id {local!r}")
        seen.add((local, agency))
        labels.append(Label(local, entity, agency, number))
    if not labels:
        raise JigsawError(f"The truth file {path} has a header but no labelled records")
    return labels


def resolve_labels(db: Database, labels: list[Label]) -> list[tuple[int, str]]:
    """(agency record id, entity) for each label, or one line naming what did not match."""
    wanted = sorted({label.local_id for label in labels})
    held: dict[str, list[tuple[int, int, str]]] = {}
    with db.reading() as session:
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            for record_id, local_id, agency_id, name in session.execute(
                select(AgencyRecord.id, AgencyRecord.local_id, Agency.id, Agency.name)
                .join(Agency, Agency.id == AgencyRecord.agency_id)
                .where(AgencyRecord.local_id.in_(chunk))
            ):
                held.setdefault(local_id, []).append((record_id, agency_id, name))
    resolved: list[tuple[int, str]] = []
    unknown: list[str] = []
    for label in labels:
        found = held.get(label.local_id, [])
        if label.agency is not None:
            found = [f for f in found if label.agency in (str(f[1]), f[2])]
        if not found:
            unknown.append(label.local_id)
            continue
        if len(found) > 1:
            raise JigsawError(
                f"Local id {label.local_id!r} (line {label.line}) is held by {len(found)} "
                "agencies: add an agency column with the agency's id or name"
            )
        resolved.append((found[0][0], label.entity_id))
    if unknown:
        shown = ", ".join(repr(u) for u in unknown[:5])
        more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        raise JigsawError(
            f"{len(unknown)} labelled local ids are not in this database: {shown}{more}"
        )
    if len({record_id for record_id, _ in resolved}) != len(resolved):
        raise JigsawError("The truth file names one agency record twice")
    return resolved


def evaluate_labels(
    db: Database,
    path: Path,
    *,
    model: LinkageModel | None = None,
    blocking: bool = True,
    on_step: Callable[[str], None] | None = None,
    memory_limit: str | None = None,
) -> LabelledReport:
    """Score this database's person index against a clerically labelled sample.

    Pairwise precision, recall and F1 are counted over the labelled records only: a
    pair is predicted when both records are on one person now (after runs and
    reviewers' decisions; a record on no person is alone), and true when the clerk put
    both in one entity. With ``blocking``, the share of true pairs the blocking rules a
    run uses make candidates is measured too (reading every record, as a run does): the
    code's rules (``LinkageModel.splink_settings_for``), not those a model file holds.
    Nothing is written.
    """
    started = time.perf_counter()
    step = on_step or (lambda _message: None)
    step("reading the truth file")
    truth_rows = resolve_labels(db, read_labels(path))
    truth = dict(truth_rows)
    with db.reading() as session:
        predicted: dict[int, int] = {}
        ids = sorted(truth)
        for start in range(0, len(ids), 500):
            for record_id, person_id in session.execute(
                select(AgencyRecord.id, AgencyRecord.person_id).where(
                    AgencyRecord.id.in_(ids[start : start + 500])
                )
            ):
                predicted[record_id] = person_id if person_id is not None else -record_id
    scores = score_clusters(predicted, truth)
    report = LabelledReport(
        truth_file=str(path),
        labelled_records=len(truth),
        entities=len(set(truth.values())),
        true_pairs=scores.true_pairs,
        linked=scores.as_dict(),
    )
    if blocking:
        model = model or LinkageModel.load()
        step("blocking")
        extra: dict[str, Any] = {"memory_limit": memory_limit} if memory_limit else {}
        with workspace(db, **extra) as space:
            true_pairs = load_truth_pairs(truth_rows, space)
            settings = model.splink_settings_for(space.count)
            candidates, recall = blocking_recall(space, settings, true_pairs)
        report.model_version = model.version
        report.candidate_pairs = candidates
        report.blocking_recall = recall
    report.seconds = round(time.perf_counter() - started, 2)
    return report
