"""Which true pairs do the blocking rules leave apart, and what would a rule add?

    .venv/bin/python bench/linkage_blocking_screen.py --dataset febrl4
    .venv/bin/python bench/linkage_blocking_screen.py --dataset febrl4-hard --seed 1
    .venv/bin/python bench/linkage_blocking_screen.py --dataset hard --seed 1

A screen, not the benchmark: each record's features are made as the batch run makes
them (``features.features_of``), every rule of ``settings.blocking_rules()`` is run as
the equality join it is in DuckDB, and for each rule in ``CANDIDATES`` the true pairs it
would bring together that no rule does, and the candidate pairs it would add, are
printed. Seconds per data set, against minutes for ``jigsaw linkage benchmark``, whose
blocking recall it reproduces. The linked-child rule is left out: it is empty until a
run's second pass.
"""

from __future__ import annotations

import argparse
from itertools import combinations
from typing import Any

import duckdb
import pyarrow as pa

from jigsaw import benchmark
from jigsaw.linkage.features import PersonDetails, features_of
from jigsaw.linkage.settings import blocking_rules

HOUSE = "split_part(l.street, ' ', 1) = split_part(r.street, ' ', 1)"
CANDIDATES: dict[str, str] = {
    "given + house number": f"l.given = r.given AND {HOUSE}",
    "family Soundex + house number": f"l.family_soundex = r.family_soundex AND {HOUSE}",
    "given Metaphone + house number": f"l.given_metaphone = r.given_metaphone AND {HOUSE}",
    "house number + first word of the street": (
        f"{HOUSE} AND split_part(l.street, ' ', 2) = split_part(r.street, ' ', 2)"
    ),
    "postcode's characters in any order + family Soundex": (
        "list_sort(string_split(l.postcode, '')) = list_sort(string_split(r.postcode, '')) "
        "AND l.family_soundex = r.family_soundex"
    ),
    "day and month of birth + family Soundex": (
        "strftime(l.dob, '%m%d') = strftime(r.dob, '%m%d') AND l.family_soundex = r.family_soundex"
    ),
    "date of birth alone": "l.dob = r.dob",
    "given + year of birth": "l.given = r.given AND l.birth_year = r.birth_year",
}
"""Rules a UK agency's records could justify, screened before any is adopted."""

LISTS = ("given_names", "family_parts", "linked_children", "shared_ids", "shared_id_schemes")


def _rows(dataset: benchmark.Dataset) -> tuple[list[dict[str, Any]], set[tuple[int, int]]]:
    rows, members = [], {}
    for uid, record in enumerate(dataset.records, start=1):
        details = PersonDetails(
            record.given_name, record.family_name, record.date_of_birth, record.sex,
            record.postcode, record.address, record.nhs_number, record.role,
        )  # fmt: skip
        row = features_of(details).as_row()
        for name in LISTS:
            row.pop(name)
        row["unique_id"] = uid
        rows.append(row)
        members.setdefault(record.entity, []).append(uid)
    truth = {pair for ids in members.values() for pair in combinations(sorted(ids), 2)}
    return rows, truth


def _pairs(con: duckdb.DuckDBPyConnection, condition: str) -> set[tuple[int, int]]:
    sql = (
        "SELECT l.unique_id, r.unique_id FROM records l JOIN records r "
        f"ON ({condition}) AND l.unique_id < r.unique_id"
    )
    return {(int(a), int(b)) for a, b in con.execute(sql).fetchall()}


def screen(dataset: benchmark.Dataset) -> None:
    rows, truth = _rows(dataset)
    con = duckdb.connect()
    con.register("arrow_records", pa.Table.from_pylist(rows))
    con.execute("CREATE TABLE records AS SELECT * FROM arrow_records")
    blocked: set[tuple[int, int]] = set()
    for rule in blocking_rules():
        sql = rule.get_blocking_rule("duckdb").as_dict()["blocking_rule"]  # type: ignore[attr-defined]
        if "linked_children" not in sql:
            blocked |= _pairs(con, sql)
    missed = truth - blocked
    print(
        f"{dataset.name}: {len(rows)} records, {len(truth)} true pairs, "
        f"{len(blocked)} candidate pairs, blocking recall {1 - len(missed) / len(truth):.4f} "
        f"({len(missed)} true pairs apart)"
    )
    for name, condition in CANDIDATES.items():
        added = _pairs(con, condition) - blocked
        print(f"  {name:52s} recovers {len(added & missed):4d}, adds {len(added):7d} pairs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dataset", required=True, help="febrl1-4, febrl3-hard, febrl4-hard, hard")
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    screen(benchmark.named(args.dataset, seed=args.seed))


if __name__ == "__main__":
    main()
