"""Shared helpers: synthetic records as model features, without a database, and pairs
left for a linkage reviewer, as a run leaves them."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import duckdb
import pyarrow as pa
from sqlalchemy import insert, inspect

from jigsaw import migrate
from jigsaw.clock import utcnow
from jigsaw.db import Database
from jigsaw.identity.models import Agency
from jigsaw.linkage import frequencies, identifiers
from jigsaw.linkage.comparisons import Comparison
from jigsaw.linkage.engine import RECORDS_TABLE, Workspace, quiet_splink
from jigsaw.linkage.features import Features, PersonDetails, features_of
from jigsaw.linkage.index import key_row
from jigsaw.linkage.models import LinkReview, MatchKey, ReviewStatus
from jigsaw.linkage.online import candidate_records, keys_for
from jigsaw.linkage.person_model import LinkageModel
from jigsaw.linkage.predict import EdgeStore, gamma_columns, predict_edges
from jigsaw.linkage.source import FEATURE_SCHEMA, details_of, feature_row
from jigsaw.people.models import AgencyRecord
from jigsaw.synthetic.catalogue import AGENCIES
from jigsaw.synthetic.households import Household, RecordDraft, households
from jigsaw.synthetic.pupils import recorded_upn

SEED = 23
AGENCY_NUMBER = {spec.code: number for number, spec in enumerate(AGENCIES, start=1)}


def drafts(children: int, seed: int = SEED) -> Iterator[tuple[str, PersonDetails]]:
    """(true person key, details) for each agency record of a generated population."""
    for household in households(seed, children):
        for draft in household.records:
            yield (
                draft.person.key,
                PersonDetails(
                    given_name=draft.given_name,
                    family_name=draft.family_name,
                    date_of_birth=draft.date_of_birth,
                    sex=draft.sex.value,
                    postcode=draft.postcode,
                    address=draft.address,
                    nhs_number=draft.nhs_number,
                    role=draft.person.role.value,
                    agency=AGENCY_NUMBER[draft.agency.code],
                    identifiers=_upn_of(household, draft),
                ),
            )


def _upn_of(household: Household, draft: RecordDraft) -> tuple[tuple[str, str], ...]:
    upn = recorded_upn(household.seed, household.as_of, draft)
    return (("upn", upn),) if upn else ()


@cache
def population(
    children: int = 120, seed: int = SEED, *, with_linked_children: bool = False
) -> tuple[pa.Table, dict[int, str]]:
    """Features of a small population (ids from 1) and the truth for each id.

    ``with_linked_children`` gives each adult record one of its household's first two
    child slots as a linked child (by record id, so a record's two copies may share it
    or not), as a batch run's second pass would: enough to put pairs on every level of
    ``shared_child``.
    """
    rows = []
    truth: dict[int, str] = {}
    for record_id, (key, details) in enumerate(drafts(children, seed), start=1):
        row = feature_row(record_id, details, features_of(details))
        if with_linked_children and details.role != "child":
            household = int(key.split(":")[1])
            row["linked_children"] = [household * 8 + 2 + record_id % 2]
        rows.append(row)
        truth[record_id] = key
    return pa.Table.from_pylist(rows, schema=FEATURE_SCHEMA), truth


_PAIR_COLUMN = re.compile(r'"(\w+)_([lr])"')
"""A pair's column in a level's SQL ('"given_l"'), to be read from two records instead."""
_RECORD_COLUMN = r"\2.\1"


def sql_and_python_levels(
    comparison: Comparison, people: list[PersonDetails]
) -> list[tuple[int, int, int, int]]:
    """Every ordered pair of ``people`` with the level the batch run's SQL puts it on (the
    levels' conditions in order, first true wins, as Splink's CASE) and the level the
    online match's Python twins put it on: (left, right, sql level, python level)."""
    rows = [feature_row(n, d, features_of(d)) for n, d in enumerate(people)]
    con = duckdb.connect()
    con.register("records", pa.Table.from_pylist(rows, schema=FEATURE_SCHEMA))
    levels = comparison.splink().get_comparison("duckdb").comparison_levels
    cases = " ".join(
        f"WHEN {_PAIR_COLUMN.sub(_RECORD_COLUMN, level.sql_condition)} THEN {n}"
        for n, level in enumerate(levels)
        if level.sql_condition != "ELSE"
    )
    found = con.execute(
        f"SELECT l.unique_id, r.unique_id, CASE {cases} ELSE {len(levels) - 1} END "
        "FROM records l, records r"
    ).fetchall()
    con.close()
    features = [features_of(d) for d in people]
    return [
        (left, right, level, comparison.level_index(features[left], features[right]))
        for left, right, level in found
    ]


def batch_weights(
    model: LinkageModel, rows: list[dict[str, object]]
) -> dict[tuple[int, int], float]:
    """Score every pair of ``rows`` as a batch run does, guards and all, so a test can
    hold the run's weight beside what a search gives for the same pair."""
    quiet_splink()
    con = duckdb.connect()
    con.register("records", pa.Table.from_pylist(rows, schema=FEATURE_SCHEMA))
    con.execute(f"CREATE TABLE {RECORDS_TABLE} AS SELECT * FROM records")
    space = Workspace(con, Path("."), len(rows))
    settings = model.splink_settings_for(space.count)
    settings["blocking_rules_to_generate_predictions"] = [{"blocking_rule": "1 = 1"}]
    gammas = gamma_columns()
    store = EdgeStore(con, gammas)
    store.create()
    for table in predict_edges(
        space.duckdb_linker(settings), chunks=1, threshold=0.0, gammas=gammas
    ):
        store.add(table)
    store.apply_guards()
    scored = con.execute(f"SELECT id_l, id_r, match_weight FROM {store.table}").fetchall()
    con.close()
    return {(min(a, b), max(a, b)): w for a, b, w in scored}


