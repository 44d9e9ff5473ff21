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

from jigsaw import migrate, subscriptions
from jigsaw.agencies import service as agencies
from jigsaw.agencies.schemas import AgencyIn, PractitionerIn, ServiceAccountIn
from jigsaw.app import create_app
from jigsaw.config import Settings, get_settings
from jigsaw.db import Database
from jigsaw.identity import service as access
from jigsaw.identity import totp
from jigsaw.identity.account_keys import AccountKeys
from jigsaw.identity.models import Practitioner
from jigsaw.identity.schemas import AgencyOut, PractitionerOut
from jigsaw.identity.service import AccountConfig
from jigsaw.policy.actor import Actor
from jigsaw.policy.roles import AgencyKind, Role

subscriptions.wire()

pytest_plugins = ["tests.scene"]

PASSWORD = "correct horse battery staple"
SECRET_KEY = "test-secret-key-that-is-long-enough-to-pass-0123456789"
MASTER_KEY = base64.b64encode(bytes(range(32, 64))).decode()
os.environ.setdefault("JIGSAW_MASTER_KEY", MASTER_KEY)
ACCOUNTS = AccountConfig(keys=AccountKeys.from_secret(SECRET_KEY))
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


def _drop_if_postgres(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
    admin.dispose()


def fresh_database_url(tmp_dir: Path, worker: str) -> str:
    configured = os.environ.get("JIGSAW_DATABASE_URL", "")
    if configured.startswith("postgresql"):
        return _fresh_postgres(configured, worker)
    return f"sqlite:///{tmp_dir / ('jigsaw-' + (worker or 'main') + '.db')}"


@pytest.fixture
def private_database(tmp_path: Path) -> Iterator[Database]:
    """A database of the test's own, for tests that must see or break the whole of it."""
    url = fresh_database_url(tmp_path, f"private_{os.getpid()}")
    migrate.upgrade(url)
    database = Database(url)
    yield database
    database.dispose()
    _drop_if_postgres(url)


@pytest.fixture
def empty_database_url(tmp_path: Path) -> Iterator[str]:
    """A database of the test's own that exists but holds nothing, not even a schema: where
    an upgrade starts from or a backup is restored into."""
    url = fresh_database_url(tmp_path, f"empty_{os.getpid()}")
    yield url
    _drop_if_postgres(url)


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
        secret_key=SECRET_KEY,
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
    """Builds agencies and practitioners through the real services.

    Practitioners get an authenticator secret (enrolled through the service
    layer) unless asked not to; the world remembers it so tests can produce codes
    the way a phone would.
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        self.totp_secrets: dict[int, str] = {}

    def agency(self, kind: AgencyKind = AgencyKind.SCHOOL) -> AgencyOut:
        return agencies.create_agency(self.db, SYSTEM, AgencyIn(name=unique(kind.value), kind=kind))

    def practitioner(
        self,
        agency: AgencyOut | None = None,
        role: Role = Role.PRACTITIONER,
        *,
        second_factor: bool = True,
    ) -> PractitionerOut:
        return self._person((agency or self.agency()).id, role, second_factor=second_factor)

    def colleague(
        self, of: PractitionerOut, role: Role = Role.PRACTITIONER, *, second_factor: bool = True
    ) -> PractitionerOut:
        """Someone in the same agency as ``of``: the administrator who manages their
        account, for example, who can manage no other agency's."""
        return self._person(of.agency_id, role, second_factor=second_factor)

    def service_account(self, agency: AgencyOut | PractitionerOut | None = None) -> PractitionerOut:
        """Another system's account in an agency (or in ``agency``'s own, given a person):
        the only kind an API token is issued for."""
        agency_id = (
            agency.agency_id
            if isinstance(agency, PractitionerOut)
            else (agency or self.agency()).id
        )
        return agencies.create_service_account(
            self.db, SYSTEM, ServiceAccountIn(name=unique("Case system"), agency_id=agency_id)
        )

    def _person(self, agency_id: int, role: Role, *, second_factor: bool) -> PractitionerOut:
        practitioner = agencies.create_practitioner(
            self.db,
            SYSTEM,
            PractitionerIn(
                agency_id=agency_id,
                name=unique("Practitioner"),
                email=f"{unique('p').replace(' ', '').replace('-', '.')}@example.org",
                role=role,
                password=PASSWORD,
            ),
        )
        if second_factor:
            secret = totp.new_secret()
            access.set_second_factor(self.db, SYSTEM, ACCOUNTS, practitioner.id, secret)
            self.totp_secrets[practitioner.id] = secret
        return practitioner

    @staticmethod
    def actor(practitioner: PractitionerOut) -> Actor:
        return Actor(practitioner.id, practitioner.agency_id, practitioner.role, mfa_verified=True)

    def totp_code(self, practitioner: PractitionerOut) -> str:
        """A code the service will accept now: the phone's, unless this step was used.

        Tests sign the same person in more often than a person could, so when the
        next time step is already spent too, the record of used steps is cleared
        rather than waiting half a minute for the clock.
        """
        secret = self.totp_secrets[practitioner.id]
        current = totp.step_at(self.db.clock.now())
        with self.db.transaction() as session:
            row = session.get(Practitioner, practitioner.id)
            assert row is not None
            step = max(current, (row.totp_last_step or 0) + 1)
            if step > current + totp.DRIFT_STEPS:
                row.totp_last_step, step = None, current
        return totp.code_for_step(secret, step)

    def sign_in(self, client: TestClient, practitioner: PractitionerOut) -> None:
        """Sign in over the API with password and code, setting up an authenticator first
        if the practitioner has none."""
        if practitioner.id not in self.totp_secrets:
            started = client.post(
                "/api/session", json={"email": practitioner.email, "password": PASSWORD}
            )
            assert started.status_code == 200, started.text
            assert started.json()["second_factor"] == "enrolment_required", started.text
            enrolment = client.post("/api/session/enrolment")
            assert enrolment.status_code == 200, enrolment.text
            self.totp_secrets[practitioner.id] = enrolment.json()["secret"]
            code = self.totp_code(practitioner)
            done = client.post("/api/session/second-factor", json={"totp_code": code})
            assert done.status_code == 200, done.text
            return
        response = client.post(
            "/api/session",
            json={
                "email": practitioner.email,
                "password": PASSWORD,
                "totp_code": self.totp_code(practitioner),
            },
        )
        assert response.status_code == 200, response.text
        assert response.json()["second_factor"] == "verified", response.text


@pytest.fixture(scope="session")
def world(db: Database) -> World:
    return World(db)


@pytest.fixture(autouse=True)
def _settings_read_from_this_tests_environment() -> Iterator[None]:
    """Commands read settings from the environment once per process (``get_settings``);
    a test that sets the environment must not get what an earlier test's command read."""
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(autouse=True)
def _real_time_after_each_test(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test may hold its database's clock; the next test starts on real time again."""
    yield
    if "db" in request.fixturenames:
        request.getfixturevalue("db").clock.hold(None)
