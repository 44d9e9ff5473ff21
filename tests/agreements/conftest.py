"""A database of this package's own: agreements that cover agencies by kind would
otherwise cover every test's agencies of that kind in the shared one."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from jigsaw import migrate
from jigsaw.db import Database
from tests.conftest import World, _drop_if_postgres, fresh_database_url


@pytest.fixture(scope="package")
def register_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    url = fresh_database_url(tmp_path_factory.mktemp("agreements"), f"agreements_{os.getpid()}")
    migrate.upgrade(url)
    database = Database(url)
    yield database
    database.dispose()
    _drop_if_postgres(url)


@pytest.fixture(scope="package")
def register(register_db: Database) -> World:
    return World(register_db)
