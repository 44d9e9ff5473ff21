"""``jigsaw linkage``: train the model, link the records, evaluate against the truth."""

from __future__ import annotations

import json
import tempfile
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from jigsaw.db import Database
from jigsaw.protection.master_key import open_database
from jigsaw.spreadsheet import csv_text

app = typer.Typer(no_args_is_help=True, help="Record linkage: the person index.")
console = Console(stderr=True)

DatabaseOption = Annotated[str | None, typer.Option("--database", help="SQLAlchemy URL.")]
ModelOption = Annotated[
    Path | None, typer.Option("--model", help="A model JSON; defaults to the shipped model.")
]
MemoryOption = Annotated[
    str | None, typer.Option("--memory-limit", help="DuckDB memory cap, e.g. 4GB.")
]


def _db(database: str | None) -> Database:
    return open_database(url=database)


def load_model(path: Path | None) -> Any:
    from jigsaw.linkage.person_model import LinkageModel

    return LinkageModel.load(path) if path else LinkageModel.load()


@app.command()
def run(
    backend: Annotated[str, typer.Option(help="duckdb (one machine) or spark.")] = "duckdb",
    database: DatabaseOption = None,
    model: ModelOption = None,
    spark_master: Annotated[
        str, typer.Option(help="Spark master URL for --backend spark.")
    ] = "local[2]",
    memory_limit: MemoryOption = None,
) -> None:
    """Link every agency record into the person index (review queue for the unsure)."""
    from jigsaw.linkage.batch import run_linkage

    if backend not in ("duckdb", "spark"):
        raise typer.BadParameter("Choose duckdb or spark", param_hint="--backend")
    db = _db(database)
    spark = None
    if backend == "spark":
        from jigsaw.linkage.spark import spark_config, start_session

        scratch = Path(tempfile.mkdtemp(prefix="jigsaw-spark-"))
        spark = start_session(spark_config(master=spark_master, scratch=scratch))
    try:
        summary = run_linkage(
            db,
            model=load_model(model),
            backend="spark" if backend == "spark" else "duckdb",
            spark=spark,
            progress=True,
            console=console,
            memory_limit=memory_limit,
        )
    finally:
        if spark is not None:
            spark.stop()
        db.dispose()
    console.print(summary.describe())


@app.command()
def train(
    output: Annotated[Path, typer.Option("--output", help="Where to write the model JSON.")],
    version: Annotated[str, typer.Option(help="Version string runs will record.")],
    database: DatabaseOption = None,
    seed: Annotated[int, typer.Option(help="Seed for the random pairs u is estimated on.")] = 42,
    source: Annotated[
        str, typer.Option(help="What the records were, for the model file (no personal data).")
    ] = "records given to `jigsaw linkage train`",
    memory_limit: MemoryOption = None,
) -> None:
    """Train the person model on this database's records, without labels.

    The normal path for a deployment: how often names, postcodes and addresses coincide,
    and how often records match, belong to its own records and size; the shipped model
    is where it starts. Link with the result: `jigsaw linkage run --model FILE`.
    """
    from jigsaw.linkage.engine import workspace
    from jigsaw.linkage.training import TrainingOptions, train_person_model

    db = _db(database)
    extra: dict[str, Any] = {"memory_limit": memory_limit} if memory_limit else {}
    with (
        console.status(
            "Reading records and training (u by sampling, m by EM, the prior from the scores)"
        ),
        workspace(db, **extra) as space,
    ):
        model = train_person_model(
            space, version=version, options=TrainingOptions(seed=seed), source=source
        )
    db.dispose()
    model.save(output)
    console.print(f"Model {version} trained on {model.trained['records']:,} records: {output}")
    console.print(
        f"Matches per record, as the model's scores say: {model.expected_matches_per_record:.3f} "
        f"(the deterministic rules' count said "
        f"{model.trained['expected_matches_per_record_by_rules']:.3f})"
    )


@app.command()
def evaluate(
    database: DatabaseOption = None,
    output: Annotated[
        Path | None, typer.Option("--output", help="Write the report as JSON.")
    ] = None,
    model: ModelOption = None,
    retrain: Annotated[
        bool, typer.Option(help="Train the person model on these records first.")
    ] = False,
    generic: Annotated[
        bool, typer.Option("--generic/--no-generic", help="Compare with a generic model.")
    ] = True,
    memory_limit: MemoryOption = None,
    truth: Annotated[
        Path | None,
        typer.Option(
            "--truth",
            help="A clerically labelled sample, CSV local_id,entity_id[,agency]: score this "
            "database's person index over those records instead of the synthetic truth.",
        ),
    ] = None,
    blocking: Annotated[
        bool,
        typer.Option("--blocking/--no-blocking", help="With --truth: measure blocking recall."),
    ] = True,
) -> None:
    """Score linkage against the synthetic population's ground truth, or a labelled sample."""
    from jigsaw.linkage.evaluate import evaluate as run_evaluation

    if truth is not None:
        _evaluate_labelled(database, truth, model, blocking, memory_limit, output)
        return
    db = _db(database)
    with console.status("Evaluating") as status:
        report = run_evaluation(
            db,
            model=load_model(model),
            retrain=retrain,
            compare_generic=generic,
            on_step=lambda message: status.update(f"Evaluating: {message}"),
            memory_limit=memory_limit,
        )
    db.dispose()
    data = report.as_dict()
    console.print(evaluation_table(data))
    if output is not None:
        output.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        console.print(f"Written to {output}")


