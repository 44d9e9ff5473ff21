"""The match index follows the reading of the records: a row an earlier reading wrote is
rewritten by the next run, a row of the current reading never is, and an erased
record's row does not come back."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime

from sqlalchemy import insert, select, update

from jigsaw.db import Database
from jigsaw.linkage import index
from jigsaw.linkage.features import READING, PersonDetails, features_of
from jigsaw.linkage.index import key_row
from jigsaw.linkage.models import MatchKey
from jigsaw.protection.keyring import AGENCY_RECORD
from jigsaw.protection.models import DataKey
from tests.linkage.helpers import index_records

JO = PersonDetails(
    given_name="Mrs Jo", family_name="Okafor", date_of_birth=date(1988, 5, 2),
    address="4 Mill Road, Millbrook", postcode="NB4 2AB",
)  # fmt: skip
ADA = PersonDetails(given_name="Ada", family_name="Byrne", date_of_birth=date(2015, 1, 9))


def _keys(db: Database) -> dict[int, tuple[str | None, str | None, int]]:
    with db.reading() as session:
        rows = session.execute(
            select(MatchKey.agency_record_id, MatchKey.given, MatchKey.sex, MatchKey.reading)
        )
        return {row[0]: (row[1], row[2], row[3]) for row in rows}


def test_a_row_an_earlier_reading_wrote_is_rewritten(private_database: Database) -> None:
    index_records(private_database, [JO, ADA])
    assert READING > 1
    assert _keys(private_database)[1] == ("jo", "female", READING)
    # As the release before titles were passed over stored it.
    with private_database.transaction() as session:
        session.execute(
            update(MatchKey)
            .where(MatchKey.agency_record_id == 1)
            .values(given="mrs", sex=None, given_prefix="mr", reading=1)
        )

    index.index_records(private_database)

    assert _keys(private_database) == {
        1: ("jo", "female", READING),
        2: ("ada", None, READING),
    }
    with private_database.reading() as session:
        prefix = session.scalar(select(MatchKey.given_prefix).where(MatchKey.agency_record_id == 1))
    assert prefix == "jo"


def test_a_row_of_the_current_reading_is_never_overwritten(private_database: Database) -> None:
    """A run computes its rows when it starts; a record changed and linked online since
    has a fresher row, which the run's older values must not replace."""
    index_records(private_database, [ADA])
    before_the_change = key_row({**features_of(ADA).as_row(), "unique_id": 1})
    grace = dataclasses.replace(ADA, given_name="Grace")
    with private_database.transaction() as session:
        session.execute(
            update(MatchKey)
            .where(MatchKey.agency_record_id == 1)
            .values(key_row({**features_of(grace).as_row(), "unique_id": 1}))
        )
    with private_database.transaction() as session:
        index.write_keys(session, [before_the_change])
    assert _keys(private_database)[1] == ("grace", None, READING)


def test_an_online_link_writes_the_record_as_it_now_is_over_a_runs_older_row(
    private_database: Database,
) -> None:
    """An import changes a record during a run and drops its row; the run, which read the
    record before, puts its older row back; the import's online link then writes the
    record as it now is over it, whichever came first."""
    index_records(private_database, [ADA])
    as_the_run_read_it = key_row({**features_of(ADA).as_row(), "unique_id": 1})
    grace = dataclasses.replace(ADA, given_name="Grace")
    with private_database.transaction() as session:
        session.execute(MatchKey.__table__.delete().where(MatchKey.agency_record_id == 1))
        index.write_keys(session, [as_the_run_read_it])
    assert _keys(private_database)[1][0] == "ada"
    with private_database.transaction() as session:
        index.write_keys(
            session, [key_row({**features_of(grace).as_row(), "unique_id": 1})], current=True
        )
    assert _keys(private_database)[1] == ("grace", None, READING)


def test_a_record_erased_meanwhile_keeps_no_row(private_database: Database) -> None:
    index_records(private_database, [JO, ADA])
    rows = [key_row({**features_of(d).as_row(), "unique_id": n}) for n, d in ((1, JO), (2, ADA))]
    now = datetime(2026, 12, 8, tzinfo=UTC)
    with private_database.transaction() as session:
        session.execute(
            insert(DataKey),
            [{"subject_kind": AGENCY_RECORD, "subject_id": 1, "created_at": now, "erased_at": now}],
        )
        session.execute(MatchKey.__table__.delete().where(MatchKey.agency_record_id == 1))
    # A write that read the record before it was erased.
    with private_database.transaction() as session:
        index.write_keys(session, rows)
    assert set(_keys(private_database)) == {2}