def batch_frequencies(
    model: LinkageModel, records: Iterable[Features]
) -> Callable[[Features], dict[str, float]]:
    """How common a record's names are among ``records``, as a batch run over them counts
    (``frequencies.frequency_sql``): what a test gives ``LinkageModel.score`` to weigh a
    pair as the run weighs it."""
    columns = model.frequency_columns
    held = list(records)
    counts = {c: Counter(getattr(f, c) for f in held if getattr(f, c)) for c in columns}

    def of(record: Features) -> dict[str, float]:
        return {
            c: frequencies.smoothed(counts[c][getattr(record, c)], counts[c].total(), u)
            for c, u in columns.items()
            if getattr(record, c)
        }

    return of


EVIDENCE = {
    "given_name": "nickname",
    "family_name": "exact",
    "date_of_birth": "swapped",
    "address": "sector",
    "sex": "exact",
    "nhs_number": "missing",
    "child_or_adult": "exact",
}


def open_review(
    db: Database,
    record_id: int,
    candidate_id: int,
    probability: float,
    *,
    weight: float = 2.0,
    evidence: Mapping[str, str] = EVIDENCE,
) -> int:
    """A pair the model was unsure of, as a run leaves it."""
    with db.transaction() as session:
        review = LinkReview(
            record_id=record_id,
            candidate_record_id=candidate_id,
            match_probability=probability,
            match_weight=weight,
            evidence=dict(evidence),
            status=ReviewStatus.OPEN,
            created_at=utcnow(),
        )
        session.add(review)
        session.flush()
        return review.id


def review_status(db: Database, review_id: int) -> ReviewStatus:
    with db.sessions() as session:
        review = session.get(LinkReview, review_id)
        assert review is not None
        return review.status


def search_details(db: Database, record_id: int) -> PersonDetails:
    """What the online match is given for a stored record: its details and identifiers."""
    with db.reading() as session:
        record = session.get(AgencyRecord, record_id)
        assert record is not None
        return details_of(
            record.given_name,
            record.family_name,
            record.date_of_birth,
            record.sex.value,
            record.postcode,
            record.address,
            record.nhs_number,
            record.role.value,
            identifiers=identifiers.held_by(session, [record_id]).get(record_id, ()),
        )


def index_records(db: Database, records: list[PersonDetails], first_id: int = 1) -> None:
    """Records of one agency, put in the online match's index as a run puts them (more
    of them, after the first call, from ``first_id``)."""
    now = datetime(2026, 12, 7, tzinfo=UTC)
    rows, keys = [], []
    for record_id, details in enumerate(records, start=first_id):
        rows.append(
            {
                "id": record_id,
                "agency_id": 1,
                "local_id": str(record_id),
                "role": "child",
                "given_name": details.given_name,
                "family_name": details.family_name,
                "date_of_birth": details.date_of_birth,
                "sex": "unknown",
                "address": details.address,
                "postcode": details.postcode,
                "link_status": "unlinked",
                "created_at": now,
            }
        )
        keys.append(key_row({**features_of(details).as_row(), "unique_id": record_id}))
    with db.transaction() as session:
        if first_id == 1:
            session.execute(
                insert(Agency),
                [{"id": 1, "name": "School", "kind": "school", "created_at": now}],
            )
        session.execute(insert(AgencyRecord), rows)
        session.execute(insert(MatchKey), keys)


def only_key(db: Database, details: PersonDetails, name: str) -> tuple[set[int], set[int]]:
    """What the search finds through key ``name`` alone, and through every other key."""
    keys = keys_for(features_of(details))
    assert name in {key.name for key in keys}
    alone = candidate_records(db, details, tuple(k for k in keys if k.name == name))
    others = candidate_records(db, details, tuple(k for k in keys if k.name != name))
    return alone, others


def match_key_indexes(url: str) -> set[str]:
    """The names of the indexes on ``match_keys`` in the database at ``url``."""
    database = Database(url)
    try:
        with database.engine.connect() as conn:
            return {str(ix["name"]) for ix in inspect(conn).get_indexes("match_keys")}
    finally:
        database.dispose()


def assert_migration_adds_and_removes_indexes(
    url: str, revision: str, previous: str, indexes: set[str], left_alone: str
) -> None:
    """``revision`` adds ``indexes`` to ``match_keys``; going back to ``previous`` takes
    them away and leaves ``left_alone``, an earlier migration's, in place; going forward
    again puts them back."""
    migrate.upgrade(url, revision)
    assert match_key_indexes(url) >= indexes
    migrate.downgrade(url, previous)
    found = match_key_indexes(url)
    assert not indexes & found
    assert left_alone in found, "an earlier migration's are left alone"
    migrate.upgrade(url)
    assert match_key_indexes(url) >= indexes


NOTHING_TO_TELL = {
    "given_name": "missing",
    "family_name": "exact",
    "date_of_birth": "missing",
    "address": "same_address",
    "sex": "exact",
    "nhs_number": "missing",
    "child_or_adult": "exact",
    "same_agency": "different",
    "shared_child": "missing",
    "shared_identifier": "missing",
}
"""A pair of one family at one home with no given name on one side and no date of birth
on one side: nothing recorded tells its two apart (``guards.nothing_to_tell``)."""
