"""Latency of the merged chronology (and the rest of the single view) at scale.

    .venv/bin/python bench/singleview_chronology.py                      # SQLite, 1M persons
    .venv/bin/python bench/singleview_chronology.py --database postgresql+psycopg://...

Builds a database with ``--persons`` people in the person index (default 1,000,000),
two agency records each spread over 50 agencies, and ``--background-items`` items on
those records (default 3,000,000), all by set-based ``INSERT ... SELECT`` of minimal
rows: the synthetic generator would take hours at this size and its realism does not
matter here, only the sizes of the tables and indexes the queries walk. Background
disclosures to the viewer's own agency (about other children) make ``active_to`` work
as it would in a busy hub.

Then one child known to 8 agencies with ``--items`` items (default 500): the viewer's
MASH holds an eighth of them; the other seven agencies have disclosed theirs to the
MASH with various field sets. Some items are corrected, some retracted, one disclosure
is revoked and one expired. Each call is timed end to end through the service,
including the policy check and the audit entry written in the same transaction.

The child's items are written through the ORM in one unit of work, so they are stored
exactly as the product stores them: summary, detail and source sealed (AES-256-GCM)
under a data key per agency record, each key wrapped by the master key. Every call
therefore unwraps the 8 records' keys and opens every returned field. The background
items stay plaintext rows without a ``seal_id`` (read as they are, like rows written
before sealing existed): sealing 3,000,000 rows under 2,000,000 data keys in Python
would take longer than the rest of the build, and no measured call reads them. The
master key is ``JIGSAW_MASTER_KEY`` if set, else a fixed benchmark key.

Last, the child's page as a practitioner's browser gets it (``GET /children/{id}`` of
the viewer's own record of the child, through the whole app in process: session cookie,
sign-in check, every service the page calls, pattern flags included, and the template),
signed in with password and authenticator code as a person would.

Prints one JSON object; ``--out`` also writes it to a file.
"""

from __future__ import annotations

import argparse
import base64
import gc
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from collections import namedtuple
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import bindparam, func, insert, select, text
from sqlalchemy.engine import Connection

from jigsaw import migrate, subscriptions
from jigsaw.agencies import service as agencies
from jigsaw.agencies.schemas import AgencyIn, PractitionerIn
from jigsaw.app import create_app
from jigsaw.config import Settings
from jigsaw.db import Database, UTCDateTime
from jigsaw.identity import service as access
from jigsaw.identity import totp
from jigsaw.identity.models import Practitioner
from jigsaw.people.models import AgencyRecord, Person
from jigsaw.policy.actor import Actor
from jigsaw.policy.roles import AgencyKind, Role
from jigsaw.protection.keyring import AGENCY_RECORD, PREFIX, Subject
from jigsaw.protection.sealed import open_rows
from jigsaw.records.models import Category, InformationItem, ItemRetraction
from jigsaw.sharing.disclosures import WITHHELD
from jigsaw.sharing.models import (
    DisclosedItem,
    Disclosure,
    DisclosureRevocation,
    SharingDecision,
)
from jigsaw.sharing.schemas import DISCLOSABLE_FIELDS
from jigsaw.singleview import service
from jigsaw.singleview.schemas import ChronologyFilters

subscriptions.wire()

# As the tests do: a fixed master key unless the environment names one.
os.environ.setdefault("JIGSAW_MASTER_KEY", base64.b64encode(bytes(range(32, 64))).decode())

SYSTEM = Actor.system()
PASSWORD = "benchmark password that is long"
# The web app's own secrets, fixed: only signing the session cookie and the audit
# checkpoints depends on them, and neither changes what a page costs.
SECRET_KEY = "benchmark-secret-key-that-is-long-enough-0123456789"
AUDIT_KEY = base64.b64encode(bytes(range(32))).decode()
BACKGROUND_AGENCIES = 50
KINDS = (
    AgencyKind.SOCIAL_CARE,  # the viewer's MASH
    AgencyKind.SCHOOL,
    AgencyKind.POLICE,
    AgencyKind.HEALTH,
    AgencyKind.HEALTH,
    AgencyKind.HOUSING,
    AgencyKind.VOLUNTARY,
    AgencyKind.PROBATION,
)
SUBTYPES = (
    "injury",
    "attendance",
    "domestic_abuse_incident",
    "missed_appointment",
    "ed_attendance",
    "parental_mental_health",
    "home_visit",
    "concern_for_welfare",
)
FIELD_SETS = (
    list(DISCLOSABLE_FIELDS),
    ["occurred_on", "category", "subtype", "summary", "nature"],
    ["occurred_on", "summary"],
    ["summary", "detail", "source"],
)
NOW = datetime.now(UTC)
DETAIL = "Fuller account of what was seen and said."


