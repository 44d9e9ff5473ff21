"""Online match latency: find_candidates against a large person index.

    .venv/bin/python bench/linkage_online.py --database sqlite:////tmp/link1m.db \
        --seed 7 --children 1000000 --queries 1000

The database must hold a generated population (``jigsaw generate``) with the seed
given; ``--children`` is the size it was generated with (the script reads how many
of its households are there, so a generation cut short is fine). Records missing
from the match index are indexed first (timed separately). Each query is one true
child's details with noise of the kinds agencies make (a dropped letter, a nickname,
day and month swapped, a postcode without its space, no NHS number), run through
the public ``find_candidates``; the script reports latency percentiles and how often
the child's own records came first. Prints one JSON object.
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
from typing import Any

from sqlalchemy import func, select

from jigsaw import subscriptions
from jigsaw.db import Database
from jigsaw.linkage.features import PersonDetails
from jigsaw.linkage.index import index_records
from jigsaw.linkage.models import MatchKey
from jigsaw.linkage.online import find_candidates, shipped_model
from jigsaw.people.models import AgencyRecord
from jigsaw.synthetic import names
from jigsaw.synthetic.households import households
from jigsaw.synthetic.models import SyntheticTruth

subscriptions.wire()


def peak_rss_mib() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def noisy(rng: random.Random, child: Any) -> PersonDetails:
    given = child.given_name
    draw = rng.random()
    if draw < 0.3:
        given = names.typo(rng, given)
    elif draw < 0.5:
        given = names.nickname(rng, given)
    dob = child.date_of_birth
    if rng.random() < 0.2 and dob.day <= 12:
        dob = dob.replace(month=dob.day, day=dob.month)
    postcode = child.address.postcode
    if rng.random() < 0.5:
        postcode = postcode.replace(" ", "")
    return PersonDetails(
        given_name=given,
        family_name=child.family_name if rng.random() < 0.8 else child.family_name.upper(),
        date_of_birth=dob,
        sex=child.sex.value,
        postcode=postcode,
        address=child.address.line if rng.random() < 0.5 else "",
        role="child",
    )


def generated_households(db: Database, seed: int) -> int:
    """How many households of ``seed`` the database holds (a run may have been cut short)."""
    with db.sessions() as session:
        keys = session.scalars(
            select(SyntheticTruth.household_key)
            .order_by(SyntheticTruth.agency_record_id.desc())
            .limit(1000)
        ).all()
    indices = [int(k.split(":")[1]) for k in keys if k.startswith(f"{seed}:")]
    return max(indices) + 1 if indices else 0


def sample_children(
    seed: int, children: int, held: int, queries: int, rng: random.Random
) -> list[Any]:
    """Every household is rebuilt from its seed; take a spread of them, not just the first."""
    step = max(1, held // (queries * 2))
    found: list[Any] = []
    for i, household in enumerate(households(seed, children)):
        if i >= held:
            break
        if i % step == 0 and household.children:
            found.append(rng.choice(household.children))
            if len(found) >= queries:
                break
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--children", type=int, required=True)
    parser.add_argument("--queries", type=int, default=1000)
    args = parser.parse_args()

    db = Database(args.database)
    rng = random.Random(20261125)
    with db.sessions() as session:
        records = session.scalar(select(func.count()).select_from(AgencyRecord)) or 0
        indexed = session.scalar(select(func.count()).select_from(MatchKey)) or 0
    index_seconds = 0.0
    if indexed < records:
        started = time.perf_counter()
        index_records(db)
        index_seconds = time.perf_counter() - started
    shipped_model()

    held = generated_households(db, args.seed)
    sample = sample_children(args.seed, args.children, held, args.queries, rng)
    latencies: list[float] = []
    first = 0
    found_at_all = 0
    candidates_returned: list[int] = []
    for child in sample:
        details = noisy(rng, child)
        started = time.perf_counter()
        candidates = find_candidates(db, details)
        latencies.append((time.perf_counter() - started) * 1000)
        candidates_returned.append(len(candidates))
        with db.sessions() as session:
            own = set(
                session.scalars(
                    select(SyntheticTruth.agency_record_id).where(
                        SyntheticTruth.true_person_key == child.key
                    )
                )
            )
        hits = [c for c in candidates if c.agency_record_id in own]
        if candidates and candidates[0].agency_record_id in own:
            first += 1
        if hits:
            found_at_all += 1
    latencies.sort()

    def pct(p: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(p * len(latencies)))], 2)

    print(
        json.dumps(
            {
                "backend": db.engine.dialect.name,
                "households": held,
                "agency_records": records,
                "index_seconds": round(index_seconds, 1),
                "queries": len(latencies),
                "p50_ms": pct(0.50),
                "p95_ms": pct(0.95),
                "p99_ms": pct(0.99),
                "max_ms": round(latencies[-1], 2),
                "mean_ms": round(statistics.fmean(latencies), 2),
                "true_child_ranked_first": round(first / len(sample), 4),
                "true_child_in_candidates": round(found_at_all / len(sample), 4),
                "mean_candidates_returned": round(statistics.fmean(candidates_returned), 1),
                "peak_rss_mib": round(peak_rss_mib(), 1),
                "python": platform.python_version(),
            },
            indent=2,
        )
    )
    db.dispose()


if __name__ == "__main__":
    main()
