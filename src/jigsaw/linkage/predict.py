"""Scoring candidate pairs in chunks, and keeping only the edges worth clustering.

Splink's ``predict_chunk`` scores one slice of left records against one slice of
right records; looping over every pair of slices covers each candidate pair exactly
once while the engine only ever holds one slice's pairs. Pairs below the review
threshold are dropped inside the engine, so what comes back to Python is small.

The edges go into a local DuckDB table whatever the backend (a Spark run collects
each chunk's surviving edges to the driver), so clustering and evaluation read them
the same way.
"""

# ruff: noqa: S608 - SQL here is assembled from this module's own table names and
# numeric thresholds, never from input.

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa
from splink import Linker

from jigsaw.linkage.comparisons import COMPARISONS, Comparison
from jigsaw.linkage.engine import RECORDS_TABLE
from jigsaw.linkage.guards import (
    HOUSEHOLD_RECORDS_TABLE,
    ONE_PERSON_TABLE,
    REVIEW_CAP,
    TWIN_RECORDS_TABLE,
    crossed_given_pairs_sql,
    given_names_sql,
    guard_sql,
    household_records_sql,
    nothing_to_tell_sql,
    twin_records_sql,
    unnamed_at_twins_birth_sql,
)

EDGES_TABLE = "jigsaw_edges"
CHUNK_RECORDS = 250_000
"""Records per slice: 250k x 250k candidate pairs of one slice pair stay well inside
a few GB in DuckDB with the blocking rules in ``settings``."""


def chunk_count(records: int, per_chunk: int = CHUNK_RECORDS) -> int:
    return max(1, math.ceil(records / per_chunk))


def gamma_columns(comparisons: tuple[Comparison, ...] = COMPARISONS) -> list[str]:
    return [f"gamma_{c.name}" for c in comparisons]


def edge_schema(gammas: list[str]) -> pa.Schema:
    return pa.schema(
        [
            ("id_l", pa.int64()),
            ("id_r", pa.int64()),
            ("match_weight", pa.float64()),
            ("match_probability", pa.float64()),
            *[(g, pa.int8()) for g in gammas],
        ]
    )


def predict_edges(
    linker: Linker,
    *,
    chunks: int,
    threshold: float,
    gammas: list[str],
    on_chunk: Callable[[int, int], None] | None = None,
) -> Iterator[pa.Table]:
    """Yield each chunk's scored pairs at or above ``threshold`` as an Arrow table."""
    total = chunks * chunks
    done = 0
    for left in range(1, chunks + 1):
        for right in range(1, chunks + 1):
            scored = linker.inference.predict_chunk(
                left_chunk=(left, chunks),
                right_chunk=(right, chunks),
                threshold_match_probability=threshold,
                warning_mode="never",
            )
            table = scored.as_pyarrow_table()  # type: ignore[no-untyped-call]
            scored.drop_table_from_database_and_remove_from_cache()
            table = table.rename_columns(
                ["id_l" if n == "unique_id_l" else "id_r" if n == "unique_id_r" else n
                 for n in table.column_names]
            )  # fmt: skip
            yield table.select(["id_l", "id_r", "match_weight", "match_probability", *gammas])
            done += 1
            if on_chunk is not None:
                on_chunk(done, total)