def summary_of(item_id: int) -> str:
    return f"Item {item_id}: something that happened"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@contextmanager
def timed(label: str) -> Iterator[None]:
    started = time.perf_counter()
    yield
    log(f"{label}: {time.perf_counter() - started:.1f}s")


def series(conn: Connection, count: int) -> str:
    """A one-column table ``s(n)`` of 1..count, in this backend's dialect."""
    if conn.dialect.name == "postgresql":
        return f"(SELECT generate_series(1, {count}) AS n) AS s"
    return (
        f"(WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < {count}) "
        "SELECT n FROM c) AS s"
    )


def stamp() -> Any:
    return bindparam("now", NOW, type_=UTCDateTime())


def build_background(db: Database, persons: int, items: int) -> list[int]:
    """Agencies, and the bulk of people, records and items the child's rows sit among."""
    ids = [
        agencies.create_agency(
            db, SYSTEM, AgencyIn(name=f"Background agency {n}", kind=AgencyKind.OTHER)
        ).id
        for n in range(BACKGROUND_AGENCIES)
    ]
    first, count = min(ids), len(ids)
    records = persons * 2
    with db.engine.begin() as conn:
        with timed(f"{persons:,} persons"):
            conn.execute(
                text(
                    "INSERT INTO persons (id, created_at) "
                    f"SELECT n, :now FROM {series(conn, persons)}"
                ).bindparams(stamp())
            )
        with timed(f"{records:,} agency records"):
            conn.execute(
                text(
                    "INSERT INTO agency_records (id, agency_id, local_id, role, given_name, "
                    "family_name, sex, address, postcode, person_id, link_status, created_at) "
                    f"SELECT n, {first} + (n % {count}), 'B' || n, 'child', 'Given', "
                    "'Family' || (n % 5000), 'unknown', '', '', (n + 1) / 2, 'auto', :now "
                    f"FROM {series(conn, records)}"
                ).bindparams(stamp())
            )
        with timed(f"{items:,} background items"):
            conn.execute(
                text(
                    "INSERT INTO information_items (id, subject_record_id, agency_id, category, "
                    "subtype, occurred_on, recorded_at, summary, detail, nature, source, "
                    "verification, special_category, criminal_offence, protected_identity, "
                    "version) "
                    f"SELECT n, 1 + (n % {records}), {first} + ((1 + (n % {records})) % {count}), "
                    "'child_welfare', 'attendance', :day, :now, 'Background item', '', 'fact', "
                    f"'Register', 'verified', false, false, false, 1 FROM {series(conn, items)}"
                ).bindparams(stamp(), bindparam("day", date(2025, 1, 1)))
            )
    return ids


