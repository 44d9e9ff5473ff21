"""``jigsaw import``: bring an agency's records, and what it knows about them, in from
its own system's files.

Each file is one import, acting as the agency's service: written in batches, each
batch one unit of work with its audit entry (``imports.service``). The report is
printed and kept as JSON beside the quarantine file of refused rows. A refused file
(no such agency, a header that cannot be read) is one line and exit status 1; rows
refused inside a file are not an error of the command: the rest went in.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from jigsaw.errors import InvalidInput
from jigsaw.imports.import_kind import ImportKind

if TYPE_CHECKING:
    from jigsaw.imports.pool import RowPool

console = Console(stderr=True)

# The command's options are read (for ``--help`` too) before any of the import's own
# code is loaded: the row checks and the database models, the service and the linkage
# it uses. So the two numbers the options show are written out here, and
# ``tests/test_cli_startup.py`` holds them equal to the ones the import uses.
DEFAULT_BATCH_SIZE = 5_000
"""``imports.service.DEFAULT_BATCH_SIZE``."""
MAX_WORKERS = 4
"""``imports.pool.MAX_WORKERS``."""


class _Shown:
    """A progress bar on a terminal, and nothing when the output goes to a file."""

    def __init__(self, bar: Progress | None, total: int | None = None) -> None:
        self.bar = bar
        self.task = bar.add_task("", total=total) if bar is not None else None

    def advance(self, done: int) -> None:
        if self.bar is not None and self.task is not None:
            self.bar.advance(self.task, done)

    def total(self, total: int) -> None:
        if self.bar is not None and self.task is not None:
            self.bar.update(self.task, total=total)


@contextmanager
def _bar(label: str, enabled: bool, total: int | None = None) -> Iterator[_Shown]:
    if not enabled:
        yield _Shown(None)
        return
    with Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
    ) as bar:
        yield _Shown(bar, total)


def import_command(
    files: Annotated[
        list[Path], typer.Argument(help="CSV (with a header row) or JSON Lines files.")
    ],
    agency: Annotated[int, typer.Option("--agency", help="The id of the agency they are from.")],
    kind: Annotated[
        ImportKind | None,
        typer.Option(
            "--kind",
            help="records, relationships, involvements or items; by default each file's "
            "header (or first JSON line) says which.",
        ),
    ] = None,
    link: Annotated[
        bool,
        typer.Option(
            "--link/--no-link",
            help="Link new and changed records at once with the online match (the default); "
            "--no-link leaves them for `jigsaw linkage run`, for a first load of a whole system.",
        ),
    ] = True,
    batch_size: Annotated[
        int, typer.Option("--batch-size", min=1, max=50_000, help="Rows per transaction.")
    ] = DEFAULT_BATCH_SIZE,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out-dir",
            help="Where the report (NAME.import-report.json) and refused rows "
            "(NAME.quarantine.csv or .jsonl) go; defaults to each file's own folder.",
        ),
    ] = None,
    database: Annotated[str | None, typer.Option("--database", help="SQLAlchemy URL.")] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=0,
            max=MAX_WORKERS,
            help="Processes that check a file of records' rows while this one writes them; "
            "0 checks them here. By default two fewer than the machine's cores (none on "
            f"two), at most {MAX_WORKERS}.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Import an agency's records (people it knows, with their identifiers), or the
    relationships, involvements and information items about them, from files."""
    from jigsaw.imports.pool import default_workers, row_pool

    if out_dir is not None and not out_dir.is_dir():
        raise InvalidInput.one("--out-dir", f"There is no folder {out_dir}")
    # The workers start before the database is opened, so they carry none of it.
    with row_pool(default_workers() if workers is None else workers) as pool:
        _import_files(files, agency, kind, link, batch_size, out_dir, database, pool)


def _import_files(
    files: list[Path],
    agency: int,
    kind: ImportKind | None,
    link: bool,
    batch_size: int,
    out_dir: Path | None,
    database: str | None,
    pool: RowPool | None,
) -> None:
    from jigsaw.imports import service
    from jigsaw.protection.master_key import open_database

    db = open_database(url=database)
    show = console.is_terminal
    try:
        for path in files:
            folder = out_dir or path.parent
            quarantine = folder / f"{path.stem}.quarantine{path.suffix.lower()}"
            with _bar(f"Importing {path.name}", show) as shown:
                report = service.import_file(
                    db,
                    agency,
                    path,
                    kind=kind,
                    quarantine=quarantine,
                    batch_size=batch_size,
                    link=False,
                    progress=shown.advance,
                    total=shown.total,
                    pool=pool,
                )
            if link and report.to_link:
                with _bar(f"Linking {path.name}", show, len(report.to_link)) as shown:
                    service.link_imported(db, report, shown.advance)
            service.write_report(report, folder / f"{path.stem}.import-report.json")
            typer.echo(report.describe())
    finally:
        db.dispose()
