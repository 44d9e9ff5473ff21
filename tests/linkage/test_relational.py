"""The second pass: a parent whose records share nothing else is found through the child."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest
from sqlalchemy import select

from jigsaw.db import Database
from jigsaw.linkage.batch import score_and_cluster
from jigsaw.linkage.engine import (
    RECORDS_TABLE,
    RELATIONSHIPS_TABLE,
    Workspace,
    load_child_links,
    quiet_splink,
)
from jigsaw.linkage.features import LINKED_CHILD_KINDS, PersonDetails, features_of
from jigsaw.linkage.person_model import LinkageModel
from jigsaw.linkage.source import FEATURE_SCHEMA, RELATIONSHIP_SCHEMA, feature_row
from jigsaw.people.models import AgencyRecord, Relationship
from jigsaw.synthetic.service import generate_population
from tests.linkage.helpers import population

CHILD_GP, CHILD_SCHOOL, MOTHER_GP, MOTHER_SCHOOL, FATHER_SCHOOL = range(10_001, 10_006)
CHILD: dict[str, Any] = {
    "given_name": "Amelia",
    "family_name": "Okafor",
    "date_of_birth": date(2016, 3, 19),
    "sex": "female",
    "nhs_number": "4857773457",
    "role": "child",
}
NEW_HOME: dict[str, Any] = {"address": "4 Mill Road, Millbrook", "postcode": "NB4 2AB"}
FAMILY = {
    CHILD_GP: PersonDetails(**CHILD, **NEW_HOME),
    CHILD_SCHOOL: PersonDetails(**CHILD, **NEW_HOME),
    # The GP registered her before she married and before the move, with her birthday;
    # the school knows her by her married name at the new home, and has no birthday.
    MOTHER_GP: PersonDetails(
        given_name="Grace",
        family_name="Adeyemi",
        date_of_birth=date(1987, 5, 3),
        sex="female",
        address="17 Station Street, Northbridge",
        postcode="NB2 7QT",
        role="parent_carer",
    ),
    MOTHER_SCHOOL: PersonDetails(
        given_name="Grace", family_name="Okafor", sex="female", role="parent_carer", **NEW_HOME
    ),
    FATHER_SCHOOL: PersonDetails(
        given_name="Chidi", family_name="Okafor", sex="male", role="parent_carer", **NEW_HOME
    ),
}
LINKS = [(MOTHER_GP, CHILD_GP), (MOTHER_SCHOOL, CHILD_SCHOOL), (FATHER_SCHOOL, CHILD_SCHOOL)]


@pytest.fixture
def space(tmp_path: Path) -> Iterator[Workspace]:
    """A small population with one family added whose mother only the child can link."""
    quiet_splink()
    background, _truth = population()
    family = pa.Table.from_pylist(
        [feature_row(i, d, features_of(d)) for i, d in FAMILY.items()], schema=FEATURE_SCHEMA
    )
    con = duckdb.connect()
    con.register("background", background)
    con.register("family", family)
    con.execute(
        f"CREATE TABLE {RECORDS_TABLE} AS SELECT * FROM background UNION ALL SELECT * FROM family"
    )
    con.register("links", RELATIONSHIP_SCHEMA.empty_table())
    con.execute(f"CREATE TABLE {RELATIONSHIPS_TABLE} AS SELECT * FROM links")
    con.executemany(f"INSERT INTO {RELATIONSHIPS_TABLE} VALUES (?, ?)", LINKS)
    count = background.num_rows + family.num_rows
    yield Workspace(con, tmp_path, count)
    con.close()


def _edge(space: Workspace, table: str, left: int, right: int) -> float | None:
    rows = space.query(
        f"SELECT match_probability FROM {table} WHERE id_l = {left} AND id_r = {right}"
    )
    return float(rows[0][0]) if rows else None


def test_the_second_pass_finds_a_mother_through_her_child(space: Workspace) -> None:
    model = LinkageModel.load()
    first, store = score_and_cluster(space, model, relational_pass=False)
    assert first.root(CHILD_GP) == first.root(CHILD_SCHOOL)
    assert _edge(space, store.table, MOTHER_GP, MOTHER_SCHOOL) is None  # no rule joins them

    space.con.execute(f"DROP TABLE {store.table}")
    second, store = score_and_cluster(space, model)
    found = _edge(space, store.table, MOTHER_GP, MOTHER_SCHOOL)
    assert found is not None and found >= model.thresholds.review
    together = second.root(MOTHER_GP) == second.root(MOTHER_SCHOOL)
    reviewed = any({c.left, c.right} == {MOTHER_GP, MOTHER_SCHOOL} for c in second.review_items())
    assert together or reviewed
    # Her husband shares the child, the surname and the home: the guard keeps him from
    # being linked to her (a population this small makes any pair likelier than a real
    # table would, so he may still score high enough to be shown to a reviewer).
    assert second.root(FATHER_SCHOOL) not in (second.root(MOTHER_GP), second.root(MOTHER_SCHOOL))
    father = _edge(space, store.table, MOTHER_SCHOOL, FATHER_SCHOOL)
    assert father is None or father < min(found, model.thresholds.auto)
    linked = dict(
        space.query(
            f"SELECT unique_id, linked_children FROM {RECORDS_TABLE} WHERE unique_id > 10000"
        )
    )
    assert linked[MOTHER_GP] == linked[MOTHER_SCHOOL] == [second.root(CHILD_GP)]
    assert linked[CHILD_GP] is None  # children get none: siblings would share each other


def test_only_adults_relationships_to_children_are_read(private_database: Database) -> None:
    db = private_database
    generate_population(db, children=12, seed=3, batch_size=12, progress=False)
    con = duckdb.connect()
    read = load_child_links(con, db, batch_size=7)  # several pages
    pairs = set(con.execute(f"SELECT adult_id, child_id FROM {RELATIONSHIPS_TABLE}").fetchall())
    con.close()
    with db.sessions() as session:
        role = dict(session.execute(select(AgencyRecord.id, AgencyRecord.role)).all())
        every = session.execute(
            select(Relationship.from_record_id, Relationship.to_record_id, Relationship.kind)
        ).all()
    expected = {
        (adult, child)
        for adult, child, kind in every
        if kind in LINKED_CHILD_KINDS and role[adult] != "child" and role[child] == "child"
    }
    assert read == len(pairs) == len(expected) > 0
    assert pairs == expected
    assert any(kind == "sibling" for _a, _c, kind in every)  # there were others to leave out
