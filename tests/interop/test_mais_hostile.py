"""MAIS request objects sent by someone trying to break in or to break the service: text
that cannot be stored or that reads as something else, ids another agency's system has
used, objects naming another agency, times and NHS numbers that cannot be right."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from typer.testing import CliRunner

from jigsaw.cli import app as cli
from jigsaw.clock import utcnow
from jigsaw.config import Settings
from jigsaw.db import Database
from jigsaw.errors import NotFound
from jigsaw.interop import mais, prov
from jigsaw.interop.mais import MaisInvalid
from jigsaw.policy.roles import Role
from jigsaw.sharing import requests
from tests.conftest import World
from tests.interop.test_mais import SYSTEM, Asking, _count, _import, asking
from tests.interop.test_prov import check_structure, full_life


@pytest.fixture
def mash(db: Database, world: World) -> Asking:
    return asking(db, world)


def _requester(mash: Asking, identifier: str) -> dict[str, str]:
    return {"identifier": identifier, "organisation": mash.scene.mash.name}


UNREADABLE: dict[str, tuple[Any, str]] = {
    "NUL in the requester": (
        lambda m: {"requester": _requester(m, "a\u0000b")},
        "/requester/identifier",
    ),
    "lone surrogate in the requester": (
        lambda m: {"requester": _requester(m, "a\ud800b")},
        "/requester/identifier",
    ),
    "direction override in the agreement": (
        lambda m: {"agreement": "DSA-\u202e1v/"},
        "/agreement",
    ),
    "zero-width space in the agreement": (lambda m: {"agreement": "DSA\u200b-1"}, "/agreement"),
    "line break after the request id": (lambda m: {"requestId": "REQ-1\n"}, "/requestId"),
    "line break after the system": (
        lambda m: {"requestingSystem": "urn:example:x\n"},
        "/requestingSystem",
    ),
}


@pytest.mark.parametrize("case", sorted(UNREADABLE))
def test_text_that_cannot_be_stored_or_reads_as_other_text_is_refused_at_its_field(
    db: Database, mash: Asking, case: str
) -> None:
    changes, field = UNREADABLE[case]
    before = _count(db)
    with pytest.raises(MaisInvalid) as refused:
        _import(db, mash.actor, mash.mais(**changes(mash)))
    assert [p.field for p in refused.value.problems] == [field]
    assert _count(db) == before


def test_a_field_name_that_cannot_be_written_back_is_not_echoed(
    client: TestClient, world: World, mash: Asking
) -> None:
    world.sign_in(client, world.practitioner(mash.scene.mash, Role.MASH))
    body = json.dumps({**mash.mais(), "\ud800": 1})  # escaped as \\ud800 in the JSON
    refused = client.post(
        "/api/mais/requests", content=body, headers={"Content-Type": "application/json"}
    )
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {"field": "", "message": "Holds fields that are not part of a MAIS request"}
    ]


def test_a_request_id_another_agency_has_used_neither_blocks_nor_tells(
    db: Database, world: World, mash: Asking
) -> None:
    """Two agencies whose case systems share a name and number requests alike: the
    first to import an id cannot keep the second from importing its own request with
    that id, and the second cannot tell the id was used."""
    other = asking(db, world)
    theirs = other.mais(
        requestId="CASE-1",
        requester=_requester(other, "x"),
        provider={"organisation": other.scene.school.name},
    )
    first = _import(db, other.actor, theirs)
    ours = _import(db, mash.actor, mash.mais(requestId="CASE-1"))
    assert ours.created and ours.request_id != first.request_id
    assert requests.view_request(db, mash.actor, ours.request_id).subject_record_id == (
        mash.record.id
    )
    with pytest.raises(NotFound):
        requests.view_request(db, mash.actor, first.request_id)


def test_an_object_naming_another_agency_as_asking_is_refused_even_when_it_was_imported(
    db: Database, mash: Asking
) -> None:
    """The school the request was sent to sends the MASH's object back: it is told it
    can import only its own requests, not given the request the object made."""
    sent = mash.mais()
    _import(db, mash.actor, sent)
    with pytest.raises(MaisInvalid) as refused:
        _import(db, mash.scene.dsl, sent)
    assert [p.field for p in refused.value.problems] == ["/requester/organisation"]


def test_a_question_with_space_around_it_comes_back_as_kept_and_imports_back(
    db: Database, mash: Asking
) -> None:
    sent = mash.mais(question="  Attendance this term, please \n")
    made = _import(db, mash.actor, sent)
    exported = mais.export_request(db, mash.actor, made.request_id, system=SYSTEM)
    assert exported == {**sent, "question": "Attendance this term, please"}
    assert _import(db, mash.actor, exported) == mais.Imported(made.request_id, created=False)
    assert _import(db, mash.actor, sent) == mais.Imported(made.request_id, created=False)


def test_a_request_said_to_be_made_in_the_future_is_refused(db: Database, mash: Asking) -> None:
    later = utcnow() + timedelta(hours=1)
    sent = mash.mais(
        timestamp=later.isoformat().replace("+00:00", "Z"),
        due=(later + timedelta(days=1)).isoformat().replace("+00:00", "Z"),
    )
    with pytest.raises(MaisInvalid) as refused:
        _import(db, mash.actor, sent)
    assert [(p.field, p.message) for p in refused.value.problems] == [
        ("/timestamp", "Must not be in the future")
    ]
    # A clock a little ahead is not refused.
    soon = utcnow() + timedelta(minutes=2)
    made = _import(
        db,
        mash.actor,
        mash.mais(
            timestamp=soon.isoformat().replace("+00:00", "Z"),
            due=(soon + timedelta(days=1)).isoformat().replace("+00:00", "Z"),
        ),
    )
    assert made.created


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("9434765918", "check digit"),
        ("\u0669\u0664\u0663\u0664\u0667\u0666\u0665\u0669\u0661\u0669", "10 digits"),
    ],
)
def test_an_nhs_number_that_cannot_be_one_is_refused_as_such(
    db: Database, mash: Asking, value: str, message: str
) -> None:
    with pytest.raises(MaisInvalid) as refused:
        _import(db, mash.actor, mash.mais(subject={"identifierType": "nhs_number", "value": value}))
    assert [p.field for p in refused.value.problems] == ["/subject/value"]
    assert message in refused.value.problems[0].message


def test_the_trail_of_a_service_named_by_a_web_address_has_valid_iris(
    db: Database, mash: Asking
) -> None:
    request_id = full_life(db, mash)
    base = "https://jigsaw.example.org"
    nodes = check_structure(prov.export_provenance(db, mash.actor, request_id, system=base))
    for iri in nodes:
        parts = urlsplit(iri)
        assert (parts.scheme, parts.netloc) == ("https", "jigsaw.example.org"), iri
        assert parts.port is None and parts.fragment, iri


@pytest.mark.parametrize("name", ["Jigsaw Kent", "county-jigsaw", "urn:jigsaw:kent#1", "urn:x y"])
def test_the_service_name_must_be_an_absolute_uri_an_import_accepts(name: str) -> None:
    with pytest.raises(ValidationError):
        Settings(mais_system=name)
    assert Settings(mais_system="https://jigsaw.kent.example/mais").mais_system


def _twice(sent: dict[str, Any]) -> str:
    """The object as JSON with ``rag`` named a second time, as red."""
    return json.dumps(sent)[:-1] + ', "rag": "red"}'


def test_an_object_naming_a_field_twice_is_refused_over_the_api(
    client: TestClient, world: World, db: Database, mash: Asking
) -> None:
    world.sign_in(client, world.practitioner(mash.scene.mash, Role.MASH))
    before = _count(db)
    refused = client.post(
        "/api/mais/requests",
        content=_twice(mash.mais()),
        headers={"Content-Type": "application/json"},
    )
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {"field": "", "message": 'Names "rag" more than once: send each field once'}
    ]
    assert _count(db) == before


def test_an_object_naming_a_field_twice_is_refused_from_the_command_line(
    db: Database, world: World, mash: Asking, tmp_path: Path
) -> None:
    feed = world.service_account(mash.scene.mash)
    path = tmp_path / "request.json"
    path.write_text(_twice(mash.mais()), encoding="utf-8")
    before = _count(db)
    args = ["mais", "import", str(path), "--as", str(feed.id), "--database", db.url]
    refused = CliRunner().invoke(cli, args, env={"JIGSAW_MAIS_SYSTEM": SYSTEM})
    assert refused.exit_code == 1
    assert "more than once" in refused.output
    assert _count(db) == before
