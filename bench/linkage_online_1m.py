"""Online match latency with a million children in the index, built in minutes.

    JIGSAW_DEMO_MODE=1 .venv/bin/python bench/linkage_online_1m.py \
        --database sqlite:////tmp/link1m.db --children 1000000 --real-children 100000 \
        --seed 7 --queries 1000 --out bench/results/linkage-online-1m.json

(Demo mode only because generating the real part seals synthetic items with the
built-in demo key.) A second run against the same database skips the build and
measures again.

The synthetic generator writes about 1,800 children a second with everything agencies
hold about them, so a million would take most of an hour; the online match reads only
the agency records and their match-index rows. So the index is built in two parts:

* ``--real-children`` are generated for real (``generate_population``, seed ``--seed``)
  and indexed through ``index_records``: each agency's noisy copy of each person, with
  the ground truth the queries are scored against;
* the rest of the million are background households written by set-based
  ``INSERT ... SELECT`` (see ``bench/singleview_chronology.py``): two children and one
  or two parents each, with given names drawn from the generator's own name lists,
  family names, streets and postcodes from the same sources and in the same
  proportions (sampled from Faker and the catalogue, then featurised with the model's
  own ``features_of``), birthdays spread over 18 years for children and 19 to 60 for
  adults, and three records a child and two and a half an adult on average, as the
  generator gives. They are exact copies (no noise), which matters only for how many
  rows each index key returns, and those depend on the name, birthday and postcode
  distributions, which are the generator's.

Each query is one real child's details with the noise agencies make (a dropped
letter, a nickname, day and month swapped, a postcode without its space, no NHS
number), run through the public ``find_candidates``. Prints one JSON object with
latency percentiles (wall clock, and the process's CPU time per query), how often the
child's own record came first, and how many records each search scored.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import resource
import statistics
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from faker import Faker
from sqlalchemy import (
    Column,
    Date,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.engine import Connection

from jigsaw import migrate, subscriptions
from jigsaw.db import Database, UTCDateTime
from jigsaw.linkage import online
from jigsaw.linkage.features import PersonDetails, features_of
from jigsaw.linkage.index import index_records
from jigsaw.linkage.models import MatchKey
from jigsaw.people.models import AgencyRecord
from jigsaw.synthetic.catalogue import (
    BOYS_NAMES,
    GIRLS_NAMES,
    INWARD_LETTERS,
    LOCAL_AUTHORITY,
    LOCALITIES,
    STREET_STEMS,
    STREET_SUFFIXES,
)
from jigsaw.synthetic.households import AS_OF
from jigsaw.synthetic.models import SyntheticTruth
from jigsaw.synthetic.service import generate_population

sys.path.insert(0, str(Path(__file__).parent))
from linkage_online import generated_households, noisy, sample_children

subscriptions.wire()

NOW = datetime.now(UTC)
VOCABULARY_DRAWS = 20_000
CHILD_DAYS = 18 * 365
ADULT_FIRST_DAY, ADULT_LAST_DAY = 19 * 365, 60 * 365
PRIMES = (7_919, 104_729, 15_485_863, 32_452_843, 49_979_687, 67_867_967, 86_028_121)

vocabulary = MetaData()
V_GIVEN = Table(
    "bench_given",
    vocabulary,
    Column("i", Integer, primary_key=True),
    Column("kind", String(8)),
    Column("raw", String(100)),
    Column("given", String(100)),
    Column("given_names", String(500)),
    Column("given_metaphone", String(100)),
)
V_FAMILY = Table(
    "bench_family",
    vocabulary,
    Column("i", Integer, primary_key=True),
    Column("raw", String(100)),
    Column("family", String(100)),
    Column("family_parts", String(200)),
    Column("family_soundex", String(8)),
)
V_PLACE = Table(
    "bench_place",
    vocabulary,
    Column("i", Integer, primary_key=True),
    Column("line", String(300)),
    Column("address", String(300)),
    Column("postcode_raw", String(10)),
    Column("postcode", String(10)),
    Column("postcode_sector", String(10)),
    Column("postcode_district", String(10)),
)
V_DAY = Table(
    "bench_day",
    vocabulary,
    Column("i", Integer, primary_key=True),
    Column("d", Date),
    Column("birth_year", Integer),
)
V_PERSON = Table(
    "bench_person",
    vocabulary,
    Column("p", Integer, primary_key=True),
    Column("role", String(16)),
    Column("sex", String(8)),
    Column("given_i", Integer),
    Column("family_i", Integer),
    Column("place_i", Integer),
    Column("day_i", Integer),
    Column("records", Integer),
)
V_COPY = Table("bench_copy", vocabulary, Column("c", Integer, primary_key=True))


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@contextmanager
def timed(label: str, into: dict[str, float]) -> Iterator[None]:
    started = time.perf_counter()
    yield
    into[label] = round(time.perf_counter() - started, 1)
    log(f"{label}: {into[label]:.1f}s")


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def series(conn: Connection, count: int) -> str:
    """A one-column table ``s(n)`` of 0..count-1, in this backend's dialect."""
    if conn.dialect.name == "postgresql":
        return f"(SELECT generate_series(0::bigint, {count - 1}) AS n) AS s"
    return (
        f"(WITH RECURSIVE c(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM c WHERE n < {count - 1}) "
        "SELECT n FROM c) AS s"
    )


