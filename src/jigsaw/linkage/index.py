"""The online match index (``match_keys``): one row of model features per agency record.

Filled by each batch run from the features it has already computed: a run adds the
records that are new and rewrites only the rows an earlier reading of the records wrote
(``features.READING``). Lists (the canonical given names, the parts of a surname) are
stored space-separated: plain strings index and compare the same way on SQLite and
PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import pyarrow as pa
from sqlalchemy import Table, bindparam, delete, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from jigsaw.db import Database
from jigsaw.linkage.features import (
    READING,
    Features,
    address_words_of,
    given_prefix_of,
    house_number_of,
    names_of,
    street_of,
    swapped,
)
from jigsaw.linkage.models import MatchKey
from jigsaw.protection.keyring import AGENCY_RECORD
from jigsaw.protection.models import DataKey

KEY_COLUMNS: tuple[str, ...] = tuple(c.name for c in MatchKey.__table__.columns)
LIST_COLUMNS = ("given_names", "family_parts")


def key_row(features: dict[str, Any]) -> dict[str, Any]:
    row = {name: features.get(name) for name in KEY_COLUMNS if name != "agency_record_id"}
    row["agency_record_id"] = features["unique_id"]
    # Derived here from the batch run's own features, so the online look-ups on them
    # agree with its blocking rules by construction.
    row["house_number"] = house_number_of(row["street"])
    row["given_prefix"] = given_prefix_of(row["given"])
    row["reading"] = READING
    for name in LIST_COLUMNS:
        value = row[name]
        row[name] = " ".join(value) if value else None
    return row


def key_rows(batches: Iterable[pa.RecordBatch]) -> Iterator[list[dict[str, Any]]]:
    for batch in batches:
        yield [key_row(row) for row in batch.to_pylist()]


def features_from_key(row: Any) -> Features:
    """Rebuild a record's features from its stored key row (a mapping or a row object)."""
    get = row.get if isinstance(row, dict) else row._mapping.get
    given_names = get("given_names")
    parts = get("family_parts")
    return Features(
        given=get("given"),
        given_names=tuple(given_names.split(" ")) if given_names else None,
        given_metaphone=get("given_metaphone"),
        family=get("family"),
        family_parts=tuple(parts.split(" ")) if parts else None,
        family_soundex=get("family_soundex"),
        dob=get("dob"),
        dob_swapped=_swapped_or_none(get("dob")),
        birth_year=get("birth_year"),
        sex=get("sex"),
        postcode=get("postcode"),
        postcode_sector=get("postcode_sector"),
        postcode_district=get("postcode_district"),
        address=get("address"),
        nhs_number=get("nhs_number"),
        role_group=get("role_group"),
        street=get("street") or street_of(get("address")),
        names=names_of(get("given"), get("family")),
        address_words=address_words_of(get("address")),
    )


def _swapped_or_none(value: Any) -> Any:
    return swapped(value) if value is not None else None


ERASED_RECORDS = select(DataKey.subject_id).where(
    DataKey.subject_kind == AGENCY_RECORD, DataKey.erased_at.is_not(None)
)
"""Agency records retention has erased: none may keep a key row, which holds its name."""


def write_keys(session: Session, rows: list[dict[str, Any]], *, current: bool = False) -> None:
    """Add rows for records not yet indexed, rewrite those stored under an earlier
    reading of the records (``features.READING``), and leave the rest untouched; or,
    with ``current``, write ``rows`` over whatever is stored.

    A release that changes how a value is read (a title before a given name passed
    over, say) would otherwise leave the records indexed before it compared as they
    were read then, and a search would disagree with the batch run about them. A run
    computes its rows when it starts, so it rewrites only a row of an earlier reading,
    never one of the current reading, which may be fresher than its own: an import
    that changed the record meanwhile has its online link write the record's row with
    ``current`` (it reads the record as it now is), over whatever a run or an earlier
    link left. A row is locked and written only where it is stale, so a run over a
    current index writes its new records and nothing else. A record erased while its
    row was being written loses it again here, in the same transaction.
    """
    if not rows:
        return
    table = MatchKey.__table__
    assert isinstance(table, Table)
    columns = [c.name for c in table.columns if not c.primary_key]
    dialect = session.get_bind().dialect.name
    if dialect in ("sqlite", "postgresql"):
        statement = (sqlite_insert if dialect == "sqlite" else pg_insert)(table)
        session.execute(
            statement.on_conflict_do_update(
                index_elements=[table.c.agency_record_id],
                set_={name: statement.excluded[name] for name in columns},
            )
            if current
            else statement.on_conflict_do_nothing(),
            rows,
        )
    else:
        session.execute(insert(table), rows)
    record = table.c.agency_record_id
    ids = [row["agency_record_id"] for row in rows]
    in_range = record.between(min(ids), max(ids))
    stale = set(session.scalars(select(record).where(in_range, table.c.reading < READING)))
    if stale:
        session.execute(
            table.update()
            .where(record == bindparam("key_record"), table.c.reading < READING)
            .values({name: bindparam(f"key_{name}") for name in columns}),
            [
                {"key_record": row["agency_record_id"]}
                | {f"key_{name}": row[name] for name in columns}
                for row in rows
                if row["agency_record_id"] in stale
            ],
        )
    session.execute(delete(table).where(in_range, record.in_(ERASED_RECORDS)))


def drop_erased(session: Session) -> None:
    """Delete the key rows of every erased record: what a write racing an erasure may
    have left (``write_keys`` drops those of its own rows' range)."""
    session.execute(delete(MatchKey).where(MatchKey.agency_record_id.in_(ERASED_RECORDS)))


def index_records(db: Database, batch_size: int = 20_000) -> int:
    """Put every agency record in the index (those already there rewritten only where an
    earlier reading wrote them), one transaction per batch.

    A linkage run does this as part of its own transaction; this is for putting new
    records in front of the online match between runs (and for benchmarks).
    """
    from jigsaw.linkage.source import record_batches

    added = 0
    for batch in record_batches(db, batch_size):
        rows = [key_row(row) for row in batch.to_pylist()]
        with db.transaction() as session:
            write_keys(session, rows)
        added += len(rows)
    return added