def build_child(db: Database, items: int, background_disclosures: int) -> tuple[Actor, int]:
    """One child known to 8 agencies; returns the viewer (a MASH worker) and the person."""
    rng = random.Random(7)
    agency_ids = [
        agencies.create_agency(db, SYSTEM, AgencyIn(name=f"Child agency {n}", kind=kind)).id
        for n, kind in enumerate(KINDS)
    ]
    staff = [
        agencies.create_practitioner(
            db,
            SYSTEM,
            PractitionerIn(
                agency_id=agency_id,
                name=f"Worker {n}",
                email=f"worker{n}@bench.example",
                role=Role.MASH if n == 0 else Role.DSL,
                password=PASSWORD,
            ),
        ).id
        for n, agency_id in enumerate(agency_ids)
    ]
    viewer = Actor(staff[0], agency_ids[0], Role.MASH, mfa_verified=True)
    with db.transaction() as session:
        top = session.scalar(select(func.max(Person.id))) or 0
        person_id = top + 1
        session.execute(insert(Person), [{"id": person_id, "created_at": NOW}])
        next_record = (session.scalar(select(func.max(AgencyRecord.id))) or 0) + 1
        record_ids = list(range(next_record, next_record + len(agency_ids)))
        session.execute(
            insert(AgencyRecord),
            [
                {
                    "id": record_id,
                    "agency_id": agency_id,
                    "local_id": f"C{record_id}",
                    "role": "child",
                    "given_name": "Maisie",
                    "family_name": "Bench",
                    "sex": "female",
                    "person_id": person_id,
                    "link_status": "confirmed",
                    "created_at": NOW - timedelta(days=700),
                }
                for record_id, agency_id in zip(record_ids, agency_ids, strict=True)
            ],
        )
        next_item = (session.scalar(select(func.max(InformationItem.id))) or 0) + 1
        item_rows: list[dict[str, Any]] = []
        chains: dict[int, list[int]] = {n: [] for n in range(len(agency_ids))}
        for n in range(items):
            owner = n % len(agency_ids)
            item_id = next_item + n
            chains[owner].append(item_id)
            item_rows.append(
                _item(item_id, record_ids[owner], agency_ids[owner], rng, protected=n % 9 == 0)
            )
        corrections: list[dict[str, Any]] = []
        retractions: list[dict[str, Any]] = []
        next_id = next_item + items
        for owner, owned in chains.items():
            for item_id in owned[::20]:  # 5% corrected once
                row = dict(item_rows[item_id - next_item])
                row.update(
                    id=next_id, supersedes_id=item_id, root_id=item_id, version=2,
                    summary="Corrected: " + row["summary"],
                )  # fmt: skip
                corrections.append(row)
                next_id += 1
            retractions.extend(
                {
                    "item_id": item_id,
                    "retracted_by": staff[owner],
                    "reason": "Entered in error",
                    "retracted_at": NOW,
                }
                for item_id in owned[7::50]  # 2% retracted
            )
        # Through the unit of work, so summary, detail and source (and the retraction
        # reasons) are sealed under each record's data key exactly as the services
        # store them.
        session.add_all(InformationItem(**row) for row in item_rows)
        session.flush()
        session.add_all(InformationItem(**row) for row in corrections)
        session.flush()
        session.add_all(ItemRetraction(**row) for row in retractions)

        for owner in range(1, len(agency_ids)):
            _disclose(session, owner, agency_ids, staff, record_ids, chains[owner], rng)
        # One disclosure revoked and one expired: their items must not show.
        extra = chains[1][:3]
        revoked = _disclose(session, 1, agency_ids, staff, record_ids, extra, rng)
        session.add(
            DisclosureRevocation(
                disclosure_id=revoked, revoked_by_id=staff[1], reason="Wrong hub", revoked_at=NOW
            )
        )
        _disclose(session, 2, agency_ids, staff, record_ids, chains[2][:3], rng, expired=True)
        _background_disclosures(session, background_disclosures, agency_ids, staff)
    return viewer, person_id


def _item(
    item_id: int, record_id: int, agency_id: int, rng: random.Random, *, protected: bool
) -> dict[str, Any]:
    return {
        "id": item_id,
        "subject_record_id": record_id,
        "agency_id": agency_id,
        "category": rng.choice(list(Category)).value,
        "subtype": rng.choice(SUBTYPES),
        "occurred_on": date(2021, 1, 1) + timedelta(days=rng.randint(0, 5 * 365)),
        "recorded_at": NOW,
        "summary": summary_of(item_id),
        "detail": DETAIL,
        "nature": rng.choice(("fact", "fact", "opinion")),
        "source": "Observed",
        "verification": "verified",
        "protected_identity": protected,
        "version": 1,
    }


def _decision(
    session: Any, owner: int, agency_ids: list[int], staff: list[int], record_id: int
) -> int:
    decision = SharingDecision(
        agency_id=agency_ids[owner],
        subject_record_id=record_id,
        decided_by_id=staff[owner],
        recipient_agency_id=agency_ids[0],
        purpose="mash_screening",
        answers={},
        guidance_edition="2024-05",
        guidance_version="bench",
        recommendation="share",
        recommendation_rules=[],
        outcome="share",
        reasons="Benchmark",
        lawful_basis="6(1)(e)",
        consent_position="not_sought_would_increase_risk",
        family_informed=False,
        decided_at=NOW,
    )
    session.add(decision)
    session.flush()
    return decision.id


