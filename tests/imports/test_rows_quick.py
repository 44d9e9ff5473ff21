"""The quick lane of a file's rows (``rows._quick``) accepts only rows the model
(``ImportedRecord``) accepts, as the same record, and leaves every other row to it: on
ordinary rows, on rows with one value wrong, on near misses of an ordinary row (white
space of every kind, other case, look-alike characters, impossible dates), and on
hostile ones."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jigsaw import clock
from jigsaw.imports import rows
from jigsaw.imports.rows import GoodRecord, ImportedRecord, Problem, Row, check, validate
from jigsaw.people.identifiers import IdentifierScheme
from jigsaw.people.models import PersonRole, Sex
from tests.imports.test_rows_screened import LAYOUT, row_values

PLAIN: dict[str, list[str | None]] = {
    "local_id": ["B-1", "b 2", "x" * 64, "x" * 65, " "],
    "role": [None, "child", "parent_carer", "risk_person", "CHILD", "someone"],
    "given_name": [None, "Ann", "O'Neil", "a" * 100, "a" * 101, "Ann Marie"],
    "family_name": [None, "Smith", "Smith-Jones", "b" * 101],
    "date_of_birth": [
        None,
        "2010-02-03",
        "2010-02-30",
        "20100203",
        "2999-01-01",
        "1899-12-31",
        "1900-01-01",
        "2010-2-3",
    ],
    "sex": [None, "female", "M", "u", "other", "FEMALE"],
    "address": [None, "1 Long Road, Oldtown", "c" * 300, "c" * 301],
    "postcode": [None, "ot1 1aq", "OT1 1AQ", "NOT A POSTCODE!", "e1 6an"],
    "nhs_number": [None, "9434765919", "943 476 5919", "9434765918", "94347659", "9999999999"],
    "identifier:upn": [None, "M801200113002", "A801200113001", "m801200113002", "UN1"],
    "identifier:nhs_number": [None, "9434765919", "4010232137", "x"],
}


@st.composite
def plain_values(draw: st.DrawFn) -> dict[str, Any]:
    """Printable ASCII rows, mostly good, some with one or two values a rule refuses."""
    return {
        column: rows._empty_is_missing(draw(st.sampled_from(PLAIN.get(column, [None]))))
        for column in LAYOUT.columns
    }


def _model(values: dict[str, Any], agency_id: int) -> Any:
    checked = validate(Row(3, values, []), LAYOUT, agency_id, screen=False)
    if isinstance(checked, list):
        return checked
    return GoodRecord(
        checked.local_id,
        tuple(getattr(checked, name) for name in rows.STORED),
        tuple((i.scheme, i.value) for i in checked.identifiers),
    )


def _same_as_the_model(values: dict[str, Any], agency_id: int) -> bool:
    """Whether the quick lane took the row; it fails the test if it took it differently."""
    quick = rows._quick(values, LAYOUT, agency_id, clock.today())
    model = _model(values, agency_id)
    if quick is not None:
        assert quick == model
        assert [type(v) for v in quick.values] == [type(v) for v in model.values]
    assert check(Row(3, values, []), LAYOUT, agency_id) == model
    return quick is not None


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=plain_values(), agency_id=st.sampled_from([1, 7, 0, 2**31]))
def test_the_quick_lane_takes_a_plain_row_only_as_the_model_does(
    values: dict[str, Any], agency_id: int
) -> None:
    _same_as_the_model(values, agency_id)


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=row_values(), agency_id=st.sampled_from([1, 7]))
def test_the_quick_lane_leaves_hostile_rows_to_the_model(
    values: dict[str, Any], agency_id: int
) -> None:
    _same_as_the_model(values, agency_id)


def test_the_quick_lane_takes_ordinary_rows() -> None:
    ordinary = {column: ORDINARY[column] for column in LAYOUT.columns}
    assert _same_as_the_model(ordinary, 1)
    taken = rows._quick(ordinary, LAYOUT, 1, clock.today())
    assert taken == GoodRecord(
        "B-1",
        (
            1,
            "B-1",
            PersonRole.CHILD,
            "Ann",
            "Smith",
            date(2010, 2, 3),
            Sex.FEMALE,
            "1 Long Road",
            "OT1 1AQ",
            "9434765919",
        ),
        ((IdentifierScheme.UPN, "M801200113002"),),
    )
    for wrong in ({"date_of_birth": "2010-02-30"}, {"nhs_number": "9434765918"}):
        assert not _same_as_the_model({**ordinary, **wrong}, 1)


EVERY_SCHEME = rows.layout_of(
    Path("records.csv"),
    [*rows.COLUMNS, "role", "line", *(f"identifier:{s.value}" for s in IdentifierScheme)],
    "csv",
)
ORDINARY = {
    "local_id": "B-1",
    "role": None,
    "given_name": "Ann",
    "family_name": "Smith",
    "date_of_birth": "2010-02-03",
    "sex": "F",
    "address": "1 Long Road",
    "postcode": "ot1 1aq",
    "nhs_number": "943 476 5919",
    "line": None,
    "identifier:nhs_number": None,
    "identifier:upn": "m801200113002",
    "identifier:police_reference": "cr 1/24",
    "identifier:local_case_number": "a1",
}
NEAR_MISSES = {
    "local_id": ["0001", "x" * 64, "x" * 65, "=1+1", "@SUM(A1)", "-1", "+44", "\uff22-1"],
    "role": ["child", "parent_carer", "Child", "CHILD", "risk_person", "child "],
    "given_name": ["=cmd|' /C calc'!A0", "+Ann", "-Ann", "@Ann", "a" * 100, "a" * 101, "\uff21nn"],
    "family_name": ["b" * 100, "b" * 101, "Smith\u0301"],
    "date_of_birth": [
        "2020-02-29",
        "2019-02-29",
        "2020-02-30",
        "0001-01-01",
        "1900-01-01",
        "1899-12-31",
        "2099-12-31",
        "2020-1-5",
        "20200105",
        "2020-01-05T00:00",
        "2020-W01-1",
        "+2020-01-05",
        "\uff12\uff10\uff12\uff10-01-05",
    ],
    "sex": ["f", "Female", "FEMALE", "fEmAlE", "m", "U", "unknown", "x", "\uff46"],
    "address": ["c" * 300, "c" * 301],
    "postcode": ["OT1 1AQ", "x" * 10, "x" * 11, "\u00df", "\ufb03"],
    "nhs_number": [
        "9434765919",
        "943-476-5919",
        "943  476  5919",
        "09434765919",
        "0000000000",
        "9990000000",
        "9999999999",
        "9434765918",
        "\u0669\u0664\u0663\u0664\u0667\u0666\u0665\u0669\u0661\u0669",
        "4010232137",
    ],
    "line": ["3", "x"],
    "identifier:nhs_number": ["9434765919", "4010232137", "4010 232 137"],
    "identifier:upn": ["M801200113002", "m 8012 0011 3002", "UN1", "un1", "M80120011300I"],
    "identifier:police_reference": ["CR  1/24", "x" * 40, "x" * 41, "\u0131"],
    "identifier:local_case_number": ["a  b", "x" * 64, "x" * 65],
}
AROUND = [" ", "  ", "\t", "\u00a0", "\u2003", "\u3000", "\x0b", "\x0c", "\x1c", "\x1f", "\x85"]
"""White space by any of the rules' definitions, and characters only some call white space."""
INSIDE = [*AROUND, "\x00", "\x7f", "\u200b", "\ufeff", "\u00e9", "\u0130"]


