"""Fixtures for linkage tests: a small generated population, linked once per test."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

import pytest
from sqlalchemy import select

from jigsaw import migrate
from jigsaw.agencies import service as agencies
from jigsaw.agencies.schemas import PractitionerIn
from jigsaw.db import Database
from jigsaw.identity.models import Agency, Practitioner
from jigsaw.linkage.batch import RunSummary, run_linkage
from jigsaw.linkage.person_model import LinkageModel, Thresholds
from jigsaw.policy.actor import Actor
from jigsaw.policy.roles import Role
from jigsaw.synthetic.service import generate_population

CHILDREN = 60
SEED = 5
REVIEW_THRESHOLD = 0.05
"""Lower than the shipped model's, so a population this small still fills a queue."""


@pytest.fixture(scope="session")
def test_model() -> LinkageModel:
    shipped = LinkageModel.load()
    return dataclasses.replace(
        shipped, thresholds=Thresholds(auto=shipped.thresholds.auto, review=REVIEW_THRESHOLD)
    )


def _populate_and_link(db: Database, model: LinkageModel) -> tuple[Database, RunSummary]:
    generate_population(db, children=CHILDREN, seed=SEED, batch_size=CHILDREN, progress=False)
    return db, run_linkage(db, model=model)


@pytest.fixture
def linked(private_database: Database, test_model: LinkageModel) -> tuple[Database, RunSummary]:
    """A linked population of the test's own, for tests that change links."""
    return _populate_and_link(private_database, test_model)


@pytest.fixture(scope="module")
def linked_once(
    tmp_path_factory: pytest.TempPathFactory, test_model: LinkageModel
) -> Iterator[tuple[Database, RunSummary]]:
    """One linked population per module, for tests that only read."""
    from tests.conftest import fresh_database_url

    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    folder: Path = tmp_path_factory.mktemp("linked")
    url = fresh_database_url(folder, f"{worker}_linked_{folder.name}")
    migrate.upgrade(url)
    db = Database(url)
    yield _populate_and_link(db, test_model)
    db.dispose()


def actor_with_role(db: Database, role: Role) -> Actor:
    """The first practitioner with this role, or (for the roles the generated directory
    does not hand out, such as linkage reviewer) a new one in the first agency."""
    with db.sessions() as session:
        practitioner = session.scalars(
            select(Practitioner).where(Practitioner.role == role).order_by(Practitioner.id)
        ).first()
        first_agency = session.scalar(select(Agency.id).order_by(Agency.id).limit(1))
    if practitioner is None:
        assert first_agency is not None, "the generated directory has no agencies"
        made = agencies.create_practitioner(
            db,
            Actor.system(),
            PractitionerIn(
                agency_id=first_agency,
                name="Linkage Reviewer",
                email=f"{role.value}-{uuid4().hex[:10]}@example.org",
                role=role,
            ),
        )
        return Actor(made.id, made.agency_id, role, mfa_verified=True)
    return Actor(practitioner.id, practitioner.agency_id, role, mfa_verified=True)
