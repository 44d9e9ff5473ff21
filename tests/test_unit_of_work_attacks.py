"""The request's unit of work under attack: what a failed call, a failed commit, a
second transaction or a second request can do to what a request keeps, and to the
audit log's promise that a change and its entry commit together, sequenced once."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from itertools import count

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jigsaw import events
from jigsaw.audit import service as audit
from jigsaw.audit.actions import AuditAction
from jigsaw.audit.models import AuditEntry
from jigsaw.audit.signing import Signer
from jigsaw.clock import utcnow
from jigsaw.db import Database
from jigsaw.errors import NotPermitted
from jigsaw.identity import service as access
from jigsaw.identity.dependencies import DB
from jigsaw.identity.models import Practitioner
from jigsaw.people import service as people
from jigsaw.people.models import AgencyRecord, PersonRole
from jigsaw.policy.actor import Actor
from jigsaw.singleview import service as singleview
from tests.conftest import ACCOUNTS, PASSWORD, World, unique
from tests.scene import Scene
from tests.web.helpers import form_token, sign_in_through_the_page

MARK = AuditAction.AGENCY_CREATED
SYSTEM = Actor.system()
WRONG = "not the password at all"
WAIT = 4.0
"""Seconds a write may take before it is taken to be waiting on another transaction."""
SIGNER = Signer.from_seed("jigsaw.invalid/audit", bytes(range(32)))
_marks = count(1)


@dataclass(frozen=True)
class Boom:
    """An event whose handler fails, so the commit of the work that published it fails."""

    marker: str


@dataclass(frozen=True)
class Noticed:
    """An event only these tests publish and hear."""

    marker: str


NOTICED: list[str] = []


def _on_boom(session: Session, event: Boom) -> None:
    raise RuntimeError(f"the handler for {event.marker} failed")


def _on_noticed(session: Session, event: Noticed) -> None:
    NOTICED.append(event.marker)


events.SUBSCRIPTIONS.subscribe(Boom, _on_boom)
events.SUBSCRIPTIONS.subscribe(Noticed, _on_noticed)


@pytest.fixture
def marker() -> str:
    return f"uow-attack-{next(_marks)}-{id(NOTICED)}"


def _stage(session: Session, marker: str) -> AuditEntry:
    return audit.append(session, SYSTEM, MARK, "uow-attack", marker)


def _kept(db: Database, *markers: str) -> set[str]:
    with db.reading() as session:
        found = session.scalars(
            select(AuditEntry.object_id).where(AuditEntry.object_id.in_(markers))
        )
        return {m for m in found if m is not None}


def _within(seconds: float, work: Callable[[], object]) -> tuple[bool, list[object]]:
    """Run ``work`` on another thread; whether it finished in time, and what it gave or
    raised. A caller that holds what the work waits on must release it afterwards."""
    outcome: list[object] = []

    def run() -> None:
        try:
            outcome.append(work())
        except BaseException as error:  # the outcome is what the test looks at
            outcome.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout=seconds)
    finished = not thread.is_alive()
    _WAITING.append(thread)
    return finished, outcome


_WAITING: list[threading.Thread] = []


def _settle() -> None:
    """Let any write still waiting finish, once what it waited on was released."""
    while _WAITING:
        _WAITING.pop().join(timeout=30)


# Audit entries: staged until the commit, and only then sequenced


def test_an_entry_is_sequenced_when_the_request_commits_not_when_its_call_ends(
    db: Database, marker: str
) -> None:
    """``audit.log`` sequences "just before the transaction commits, under a short lock".
    A savepoint's release fires ``before_commit`` too, so each call's entries are
    sequenced (and, on PostgreSQL, the head locked) as soon as the call ends."""
    work = db.unit_of_work()
    try:
        with work.transaction() as session:
            entry = _stage(session, marker)
        assert entry.seq is None, "sequenced as the call's savepoint was released"
    finally:
        work.rollback()


def test_a_request_that_only_viewed_a_record_holds_up_no_one_s_sign_in(
    db: Database, scene: Scene, world: World
) -> None:
    """A request between its calls (rendering a page) must not make every other
    request's audit entry, a failed sign-in here, wait for it to finish."""
    someone = world.practitioner()
    work = db.unit_of_work()
    people.view_agency_record(work, scene.dsl, scene.child_record_id)
    try:
        finished, outcome = _within(
            WAIT, lambda: access.check_password(db, ACCOUNTS, someone.email, WRONG)
        )
    finally:
        work.rollback()
        _settle()
    if db.is_sqlite:
        # SQLite has one writer: the audited read's entry holds the write lock until
        # the request ends (``UnitOfWork``). The sign-in must then go ahead, not fail.
        assert outcome, "the failed sign-in never ran, even after the request ended"
    else:
        assert finished, "the failed sign-in waited for a request that had only looked"
    assert isinstance(outcome[0], access.SignInFailed), outcome


