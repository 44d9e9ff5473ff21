"""Where linkage does its heavy lifting: a scratch DuckDB file, and Spark when asked.

Each run or evaluation copies the agency records, as model features, into a DuckDB
file in a temporary folder: one pass over the service database, streamed in
batches. DuckDB is given a memory cap and a spill folder, so a large run slows down
rather than running out of memory. The scored pairs that survive the review
threshold come back into the same file, whichever engine scored them, so clustering
and evaluation read them one way.

With the Spark backend the features are written to Parquet in the scratch folder and
Spark reads them from there; on a cluster the folder would be shared storage.

Scratch folders live in one known place (``jigsaw-linkage`` in the temporary
directory, so ``TMPDIR`` moves it to a disk with room), named by process id and
start time. A run holds a lock on its folder while it lives, and every run starts by
removing the folders whose lock nobody holds: a run that was killed (and so never
cleaned up after itself) leaves its files only until the next run begins.
"""

# ruff: noqa: S608 - SQL here is assembled from this module's own table names and
# numeric thresholds, never from input.

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import duckdb
import pyarrow as pa
from splink import DuckDBAPI, Linker

from jigsaw.db import Database
from jigsaw.linkage import frequencies
from jigsaw.linkage.source import (
    DEFAULT_BATCH,
    FEATURE_SCHEMA,
    RELATIONSHIP_SCHEMA,
    record_batches,
    relationship_batches,
)

Backend = Literal["duckdb", "spark"]
RECORDS_TABLE = "jigsaw_records"
RELATIONSHIPS_TABLE = "jigsaw_child_links"
DEFAULT_MEMORY_LIMIT = "4GB"
SCRATCH_FOLDER = "jigsaw-linkage"
_IN_USE = ".in-use"
_SWEEPING = ".sweeping"


def quiet_splink() -> None:
    """Splink logs every step at INFO; the command line shows its own progress instead."""
    logging.getLogger("splink").setLevel(logging.WARNING)


@dataclass
class Workspace:
    """One run's scratch DuckDB: the records as features, then the scored pairs."""

    con: duckdb.DuckDBPyConnection
    folder: Path
    count: int = 0
    _duckdb_api: DuckDBAPI | None = field(default=None, repr=False)
    _linkers: int = 0
    _frequency_tables: dict[str, str] = field(default_factory=dict, repr=False)
    """Each frequency look-up made so far, by the SQL that counted it: the run's first
    pass, its relational pass and training's linker weigh names from the same counts,
    and the records' names never change within a workspace."""

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        """Run SQL and fetch everything (DuckDB 2 refuses new work while rows are unread)."""
        return self.con.execute(sql).fetchall()

    def duckdb_linker(self, settings: dict[str, Any], source: str = RECORDS_TABLE) -> Linker:
        if self._duckdb_api is None:
            self._duckdb_api = DuckDBAPI(connection=self.con)
        self._linkers += 1
        # Each linker (the model, the generic one) needs its own name for the same table.
        table = self._duckdb_api.register(source, table_name=f"records_{self._linkers}")
        linker = Linker(table, settings, log_level=logging.WARNING)
        for column, level in frequencies.adjusted_columns(settings).items():
            lookup = self._duckdb_api.register(self._frequency_table(column, level))
            linker.table_management.register_term_frequency_lookup(lookup, column)
        return linker

    def _frequency_table(self, column: str, level: frequencies.FrequencyLevel) -> str:
        counting = frequencies.frequency_sql(RECORDS_TABLE, level)
        name = self._frequency_tables.get(counting)
        if name is None:
            name = f"jigsaw_frequency_{column}_{len(self._frequency_tables) + 1}"
            self.con.execute(f"CREATE OR REPLACE TABLE {name} AS {counting}")
            self._frequency_tables[counting] = name
        return name

    def spark_linker(self, settings: dict[str, Any], spark: Any) -> Linker:
        from splink import SparkAPI

        parquet = self.folder / "records.parquet"
        if not parquet.exists():
            self.con.execute(f"COPY {RECORDS_TABLE} TO '{parquet}' (FORMAT parquet)")
        frame = spark.read.parquet(str(parquet))
        api = SparkAPI(spark_session=spark)  # type: ignore[no-untyped-call]
        table = api.register(frame, table_name="records")
        linker = Linker(table, settings, log_level=logging.WARNING)
        for column, level in frequencies.adjusted_columns(settings).items():
            counted = self.con.sql(frequencies.frequency_sql(RECORDS_TABLE, level)).df()
            lookup = api.register(spark.createDataFrame(counted), table_name=f"frequency_{column}")
            linker.table_management.register_term_frequency_lookup(lookup, column)
        return linker

    def linker(
        self, settings: dict[str, Any], backend: Backend = "duckdb", spark: Any = None
    ) -> Linker:
        if backend == "spark":
            if spark is None:
                raise ValueError("The Spark backend needs a Spark session")
            return self.spark_linker(settings, spark)
        return self.duckdb_linker(settings)

    def identifiers(self) -> dict[int, int]:
        """Each record's ``PERSON_IDENTIFIER`` as a number, where it has one."""
        from jigsaw.linkage.settings import PERSON_IDENTIFIER

        rows = self.query(
            f"SELECT unique_id, CAST({PERSON_IDENTIFIER} AS BIGINT) FROM {RECORDS_TABLE} "
            f"WHERE {PERSON_IDENTIFIER} IS NOT NULL"
        )
        return dict(rows)  # type: ignore[arg-type]

    def record_ids(self) -> list[int]:
        return [row[0] for row in self.query(f"SELECT unique_id FROM {RECORDS_TABLE}")]

    def feature_batches(self, batch_rows: int = 20_000) -> Iterator[pa.RecordBatch]:
        reader = self.con.sql(f"SELECT * FROM {RECORDS_TABLE} ORDER BY unique_id").to_arrow_reader(
            batch_rows
        )
        yield from reader