@st.composite
def near_miss(draw: st.DrawFn, value: str) -> str:
    """The value, or one a keystroke, a copy and paste or an export away from it."""
    how = draw(st.sampled_from(["as is", "around", "after", "inside", "case", "zero", "empty"]))
    if how == "around":
        return draw(st.sampled_from(AROUND)) + value + draw(st.sampled_from(AROUND))
    if how == "after":
        return value + draw(st.sampled_from(AROUND))
    if how == "inside":
        at = draw(st.integers(0, len(value)))
        return value[:at] + draw(st.sampled_from(INSIDE)) + value[at:]
    if how == "case":
        return value.upper() if draw(st.booleans()) else value.lower()
    if how == "zero":
        return "0" + value
    return "" if how == "empty" else value


@st.composite
def near_ordinary_rows(draw: st.DrawFn) -> dict[str, Any]:
    """An ordinary row with a few of its values swapped for near misses, as a file reader
    hands them over (empty as missing, trimmed) or untrimmed, as another caller might."""
    values = dict(ORDINARY)
    for column in draw(st.sets(st.sampled_from(sorted(NEAR_MISSES)), min_size=1, max_size=4)):
        base = draw(st.sampled_from([ORDINARY[column] or "", *NEAR_MISSES[column]]))
        values[column] = draw(st.none() | near_miss(base))
    if draw(st.booleans()):
        values = {c: rows._empty_is_missing(v) for c, v in values.items()}
    return values