def test_an_entry_staged_before_an_inner_call_is_not_lost_with_a_failed_inner_call(
    db: Database, marker: str
) -> None:
    """A service that calls another, which calls a third, and carries on when the
    second fails: its own entry, staged before, must commit with its change."""
    own = f"{marker}-own"
    work = db.unit_of_work()
    with work.transaction() as session:
        _stage(session, own)
        try:
            with work.transaction():
                with work.transaction():
                    pass  # an inner call with nothing of its own to audit
                raise ValueError("the second call fails; the first carries on without it")
        except ValueError:
            pass
    work.commit()
    assert _kept(db, own) == {own}, "the change committed without its audit entry"


def test_the_log_verifies_after_failed_and_successful_calls_in_one_request(
    db: Database, marker: str
) -> None:
    work = db.unit_of_work()
    with work.transaction() as session:
        _stage(session, f"{marker}-first")
    with pytest.raises(ValueError), work.transaction() as session:
        _stage(session, f"{marker}-failed")
        session.flush()
        raise ValueError("a form with a mistake")
    with work.transaction() as session:
        _stage(session, f"{marker}-outer")
        with pytest.raises(ValueError), work.transaction() as inner:
            _stage(inner, f"{marker}-inner-failed")
            raise ValueError("an inner call fails")
        with work.transaction() as inner:
            _stage(inner, f"{marker}-inner")
    work.keep(lambda session: _stage(session, f"{marker}-kept"))
    work.commit()
    assert _kept(db, *(f"{marker}-{n}" for n in ("first", "failed", "outer", "inner-failed"))) | (
        _kept(db, f"{marker}-inner", f"{marker}-kept")
    ) == {f"{marker}-{n}" for n in ("first", "outer", "inner", "kept")}
    with db.reading() as session:
        size = session.scalar(select(func.count()).select_from(AuditEntry))
        seqs = set(session.scalars(select(AuditEntry.seq)))
    assert seqs == set(range(size or 0)), "every entry has one place in the log, no gaps"
    report = audit.verify(db, SIGNER.verifier)
    assert report.ok, report.problems


# Independent transactions while the request's own is open


def test_an_independent_write_after_the_request_audited_never_waits_on_the_request(
    db: Database, marker: str
) -> None:
    """Refused at once (SQLite) or written; never left waiting on the request's own
    transaction, which cannot end while the request waits (PostgreSQL)."""
    work = db.unit_of_work()
    with work.transaction() as session:
        _stage(session, f"{marker}-request")

    def write() -> str:
        with work.independent() as session:
            _stage(session, f"{marker}-own")
        return "written"

    try:
        finished, outcome = _within(WAIT, write)
    finally:
        work.rollback()
        _settle()
    assert finished, "the independent write waited on the request that made it"
    assert outcome == ["written"] or isinstance(outcome[0], RuntimeError), outcome