def _disclose(
    session: Any,
    owner: int,
    agency_ids: list[int],
    staff: list[int],
    record_ids: list[int],
    chains: list[int],
    rng: random.Random,
    *,
    expired: bool = False,
) -> int:
    decision_id = _decision(session, owner, agency_ids, staff, record_ids[owner])
    disclosure = Disclosure(
        decision_id=decision_id,
        disclosing_agency_id=agency_ids[owner],
        disclosed_by_id=staff[owner],
        recipient_agency_id=agency_ids[0],
        recipient_practitioner_id=None,
        purpose="mash_screening",
        onward_sharing_allowed=False,
        expires_at=NOW - timedelta(days=1) if expired else NOW + timedelta(days=90),
        created_at=NOW - timedelta(days=30),
    )
    session.add(disclosure)
    session.flush()
    session.execute(
        insert(DisclosedItem),
        [
            {
                "disclosure_id": disclosure.id,
                "item_chain_id": chain,
                "fields": rng.choice(FIELD_SETS),
                "reveal_protected": False,
            }
            for chain in chains
        ],
    )
    return disclosure.id


def _background_disclosures(
    session: Any, count: int, agency_ids: list[int], staff: list[int]
) -> None:
    """Disclosures to the viewer's agency about other children (background items)."""
    for n in range(count):
        owner = 1 + n % (len(agency_ids) - 1)
        record_id = 1 + n * 37
        decision_id = _decision(session, owner, agency_ids, staff, record_id)
        disclosure = Disclosure(
            decision_id=decision_id,
            disclosing_agency_id=agency_ids[owner],
            disclosed_by_id=staff[owner],
            recipient_agency_id=agency_ids[0],
            purpose="mash_screening",
            onward_sharing_allowed=False,
            expires_at=NOW + timedelta(days=90),
            created_at=NOW,
        )
        session.add(disclosure)
        session.flush()
        session.add(
            DisclosedItem(
                disclosure_id=disclosure.id,
                item_chain_id=record_id,  # background item n has subject record n
                fields=["summary"],
                reveal_protected=False,
            )
        )


def built_before(db: Database) -> tuple[Actor, int]:
    """The viewer and child of a database this script built earlier."""
    with db.sessions() as session:
        worker = session.scalars(
            select(Practitioner).where(Practitioner.email == "worker0@bench.example")
        ).one()
        person_id = session.scalar(select(func.max(Person.id)))
    assert person_id is not None
    return Actor(worker.id, worker.agency_id, Role.MASH, mfa_verified=True), person_id


_Stored = namedtuple("_Stored", "id subject_record_id seal_id summary detail source")


def stored_items(db: Database, person_id: int) -> list[Any]:
    """The child's items as the database holds them (no decryption)."""
    with db.sessions() as session:
        rows = session.connection().execute(
            select(
                InformationItem.id,
                InformationItem.subject_record_id,
                InformationItem.seal_id,
                InformationItem.summary,
                InformationItem.detail,
                InformationItem.source,
            )
            .join(AgencyRecord, AgencyRecord.id == InformationItem.subject_record_id)
            .where(AgencyRecord.person_id == person_id)
        )
        return [_Stored(*row) for row in rows]


def check_sealed(stored: list[Any], entries: list[Any]) -> dict[str, int]:
    """Every stored field of the child's items is ciphertext; the call returns plaintext."""
    by_id = {row.id: row for row in stored}
    for row in stored:
        assert row.seal_id is not None, f"item {row.id} is not sealed"
        for value in (row.summary, row.detail, row.source):
            assert value.startswith(PREFIX), f"item {row.id} holds plaintext: {value!r}"
        assert "something that happened" not in row.summary
        assert DETAIL not in row.detail
    checked = 0
    for entry in entries:
        if entry.summary is None or "summary" not in entry.fields:
            continue
        if entry.summary == WITHHELD:  # protected identity, not released
            continue
        expected = summary_of(entry.item_chain_id)
        if entry.version > 1:
            expected = "Corrected: " + expected
        assert entry.summary == expected, (entry.item_id, entry.summary, expected)
        assert by_id[entry.item_id].summary != entry.summary
        checked += 1
    assert checked > 0, "no returned entry carried a summary to check"
    return {
        "items_sealed": len(stored),
        "data_keys": len({row.subject_record_id for row in stored}),
        "summaries_checked": checked,
    }