def pick(column: str, prime: int, size: int) -> str:
    """A well-spread index into a vocabulary of ``size`` rows, from a row number."""
    return f"(({column} * {prime} + {prime % 1000}) % {size})"


def _names(rng: random.Random, fake: Faker) -> list[dict[str, Any]]:
    """Given names in the generator's proportions: children from its lists, adults from Faker."""
    drawn: list[tuple[str, str]] = []
    for _ in range(VOCABULARY_DRAWS // 4):
        drawn.append(("girl", rng.choice(GIRLS_NAMES)))
        drawn.append(("boy", rng.choice(BOYS_NAMES)))
        drawn.append(("woman", fake.first_name_female()))
        drawn.append(("man", fake.first_name_male()))
    rows = []
    for i, (kind, raw) in enumerate(drawn):
        f = features_of(PersonDetails(given_name=raw))
        rows.append(
            {
                "i": i,
                "kind": kind,
                "raw": raw,
                "given": f.given,
                "given_names": " ".join(f.given_names or ()),
                "given_metaphone": f.given_metaphone,
            }
        )
    return rows


def _families(fake: Faker) -> list[dict[str, Any]]:
    rows = []
    for i in range(VOCABULARY_DRAWS):
        raw = fake.last_name()
        f = features_of(PersonDetails(family_name=raw))
        rows.append(
            {
                "i": i,
                "raw": raw,
                "family": f.family,
                "family_parts": " ".join(f.family_parts or ()),
                "family_soundex": f.family_soundex,
            }
        )
    return rows


def _places(rng: random.Random, fake: Faker, count: int) -> list[dict[str, Any]]:
    """Household addresses drawn as the generator draws them (``households._address``)."""
    rows = []
    for i in range(count):
        locality, outward_codes = rng.choice(LOCALITIES)
        stem = fake.last_name() if rng.random() < 0.6 else rng.choice(STREET_STEMS)
        line = f"{rng.randint(1, 180)} {stem} {rng.choice(STREET_SUFFIXES)}, {locality}"
        if locality != LOCAL_AUTHORITY:
            line = f"{line}, {LOCAL_AUTHORITY}"
        inward = f"{rng.randint(1, 9)}{rng.choice(INWARD_LETTERS)}{rng.choice(INWARD_LETTERS)}"
        postcode = f"{rng.choice(outward_codes)} {inward}"
        f = features_of(PersonDetails(address=line, postcode=postcode))
        rows.append(
            {
                "i": i,
                "line": line,
                "address": f.address,
                "postcode_raw": postcode,
                "postcode": f.postcode,
                "postcode_sector": f.postcode_sector,
                "postcode_district": f.postcode_district,
            }
        )
    return rows


def _days() -> list[dict[str, Any]]:
    return [
        {"i": i, "d": AS_OF - timedelta(days=i), "birth_year": (AS_OF - timedelta(days=i)).year}
        for i in range(ADULT_LAST_DAY + 1)
    ]


def build_background(db: Database, children: int, seed: int, timings: dict[str, float]) -> int:
    """Background households for ``children`` more children; returns records added."""
    rng = random.Random(seed * 1_000 + 1)
    fake = Faker("en_GB")
    fake.seed_instance(seed * 1_000 + 2)
    households = children // 2
    with timed("background vocabulary", timings):
        given = _names(rng, fake)
        families = _families(fake)
        places = _places(rng, fake, households)
        days = _days()
    kinds = Counter(row["kind"] for row in given)
    offsets: dict[str, int] = {}
    position = 0
    given.sort(key=lambda row: (row["kind"], row["i"]))
    for i, row in enumerate(given):
        row["i"] = i
    for kind in sorted(kinds):
        offsets[kind] = position
        position += kinds[kind]
    draws = VOCABULARY_DRAWS // 4
    with db.engine.begin() as conn:
        vocabulary.drop_all(conn, checkfirst=True)
        vocabulary.create_all(conn)
        for table, rows in ((V_GIVEN, given), (V_FAMILY, families), (V_PLACE, places),
                            (V_DAY, days), (V_COPY, [{"c": c} for c in range(4)])):  # fmt: skip
            for start in range(0, len(rows), 20_000):
                conn.execute(insert(table), rows[start : start + 20_000])
        agency_ids = conn.scalars(select(func.min(AgencyRecord.agency_id))).one()
        agencies = conn.scalar(select(func.count(func.distinct(AgencyRecord.agency_id))))
        base = int(conn.scalar(select(func.max(AgencyRecord.id))) or 0) + 1
        before = int(conn.scalar(select(func.count()).select_from(AgencyRecord)) or 0)
    first_agency = int(agency_ids or 1)
    # Slots per household: 0 and 1 children (girl or boy), 2 first parent (a woman, or a
    # man in 12% of lone-parent homes), 3 second parent in 62% of households.
    slot_rows = 4 * households
    with db.engine.begin() as conn, timed("background persons", timings):
        slot = "(n % 4)"
        household = "(n / 4)"
        girl = f"({pick('n', PRIMES[0], 100)} < 49)"
        sex = (
            f"CASE WHEN {slot} < 2 THEN (CASE WHEN {girl} THEN 'female' ELSE 'male' END) "
            f"WHEN {slot} = 2 THEN (CASE WHEN {pick(household, PRIMES[1], 100)} < 5 "
            "THEN 'male' ELSE 'female' END) "
            f"ELSE (CASE WHEN {pick(household, PRIMES[2], 100)} < 3 THEN 'female' "
            "ELSE 'male' END) END"
        )
        given_i = (
            f"CASE WHEN {slot} < 2 THEN (CASE WHEN {girl} "
            f"THEN {offsets['girl']} + {pick('n', PRIMES[3], draws)} "
            f"ELSE {offsets['boy']} + {pick('n', PRIMES[3], draws)} END) "
            f"ELSE {offsets['woman']} + {pick('n', PRIMES[3], draws)} END"
        )
        day_i = (
            f"CASE WHEN {slot} < 2 THEN ({pick(household, PRIMES[4], CHILD_DAYS)} "
            f"+ {slot} * (365 + {pick('n', PRIMES[5], 3 * 365)})) % {CHILD_DAYS} "
            f"ELSE {ADULT_FIRST_DAY} + {pick('n', PRIMES[5], ADULT_LAST_DAY - ADULT_FIRST_DAY)} "
            "END"
        )
        conn.execute(
            text(
                "INSERT INTO bench_person (p, role, sex, given_i, family_i, place_i, day_i, "
                "records) "
                f"SELECT n, CASE WHEN {slot} < 2 THEN 'child' ELSE 'parent_carer' END, {sex}, "
                f"{given_i}, {pick(household, PRIMES[6], VOCABULARY_DRAWS)}, {household}, "
                f"{day_i}, CASE WHEN {slot} < 2 THEN 2 + (n % 3) ELSE 1 + ((n / 4) % 4) END "
                f"FROM {series(conn, slot_rows)} "
                f"WHERE {slot} < 3 OR {pick(household, PRIMES[0], 100)} < 62"
            )
        )
        # Parents were given names from the 'woman' slice; fathers take the 'man' slice.
        conn.execute(
            text(
                f"UPDATE bench_person SET given_i = given_i - {offsets['woman']} + "
                f"{offsets['man']} WHERE role = 'parent_carer' AND sex = 'male'"
            )
        )
    with db.engine.begin() as conn, timed("background agency records", timings):
        record_id = f"({base} + p.p * 4 + c.c)"
        conn.execute(
            text(
                "INSERT INTO agency_records (id, agency_id, local_id, role, given_name, "
                "family_name, date_of_birth, sex, address, postcode, nhs_number, person_id, "
                "link_status, created_at) "
                f"SELECT {record_id}, {first_agency} + (({record_id}) % {agencies}), "
                f"'BG' || {record_id}, p.role, g.raw, f.raw, d.d, p.sex, pl.line, "
                "pl.postcode_raw, NULL, NULL, 'unlinked', :now "
                "FROM bench_person p JOIN bench_copy c ON c.c < p.records "
                "JOIN bench_given g ON g.i = p.given_i JOIN bench_family f ON f.i = p.family_i "
                "JOIN bench_place pl ON pl.i = p.place_i JOIN bench_day d ON d.i = p.day_i"
            ).bindparams(bindparam("now", NOW, type_=UTCDateTime()))
        )
        records = int(conn.scalar(select(func.count()).select_from(AgencyRecord)) or 0) - before
    with db.engine.begin() as conn, timed("background match keys", timings):
        conn.execute(
            text(
                "INSERT INTO match_keys (agency_record_id, given, given_names, given_metaphone, "
                "family, family_parts, family_soundex, dob, birth_year, sex, postcode, "
                "postcode_sector, postcode_district, address, nhs_number, role_group) "
                f"SELECT {record_id}, g.given, g.given_names, g.given_metaphone, f.family, "
                "f.family_parts, f.family_soundex, d.d, d.birth_year, p.sex, pl.postcode, "
                "pl.postcode_sector, pl.postcode_district, pl.address, NULL, "
                "CASE WHEN p.role = 'child' THEN 'child' ELSE 'adult' END "
                "FROM bench_person p JOIN bench_copy c ON c.c < p.records "
                "JOIN bench_given g ON g.i = p.given_i JOIN bench_family f ON f.i = p.family_i "
                "JOIN bench_place pl ON pl.i = p.place_i JOIN bench_day d ON d.i = p.day_i"
            )
        )
    with db.engine.begin() as conn:
        vocabulary.drop_all(conn)
        if conn.dialect.name == "postgresql":
            conn.execute(text("ANALYZE match_keys"))
            conn.execute(text("ANALYZE agency_records"))
        else:
            conn.execute(text("ANALYZE"))
    return records


def records_scored(db: Database, details: PersonDetails) -> int:
    """How many records the search's index keys fetched (counted outside the timing)."""
    query = features_of(details)
    keys = online.keys_for(query)
    if not keys:
        return 0
    counted = select(func.count()).select_from(online.candidate_statement(keys).subquery())
    with db.sessions() as session:
        return int(session.scalar(counted, online.key_values(query, keys)) or 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--children", type=int, default=1_000_000)
    parser.add_argument("--real-children", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()

    migrate.upgrade(args.database)
    db = Database(args.database)
    timings: dict[str, float] = {}
    with db.sessions() as session:
        records = session.scalar(select(func.count()).select_from(AgencyRecord)) or 0
    if records == 0:
        with timed("real population generated", timings):
            generate_population(db, children=args.real_children, seed=args.seed, progress=False)
        with timed("real population indexed", timings):
            index_records(db)
        build_background(db, args.children - args.real_children, args.seed, timings)
    with db.sessions() as session:
        records = session.scalar(select(func.count()).select_from(AgencyRecord)) or 0
        indexed = session.scalar(select(func.count()).select_from(MatchKey)) or 0
        children = session.scalar(
            select(func.count()).select_from(MatchKey).where(MatchKey.role_group == "child")
        )
    online.shipped_model()

    rng = random.Random(20261125)
    held = generated_households(db, args.seed)
    sample = sample_children(args.seed, args.real_children, held, args.queries, rng)
    queries = [(child, noisy(rng, child)) for child in sample]
    for _child, details in queries[:20]:  # warm the caches and the connection pool
        online.find_candidates(db, details)
    wall: list[float] = []
    cpu: list[float] = []
    scored: list[int] = []
    first = found_at_all = 0
    for child, details in queries:
        started, started_cpu = time.perf_counter(), time.process_time()
        candidates = online.find_candidates(db, details)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        scored.append(records_scored(db, details))
        with db.sessions() as session:
            own = set(
                session.scalars(
                    select(SyntheticTruth.agency_record_id).where(
                        SyntheticTruth.true_person_key == child.key
                    )
                )
            )
        if candidates and candidates[0].agency_record_id in own:
            first += 1
        if any(c.agency_record_id in own for c in candidates):
            found_at_all += 1

    def pct(values: list[float], p: float) -> float:
        ordered = sorted(values)
        return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))], 2)

    result = {
        "backend": db.engine.dialect.name,
        "agency_records": records,
        "match_index_rows": indexed,
        "child_records": children,
        "real_children": args.real_children,
        "children": args.children,
        "build_seconds": timings,
        "queries": len(wall),
        "p50_ms": pct(wall, 0.50),
        "p95_ms": pct(wall, 0.95),
        "p99_ms": pct(wall, 0.99),
        "max_ms": round(max(wall), 2),
        "mean_ms": round(statistics.fmean(wall), 2),
        "cpu_p50_ms": pct(cpu, 0.50),
        "cpu_p95_ms": pct(cpu, 0.95),
        "cpu_mean_ms": round(statistics.fmean(cpu), 2),
        "records_scored_p50": pct([float(s) for s in scored], 0.50),
        "records_scored_p95": pct([float(s) for s in scored], 0.95),
        "records_scored_max": max(scored),
        "true_child_ranked_first": round(first / len(queries), 4),
        "true_child_in_candidates": round(found_at_all / len(queries), 4),
        "peak_rss_mib": round(peak_rss_mib(), 1),
        "python": platform.python_version(),
        "measured_on": date.today().isoformat(),
    }
    text_out = json.dumps(result, indent=2)
    print(text_out)
    if args.out is not None:
        args.out.write_text(text_out + "\n", encoding="utf-8")
    db.dispose()


if __name__ == "__main__":
    main()
