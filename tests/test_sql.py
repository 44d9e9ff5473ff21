"""``among``: one statement text for any number of ids, and the same answers on both backends."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from jigsaw.db import Database
from jigsaw.identity.models import Agency
from jigsaw.policy.roles import AgencyKind
from jigsaw.sql import among
from tests.conftest import World


def test_among_finds_exactly_the_ids_given_however_many(db: Database, world: World) -> None:
    made = [world.agency(AgencyKind.SCHOOL).id for _ in range(3)]
    query = select(Agency.id).where(among(Agency.id, "ids")).order_by(Agency.id)
    with db.sessions() as session:
        for ids in (made, made[:1], [made[0], made[2], 10**9], []):
            found = session.scalars(query, {"ids": ids}).all()
            assert found == sorted(set(ids) & set(made))


def test_on_postgresql_the_ids_travel_as_one_array_parameter(db: Database) -> None:
    compiled = str(select(Agency.id).where(among(Agency.id, "ids")).compile(db.engine))
    if db.engine.dialect.name == "postgresql":
        assert "= ANY (" in compiled.replace("ANY(", "ANY (")
    else:
        assert "IN (" in compiled and "= 1" not in compiled


def test_among_is_only_for_integer_ids() -> None:
    with pytest.raises(TypeError, match="integer ids"):
        among(Agency.name, "names")
