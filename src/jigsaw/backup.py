"""Backing up and restoring the database without losing a committed transaction.

A plain copy of a SQLite file taken while the service writes is not a backup: the
write-ahead log holds recent commits outside the main file, and a copy of the two
taken at different moments misses or tears them. SQLite's online backup API copies
one consistent snapshot of the database, WAL included, while writers carry on.
PostgreSQL's own tools do the same there: ``pg_dump`` reads one snapshot (custom
format, so ``pg_restore`` can clean and recreate), and ``pg_restore`` loads it in a
single transaction. The write-once guards are part of the schema, so they come
back with the dump.

The password in a PostgreSQL URL is handed to the tools in their environment
(``PGPASSWORD``), never on a command line where other users of the machine could
read it. Neither file holds a master key: a backup is unreadable without the key
kept in the secrets manager, and the key is backed up separately.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from jigsaw.db import make_engine
from jigsaw.migrate import populated_tables


class BackupRefused(Exception):
    """The backup or restore would overwrite something the caller did not say could go."""


@dataclass(frozen=True)
class BackupTool:
    """How one PostgreSQL tool is run against one database: arguments and environment."""

    arguments: list[str]
    environment: dict[str, str]


def _postgres(url: URL, tool: str, *arguments: str) -> BackupTool:
    program = shutil.which(tool)
    if program is None:
        raise BackupRefused(f"{tool} is not installed; install the PostgreSQL client tools")
    connection = []
    if url.host:
        connection += ["--host", url.host]
    if url.port:
        connection += ["--port", str(url.port)]
    if url.username:
        connection += ["--username", url.username]
    environment = dict(os.environ)
    if url.password is not None:
        environment["PGPASSWORD"] = str(url.password)
    return BackupTool(
        [program, *connection, "--dbname", url.database or "", *arguments], environment
    )


def _run(tool: BackupTool) -> None:
    done = subprocess.run(  # noqa: S603 (arguments are a list, not a shell line)
        tool.arguments, env=tool.environment, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise BackupRefused(f"{Path(tool.arguments[0]).name} failed: {done.stderr.strip()}")


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupRefused("An in-memory SQLite database cannot be backed up or restored")
    return Path(url.database)


def _copy_sqlite(source: Path, target: Path) -> None:
    """One consistent snapshot of ``source`` written into ``target`` (online backup API)."""
    reading = sqlite3.connect(source)
    try:
        writing = sqlite3.connect(target)
        try:
            reading.backup(writing)  # every page in one step: one snapshot, WAL included
        finally:
            writing.close()
    finally:
        reading.close()


def backup(database_url: str, output: Path, *, overwrite: bool = False) -> None:
    """Write a consistent backup of the database to ``output`` while the service runs."""
    if output.exists() and not overwrite:
        raise BackupRefused(f"{output} already exists; choose another name or --overwrite")
    url = make_url(database_url)
    partial = output.with_name(output.name + ".partial")
    partial.unlink(missing_ok=True)
    if url.get_backend_name() == "postgresql":
        _run(_postgres(url, "pg_dump", "--format=custom", "--file", str(partial)))
    else:
        source = _sqlite_path(url)
        if not source.is_file():
            raise BackupRefused(f"There is no database at {source}")
        _copy_sqlite(source, partial)
    partial.replace(output)  # a backup file either is complete or does not exist


def restore(database_url: str, backup_file: Path, *, force: bool = False) -> None:
    """Replace the database's contents with a backup; refused over data unless forced.

    Stop every app worker and scheduled command first: they would write into a
    database that is being replaced.
    """
    if not backup_file.is_file():
        raise BackupRefused(f"{backup_file} is not a backup file")
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            populated = populated_tables(connection)
    finally:
        engine.dispose()
    if populated and not force:
        raise BackupRefused(
            "Refusing to restore over a database that holds data "
            f"({', '.join(populated[:8])}{' …' if len(populated) > 8 else ''}); "
            "restore into an empty database, or pass --force to replace everything in it"
        )
    url = make_url(database_url)
    if url.get_backend_name() == "postgresql":
        _run(
            _postgres(
                url,
                "pg_restore",
                "--clean",
                "--if-exists",
                "--single-transaction",
                "--exit-on-error",
                str(backup_file),
            )
        )
    else:
        target = _sqlite_path(url)
        target.parent.mkdir(parents=True, exist_ok=True)
        _copy_sqlite(backup_file, target)
