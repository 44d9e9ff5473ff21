"""``jigsaw audit``: checkpoints to keep elsewhere, proofs, and verification."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from jigsaw.audit import service
from jigsaw.audit.checkpoint_key import new_seed_text, signer_for
from jigsaw.audit.signing import VerifierKey
from jigsaw.config import get_settings
from jigsaw.db import Database

app = typer.Typer(no_args_is_help=True, help="The tamper-evident audit log.")
console = Console(stderr=True)

DatabaseOption = Annotated[str | None, typer.Option("--database", help="SQLAlchemy URL.")]


def _db(database: str | None) -> Database:
    return Database(database or get_settings().database_url)


@app.command()
def keygen() -> None:
    """Print a new checkpoint signing key (set it as JIGSAW_AUDIT_SIGNING_KEY)."""
    typer.echo(new_seed_text())


@app.command()
def pubkey() -> None:
    """Print the verifier key others need to check this log's checkpoints."""
    typer.echo(signer_for(get_settings()).verifier.encoded())


@app.command()
def checkpoint(
    database: DatabaseOption = None,
    every: Annotated[
        float | None,
        typer.Option(min=1, help="Keep running, signing a new checkpoint every N seconds."),
    ] = None,
) -> None:
    """Sign the current tree head and print it, to be stored outside the system.

    With ``--every`` it runs as a small service (or use cron/systemd timers without it);
    a checkpoint is only added when the log has grown.
    """
    db, signer = _db(database), signer_for(get_settings())
    while True:
        with db.unit_of_work() as work:
            made = service.make_checkpoint(work, signer)
        typer.echo(made.note, nl=False)
        if every is None:
            return
        time.sleep(every)


@app.command()
def prove(
    entry: Annotated[int, typer.Option("--entry", min=0, help="Sequence number of the entry.")],
    tree_size: Annotated[int | None, typer.Option(min=1)] = None,
    database: DatabaseOption = None,
) -> None:
    """Print an RFC 9162 inclusion proof for one entry as JSON."""
    proof = service.prove_inclusion(_db(database), entry, tree_size)
    typer.echo(json.dumps(proof.model_dump(), indent=2))


@app.command()
def verify(
    checkpoint_file: Annotated[
        list[Path] | None,
        typer.Option(
            "--checkpoint", exists=True, dir_okay=False, help="A checkpoint kept elsewhere."
        ),
    ] = None,
    key: Annotated[
        str | None, typer.Option(help="Trusted verifier key; defaults to this deployment's.")
    ] = None,
    database: DatabaseOption = None,
) -> None:
    """Recompute the whole log; exit 1 and name each problem if it has been tampered with."""
    trusted = VerifierKey.parse(key) if key else signer_for(get_settings()).verifier
    external = [(f"checkpoint file {p}", p.read_text()) for p in checkpoint_file or []]
    with console.status("Verifying the audit log…"):
        report = service.verify(_db(database), trusted, external)
    if report.ok:
        console.print(
            f"[green]OK[/green]: {report.size} entries, "
            f"{report.checkpoints_checked} checkpoint(s) consistent."
        )
        return
    for problem in report.problems:
        where = f"entry {problem.seq}: " if problem.seq is not None else ""
        console.print(f"[red]{problem.kind.value}[/red] {where}{problem.message}")
    sys.exit(1)
