"""The clock travels with the database being worked on; nothing holds time process-wide."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from jigsaw import clock
from jigsaw.app import create_app
from jigsaw.config import Settings
from jigsaw.db import Database

MOMENT = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # 00:30 UTC is 00:30 GMT, then BST starts


def _near_real_time(at: datetime) -> bool:
    return abs(at - datetime.now(UTC)) < timedelta(minutes=1)


def test_inside_a_transaction_now_is_the_databases_clock_and_outside_it_is_real_time(
    db: Database,
) -> None:
    db.clock.hold(MOMENT)
    try:
        with db.transaction():
            assert clock.utcnow() == MOMENT
        with db.reading():
            assert clock.utcnow() == MOMENT
        with db.unit_of_work() as work, work.transaction():
            assert clock.utcnow() == MOMENT
        assert _near_real_time(clock.utcnow()), "the hold never leaks out of the work"
    finally:
        db.clock.hold(None)


def test_two_databases_keep_their_own_time(db: Database) -> None:
    other = Database(db.url)
    db.clock.hold(MOMENT)
    try:
        with other.transaction():
            assert _near_real_time(clock.utcnow())
            with db.transaction():
                assert clock.utcnow() == MOMENT
            assert _near_real_time(clock.utcnow()), "the inner work's clock ends with it"
    finally:
        db.clock.hold(None)
        other.dispose()


def test_a_hold_in_one_thread_is_not_seen_by_another(db: Database) -> None:
    seen: list[datetime] = []
    inside, done = threading.Event(), threading.Event()

    def elsewhere() -> None:
        inside.wait(5)
        seen.append(clock.utcnow())
        done.set()

    worker = threading.Thread(target=elsewhere)
    worker.start()
    db.clock.hold(MOMENT)
    try:
        with db.transaction():
            inside.set()
            assert done.wait(5)
            assert clock.utcnow() == MOMENT
    finally:
        db.clock.hold(None)
        worker.join()
    assert _near_real_time(seen[0])


def test_a_clock_holds_only_aware_times() -> None:
    with pytest.raises(ValueError):
        clock.Clock().hold(datetime(2026, 1, 1))


def test_today_is_the_uk_date_of_the_bound_clock() -> None:
    held = clock.Clock()
    held.hold(datetime(2026, 6, 30, 23, 30, tzinfo=UTC))  # 00:30 on 1 July in BST
    with clock.bound(held):
        assert clock.today().isoformat() == "2026-07-01"
    assert held.advance(timedelta(hours=1)) == datetime(2026, 7, 1, 0, 30, tzinfo=UTC)


def test_a_running_clock_moved_on_keeps_running_and_a_hold_brings_it_back() -> None:
    running = clock.Clock()
    running.advance(timedelta(minutes=6))
    first = running.now()
    assert abs(first - datetime.now(UTC) - timedelta(minutes=6)) < timedelta(seconds=5)
    assert running.now() >= first, "still running, from six minutes on"
    running.hold(None)
    assert _near_real_time(running.now()) and running.now() - datetime.now(UTC) < timedelta(
        seconds=5
    )


def test_a_request_reads_its_apps_database_clock_in_routes_too(
    settings: Settings, db: Database
) -> None:
    app = create_app(settings, db)

    @app.get("/api/time-now")
    def time_now() -> dict[str, str]:
        return {"now": clock.utcnow().isoformat()}  # a route, outside any transaction

    db.clock.hold(MOMENT)
    try:
        with TestClient(app) as client:
            assert client.get("/api/time-now").json() == {"now": MOMENT.isoformat()}
    finally:
        db.clock.hold(None)
