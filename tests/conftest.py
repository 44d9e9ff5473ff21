"""Test set-up: one freshly migrated database per test process.

``JIGSAW_DATABASE_URL`` chooses the backend (SQLite by default, PostgreSQL in CI).
Tests never share rows they depend on: each creates its own agencies and people
through the services, so they can run in any order against one database.
"""

from __future__ import annotations

import base64
import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from jigsaw import migrate
from jigsaw.access.actor import Actor
from jigsaw.agencies import service as agencies
from jigsaw.agencies.roles import AgencyKind, Role
from jigsaw.agencies.schemas import AgencyIn, AgencyOut, PractitionerIn, PractitionerOut
from jigsaw.app import create_app
from jigsaw.config import Settings
from jigsaw.db import Database

PASSWORD = "correct horse battery staple"
AUDIT_KEY = base64.b64encode(bytes(range(32))).decode()
_counter = itertools.count(1)


def unique(prefix: str) -> str:
    return f"{prefix} {os.getpid()}-{next(_counter)}"


def _fresh_postgres(url: str, worker: str) -> str:
    """A database of its own for this test process, emptied and migrated."""
    parsed = make_url(url)
    name = f"{parsed.database}_{worker}" if worker else parsed.database
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return parsed.set(database=name).render_as_string(hide_password=False)


def fresh_database_url(tmp_dir: Path, worker: str) -> str:
    configured = os.environ.get("JIGSAW_DATABASE_URL", "")
    if configured.startswith("postgresql"):
        return _fresh_postgres(configured, worker)
    return f"sqlite:///{tmp_dir / ('jigsaw-' + (worker or 'main') + '.db')}"


@pytest.fixture
def private_database(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Database]:
    """A database of the test's own, for tests that must see or break the whole of it."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    url = fresh_database_url(tmp_path, f"{worker}_private")
    migrate.upgrade(url)
    database = Database(url)
    yield database
    database.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    url = fresh_database_url(tmp_path_factory.mktemp("db"), worker)
    migrate.upgrade(url)
    return url


@pytest.fixture(scope="session")
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    yield database
    database.dispose()


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        secret_key="test-secret-key-that-is-long-enough-to-pass-0123456789",
        secure_cookies=False,
        audit_signing_key=AUDIT_KEY,
    )


@pytest.fixture(scope="session")
def app(settings: Settings, db: Database):  # type: ignore[no-untyped-def]
    return create_app(settings, db)


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app) as test_client:
        yield test_client


SYSTEM = Actor.system()


class World:
    """Builds agencies and practitioners through the real services."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def agency(self, kind: AgencyKind = AgencyKind.SCHOOL) -> AgencyOut:
        return agencies.create_agency(self.db, SYSTEM, AgencyIn(name=unique(kind.value), kind=kind))

    def practitioner(
        self, agency: AgencyOut | None = None, role: Role = Role.PRACTITIONER
    ) -> PractitionerOut:
        agency = agency or self.agency()
        return agencies.create_practitioner(
            self.db,
            SYSTEM,
            PractitionerIn(
                agency_id=agency.id,
                name=unique("Practitioner"),
                email=f"{unique('p').replace(' ', '').replace('-', '.')}@example.org",
                role=role,
                password=PASSWORD,
            ),
        )

    @staticmethod
    def actor(practitioner: PractitionerOut) -> Actor:
        return Actor(practitioner.id, practitioner.agency_id, practitioner.role)

    @staticmethod
    def sign_in(client: TestClient, practitioner: PractitionerOut) -> None:
        response = client.post(
            "/api/session", json={"email": practitioner.email, "password": PASSWORD}
        )
        assert response.status_code == 200, response.text


@pytest.fixture(scope="session")
def world(db: Database) -> World:
    return World(db)