def _taken_as_the_model_takes_it(
    quick: GoodRecord | None, checked: ImportedRecord | list[Problem]
) -> None:
    """A row the quick lane takes (``quick`` not None) the model takes too, to the same
    stored values of the same types and the same identifiers."""
    if quick is not None:
        assert not isinstance(checked, list), checked
        assert quick == GoodRecord(
            checked.local_id,
            tuple(getattr(checked, name) for name in rows.STORED),
            tuple((i.scheme, i.value) for i in checked.identifiers),
        )
        assert [type(v) for v in quick.values] == [type(getattr(checked, n)) for n in rows.STORED]


@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=near_ordinary_rows(), agency_id=st.sampled_from([1, 2**31 - 1, 2**31, True]))
def test_the_quick_lane_takes_near_misses_only_as_the_model_does(
    values: dict[str, Any], agency_id: int
) -> None:
    quick = rows._quick(values, EVERY_SCHEME, agency_id, clock.today())
    checked = validate(Row(3, values, []), EVERY_SCHEME, agency_id, screen=False)
    _taken_as_the_model_takes_it(quick, checked)


def test_the_quick_lane_takes_a_birthday_of_today_and_leaves_tomorrow_to_the_model() -> None:
    today = clock.today()
    born_today = {**ORDINARY, "date_of_birth": today.isoformat()}
    tomorrow = {**ORDINARY, "date_of_birth": (today + timedelta(days=1)).isoformat()}
    assert rows._quick(born_today, EVERY_SCHEME, 1, today) is not None
    assert rows._quick(tomorrow, EVERY_SCHEME, 1, today) is None
    refused = check(Row(3, tomorrow, []), EVERY_SCHEME, 1, today)
    assert isinstance(refused, list)
    assert [p.field for p in refused] == ["date_of_birth"]


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=near_ordinary_rows(), agency_id=st.sampled_from([1, 2**31]))
def test_a_csv_row_still_in_its_cells_is_taken_only_as_the_model_takes_it_by_column(
    values: dict[str, Any], agency_id: int
) -> None:
    """A CSV row of a file is checked from its cells as read (untrimmed, empty for
    missing): the quick lane takes it only as the model takes the row by column."""
    cells = [values.get(column) or "" for column in EVERY_SCHEME.columns]
    by_column = rows.csv_values(EVERY_SCHEME.columns, cells)
    checked = validate(Row(3, by_column, cells), EVERY_SCHEME, agency_id, screen=False)
    quick = rows._quick_cells(cells, rows._plan(EVERY_SCHEME), agency_id, clock.today())
    _taken_as_the_model_takes_it(quick, checked)
    deferred = check(Row(3, {}, cells, deferred=True), EVERY_SCHEME, agency_id)
    assert deferred == check(Row(3, by_column, cells), EVERY_SCHEME, agency_id)


def test_an_ordinary_csv_row_is_taken_from_its_cells() -> None:
    cells = [ORDINARY.get(column) or "" for column in EVERY_SCHEME.columns]
    cells[EVERY_SCHEME.columns.index("given_name")] = "  Ann "
    taken = rows._quick_cells(cells, rows._plan(EVERY_SCHEME), 1, clock.today())
    assert taken is not None
    assert taken == check(
        Row(3, rows.csv_values(EVERY_SCHEME.columns, cells), cells), EVERY_SCHEME, 1
    )
    assert taken.values[3] == "Ann"
