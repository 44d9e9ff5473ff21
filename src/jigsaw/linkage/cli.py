"""``jigsaw linkage``: train the model, link the records, evaluate against the truth."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from jigsaw.db import Database
from jigsaw.protection.master_key import open_database

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
        console.status("Reading records and training (u by sampling, m by EM)"),
        workspace(db, **extra) as space,
    ):
        model = train_person_model(
            space, version=version, options=TrainingOptions(seed=seed), source=source
        )
    db.dispose()
    model.save(output)
    console.print(f"Model {version} trained on {model.trained['records']:,} records: {output}")


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
) -> None:
    """Score linkage against the synthetic population's ground truth."""
    from jigsaw.linkage.evaluate import evaluate as run_evaluation

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


@app.command()
def reviews(
    database: DatabaseOption = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 20,
) -> None:
    """List the open review queue, most likely matches first."""
    from jigsaw.linkage.service import open_reviews
    from jigsaw.policy.actor import Actor

    db = _db(database)
    items = open_reviews(db, Actor.system(), limit=limit)
    db.dispose()
    table = Table(title="Open link reviews")
    for column in ("review", "record", "candidate", "probability", "evidence"):
        table.add_column(column)
    for item in items:
        agreed = ", ".join(f"{k}: {v}" for k, v in item.evidence.items())
        table.add_row(
            str(item.id),
            str(item.record_id),
            str(item.candidate_record_id),
            f"{item.match_probability:.4f}",
            agreed,
        )
    console.print(table)
