"""The guards are written twice: in Python, for a search and for the tests
(``guards.guarded_weight``), and in SQL over a run's comparison vectors
(``EdgeStore.guard``). Every combination of one level of each kind the guards tell
apart, with either record in the run's tables or neither (a birth an agency holds twins
of; a home the table shows two people of the family name at), weighs the same in both."""

from __future__ import annotations

import itertools
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from jigsaw.linkage import guards
from jigsaw.linkage.comparisons import COMPARISONS
from jigsaw.linkage.predict import EdgeStore, gamma_columns

BY_NAME = {c.name: c for c in COMPARISONS}
LEVELS: dict[str, tuple[str, ...]] = {
    "given_name": tuple(level.key for level in BY_NAME["given_name"].levels),
    "family_name": ("missing", "exact", "swapped", "different"),
    "date_of_birth": tuple(level.key for level in BY_NAME["date_of_birth"].levels),
    "address": ("missing", "same_address", "similar_address", "postcode"),
    "sex": ("missing", "exact", "different"),
    "nhs_number": ("missing", "exact", "different"),
    "same_agency": ("missing", "same", "different"),
    "shared_child": ("missing", "shared"),
    "shared_identifier": ("missing", "exact", "different"),
}
"""Each level the guards read, and of the rest (a family name or an address on no level
they name) one of each: at one home, not, or not known."""
TABLES: list[tuple[tuple[str, ...], tuple[str, ...]]] = [
    # (the left record's tables, the right record's): "twins", "household" or neither.
    ((), ()),
    (("twins",), ()),
    ((), ("twins",)),
    (("household",), ()),
    ((), ("household",)),
    (("twins",), ("household",)),
]
"""Where the run's tables put the pair's two records: a table asked of "either record"
is asked of both sides."""


def _gamma(name: str, key: str) -> int:
    comparison = BY_NAME[name]
    return comparison.gamma([level.key for level in comparison.levels].index(key))


def test_the_sql_and_the_python_guard_agree_on_every_combination() -> None:
    names = list(LEVELS)
    combinations = [dict(zip(names, c, strict=True)) for c in itertools.product(*LEVELS.values())]
    weights = [20.0 if i % 2 else 3.0 for i in range(len(combinations))]
    gammas = gamma_columns()
    one_table: dict[str, list[Any]] = {
        g: [_gamma(g.removeprefix("gamma_"), levels.get(g.removeprefix("gamma_"), "missing"))
            for levels in combinations]
        for g in gammas
    }  # fmt: skip
    columns: dict[str, list[Any]] = {g: values * len(TABLES) for g, values in one_table.items()}
    ids = [(2 * table, 2 * table + 1) for table in range(len(TABLES))]
    columns["id_l"] = [left for left, _ in ids for _ in combinations]
    columns["id_r"] = [right for _, right in ids for _ in combinations]
    columns["match_weight"] = weights * len(TABLES)
    expected = [
        guards.guarded_weight(
            weight,
            levels,
            twins_known="twins" in left + right,
            household_known="household" in left + right,
        )
        for left, right in TABLES
        for levels, weight in zip(combinations, weights, strict=True)
    ]
    con = duckdb.connect()
    edges = pa.table(
        {
            **columns,
            "match_probability": [0.5] * len(expected),
            "row": list(range(len(expected))),
        }
    )
    con.register("edges", edges)
    store = EdgeStore(con, gammas, table="guarded_edges")
    con.execute(
        f"CREATE TABLE {store.table} AS SELECT row, id_l, id_r, match_weight, "
        f"match_probability, {', '.join(gammas)} FROM edges"
    )

    def members(table: str) -> list[int]:
        return [
            record
            for (left, right), (left_id, right_id) in zip(TABLES, ids, strict=True)
            for record, tables in ((left_id, left), (right_id, right))
            if table in tables
        ]

    con.execute("CREATE TABLE twins AS SELECT unnest(?) AS unique_id", [members("twins")])
    con.execute("CREATE TABLE homes AS SELECT unnest(?) AS unique_id", [members("household")])
    touched = store.guard("twins", households="homes")
    rows = con.execute(f"SELECT match_weight FROM {store.table} ORDER BY row").fetchall()
    got = [w for (w,) in rows]
    assert touched > 0
    differ = [
        (combinations[i % len(combinations)], TABLES[i // len(combinations)])
        for i, (a, b) in enumerate(zip(got, expected, strict=True))
        if a != pytest.approx(b, abs=1e-9)
    ]
    assert not differ, differ[:5]
    # Each rule the guards hold is met somewhere, so the agreement is not an idle one.
    assert {guards.REVIEW_CAP, 20.0, 20.0 - guards.TWIN_PENALTY, 3.0} <= set(expected)
    assert 3.0 - guards.TWIN_PENALTY in expected
