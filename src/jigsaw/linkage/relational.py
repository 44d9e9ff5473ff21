"""The second pass: adults linked through the children they are recorded with.

Children are the best-recorded people in the system (health holds their NHS number,
schools their date of birth), so the first pass links them with near certainty. Their
parents are not: a school rarely takes a parent's date of birth, a mother's surname
changes, a family moves and one agency keeps the old address. What two agencies'
records of one mother still share is her child.

So a run scores every candidate pair once with ``linked_children`` unknown, clusters,
and then gives each adult record the persons of the children its agency records it
with (``features.LINKED_CHILD_KINDS``). Only pairs of records that both now have linked
children can score differently (for every other pair the comparison stays on its null
level), so only those records are scored again, with the same model, blocking rules
and prior, and their pairs' scores replace the first pass's. The model's
``shared_child`` comparison weighs the evidence; its blocking rule brings in pairs no
other rule finds; the household guard keeps a child's mother and father apart.

The second pass always runs in the local DuckDB, whichever backend scored the first:
it covers only adults recorded with a child, a fraction of the records.
"""

# ruff: noqa: S608 - SQL here is assembled from this module's own table names and
# numeric thresholds, never from input.

from __future__ import annotations

from typing import Any

import pyarrow as pa

from jigsaw.linkage.clustering import Clustering
from jigsaw.linkage.engine import RECORDS_TABLE, RELATIONSHIPS_TABLE, Workspace
from jigsaw.linkage.predict import EdgeStore, chunk_count, predict_edges

RELATED_TABLE = "jigsaw_related_records"


def fill_linked_children(space: Workspace, clustering: Clustering) -> int:
    """Set each adult record's ``linked_children`` to its children's clusters; the count set.

    A cluster is named by its root record, which is stable for the rest of the run.
    """
    links = space.query(f"SELECT adult_id, child_id FROM {RELATIONSHIPS_TABLE}")
    known = set(clustering.record_ids)
    children: dict[int, set[int]] = {}
    for adult, child in links:
        if adult in known and child in known:
            children.setdefault(adult, set()).add(clustering.root(child))
    space.con.execute(f"UPDATE {RECORDS_TABLE} SET linked_children = NULL")
    if not children:
        return 0
    table = pa.table(
        {
            "adult_id": pa.array(list(children), pa.int64()),
            "linked": pa.array([sorted(c) for c in children.values()], pa.list_(pa.int64())),
        }
    )
    space.con.register("jigsaw_linked", table)
    space.con.execute(
        f"UPDATE {RECORDS_TABLE} SET linked_children = l.linked "
        f"FROM jigsaw_linked l WHERE {RECORDS_TABLE}.unique_id = l.adult_id"
    )
    space.con.unregister("jigsaw_linked")
    return len(children)


def rescore_related(
    space: Workspace, settings: dict[str, Any], store: EdgeStore, threshold: float
) -> int:
    """Score again every pair of records that both have linked children; returns how many
    edges at or above ``threshold`` replaced theirs.

    ``settings`` are the first pass's DuckDB settings, whose prior is the whole
    table's: the records are the same population, only fewer of them are looked at.
    """
    space.con.execute(
        f"CREATE OR REPLACE TABLE {RELATED_TABLE} AS SELECT * FROM {RECORDS_TABLE} "
        "WHERE linked_children IS NOT NULL"
    )
    related = int(space.query(f"SELECT count(*) FROM {RELATED_TABLE}")[0][0])
    fresh = EdgeStore(space.con, store.gammas, table=f"{store.table}_related")
    fresh.create()
    if related >= 2:
        linker = space.duckdb_linker(settings, RELATED_TABLE)
        for table in predict_edges(
            linker,
            chunks=chunk_count(related),
            threshold=max(threshold - 1e-9, 0.0),
            gammas=store.gammas,
        ):
            fresh.add(table)
        fresh.apply_guards()
    space.con.execute(
        f"DELETE FROM {store.table} WHERE id_l IN (SELECT unique_id FROM {RELATED_TABLE}) "
        f"AND id_r IN (SELECT unique_id FROM {RELATED_TABLE})"
    )
    space.con.execute(f"INSERT INTO {store.table} SELECT * FROM {fresh.table}")
    replaced = fresh.count()
    space.con.execute(f"DROP TABLE {fresh.table}")
    space.con.execute(f"DROP TABLE {RELATED_TABLE}")
    return replaced
