"""Records a feed leaves unlinked are linked afterwards by the worker's
``link-new-records`` job: a bounded number per run, each by the online match, and a
second run finds nothing to do."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from jigsaw.app import create_app
from jigsaw.config import Settings
from jigsaw.db import Database
from jigsaw.identity import tokens
from jigsaw.identity.schemas import AgencyOut
from jigsaw.identity.tokens import Scope, TokenIn
from jigsaw.imports import waiting
from jigsaw.people.models import AgencyRecord, LinkStatus
from jigsaw.policy.actor import Actor
from jigsaw.policy.roles import AgencyKind
from jigsaw.scheduling import service as scheduling
from jigsaw.scheduling.jobs import LINK_NEW_RECORDS, scheduled_jobs
from tests.conftest import AUDIT_KEY, SECRET_KEY, SYSTEM, World, unique


@pytest.fixture
def own(private_database: Database) -> Iterator[tuple[Database, TestClient, Settings]]:
    url = private_database.engine.url.render_as_string(hide_password=False)
    settings = Settings(
        database_url=url, secret_key=SECRET_KEY, secure_cookies=False, audit_signing_key=AUDIT_KEY
    )
    with TestClient(create_app(settings, private_database)) as client:
        yield private_database, client, settings


def _feed_headers(db: Database, agency: AgencyOut) -> dict[str, str]:
    """A new token for the agency's own system, as the headers a feed is sent with."""
    account = World(db).service_account(agency)
    made = tokens.create_token(
        db,
        SYSTEM,
        TokenIn(practitioner_id=account.id, name=unique("Feed"), scopes=[Scope.RECORDS_WRITE]),
    )
    return {"Authorization": f"Bearer {made.token}", "Content-Type": "application/x-ndjson"}


def _push(
    client: TestClient, db: Database, agency: AgencyOut, rows: list[dict[str, object]]
) -> dict:  # type: ignore[type-arg]
    answer = client.post(
        "/api/imports/records",
        content="".join(json.dumps(r) + "\n" for r in rows).encode(),
        headers=_feed_headers(db, agency),
    )
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


def _child(local_id: str, given: str, family: str, born: str) -> dict[str, object]:
    return {
        "local_id": local_id,
        "given_name": given,
        "family_name": family,
        "date_of_birth": born,
        "sex": "female",
        "address": "",
        "postcode": "",
        "nhs_number": None,
    }


def _links(db: Database) -> dict[tuple[int, str], tuple[int | None, LinkStatus]]:
    with db.reading() as session:
        return {
            (r.agency_id, r.local_id): (r.person_id, r.link_status)
            for r in session.scalars(select(AgencyRecord))
        }


def _run(db: Database, settings: Settings, when: timedelta = timedelta(0)) -> scheduling.JobRun:
    (job,) = [j for j in scheduled_jobs(settings) if j.name == LINK_NEW_RECORDS]
    return scheduling.run_job(
        db,
        Actor.system(),
        job,
        holder="worker-a",
        lease_length=timedelta(minutes=15),
        now=db.clock.now() + when,
        force=True,
    )


def test_a_feed_is_fast_and_the_worker_links_its_records_afterwards(
    own: tuple[Database, TestClient, Settings],
) -> None:
    db, client, settings = own
    world = World(db)
    school, gp = world.agency(AgencyKind.SCHOOL), world.agency(AgencyKind.HEALTH)
    _push(client, db, school, [_child("S-1", "Ava", "Moss", "2016-03-14")])
    answer = _push(
        client,
        db,
        gp,
        [_child("G-1", "Ava", "Moss", "2016-03-14"), _child("G-2", "Zed", "Quill", "2019-07-01")],
    )
    assert answer["linked"] == 0, "the feed answers without waiting for the online match"
    assert {v for v in _links(db).values()} == {(None, LinkStatus.UNLINKED)}

    run = _run(db, settings)
    assert run.outcome == "done"
    assert run.counts == {"linked": 3, "skipped": 0}
    links = _links(db)
    assert all(person is not None for person, _ in links.values())
    assert links[(school.id, "S-1")][0] == links[(gp.id, "G-1")][0], "the same child, one person"
    assert links[(gp.id, "G-2")][0] != links[(gp.id, "G-1")][0]

    again = _run(db, settings, timedelta(minutes=1))
    assert again.counts == {"linked": 0, "skipped": 0}
    assert _links(db) == links, "a second run changes nothing"


def test_a_run_links_a_bounded_number_and_the_next_run_the_rest(
    own: tuple[Database, TestClient, Settings],
) -> None:
    db, client, _ = own
    school = World(db).agency(AgencyKind.SCHOOL)
    _push(
        client,
        db,
        school,
        [_child(f"S-{n}", "Ava", f"Moss{chr(97 + n)}", "2016-03-14") for n in range(5)],
    )
    calls: list[None] = []
    assert waiting.link_waiting(db, limit=3, between=lambda: calls.append(None)) == {
        "linked": 3,
        "skipped": 0,
    }
    assert len(calls) == 3
    assert sum(person is None for person, _ in _links(db).values()) == 2
    assert waiting.link_waiting(db, limit=3)["linked"] == 2
    assert waiting.unlinked_records(db) == []


def test_a_feed_asking_to_be_linked_is_linked_before_it_answers(
    own: tuple[Database, TestClient, Settings],
) -> None:
    db, client, settings = own
    school = World(db).agency(AgencyKind.SCHOOL)
    answer = client.post(
        "/api/imports/records",
        params={"link": "true"},
        content=(json.dumps(_child("S-1", "Ava", "Moss", "2016-03-14")) + "\n").encode(),
        headers=_feed_headers(db, school),
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["linked"] == 1
    assert _links(db)[(school.id, "S-1")][0] is not None
    assert _run(db, settings).counts == {"linked": 0, "skipped": 0}
