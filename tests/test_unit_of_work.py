"""One unit of work per request: what the services a request calls do commits together,
once, at the edge; a call that fails leaves nothing; a refusal is kept regardless."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import count

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from jigsaw import events
from jigsaw.audit import service as audit
from jigsaw.audit.actions import AuditAction
from jigsaw.audit.models import AuditEntry
from jigsaw.db import Database
from jigsaw.errors import Misconfigured
from jigsaw.identity.dependencies import DB
from jigsaw.people import service as people
from jigsaw.policy.actor import Actor
from tests.scene import Scene

MARK = AuditAction.AGENCY_CREATED
_marks = count(1)


@dataclass(frozen=True)
class Heard:
    """An event only these tests publish."""

    marker: str


HEARD: list[str] = []


def _on_heard(session: Session, event: Heard) -> None:
    HEARD.append(event.marker)
    audit.append(session, Actor.system(), MARK, "heard", event.marker)


events.SUBSCRIPTIONS.subscribe(Heard, _on_heard)


@pytest.fixture
def marker() -> Iterator[str]:
    yield f"uow-{next(_marks)}-{id(HEARD)}"


def _stage(session: Session, marker: str) -> None:
    audit.append(session, Actor.system(), MARK, "uow-test", marker)


def _kept(db: Database, *markers: str) -> set[str]:
    with db.reading() as session:
        found = session.scalars(
            select(AuditEntry.object_id).where(AuditEntry.object_id.in_(markers))
        )
        return {m for m in found if m is not None}


def test_what_two_calls_write_commits_together_and_only_at_the_end(
    db: Database, marker: str
) -> None:
    first, second = f"{marker}-a", f"{marker}-b"
    work = db.unit_of_work()
    with work.transaction() as session:
        _stage(session, first)
    with work.transaction() as session:
        _stage(session, second)
    assert _kept(db, first, second) == set(), "nothing is visible before the commit"
    work.commit()
    assert _kept(db, first, second) == {first, second}
    with db.reading() as session:
        seqs = sorted(
            session.scalars(select(AuditEntry.seq).where(AuditEntry.object_id.in_([first, second])))
        )
    assert seqs[1] == seqs[0] + 1, "both entries were sequenced in one commit"


def test_a_failed_call_leaves_nothing_while_what_came_before_stands(
    db: Database, marker: str
) -> None:
    before, failed = f"{marker}-before", f"{marker}-failed"
    work = db.unit_of_work()
    with work.transaction() as session:
        _stage(session, before)
    with pytest.raises(ValueError), work.transaction() as session:
        _stage(session, failed)
        events.publish(session, Heard(failed))
        session.flush()
        raise ValueError("a form with a mistake")
    work.commit()
    assert _kept(db, before, failed) == {before}
    assert failed not in HEARD, "an event of a failed call is never handled"


def test_events_are_handled_once_just_before_the_commit_in_its_transaction(
    db: Database, marker: str
) -> None:
    work = db.unit_of_work()
    with work.transaction() as session:
        events.publish(session, Heard(marker))
    assert marker not in HEARD
    work.commit()
    assert HEARD.count(marker) == 1
    assert _kept(db, marker) == {marker}, "what the handler wrote committed with the work"


def test_a_rolled_back_request_keeps_only_what_was_to_be_kept(db: Database, marker: str) -> None:
    undone, refusal = f"{marker}-undone", f"{marker}-refusal"
    work = db.unit_of_work()
    with work.transaction() as session:
        _stage(session, undone)
        events.publish(session, Heard(undone))
    work.keep(lambda session: _stage(session, refusal))
    work.rollback()
    assert _kept(db, undone, refusal) == {refusal}
    assert undone not in HEARD


def test_what_is_kept_commits_with_a_request_that_succeeds(db: Database, marker: str) -> None:
    work = db.unit_of_work()
    work.keep(lambda session: _stage(session, marker))
    assert _kept(db, marker) == set()
    work.commit()
    assert _kept(db, marker) == {marker}


def test_a_finished_unit_of_work_takes_no_more_writes(db: Database) -> None:
    work = db.unit_of_work()
    work.commit()
    with pytest.raises(RuntimeError, match="finished"), work.transaction():
        pass


def test_events_are_published_only_inside_a_unit_of_work(db: Database) -> None:
    with db.reading() as session, pytest.raises(RuntimeError, match="unit of work"):
        events.publish(session, Heard("outside"))


def test_unwired_events_are_refused_rather_than_lost(db: Database, marker: str) -> None:
    events.SUBSCRIPTIONS.wired = False
    try:
        with pytest.raises(Misconfigured), db.transaction() as session:
            _stage(session, marker)
            events.publish(session, Heard(marker))
    finally:
        events.SUBSCRIPTIONS.wired = True
    assert _kept(db, marker) == set(), "the change that published it was not kept either"


def test_an_audited_read_in_a_request_returns_and_its_entry_commits_with_it(
    db: Database, scene: Scene
) -> None:
    actor = scene.dsl
    work = db.unit_of_work()
    record = people.view_agency_record(work, actor, scene.child_record_id)
    assert record.id == scene.child_record_id
    with db.reading() as session:
        last = session.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1))
    work.commit()
    with db.reading() as session:
        entry = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.id > (last or 0))
            .where(AuditEntry.action == AuditAction.AGENCY_RECORD_VIEWED.value)
            .where(AuditEntry.object_id == str(scene.child_record_id))
        ).one()
    assert entry.actor_id == actor.practitioner_id


def _edge_app(db: Database) -> FastAPI:
    app = FastAPI()
    app.state.db = db

    @app.post("/write/{marker}")
    def write(marker: str, work: DB) -> dict[str, str]:
        with work.transaction() as session:
            _stage(session, marker)
        with work.transaction() as session:
            _stage(session, f"{marker}-second")
        return {"done": marker}

    @app.post("/write-then-fail/{marker}")
    def write_then_fail(marker: str, work: DB) -> dict[str, str]:
        with work.transaction() as session:
            _stage(session, marker)
        raise RuntimeError("the route failed after the service wrote")

    return app


def test_the_edge_commits_before_answering_and_rolls_back_a_failed_route(
    db: Database, marker: str
) -> None:
    with TestClient(_edge_app(db), raise_server_exceptions=False) as client:
        done = client.post(f"/write/{marker}-ok")
        assert done.status_code == 200
        assert _kept(db, f"{marker}-ok", f"{marker}-ok-second") == {
            f"{marker}-ok",
            f"{marker}-ok-second",
        }, "both calls' writes were committed before the answer came back"
        failed = client.post(f"/write-then-fail/{marker}-bad")
        assert failed.status_code == 500
        assert _kept(db, f"{marker}-bad") == set()