def _evaluate_labelled(
    database: str | None,
    truth: Path,
    model: Path | None,
    blocking: bool,
    memory_limit: str | None,
    output: Path | None,
) -> None:
    from jigsaw.linkage.evaluate import evaluate_labels, read_labels, resolve_labels

    labels = read_labels(truth)  # a bad file is told before the database is opened
    db = _db(database)
    try:
        resolve_labels(db, labels)  # and unknown local ids before the model is loaded
        with console.status("Evaluating against the labels") as status:
            report = evaluate_labels(
                db,
                truth,
                model=load_model(model) if blocking else None,
                blocking=blocking,
                on_step=lambda message: status.update(f"Evaluating: {message}"),
                memory_limit=memory_limit,
            )
    finally:
        db.dispose()
    data = report.as_dict()
    linked = data["linked"]
    table = Table(
        title=f"Person index against {truth.name}: {data['labelled_records']:,} labelled "
        f"records, {data['entities']:,} entities, {data['true_pairs']:,} true pairs"
    )
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row("precision", f"{linked['precision']:.5f}")
    table.add_row("recall", f"{linked['recall']:.5f}")
    table.add_row("F1", f"{linked['f1']:.5f}")
    table.add_row(
        "pairs linked (correct)", f"{linked['predicted_pairs']:,} ({linked['correct_pairs']:,})"
    )
    if data["blocking_recall"] is not None:
        table.add_row(
            f"blocking recall ({data['model_version']})", f"{data['blocking_recall']:.5f}"
        )
        table.add_row("candidate pairs", f"{data['candidate_pairs']:,}")
    console.print(table)
    if output is not None:
        output.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        console.print(f"Written to {output}")


def evaluation_table(data: dict[str, Any]) -> Table:
    table = Table(
        title=f"Linkage against the truth: {data['records']:,} records, "
        f"{data['true_pairs']:,} true pairs, {data['seconds']:,.0f} s"
    )
    table.add_column("measure")
    models = data["models"]
    for entry in models:
        table.add_column(f"{entry['name']} ({entry['version']})", justify="right")
    rows: list[tuple[str, Any]] = [
        ("candidate pairs", lambda m: f"{m['candidate_pairs']:,}"),
        ("blocking recall", lambda m: f"{m['blocking_recall']:.4f}"),
        ("auto: precision", lambda m: f"{m['automatic']['precision']:.5f}"),
        ("auto: recall", lambda m: f"{m['automatic']['recall']:.5f}"),
        ("auto: F1", lambda m: f"{m['automatic']['f1']:.5f}"),
        ("review queue (true)", lambda m: f"{m['review_items']:,} ({m['review_items_true']:,})"),
        ("reviewed: precision", lambda m: f"{m['after_review']['precision']:.5f}"),
        ("reviewed: recall", lambda m: f"{m['after_review']['recall']:.5f}"),
        ("reviewed: F1", lambda m: f"{m['after_review']['f1']:.5f}"),
        ("cluster purity", lambda m: f"{m['automatic']['purity']:.5f}"),
        ("completeness", lambda m: f"{m['automatic']['completeness']:.5f}"),
        ("seconds", lambda m: f"{m['seconds']:,.0f}"),
    ]
    for label, cell in rows:
        table.add_row(label, *[cell(m) for m in models])
    return table


