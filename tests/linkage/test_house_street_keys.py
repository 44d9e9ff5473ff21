"""The date of birth with the street's name, batch and online: a person born that day on
that street is compared, and found by a search, when the house number, the street's
type word, the names and the postcode were mistyped, changed or left out
(``features.house_street_of``, ``settings.blocking_rules``, ``online.CANDIDATE_KEYS``,
migration 0037)."""

from __future__ import annotations

from datetime import date

import duckdb
import pyarrow as pa
from sqlalchemy import inspect, select, update

from jigsaw import migrate
from jigsaw.db import Database
from jigsaw.linkage.features import PersonDetails, features_of, house_street_of, street_of
from jigsaw.linkage.models import MatchKey
from jigsaw.linkage.online import candidate_records
from jigsaw.linkage.settings import blocking_rules
from tests.linkage.helpers import (
    assert_migration_adds_and_removes_indexes,
    index_records,
    only_key,
)

INDEXES = {"ix_match_keys_dob_street_name"}

AT_HOME = PersonDetails(
    given_name="Jack",
    family_name="Smith",
    date_of_birth=date(2015, 3, 4),
    address="15 Mill Road, Newtown",
    postcode="NB1 2AB",
)
"""A record as the GP practice holds it."""

NUMBER_MISTYPED = PersonDetails(
    given_name="Qxbert",
    family_name="Zzyzx",
    date_of_birth=date(2015, 3, 4),
    address="51 Mill Raod, Newtown",
)
"""Born the same day on the same street, the house number's digits and the street type
mistyped, the names shared with nothing."""


def _words(address: str) -> str | None:
    text = address.lower().replace(",", " ")
    return house_street_of(" ".join(text.split()), street_of(" ".join(text.split())))


def test_the_house_and_street_name_read_the_same_wherever_the_address_puts_them() -> None:
    for address in (
        "15 Mill Road",
        "15 Mill Rd, Newtown",
        "Flat 2, 15 Mill Road",
        "15 Mill Raod",
        "Australia 6233 ACT Newtown Mill Road 15",
    ):
        assert _words(address) == "15 mill", address
    assert features_of(PersonDetails(address="15 Mill Rd")).street_name == "mill"
    assert _words("Mill Road, Newtown") is None, "a road without a number is no home"
    assert _words("15 Mill Road") != _words("15 Mile Road")


def test_a_space_keyed_inside_the_streets_name_leaves_its_name_whole() -> None:
    """'Gallegha n Circuit' is Galleghan Circuit with a space typed in it, not a street
    called 'n': the letters go back on their word, as an apostrophe's 's' does."""
    assert _words("2 Gallegha n Circuit") == _words("2 Galleghan Circuit") == "2 galleghan"
    assert _words("11 Procto r Street, Mooroolbark") == "11 proctor"
    assert _words("14 Trugani ni Place") == "14 truganini"
    # A short word after the number, a flat's letter or a word any address holds is the
    # street's whole name, kept as it is, however the line is written.
    for address in ("12 Ox Road", "Flat B Ox Road 12", "12 Upper Ox Road", "12 A Ox Road"):
        assert _words(address) == "12 ox", address
    assert _words("Ivy House Ox Lane 7") == "7 ox"


def _rules_pairing(first: PersonDetails, second: PersonDetails) -> set[str]:
    """The batch blocking rules (as the run's SQL, in DuckDB) that put the two together."""
    rows = []
    for unique_id, details in enumerate((first, second), start=1):
        row = features_of(details).as_row()
        row["unique_id"] = unique_id
        rows.append(row)
    con = duckdb.connect()
    con.register("records", pa.Table.from_pylist(rows))
    found = set()
    for rule in blocking_rules():
        sql = rule.get_blocking_rule("duckdb").as_dict()["blocking_rule"]  # type: ignore[attr-defined]
        if "linked_children" in sql:
            continue
        joined = con.execute(
            f"SELECT count(*) FROM records l JOIN records r ON ({sql}) "
            "AND l.unique_id < r.unique_id"
        ).fetchone()
        if joined and joined[0]:
            found.add(sql)
    return found


def test_the_batch_run_compares_the_same_birthday_on_the_same_street_by_this_rule_alone() -> None:
    found = _rules_pairing(AT_HOME, NUMBER_MISTYPED)
    assert len(found) == 1
    assert "street_name" in found.pop()


