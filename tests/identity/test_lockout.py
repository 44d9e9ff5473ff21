"""Lockout and back-off after failed sign-in attempts, held in the database."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from jigsaw.app import create_app
from jigsaw.audit.models import AuditEntry
from jigsaw.clock import utcnow
from jigsaw.config import Settings
from jigsaw.db import Database
from jigsaw.identity import service as access
from jigsaw.identity import totp
from jigsaw.identity.models import Practitioner, SignInThrottle
from jigsaw.identity.throttle import AccountLocked, LockoutPolicy, when_to_retry
from tests.conftest import ACCOUNTS, PASSWORD, World

WRONG = "not the password at all"
AFTER = re.compile(r"after .*$")


def _attempt(client: TestClient, email: str, password: str = WRONG) -> tuple[int, str]:
    response = client.post("/api/session", json={"email": email, "password": password})
    return response.status_code, response.json()["errors"][0]["message"] if (
        response.status_code != 200
    ) else ""


def _entries(db: Database, practitioner_id: int) -> list[AuditEntry]:
    with db.sessions() as session:
        rows = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.object_type == "practitioner")
            .where(AuditEntry.object_id == str(practitioner_id))
            .order_by(AuditEntry.seq)
        )
        return list(rows)


def test_five_failures_lock_the_account_even_for_the_right_password(
    client: TestClient, world: World, db: Database
) -> None:
    practitioner = world.practitioner()
    for _ in range(4):
        assert _attempt(client, practitioner.email)[0] == 401
    status, message = _attempt(client, practitioner.email)
    assert status == 429
    assert "too many attempts" in message
    assert "Try again after" in message

    response = client.post("/api/session", json={"email": practitioner.email, "password": PASSWORD})
    assert response.status_code == 429
    assert 14 * 60 < int(response.headers["retry-after"]) <= 15 * 60
    assert client.get("/api/me").status_code == 401

    actions = [e.action for e in _entries(db, practitioner.id)]
    assert actions.count("session.sign_in_failed") == 5
    assert actions.count("account.locked") == 1
    assert actions[-1] == "session.refused_locked"
    for entry in _entries(db, practitioner.id):
        assert practitioner.email not in str(entry.refs)


def test_an_unknown_address_is_answered_exactly_like_a_known_one(
    client: TestClient, world: World
) -> None:
    known = world.practitioner()
    unknown = f"nobody-{known.id}@example.org"
    known_answers = [_attempt(client, known.email) for _ in range(6)]
    unknown_answers = [_attempt(client, unknown) for _ in range(6)]
    assert [s for s, _ in known_answers] == [s for s, _ in unknown_answers]
    assert [s for s, _ in known_answers] == [401, 401, 401, 401, 429, 429]
    assert known_answers[0][1] == unknown_answers[0][1]
    # The time to try again may differ by a minute between the two; nothing else may.
    assert AFTER.sub("", known_answers[-1][1]) == AFTER.sub("", unknown_answers[-1][1])


@pytest.fixture
def two_workers(settings: Settings) -> Iterator[tuple[TestClient, TestClient]]:
    """Two app instances with their own engines, sharing one database, as two workers would."""
    first_db, second_db = Database(settings.database_url), Database(settings.database_url)
    with (
        TestClient(create_app(settings, first_db)) as first,
        TestClient(create_app(settings, second_db)) as second,
    ):
        yield first, second
    first_db.dispose()
    second_db.dispose()


def test_the_lockout_holds_across_app_instances_sharing_the_database(
    two_workers: tuple[TestClient, TestClient], world: World
) -> None:
    first, second = two_workers
    practitioner = world.practitioner()
    for n in range(5):
        worker = first if n % 2 == 0 else second
        _attempt(worker, practitioner.email)
    for worker in (first, second):
        response = worker.post(
            "/api/session", json={"email": practitioner.email, "password": PASSWORD}
        )
        assert response.status_code == 429, response.text


def test_a_burst_of_parallel_guesses_checks_no_more_than_the_limit(
    settings: Settings, world: World, db: Database
) -> None:
    practitioner = world.practitioner()
    statuses: list[int] = []

    def guess() -> None:
        worker_db = Database(settings.database_url)
        try:
            with TestClient(create_app(settings, worker_db)) as client:
                statuses.append(_attempt(client, practitioner.email)[0])
        finally:
            worker_db.dispose()

    threads = [threading.Thread(target=guess) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    failures = [e for e in _entries(db, practitioner.id) if e.action == "session.sign_in_failed"]
    assert len(failures) <= 5
    assert statuses.count(429) >= 7


def test_lockouts_double_and_a_quiet_day_forgets_them(world: World, db: Database) -> None:
    practitioner = world.practitioner()
    now = utcnow()

    def fail_five(at: object) -> AccountLocked:
        for _ in range(4):
            with pytest.raises(access.SignInFailed):
                access.check_password(db, ACCOUNTS, practitioner.email, WRONG, now=at)  # type: ignore[arg-type]
        with pytest.raises(AccountLocked) as locked:
            access.check_password(db, ACCOUNTS, practitioner.email, WRONG, now=at)  # type: ignore[arg-type]
        return locked.value

    first = fail_five(now)
    assert first.until == now + timedelta(minutes=15)
    with pytest.raises(AccountLocked):
        soon = now + timedelta(minutes=14)
        access.check_password(db, ACCOUNTS, practitioner.email, PASSWORD, now=soon)

    second = fail_five(now + timedelta(minutes=16))
    assert second.until == now + timedelta(minutes=16 + 30)
    third = fail_five(now + timedelta(minutes=47))
    assert third.until == now + timedelta(minutes=47 + 60)

    later = now + timedelta(minutes=108)
    checked = access.check_password(db, ACCOUNTS, practitioner.email, PASSWORD, now=later)
    assert checked.enrolled

    next_day = later + timedelta(days=1, minutes=1)
    assert fail_five(next_day).until == next_day + timedelta(minutes=15)


def test_wrong_codes_count_towards_the_same_lockout(world: World, db: Database) -> None:
    practitioner = world.practitioner()
    now = utcnow()
    checked = access.check_password(db, ACCOUNTS, practitioner.email, PASSWORD, now=now)
    assert checked.actor.practitioner_id == practitioner.id
    for _ in range(4):
        with pytest.raises(access.CodeRefused):
            access.verify_code(db, ACCOUNTS, practitioner.id, "000000", now=now)
    with pytest.raises(AccountLocked):
        access.verify_code(db, ACCOUNTS, practitioner.id, "000000", now=now)
    good = world.totp_code(practitioner)
    with pytest.raises(AccountLocked):
        access.verify_code(db, ACCOUNTS, practitioner.id, good, now=now)
    actions = [e.action for e in _entries(db, practitioner.id)]
    assert actions.count("session.second_factor_failed") == 5
    assert "account.locked" in actions


def test_a_complete_sign_in_clears_the_count(world: World, db: Database) -> None:
    practitioner = world.practitioner()
    for _ in range(4):
        with pytest.raises(access.SignInFailed):
            access.check_password(db, ACCOUNTS, practitioner.email, WRONG)
    access.check_password(db, ACCOUNTS, practitioner.email, PASSWORD)
    access.verify_code(db, ACCOUNTS, practitioner.id, world.totp_code(practitioner))
    key = ACCOUNTS.keys.throttle_key_for(practitioner.email)
    with db.sessions() as session:
        assert session.scalar(select(SignInThrottle).where(SignInThrottle.key_hash == key)) is None
    for _ in range(4):
        with pytest.raises(access.SignInFailed):
            access.check_password(db, ACCOUNTS, practitioner.email, WRONG)


def test_a_right_password_alone_does_not_reset_the_count(world: World, db: Database) -> None:
    """Otherwise knowing the password would buy unlimited guesses at the code."""
    practitioner = world.practitioner()
    for _ in range(2):
        access.check_password(db, ACCOUNTS, practitioner.email, PASSWORD)
        for _ in range(2):
            with pytest.raises(access.CodeRefused):
                access.verify_code(db, ACCOUNTS, practitioner.id, "000000")
    access.check_password(db, ACCOUNTS, practitioner.email, PASSWORD)
    with pytest.raises(AccountLocked):
        access.verify_code(db, ACCOUNTS, practitioner.id, "000000")


def test_the_throttle_table_holds_no_email_addresses(world: World, db: Database) -> None:
    practitioner = world.practitioner()
    with pytest.raises(access.SignInFailed):
        access.check_password(db, ACCOUNTS, practitioner.email, WRONG)
    with db.sessions() as session:
        for row in session.scalars(select(SignInThrottle)):
            assert practitioner.email.encode() not in row.key_hash
            assert len(row.key_hash) == 32


def test_lock_lengths_double_up_to_the_maximum() -> None:
    policy = LockoutPolicy(threshold=5, lock_seconds=900, max_lock_seconds=4 * 3600)
    assert [policy.lock_length(n).total_seconds() / 60 for n in range(1, 7)] == [
        15,
        30,
        60,
        120,
        240,
        240,
    ]


def test_the_time_to_try_again_is_written_for_people() -> None:
    now = utcnow().replace(month=1, day=10, hour=9, minute=0, second=0, microsecond=0)
    assert when_to_retry(now + timedelta(minutes=15), now) == "9:15am"
    assert when_to_retry(now + timedelta(minutes=15, seconds=1), now) == "9:16am"
    assert when_to_retry(now + timedelta(hours=4), now) == "1:00pm"
    assert when_to_retry(now + timedelta(hours=16), now) == "1:00am on 11 January"


def test_a_disabled_account_cannot_sign_in(world: World, db: Database) -> None:
    practitioner = world.practitioner()
    with db.transaction() as session:
        row = session.get(Practitioner, practitioner.id)
        assert row is not None
        row.active = False
    with pytest.raises(access.SignInFailed):
        access.check_password(db, ACCOUNTS, practitioner.email, PASSWORD)
    assert totp.normalise_code("123 456") == "123456"