class Format(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"


REVIEW_COLUMNS = (
    "review",
    "probability",
    "question",
    "record",
    "record_agency_kind",
    "candidate",
    "candidate_agency_kind",
    "evidence",
    "waiting_since",
)
SIDE_FIELDS = ("given_name", "family_name", "date_of_birth", "sex", "postcode", "nhs_number")


def review_rows(items: list[Any], with_records: bool) -> tuple[list[str], list[list[Any]]]:
    """The queue as a header and rows, for the table and the CSV alike."""
    header = list(REVIEW_COLUMNS)
    if with_records:
        header += [f"{side}_{name}" for side in ("record", "candidate") for name in SIDE_FIELDS]
    rows: list[list[Any]] = []
    for item in items:
        row: list[Any] = [
            item.id,
            f"{item.match_probability:.4f}",
            item.question,
            item.record_id,
            item.record_agency_kind.value,
            item.candidate_record_id,
            item.candidate_agency_kind.value,
            "; ".join(f"{k}: {v}" for k, v in item.evidence.items()),
            item.created_at.isoformat(),
        ]
        if with_records:
            for side in (item.record, item.candidate):
                values = side.model_dump(mode="json") if side is not None else {}
                row += [values.get(name) or "" for name in SIDE_FIELDS]
        rows.append(row)
    return header, rows


@app.command()
def reviews(
    database: DatabaseOption = None,
    limit: Annotated[int, typer.Option(min=1, max=1_000_000, help="How many pairs.")] = 50,
    offset: Annotated[int, typer.Option(min=0, help="How many to skip first.")] = 0,
    output_format: Annotated[Format, typer.Option("--format", help="How to print them.")] = (
        Format.TABLE
    ),
    agency: Annotated[
        int | None, typer.Option(help="Only pairs with a record held by this agency (id).")
    ] = None,
    agency_kind: Annotated[
        str | None, typer.Option(help="Only pairs with a record held by this kind of agency.")
    ] = None,
    about: Annotated[
        str | None, typer.Option(help="child (both records children's) or person (any other).")
    ] = None,
    min_probability: Annotated[float | None, typer.Option(min=0.0, max=1.0)] = None,
    max_probability: Annotated[float | None, typer.Option(min=0.0, max=1.0)] = None,
    records: Annotated[
        bool, typer.Option("--records/--no-records", help="Include both records' identity fields.")
    ] = False,
) -> None:
    """List the open review queue, most likely matches first (audited as the system).

    JSON and CSV go to standard output for other tools; CSV cells that a spreadsheet
    would run as a formula are neutralised."""
    from jigsaw.linkage.service import QueueFilter, review_queue
    from jigsaw.policy.actor import Actor
    from jigsaw.policy.roles import AgencyKind

    kinds = {k.value: k for k in AgencyKind}
    if agency_kind is not None and agency_kind not in kinds:
        raise typer.BadParameter(f"Choose one of {', '.join(kinds)}", param_hint="--agency-kind")
    if about not in (None, "child", "person"):
        raise typer.BadParameter("Choose child or person", param_hint="--about")
    filters = QueueFilter(
        agency_id=agency,
        agency_kind=kinds[agency_kind] if agency_kind else None,
        about="child" if about == "child" else "person" if about == "person" else None,
        min_probability=min_probability,
        max_probability=max_probability,
    )
    db = _db(database)
    try:
        items, total = review_queue(
            db, Actor.system(), limit=limit, offset=offset, filters=filters, with_records=records
        )
    finally:
        db.dispose()
    if output_format is Format.JSON:
        document = {
            "total": total,
            "offset": offset,
            "limit": limit,
            "reviews": [item.model_dump(mode="json") for item in items],
        }
        typer.echo(json.dumps(document, indent=2))
        return
    header, rows = review_rows(items, records)
    if output_format is Format.CSV:
        typer.echo(csv_text(header, rows), nl=False)
        return
    shown = (
        f"{offset + 1:,} to {offset + len(items):,} of {total:,}" if items else f"none of {total:,}"
    )
    table = Table(title=f"Open link reviews: {shown}")
    for column in header:
        table.add_column(column)
    for row in rows:
        table.add_row(*[str(cell) for cell in row])
    Console().print(table)


@app.command()
def unmerge(
    record_ids: Annotated[
        list[int] | None, typer.Argument(help="Agency records to detach from their person.")
    ] = None,
    review: Annotated[
        int | None, typer.Option("--review", help="Undo the link confirmed in this review.")
    ] = None,
    reason: Annotated[str, typer.Option(help="Why, for the link history.")] = "",
    database: DatabaseOption = None,
) -> None:
    """Separate records wrongly linked as one person, as the data controller.

    Either name the records to detach (they get a person of their own) or undo a
    reviewer's confirmation with --review. Audited, and everyone who works with the
    person is told, in the same transaction."""
    from jigsaw.linkage.service import undo_link
    from jigsaw.linkage.service import unmerge as detach
    from jigsaw.policy.actor import Actor

    if bool(record_ids) == (review is not None):
        raise typer.BadParameter("Name agency record ids, or --review ID, not both")
    db = _db(database)
    try:
        if review is not None:
            change = undo_link(db, Actor.system(), review, reason)
        else:
            change = detach(db, Actor.system(), record_ids or [], reason)
    finally:
        db.dispose()
    records = ", ".join(str(r) for r in change.records)
    console.print(
        f"Change {change.change_id}: records {records} moved from person "
        f"{change.from_person_id} to person {change.to_person_id}"
    )