def test_an_independent_write_to_a_row_the_request_changed_fails_fast(
    db: Database, world: World
) -> None:
    """Signing out (``end_sessions``) after the request changed the account: a row
    lock the request holds would keep the independent write waiting for ever."""
    practitioner = world.practitioner()
    work = db.unit_of_work()
    with work.transaction() as session:
        row = session.get(Practitioner, practitioner.id)
        assert row is not None
        row.name = unique("Renamed in the request")
        session.flush()
    try:
        finished, outcome = _within(WAIT, lambda: access.end_sessions(work, practitioner.id))
    finally:
        work.rollback()
        _settle()
    assert finished, "the independent write waited for a lock its own request holds"
    assert isinstance(outcome[0], RuntimeError), outcome


# What is kept whatever becomes of the request


def _edge_app(db: Database) -> FastAPI:
    app = FastAPI()
    app.state.db = db

    @app.post("/refused-then-commit-fails/{marker}")
    def refused_then_commit_fails(marker: str, work: DB) -> dict[str, str]:
        work.keep(lambda session: _stage(session, f"{marker}-refusal"))
        with work.transaction() as session:
            events.publish(session, Boom(marker))
        return {"shown": marker}

    return app


def test_what_is_kept_survives_a_request_whose_commit_fails(db: Database, marker: str) -> None:
    """``keep``: "written with the request's work if it commits, or on its own after a
    rollback". A commit that fails is a rollback too."""
    with TestClient(_edge_app(db), raise_server_exceptions=False) as client:
        failed = client.post(f"/refused-then-commit-fails/{marker}")
    assert failed.status_code == 500
    assert _kept(db, f"{marker}-refusal") == {f"{marker}-refusal"}, "the refusal was lost"


def test_a_commit_that_fails_leaves_no_transaction_open(db: Database, world: World) -> None:
    """A kept write that fails at the commit: the request's transaction, with the row
    it changed, must still be ended, not left holding its locks."""
    practitioner = world.practitioner()
    work = db.unit_of_work()
    with work.transaction() as session:
        row = session.get(Practitioner, practitioner.id)
        assert row is not None
        row.name = unique("Renamed in the request")

    attempts: list[int] = []

    def fails(session: Session) -> None:
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("the kept write failed")

    work.keep(fails)
    with pytest.raises(RuntimeError):
        work.commit()

    def another_request() -> str:
        with db.transaction() as session:
            other = session.get(Practitioner, practitioner.id)
            assert other is not None
            other.sessions_valid_after = utcnow()
        return "written"

    try:
        finished, outcome = _within(WAIT, another_request)
    finally:
        work.rollback()
        _settle()
    assert finished, "another request waited on the transaction the failed commit left open"
    assert outcome == ["written"], outcome


def test_a_refused_single_view_is_recorded_though_the_request_fails(
    db: Database, world: World
) -> None:
    outsider = world.actor(world.practitioner())
    person_id = people.create_person(db, SYSTEM, None).id
    work = db.unit_of_work()
    with pytest.raises(NotPermitted):
        singleview.who_knows(work, outsider, person_id)
    work.rollback()
    with db.reading() as session:
        refused = session.scalars(
            select(AuditEntry).where(
                AuditEntry.action == AuditAction.SINGLE_VIEW_REFUSED.value,
                AuditEntry.actor_id == outsider.practitioner_id,
                AuditEntry.object_id == str(person_id),
            )
        ).all()
    assert len(refused) == 1


# Events


def test_an_event_of_a_call_whose_savepoint_failed_to_release_is_never_handled(
    db: Database, scene: Scene, marker: str
) -> None:
    """The failure comes at the release (the flush of a row the database refuses),
    after the block ended: what the call staged must go with it."""
    work = db.unit_of_work()
    record = people.view_agency_record(work, scene.dsl, scene.child_record_id)
    with pytest.raises(Exception) as refused, work.transaction() as session:
        _stage(session, marker)
        events.publish(session, Noticed(marker))
        session.add(
            AgencyRecord(
                agency_id=scene.school.id,
                local_id=record.local_id,  # the school already has a child with this id
                role=PersonRole.CHILD,
                given_name="Duplicate",
                family_name="Child",
            )
        )
    assert "IntegrityError" in type(refused.value).__name__
    try:
        work.commit()
    except Exception:
        work.rollback()
    assert marker not in NOTICED, "an event of a call that failed was handled"
    assert _kept(db, marker) == set(), "the audit entry of a call that failed was kept"