@contextmanager
def workspace(
    db: Database,
    *,
    memory_limit: str = DEFAULT_MEMORY_LIMIT,
    batch_size: int = DEFAULT_BATCH,
    on_batch: Callable[[int], None] | None = None,
    workdir: Path | None = None,
) -> Iterator[Workspace]:
    """Copy every agency record into a fresh scratch DuckDB; removed afterwards."""
    quiet_splink()
    with scratch_folder(workdir) as folder:
        con = duckdb.connect(str(folder / "linkage.duckdb"))
        try:
            con.execute(f"SET memory_limit = '{memory_limit}'")
            con.execute(f"SET temp_directory = '{folder / 'spill'}'")
            con.execute("SET preserve_insertion_order = false")
            space = Workspace(con, folder)
            space.count = load_records(con, db, batch_size=batch_size, on_batch=on_batch)
            load_child_links(con, db, batch_size=batch_size)
            yield space
        finally:
            con.close()


def scratch_root() -> Path:
    """Where every run's scratch folder is made (and a killed run's is found)."""
    return Path(tempfile.gettempdir()) / SCRATCH_FOLDER


def sweep_leftovers(root: Path) -> list[Path]:
    """Remove the scratch folders of runs that are no longer running.

    A live run holds an exclusive lock on its folder's ``.in-use`` file; the lock
    goes with its process however that ends, so a folder whose lock can be taken
    belongs to nobody. Call with the root's ``.sweeping`` lock held.
    """
    removed: list[Path] = []
    for folder in sorted(root.iterdir()):
        if folder.name.startswith(".") or not folder.is_dir():
            continue
        with (folder / _IN_USE).open("a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


@contextmanager
def scratch_folder(root: Path | None = None) -> Iterator[Path]:
    """This run's scratch folder, locked while the run lives and removed after it.

    Making the folder and locking it happen under the root's own lock, as does the
    sweep, so no run can take another's folder for a leftover in between.
    """
    root = root or scratch_root()
    root.mkdir(parents=True, exist_ok=True)
    with (root / _SWEEPING).open("a") as sweeping:
        fcntl.flock(sweeping, fcntl.LOCK_EX)
        removed = sweep_leftovers(root)
        if removed:
            logging.getLogger(__name__).info(
                "Removed %d scratch folder(s) left by linkage runs that did not finish",
                len(removed),
            )
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
        folder = Path(tempfile.mkdtemp(prefix=f"{os.getpid()}-{stamp}-", dir=root))
        in_use = (folder / _IN_USE).open("a")
        fcntl.flock(in_use, fcntl.LOCK_EX)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        in_use.close()


def load_records(
    con: duckdb.DuckDBPyConnection,
    db: Database,
    *,
    batch_size: int = DEFAULT_BATCH,
    on_batch: Callable[[int], None] | None = None,
) -> int:
    return _load_table(con, RECORDS_TABLE, FEATURE_SCHEMA, record_batches(db, batch_size), on_batch)


def load_child_links(
    con: duckdb.DuckDBPyConnection, db: Database, *, batch_size: int = DEFAULT_BATCH
) -> int:
    """The adult-to-child relationships the second pass reads (``relational``)."""
    return _load_table(
        con, RELATIONSHIPS_TABLE, RELATIONSHIP_SCHEMA, relationship_batches(db, batch_size)
    )


def _load_table(
    con: duckdb.DuckDBPyConnection,
    table: str,
    schema: pa.Schema,
    batches: Iterable[pa.RecordBatch],
    on_batch: Callable[[int], None] | None = None,
) -> int:
    """Create ``table`` empty with ``schema``, then append each batch; the rows loaded."""
    con.register("jigsaw_empty", schema.empty_table())
    con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM jigsaw_empty")
    con.unregister("jigsaw_empty")
    count = 0
    for batch in batches:
        con.register("jigsaw_batch", pa.Table.from_batches([batch]))
        con.execute(f"INSERT INTO {table} SELECT * FROM jigsaw_batch")
        con.unregister("jigsaw_batch")
        count += batch.num_rows
        if on_batch is not None:
            on_batch(batch.num_rows)
    return count
