"""Comparisons degrade gracefully, and blocking does not hang on any one exact field."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from jigsaw.linkage import guards
from jigsaw.linkage.comparisons import ADDRESS, COMPARISONS, DATE_OF_BIRTH
from jigsaw.linkage.engine import RECORDS_TABLE, Workspace, quiet_splink
from jigsaw.linkage.features import PersonDetails, features_of
from jigsaw.linkage.person_model import LinkageModel
from jigsaw.linkage.source import FEATURE_SCHEMA, feature_row


@pytest.fixture(scope="module")
def model() -> LinkageModel:
    return LinkageModel.load()


def _level(comparison_name: str, left: PersonDetails, right: PersonDetails) -> str:
    comparison = next(c for c in COMPARISONS if c.name == comparison_name)
    index = comparison.level_index(features_of(left), features_of(right))
    return comparison.levels[index].key


def test_a_mistyped_address_line_with_the_postcode_agreeing_is_one_home() -> None:
    home = PersonDetails(given_name="Ada", address="12 Mill Road, Oldtown", postcode="NB4 2AB")
    slipped = dataclasses.replace(home, address="12 Mill Raod, Oldtown")
    assert _level(ADDRESS.name, home, slipped) == "similar_address"
    assert _level(ADDRESS.name, home, dataclasses.replace(slipped, postcode="")) == (
        "similar_address"
    )
    # Another postcode altogether: the spelling alone is not one home.
    assert _level(ADDRESS.name, home, dataclasses.replace(slipped, postcode="ZX9 9QQ")) != (
        "similar_address"
    )
    assert "similar_address" in guards.HOME_LEVELS


def test_twins_at_a_mistyped_address_are_still_held_back(model: LinkageModel) -> None:
    common = {
        "family_name": "Khan",
        "date_of_birth": date(2016, 3, 9),
        "sex": "female",
        "postcode": "NB4 2AB",
        "role": "child",
    }
    amelia = features_of(
        PersonDetails(given_name="Amelia", address="4 Mill Road, Millbrook", **common)  # type: ignore[arg-type]
    )
    isla = features_of(
        PersonDetails(given_name="Isla", address="4 Mill Raod, Milbrook", **common)  # type: ignore[arg-type]
    )
    score = model.score(amelia, isla, 500_000)
    assert {e.comparison: e.level for e in score.evidence}["address"] == "similar_address"
    assert score.guarded
    assert score.match_probability < model.thresholds.auto


def test_a_date_two_digits_off_is_two_slips_not_a_stranger(model: LinkageModel) -> None:
    born = PersonDetails(given_name="Ada", date_of_birth=date(2014, 7, 18))
    two_digits = dataclasses.replace(born, date_of_birth=date(2014, 1, 13))
    stranger = dataclasses.replace(born, date_of_birth=date(2009, 2, 1))
    assert _level(DATE_OF_BIRTH.name, born, two_digits) == "two_slips"
    assert _level(DATE_OF_BIRTH.name, born, stranger) == "different"
    index = COMPARISONS.index(DATE_OF_BIRTH)
    keys = [level.key for level in DATE_OF_BIRTH.levels]
    two_slips = model.level_weight(index, keys.index("two_slips"))
    assert model.level_weight(index, keys.index("different")) < two_slips
    assert two_slips < model.level_weight(index, keys.index("exact"))


def _predicted(model: LinkageModel, records: list[PersonDetails]) -> list[dict[str, object]]:
    quiet_splink()
    rows = []
    for number, details in enumerate(records, start=1):
        rows.append(feature_row(number, details, features_of(details)))
    table = pa.Table.from_pylist(rows, schema=FEATURE_SCHEMA)
    con = duckdb.connect()
    con.register("records", table)
    con.execute(f"CREATE TABLE {RECORDS_TABLE} AS SELECT * FROM records")
    space = Workspace(con, Path("."), table.num_rows)
    linker = space.duckdb_linker(model.splink_settings_for(table.num_rows))
    predicted = linker.inference.predict(warning_mode="never")
    scored: list[dict[str, object]] = predicted.as_pyarrow_table().to_pylist()  # type: ignore[no-untyped-call]
    con.close()
    return scored


def test_blocking_meets_a_person_whatever_single_field_was_mistyped(
    model: LinkageModel,
) -> None:
    """Each pair below differs in the one field some earlier rule needed exact: a
    surname slip with no date of birth and a mistyped postcode, a given-name slip
    likewise, and the names swapped. Each still becomes a candidate, and the SQL puts
    it on the level the Python twin does."""
    base = PersonDetails(
        given_name="Lia",
        family_name="Maynard",
        date_of_birth=date(1985, 7, 17),
        address="15 Hensman Street, Modbury",
        postcode="3169",
        agency=1,
    )
    others = [
        dataclasses.replace(base, family_name="Maymard", date_of_birth=None, postcode="3196",
                            address="51 Hensman Street", agency=2),
        dataclasses.replace(base, given_name="Leah", date_of_birth=None, postcode="3916",
                            address="", agency=3),
        dataclasses.replace(base, given_name="Maynard", family_name="Lia",
                            date_of_birth=date(1958, 7, 17), address="", postcode="", agency=4),
    ]  # fmt: skip
    records = [base, *others]
    scored = _predicted(model, records)
    pairs = {(int(str(p["unique_id_l"])), int(str(p["unique_id_r"]))): p for p in scored}
    for number in range(2, len(records) + 1):
        assert (1, number) in pairs, records[number - 1]
        pair = pairs[(1, number)]
        left, right = features_of(base), features_of(records[number - 1])
        for comparison in COMPARISONS:
            index = comparison.level_index(left, right)
            assert comparison.gamma(index) == pair[f"gamma_{comparison.name}"], comparison.name


def test_a_given_name_written_as_its_initial_agrees_only_as_an_initial(
    model: LinkageModel,
) -> None:
    """'J.' is Jonathan's initial, and any other J's: it agrees on the initial level,
    never as a slip or a sound (as 'J' and 'A', one edit apart, or 'C' and 'K', one
    sound, would read), nor as the same name when two records both say 'J', nor as a
    name found across the fields ('W' is one edit from the family name Wu); a name of
    another letter is a different name. Splink's SQL puts each pair on the level the
    Python does."""
    base = PersonDetails(
        given_name="Jonathan", family_name="Whitfield", date_of_birth=date(2014, 3, 21),
        agency=1,
    )  # fmt: skip
    expected = {
        ("Jonathan", "J."): "initial",
        ("Jonathan", "j"): "initial",
        ("Jonathan", "A"): "different",
        ("Jonathan", "Mr Jonathan"): "exact",
        ("J.", "j"): "initial",  # one letter twice: not the same name
        ("J.", "A"): "different",  # one edit apart, and no slip
        ("K", "C"): "different",  # one sound, and two initials
        ("J.", "Jo"): "initial",  # once a slip; now an initial
        ("Jo", "Jo"): "exact",
    }
    for (a, b), key in expected.items():
        left = dataclasses.replace(base, given_name=a)
        assert _level("given_name", left, dataclasses.replace(base, given_name=b)) == key, (a, b)
        assert _level("given_name", dataclasses.replace(base, given_name=b), left) == key, (b, a)
    wu = PersonDetails(given_name="Wei", family_name="Wu")
    assert _level("given_name", wu, dataclasses.replace(wu, given_name="W")) == "initial"
    # Names swapped weigh as two exact names: never where one is an initial.
    j_smith = PersonDetails(given_name="J", family_name="Smith")
    smith_j = PersonDetails(given_name="Smith", family_name="J")
    assert _level("given_name", j_smith, smith_j) != "swapped"
    assert _level("family_name", j_smith, smith_j) != "swapped"

    written = ["J.", "j", "A", "Jo", "K", "C", "Mr Jonathan", "W", "Wu"]
    records = [base, *(dataclasses.replace(base, given_name=g, agency=2) for g in written)]
    records.append(dataclasses.replace(base, given_name="Wei", family_name="Wu", agency=3))
    records.append(dataclasses.replace(base, given_name="Whitfield", family_name="J", agency=4))
    scored = _predicted(model, records)
    given = next(c for c in COMPARISONS if c.name == "given_name")
    seen = set()
    for pair in scored:
        left = features_of(records[int(str(pair["unique_id_l"])) - 1])
        right = features_of(records[int(str(pair["unique_id_r"])) - 1])
        index = given.level_index(left, right)
        assert given.gamma(index) == pair["gamma_given_name"], (left.given, right.given)
        seen.add(given.levels[index].key)
    assert {"initial", "exact", "different"} <= seen