@dataclass
class EdgeStore:
    """Scored pairs in a local DuckDB table, with the guards applied once on arrival."""

    con: duckdb.DuckDBPyConnection
    gammas: list[str]
    table: str = EDGES_TABLE
    records_table: str = RECORDS_TABLE
    """The run's records (``engine``), which the guard asks about twins."""

    def create(self) -> None:
        empty = edge_schema(self.gammas).empty_table()
        self.con.register("jigsaw_empty_edges", empty)
        self.con.execute(
            f"CREATE OR REPLACE TABLE {self.table} AS SELECT * FROM jigsaw_empty_edges"
        )
        self.con.unregister("jigsaw_empty_edges")

    def add(self, edges: pa.Table) -> None:
        self.con.register("jigsaw_new_edges", edges.cast(edge_schema(self.gammas)))
        self.con.execute(f"INSERT INTO {self.table} SELECT * FROM jigsaw_new_edges")
        self.con.unregister("jigsaw_new_edges")

    def apply_guards(self, prior_weight: float | None = None) -> int:
        """Apply the guards to the stored weights; returns how many edges they touched.

        With the run's records beside the edges, the guard first asks them which births
        an agency holds twins of (``guards.twin_records_sql``) and which homes hold two
        people of one family name (``guards.household_records_sql``); without them (a
        bare store) every pair is taken as possibly twins, and every home as a
        household's."""
        twin_records = one_person = households = None
        if self._has_table(self.records_table):
            self.con.execute(twin_records_sql(self.records_table))
            self.con.execute(given_names_sql(self.records_table))
            self.con.execute(crossed_given_pairs_sql(self.table, self.records_table))
            self.con.execute(household_records_sql(self.records_table))
            twin_records, one_person = TWIN_RECORDS_TABLE, ONE_PERSON_TABLE
            households = HOUSEHOLD_RECORDS_TABLE
        return self.guard(twin_records, one_person=one_person, households=households)

    def guard(
        self,
        twin_records: str | None,
        *,
        one_person: str | None = None,
        households: str | None = None,
    ) -> int:
        """The guards' two passes over the stored weights, asking the tables named (see
        ``guards.guard_sql``, ``guards.nothing_to_tell_sql`` and
        ``guards.unnamed_at_twins_birth_sql``); returns how many edges they touched."""
        condition, weight = guard_sql(twin_records, one_person=one_person)
        touched = self.scalar(f"SELECT count(*) FROM {self.table} WHERE {condition}")
        self._set_weight(weight, condition)
        # Then the cap on a pair with nothing to tell at a household's home, or with no
        # given name at a birth of twins, on the weight the twin guard left: a second
        # pass, so the twin guard's expression is not repeated inside the cap's.
        capped = (
            f"({nothing_to_tell_sql(households)} OR {unnamed_at_twins_birth_sql(twin_records)}) "
            f"AND match_weight > {REVIEW_CAP}"
        )
        touched += self.scalar(f"SELECT count(*) FROM {self.table} WHERE {capped}")
        self._set_weight(f"least(match_weight, {REVIEW_CAP})", capped)
        return int(touched)

    def _set_weight(self, weight: str, condition: str) -> None:
        self.con.execute(
            f"UPDATE {self.table} SET match_weight = {weight}, "
            f"match_probability = 1.0 / (1.0 + pow(2.0, -({weight}))) "
            f"WHERE {condition}"
        )

    def scalar(self, sql: str) -> Any:
        rows = self.con.execute(sql).fetchall()
        return rows[0][0] if rows else None

    def _has_table(self, name: str) -> bool:
        return bool(
            self.scalar(
                "SELECT count(*) FROM information_schema.tables "
                f"WHERE table_name = '{name}' AND table_schema = current_schema()"
            )
        )

    def count(self, threshold: float = 0.0) -> int:
        return int(
            self.scalar(f"SELECT count(*) FROM {self.table} WHERE match_probability >= {threshold}")
        )

    def batches(self, threshold: float, batch_rows: int = 200_000) -> Iterator[pa.RecordBatch]:
        """Edges at or above ``threshold``, strongest first, in Arrow batches.

        Insertion order must be preserved for this read: without it DuckDB may hand
        a sorted result's batches over in whichever order its threads finish them.
        """
        self.con.execute("SET preserve_insertion_order = true")
        reader = self.con.sql(
            f"SELECT * FROM {self.table} WHERE match_probability >= {threshold} "
            "ORDER BY match_probability DESC, match_weight DESC, id_l, id_r"
        ).to_arrow_reader(batch_rows)
        yield from reader