def test_a_search_finds_what_the_batch_rules_pair_and_by_the_same_key_alone(
    private_database: Database,
) -> None:
    neighbours = [
        PersonDetails(given_name="Ann", family_name="Lee", address="15 Mile Road, Newtown"),
        PersonDetails(given_name="Bo", family_name="Ray", address="16 Mill Road, Newtown"),
        PersonDetails(
            given_name="Cy", family_name="Orr", date_of_birth=date(2015, 3, 4), address="2 Oak Lane"
        ),
    ]
    index_records(private_database, [AT_HOME, *neighbours])
    alone, others = only_key(private_database, NUMBER_MISTYPED, "dob_street_name")
    assert alone == {1}
    assert 1 not in others, "another key brings it in: the test shows nothing of this one"
    assert 1 in candidate_records(private_database, NUMBER_MISTYPED)


def test_0037_adds_the_house_street_indexes_and_takes_them_away_again(
    empty_database_url: str,
) -> None:
    assert_migration_adds_and_removes_indexes(
        empty_database_url, "0037", "0036", INDEXES, "ix_match_keys_given_house_number"
    )


def _house_street(address: str) -> str | None:
    return features_of(PersonDetails(address=address)).house_street


def test_a_street_named_for_someone_keeps_its_name() -> None:
    """The address loses its punctuation before the street is read, so "King's Road" is
    'king s road' and "St Mary's Road" 'street mary s road'. The name is the word with
    its 's' put back, read past the 'street' that "St" spells, apostrophe typed or not:
    number 98 of King's Road is not number 98 of every Queen's Street and St Mary's Road
    in the region."""
    assert _house_street("98 King's Road") == _house_street("98 Kings Road") == "98 kings"
    assert _house_street("Flat 14, 134 Queen's Street, Castlegate") == "134 queens"
    assert _house_street("12 St Mary's Road") == _house_street("12 St. Marys Rd") == "12 marys"
    assert _house_street("98 King's Road") != _house_street("98 Queen's Road")
    assert _house_street("12 Park Road") == _house_street("12 Park, Newtown") == "12 park"
    assert _house_street("Flat 16, 123 Park Road") == "123 park", "not the flat's '16 123'"
    assert _house_street("12 Hill View Road") == "12 hill"


def test_a_flat_number_or_a_line_of_numbers_is_no_street_name() -> None:
    """Without a street-type word ``street`` starts at a flat's number ('3 12 the
    broadway'), and the street's name is the first word that is not a number: otherwise
    everyone born that day in a flat of any house numbered 12 would meet. A line of
    numbers names no street."""
    assert _house_street("Flat 3, 12 The Broadway") == _house_street("12 The Broadway")
    assert features_of(PersonDetails(address="Flat 3, 12 The Broadway")).street_name == "the"
    assert _house_street("12 34 56") is None
    assert _house_street("Flat 3, 12") is None


HOSTILE_ADDRESSES = (
    "15 Mill Road, Newtown",
    "Flat 14, 134 Queen's Street, Castlegate",
    "12 St. Mary's Rd",
    "Flat 16, 123 Park Road",
    "Flat 3, 12 The Broadway",
    "Australia 6233 ACT Newtown Mill Road 15",
    "12 34 56",
    "Mill Road",
    "",
    "9 " + "Ab" * 140 + " Road",
)
"""Lines the backfill must read as a run does: number last, possessives, flats, no type
word, numbers only, none, and one 283 characters long."""


def test_0037_fills_indexed_records_with_what_a_run_computes(private_database: Database) -> None:
    """The records indexed before the rule existed are found by it: the migration fills
    each one's street name from its stored address, and that is the value a run and a
    search compute from the record itself (``features_of``). Taken back to 0036, the
    column goes and the rows stay."""
    records = [
        PersonDetails(given_name="Jack", family_name="Smith", date_of_birth=date(2015, 3, 4),
                      address=address)
        for address in HOSTILE_ADDRESSES
    ]  # fmt: skip
    index_records(private_database, records)
    with private_database.transaction() as session:
        session.execute(update(MatchKey).values(street_name=None))
    migrate.downgrade(private_database.url, "0036", have_backup=True)
    with private_database.engine.connect() as conn:
        columns = {c["name"] for c in inspect(conn).get_columns("match_keys")}
    assert "street_name" not in columns
    migrate.upgrade(private_database.url, "0037")
    with private_database.reading() as session:
        rows = session.execute(select(MatchKey.agency_record_id, MatchKey.street_name))
        filled = {record: name for record, name in rows}
    expected = {n: features_of(d).street_name for n, d in enumerate(records, start=1)}
    assert filled == expected
    assert sum(1 for name in expected.values() if name) >= 6, "most lines name a street"
