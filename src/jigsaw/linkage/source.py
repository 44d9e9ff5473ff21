"""Reading agency records out of the service database as model features, in batches.

Linkage reads the whole record table, which may hold millions of rows; streaming
it in batches of Arrow rows keeps memory flat whatever the size, and Arrow is the
format both DuckDB and Spark take without copying through Python objects again.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any

import pyarrow as pa
from sqlalchemy import select

from jigsaw.db import Database
from jigsaw.linkage import identifiers as shared_identifiers
from jigsaw.linkage.features import (
    CHILD_ROLE,
    LINKED_CHILD_KINDS,
    Features,
    PersonDetails,
    features_of,
)
from jigsaw.people.models import AgencyRecord, Relationship
from jigsaw.protection.keyring import AGENCY_RECORD
from jigsaw.protection.models import DataKey

DEFAULT_BATCH = 50_000

FEATURE_SCHEMA = pa.schema(
    [
        ("unique_id", pa.int64()),
        ("given", pa.string()),
        ("given_names", pa.list_(pa.string())),
        ("given_metaphone", pa.string()),
        ("family", pa.string()),
        ("family_parts", pa.list_(pa.string())),
        ("family_soundex", pa.string()),
        ("dob", pa.date32()),
        ("dob_swapped", pa.date32()),
        ("birth_year", pa.int32()),
        ("sex", pa.string()),
        ("postcode", pa.string()),
        ("postcode_sector", pa.string()),
        ("postcode_district", pa.string()),
        ("address", pa.string()),
        ("nhs_number", pa.string()),
        ("role_group", pa.string()),
        ("agency", pa.int64()),
        ("linked_children", pa.list_(pa.int64())),
        ("street", pa.string()),
        ("names", pa.string()),
        ("shared_ids", pa.list_(pa.string())),
        ("shared_id_schemes", pa.list_(pa.string())),
        ("house_street", pa.string()),
        ("street_name", pa.string()),
        ("address_words", pa.list_(pa.string())),
        # As recorded, for the generic tutorial-style model the evaluation compares with.
        ("first_name", pa.string()),
        ("surname", pa.string()),
        ("postcode_raw", pa.string()),
    ]
)


RELATIONSHIP_SCHEMA = pa.schema([("adult_id", pa.int64()), ("child_id", pa.int64())])


def details_of(
    given_name: str,
    family_name: str,
    date_of_birth: date | None,
    sex: str | None,
    postcode: str,
    address: str,
    nhs_number: str | None,
    role: str | None = None,
    agency: int | None = None,
    identifiers: Iterable[tuple[str, str]] = (),
) -> PersonDetails:
    return PersonDetails(
        given_name=given_name,
        family_name=family_name,
        date_of_birth=date_of_birth,
        sex=sex,
        postcode=postcode,
        address=address,
        nhs_number=nhs_number,
        role=role,
        agency=agency,
        identifiers=tuple(identifiers),
    )


def feature_row(record_id: int, raw: PersonDetails, features: Features) -> dict[str, Any]:
    row = features.as_row()
    row["unique_id"] = record_id
    row["first_name"] = raw.given_name.strip().lower() or None
    row["surname"] = raw.family_name.strip().lower() or None
    row["postcode_raw"] = raw.postcode.strip().upper() or None
    return row


_COLUMNS = (
    AgencyRecord.id,
    AgencyRecord.given_name,
    AgencyRecord.family_name,
    AgencyRecord.date_of_birth,
    AgencyRecord.sex,
    AgencyRecord.postcode,
    AgencyRecord.address,
    AgencyRecord.nhs_number,
    AgencyRecord.role,
    AgencyRecord.agency_id,
)


NOT_ERASED = ~(
    select(DataKey.id)
    .where(
        DataKey.subject_kind == AGENCY_RECORD,
        DataKey.subject_id == AgencyRecord.id,
        DataKey.erased_at.is_not(None),
    )
    .exists()
)
"""An agency record retention has not erased. Erasure blanks the record's identity and
takes it off its person; linking it again would give the blank a person of its own,
put it back in the match index, or join it to another erased record by its blanks."""


def record_batches(db: Database, batch_size: int = DEFAULT_BATCH) -> Iterator[pa.RecordBatch]:
    """Every agency record not erased, as feature rows, in id order, ``batch_size`` at a time.

    Keyset paging (``id > last``) rather than one long cursor: it holds no read
    transaction open for the whole extract, which matters on SQLite while others write.
    """
    last = 0
    with db.reading() as session:
        # Numbers too common to be one child's are left out (``COMMON_RECORDS``).
        common = shared_identifiers.common_values(session)
    while True:
        with db.reading() as session:
            rows = session.execute(
                select(*_COLUMNS)
                .where(AgencyRecord.id > last, NOT_ERASED)
                .order_by(AgencyRecord.id)
                .limit(batch_size)
            ).all()
        if not rows:
            return
        out = []
        with db.reading() as session:
            held = shared_identifiers.held_between(session, rows[0][0], rows[-1][0])
        for record_id, given, family, dob, sex, postcode, address, nhs, role, agency in rows:
            raw = details_of(
                given, family, dob, str(sex), postcode, address, nhs, str(role), agency,
                shared_identifiers.without_common(held.get(record_id, ()), common),
            )  # fmt: skip
            out.append(feature_row(record_id, raw, features_of(raw)))
        last = rows[-1][0]
        yield pa.RecordBatch.from_pylist(out, schema=FEATURE_SCHEMA)


def relationship_batches(db: Database, batch_size: int = DEFAULT_BATCH) -> Iterator[pa.RecordBatch]:
    """(adult record, child record) for each relationship of a ``LINKED_CHILD_KINDS`` kind
    from a record that is not a child's to one that is, in keyset-paged batches."""
    child = AgencyRecord.__table__.alias("child")
    last = 0
    while True:
        with db.reading() as session:
            rows = session.execute(
                select(Relationship.id, Relationship.from_record_id, Relationship.to_record_id)
                .join(AgencyRecord, AgencyRecord.id == Relationship.from_record_id)
                .join(child, child.c.id == Relationship.to_record_id)
                .where(
                    Relationship.id > last,
                    Relationship.kind.in_(LINKED_CHILD_KINDS),
                    AgencyRecord.role != CHILD_ROLE,
                    NOT_ERASED,
                    child.c.role == CHILD_ROLE,
                )
                .order_by(Relationship.id)
                .limit(batch_size)
            ).all()
        if not rows:
            return
        last = rows[-1][0]
        yield pa.RecordBatch.from_pydict(
            {"adult_id": [r[1] for r in rows], "child_id": [r[2] for r in rows]},
            schema=RELATIONSHIP_SCHEMA,
        )
