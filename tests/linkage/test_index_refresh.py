"""The match index follows the code that reads the records: a key stored under an older
reading is rewritten, so a search and the batch run compare a record alike."""

from __future__ import annotations

from datetime import date

from sqlalchemy import delete, select, update

from jigsaw.db import Database
from jigsaw.linkage import index
from jigsaw.linkage.features import PersonDetails, features_of
from jigsaw.linkage.models import MatchKey
from tests.linkage.helpers import index_records

JO = PersonDetails(
    given_name="Mrs Jo", family_name="Okafor", date_of_birth=date(1988, 5, 2),
    address="4 Mill Road, Millbrook", postcode="NB4 2AB",
)  # fmt: skip
ADA = PersonDetails(given_name="Ada", family_name="Byrne", date_of_birth=date(2015, 1, 9))


def _keys(db: Database) -> dict[int, tuple[str | None, str | None]]:
    with db.reading() as session:
        rows = session.execute(
            select(MatchKey.agency_record_id, MatchKey.given, MatchKey.given_metaphone)
        )
        return {row[0]: (row[1], row[2]) for row in rows}


def test_a_key_stored_under_an_older_reading_is_rewritten(private_database: Database) -> None:
    index_records(private_database, [JO, ADA])
    assert features_of(JO).given == "jo"
    # As a release that took the title for the name stored it.
    with private_database.transaction() as session:
        session.execute(
            update(MatchKey)
            .where(MatchKey.agency_record_id == 1)
            .values(given="mrs", given_metaphone="MRS", given_prefix="mr")
        )
    assert _keys(private_database)[1] == ("mrs", "MRS")

    index.index_records(private_database)

    keys = _keys(private_database)
    assert keys[1] == ("jo", "J")
    assert keys[2] == ("ada", "AT")
    with private_database.reading() as session:
        prefix = session.scalar(select(MatchKey.given_prefix).where(MatchKey.agency_record_id == 1))
    assert prefix == "jo"


def test_a_record_new_to_the_index_is_added_and_the_rest_kept(private_database: Database) -> None:
    index_records(private_database, [ADA])
    with private_database.transaction() as session:
        session.execute(delete(MatchKey).where(MatchKey.agency_record_id == 1))
    assert _keys(private_database) == {}
    index.index_records(private_database)
    index.index_records(private_database)  # again: nothing to change, nothing doubled
    assert _keys(private_database) == {1: ("ada", "AT")}