def open_sealed(db: Database, rows: list[Any]) -> None:
    """The decryption alone: a fresh unit of work unwraps the keys and opens every field."""
    with db.sessions() as session:
        open_rows(
            session,
            InformationItem,
            rows,
            lambda row: Subject(AGENCY_RECORD, row.subject_record_id),
        )


def child_page(db: Database, url: str, viewer: Actor, person_id: int, runs: int) -> dict[str, Any]:
    """The viewer's own record of the child as a page, through the whole app in process.

    The viewer enrols an authenticator and signs in over ``/api/session`` with password
    and code, so every request carries a real session cookie and passes the same checks
    a browser's would. The ``with`` runs the app's start-up (``gc.freeze``), as serving does.
    """
    assert viewer.practitioner_id is not None
    settings = Settings(
        database_url=url,
        secret_key=SECRET_KEY,
        secure_cookies=False,
        audit_signing_key=AUDIT_KEY,
    )
    secret = totp.new_secret()
    access.set_second_factor(
        db, SYSTEM, access.AccountConfig.from_settings(settings), viewer.practitioner_id, secret
    )
    with db.sessions() as session:
        email = session.scalars(
            select(Practitioner.email).where(Practitioner.id == viewer.practitioner_id)
        ).one()
        record_id = session.scalars(
            select(AgencyRecord.id).where(
                AgencyRecord.person_id == person_id, AgencyRecord.agency_id == viewer.agency_id
            )
        ).one()
    with TestClient(create_app(settings, db)) as client:
        signed_in = client.post(
            "/api/session",
            json={
                "email": email,
                "password": PASSWORD,
                "totp_code": totp.code_for_step(secret, totp.step_at(db.clock.now())),
            },
        )
        assert signed_in.status_code == 200, signed_in.text
        assert signed_in.json()["second_factor"] == "verified", signed_in.text
        path = f"/children/{record_id}"

        def get() -> str:
            response = client.get(path)
            assert response.status_code == 200, (response.status_code, response.text[:500])
            return str(response.text)

        html = get()
        # Only a page that worked out the pattern flags (their section shows) is the
        # page practitioners get; one that skipped them would measure too little.
        assert 'id="patterns"' in html, "the child's page shows no pattern flags"
        return {"path": path, "html_bytes": len(html.encode()), **measure(get, runs)}


def _percentiles(times: list[float], prefix: str) -> dict[str, float]:
    times = sorted(times)
    return {
        f"{prefix}p50_ms": round(statistics.median(times), 2),
        f"{prefix}p95_ms": round(times[int(0.95 * (len(times) - 1))], 2),
        f"{prefix}p99_ms": round(times[int(0.99 * (len(times) - 1))], 2),
        f"{prefix}max_ms": round(times[-1], 2),
    }


def measure(call: Callable[[], Any], runs: int, warmup: int = 20) -> dict[str, float]:
    """Wall-clock percentiles, and this process's CPU time per call.

    On a shared machine wall time includes waiting for a CPU; the CPU time shows
    what the call itself costs (on SQLite that includes the database engine, which
    runs in-process; on PostgreSQL the server's work is not in it).
    """
    for _ in range(warmup):
        call()
    wall, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        call()
        cpu.append((time.process_time() - started_cpu) * 1000)
        wall.append((time.perf_counter() - started) * 1000)
    return {"runs": runs, **_percentiles(wall, ""), **_percentiles(cpu, "cpu_")}


