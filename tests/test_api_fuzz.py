"""The whole JSON API under a property-based fuzzer (schemathesis), signed in, over real rows.

Every operation in the OpenAPI document is sent generated requests: the schema's own
examples, the boundary and negative cases of its coverage phase, and random fuzzing.
Each answer must pass every check schemathesis has (no server error, a documented
status, content type and headers, a body that matches the documented schema,
rejection of input the schema forbids, authentication actually enforced), except
``positive_data_acceptance`` (see below).

The run is bounded (a fixed number of fuzzed examples per operation, beside the
schema's examples and the coverage cases) and deterministic (a fixed seed,
derandomised), so CI gives the same answer every time.

The caller is a school's designated safeguarding lead with a second factor, signed
in with a session cookie; about a third of the generated integers are ids of rows
that exist (the lead's own child, items, a decision and a disclosure, and another
agency's), so the fuzzer reaches past "not found" into the services.

``positive_data_acceptance`` is left out: it expects every schema-valid request to
succeed, but the schema cannot express the rules the services enforce (a child
asked about consent needs a competence reason; an involvement cannot end before it
starts; a date of birth cannot be in the future; a text may not carry control
characters), so refusing such input with 422 is the intended answer.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from jigsaw.db import Database
from jigsaw.identity import service as accounts
from jigsaw.identity.dependencies import SESSION_COOKIE
from jigsaw.sharing import disclosures
from tests.conftest import World
from tests.scene import build_scene

MAX_EXAMPLES = 8
"""Generated requests per operation in the fuzzing phase; the other phases add their own."""

ACCOUNT_OPERATIONS = (
    "DELETE /api/session",
    "POST /api/session/enrolment",
    "POST /api/session/second-factor",
    "POST /api/session/reauthentication",
    "POST /api/session/password",
)
"""Operations on the caller's own sign-in: wrong codes and passwords would lock the
fuzzer's account and signing out would end its session, so they are fuzzed without
credentials instead (where they must answer 401, never a server error)."""


SESSION_GONE = ("Sign in to continue", "Your session has ended; sign in again")


@dataclass(frozen=True)
class SignedIn:
    cookie: str
    real_ids: tuple[int, ...]


def _config(real_ids: tuple[int, ...]) -> SchemathesisConfig:
    return SchemathesisConfig.from_dict(
        {
            "seed": 20_261_206,
            "dictionaries": {"real-ids": {"values": list(real_ids)}},
            "generation": {
                "max-examples": MAX_EXAMPLES,
                "deterministic": True,
                "no-shrink": True,
                "with-security-parameters": False,
                "dictionaries": {"integer": {"dictionary": "real-ids", "probability": 0.3}},
            },
            "phases": {"stateful": {"enabled": False}},
            "checks": {"positive_data_acceptance": {"enabled": False}},
        }
    )


@pytest.fixture(scope="module")
def signed_in(app: FastAPI, db: Database, world: World) -> SignedIn:
    """A DSL with a child, items, a decision and a disclosure, signed in over the API."""
    scene = build_scene(db, world)
    decision = scene.share(db)
    disclosure = disclosures.disclose(db, scene.dsl, scene.disclosure(decision.id))
    assert scene.dsl.practitioner_id is not None
    dsl = accounts.get_practitioner(db, scene.dsl.practitioner_id)
    with TestClient(app) as client:
        world.sign_in(client, dsl)
        cookie = client.cookies.get(SESSION_COOKIE)
    assert cookie
    ids = {
        scene.school.id,
        scene.mash.id,
        dsl.id,
        scene.child_record_id,
        decision.id,
        disclosure.id,
        *(item.id for item in scene.items),
    }
    return SignedIn(cookie, tuple(sorted(ids)))


@pytest.fixture
def api_schema(app: FastAPI, signed_in: SignedIn) -> schemathesis.schemas.BaseSchema:
    """The document the app serves, built from the app object so no URL needs to be open."""
    schema = schemathesis.openapi.from_dict(app.openapi(), config=_config(signed_in.real_ids))
    schema.app = app
    return schema


schema = schemathesis.pytest.from_fixture("api_schema")

FUZZ = settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@schema.exclude(name=list(ACCOUNT_OPERATIONS)).parametrize()
@FUZZ
def test_every_operation_signed_in(case: schemathesis.Case, signed_in: SignedIn) -> None:
    response = case.call_and_validate(cookies={SESSION_COOKIE: signed_in.cookie})
    # The session must hold for the whole run, or the rest would only test "sign in".
    if response.status_code == 401:
        assert response.json()["errors"][0]["message"] not in SESSION_GONE


@schema.include(name=list(ACCOUNT_OPERATIONS)).parametrize()
@FUZZ
def test_own_account_operations_signed_out(case: schemathesis.Case) -> None:
    case.call_and_validate()
