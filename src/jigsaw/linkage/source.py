"""Reading agency records out of the service database as model features, in batches.

Linkage reads the whole record table, which may hold millions of rows; streaming
it in batches of Arrow rows keeps memory flat whatever the size, and Arrow is the
format both DuckDB and Spark take without copying through Python objects again.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pyarrow as pa
from sqlalchemy import select

from jigsaw.db import Database
from jigsaw.linkage.features import Features, PersonDetails, features_of
from jigsaw.people.models import AgencyRecord

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
        # As recorded, for the generic tutorial-style model the evaluation compares with.
        ("first_name", pa.string()),
        ("surname", pa.string()),
        ("postcode_raw", pa.string()),
    ]
)


def details_of(
    given_name: str,
    family_name: str,
    date_of_birth: date | None,
    sex: str | None,
    postcode: str,
    address: str,
    nhs_number: str | None,
    role: str | None = None,
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
)


def record_batches(db: Database, batch_size: int = DEFAULT_BATCH) -> Iterator[pa.RecordBatch]:
    """Every agency record as feature rows, in id order, ``batch_size`` at a time.

    Keyset paging (``id > last``) rather than one long cursor: it holds no read
    transaction open for the whole extract, which matters on SQLite while others write.
    """
    last = 0
    while True:
        with db.sessions() as session:
            rows = session.execute(
                select(*_COLUMNS)
                .where(AgencyRecord.id > last)
                .order_by(AgencyRecord.id)
                .limit(batch_size)
            ).all()
        if not rows:
            return
        out = []
        for record_id, given, family, dob, sex, postcode, address, nhs, role in rows:
            raw = details_of(given, family, dob, str(sex), postcode, address, nhs, str(role))
            out.append(feature_row(record_id, raw, features_of(raw)))
        last = rows[-1][0]
        yield pa.RecordBatch.from_pylist(out, schema=FEATURE_SCHEMA)