def machine_speed() -> float:
    """Seconds for a fixed pure-Python loop: the same number on two runs means cores of
    the same speed, so results from different machines (or moments) can be compared."""
    started = time.perf_counter()
    product = 1
    for _ in range(10_000_000):
        product *= 1
    return round(time.perf_counter() - started, 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--background-items", type=int, default=3_000_000)
    parser.add_argument("--background-disclosures", type=int, default=2_000)
    parser.add_argument("--items", type=int, default=500)
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument(
        "--page-runs",
        type=int,
        help="calls of the child's page (default --runs): fewer where each takes seconds",
    )
    parser.add_argument("--database", help="SQLAlchemy URL of an empty database")
    parser.add_argument("--out", type=Path)
    parser.add_argument(
        "--no-gc-freeze",
        action="store_true",
        help="leave objects loaded at start-up to the cyclic garbage collector",
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="measure again on a --database this script has already built",
    )
    args = parser.parse_args()

    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    load_before = os.getloadavg()
    speed_before = machine_speed()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database or f"sqlite:///{Path(tmp) / 'singleview.db'}"
        build_started = time.perf_counter()
        if args.reuse and args.database:
            db = Database(url)
            viewer, person_id = built_before(db)
        else:
            migrate.upgrade(url)
            db = Database(url)
            build_background(db, args.persons, args.background_items)
            with timed("the child and disclosures"):
                viewer, person_id = build_child(db, args.items, args.background_disclosures)
            if db.engine.dialect.name == "postgresql":
                with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                    c.execute(text("VACUUM ANALYZE"))
            else:
                with db.engine.begin() as conn:
                    conn.execute(text("ANALYZE"))
        build_seconds = time.perf_counter() - build_started

        everything = service.chronology(db, viewer, person_id)
        stored = stored_items(db, person_id)
        sealing = check_sealed(stored, everything.entries)
        returned = {e.item_id for e in everything.entries}
        opened_by_call = [row for row in stored if row.id in returned]
        if not args.no_gc_freeze:
            # As a long-running worker should after start-up: without this, every
            # hundredth or so request pays for a full collection of the ~160,000
            # objects the imports leave behind (about 85 ms of CPU here).
            gc.collect()
            gc.freeze()
        filtered = ChronologyFilters(
            categories=frozenset({Category.CHILD_WELFARE, Category.PARENT_CAPACITY}),
            since=date(2023, 1, 1),
            until=date(2025, 12, 31),
        )
        with db.sessions() as session:
            counts = {
                "persons": session.scalar(select(func.count()).select_from(Person)),
                "agency_records": session.scalar(select(func.count()).select_from(AgencyRecord)),
                "information_items": session.scalar(
                    select(func.count()).select_from(InformationItem)
                ),
                "disclosures": session.scalar(select(func.count()).select_from(Disclosure)),
            }
        result = {
            "backend": db.engine.dialect.name,
            "started_at": started_at,
            "load_average_before": [round(x, 2) for x in load_before],
            "gc_frozen": not args.no_gc_freeze,
            "python": platform.python_version(),
            "rows": counts,
            "build_seconds": round(build_seconds, 1),
            "sealing": {**sealing, "fields_opened_per_call": 3 * len(opened_by_call)},
            "child": {
                "agencies": len({e.agency_id for e in everything.entries}),
                "visible_entries": len(everything.entries),
                "own_entries": sum(e.own_agency for e in everything.entries),
                "corrected": sum(e.corrected for e in everything.entries),
                "retracted": sum(e.retracted for e in everything.entries),
            },
            "chronology": measure(lambda: service.chronology(db, viewer, person_id), args.runs),
            "chronology_filtered": measure(
                lambda: service.chronology(db, viewer, person_id, filtered), args.runs
            ),
            "who_knows": measure(lambda: service.who_knows(db, viewer, person_id), args.runs),
            "pattern_flags": measure(
                lambda: service.pattern_flags(db, viewer, person_id), args.runs
            ),
            "open_sealed": measure(lambda: open_sealed(db, opened_by_call), args.runs),
            "child_page": child_page(db, url, viewer, person_id, args.page_runs or args.runs),
        }
        result["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
        result["python_loop_seconds"] = {"before": speed_before, "after": machine_speed()}
        db.dispose()
    text_out = json.dumps(result, indent=2)
    print(text_out)
    if args.out:
        args.out.write_text(text_out + "\n")


if __name__ == "__main__":
    main()