# Sign-in attempts are counted whatever the request then does


def _page_attempt(client: TestClient, email: str, password: str) -> int:
    token = form_token(client.get("/sign-in").text)
    response = client.post(
        "/sign-in",
        data={"email": email, "password": password, "csrf_token": token},
        follow_redirects=False,
    )
    status: int = response.status_code
    return status


def _count(db: Database, action: AuditAction, practitioner_id: int) -> int:
    with db.reading() as session:
        return (
            session.scalar(
                select(func.count())
                .select_from(AuditEntry)
                .where(
                    AuditEntry.action == action.value,
                    AuditEntry.object_id == str(practitioner_id),
                )
            )
            or 0
        )


def test_wrong_passwords_on_the_sign_in_page_lock_the_account_at_the_threshold(
    client: TestClient, world: World, db: Database
) -> None:
    practitioner = world.practitioner()
    threshold = ACCOUNTS.lockout.threshold
    statuses = [_page_attempt(client, practitioner.email, WRONG) for _ in range(threshold)]
    assert statuses == [401] * (threshold - 1) + [429]
    assert _page_attempt(client, practitioner.email, PASSWORD) == 429
    assert _count(db, AuditAction.SIGN_IN_FAILED, practitioner.id) == threshold
    assert _count(db, AuditAction.ACCOUNT_LOCKED, practitioner.id) == 1
    assert _count(db, AuditAction.SIGN_IN_REFUSED_LOCKED, practitioner.id) == 1


def test_wrong_codes_over_the_api_and_on_the_re_authentication_page_lock_the_account(
    client: TestClient, world: World, db: Database
) -> None:
    practitioner = world.practitioner()
    sign_in_through_the_page(client, world, practitioner)
    threshold = ACCOUNTS.lockout.threshold
    statuses = []
    for _ in range(threshold):
        token = form_token(client.get("/re-authenticate").text)
        statuses.append(
            client.post(
                "/re-authenticate",
                data={"password": PASSWORD, "code": "000000", "csrf_token": token},
                follow_redirects=False,
            ).status_code
        )
    assert statuses == [401] * (threshold - 1) + [429]
    assert _count(db, AuditAction.SECOND_FACTOR_FAILED, practitioner.id) == threshold
    over_the_api = client.post(
        "/api/session",
        json={"email": practitioner.email, "password": PASSWORD, "totp_code": "000000"},
    )
    assert over_the_api.status_code == 429
    assert _count(db, AuditAction.SIGN_IN_REFUSED_LOCKED, practitioner.id) == 1


def test_a_refused_look_on_a_page_is_answered_at_once_and_kept(
    client: TestClient, world: World, db: Database
) -> None:
    """The refusal is written after the request's transaction (which took the write
    lock on SQLite to look) rolled back: nothing waits on it, and it is on the record."""
    outsider = world.practitioner()
    person_id = people.create_person(db, SYSTEM, None).id
    sign_in_through_the_page(client, world, outsider)
    started = time.monotonic()
    refused = client.get(f"/people/{person_id}/who-knows")
    assert refused.status_code == 403
    assert time.monotonic() - started < WAIT, "the refusal waited on the request's own lock"
    assert _count_by(db, AuditAction.SINGLE_VIEW_REFUSED, outsider.id) == 1


def _count_by(db: Database, action: AuditAction, practitioner_id: int) -> int:
    with db.reading() as session:
        found = session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == action.value, AuditEntry.actor_id == practitioner_id)
        )
    return int(found or 0)
