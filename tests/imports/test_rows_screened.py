"""The screened validation path of a file's rows (``rows._Screened``) accepts and refuses
exactly what ``ImportedRecord`` does, with the same problems, on any row: ordinary
ones, and hostile ones (control characters, tabs and line breaks, surrogates,
numbers and yes/no values posing as text, over-long values, bad check digits)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jigsaw.imports import rows
from jigsaw.imports.rows import Row, layout_of, validate

LAYOUT = layout_of(
    Path("records.csv"), [*rows.COLUMNS, "role", "identifier:upn", "identifier:nhs_number"], "csv"
)
NASTY = "\x00\x01\t\n\r\x0b\x1b\x1f\x7f\x85\x9f\u2028\u200b\ufeff\ud800 "
"""Characters the rules treat specially, mixed into the text of generated rows."""

text = st.text(alphabet=st.sampled_from("aZé-' 0912ßABq" + NASTY), max_size=12)
long_text = st.text(alphabet="ab ", min_size=95, max_size=305)
samples = {
    "given_name": ["Ann", " Ann ", "A\x00nn", "", "Zoë"],
    "date_of_birth": ["2010-02-03", "2010-02-30", "20100203", "3010-01-01", "1899-12-31"],
    "sex": ["female", "M", "u", "other", " Male "],
    "postcode": ["ot1 1aq", "OT1\t1AQ", "NOT A POSTCODE!", "e1 6an"],
    "nhs_number": ["9434765919", "943 476 5919", "9434765918", "94347659", "943\n4765919"],
    "identifier:upn": ["M801200113002", "A801200113001", "a801200113002", "M8012001\x0013002"],
    "identifier:nhs_number": ["9434765919", "4010232137", "x"],
    "role": ["child", "parent", "carer", "someone", "CHILD"],
    "local_id": ["B-1", " B-2 ", "", "B\n3", "x" * 65],
}
posing = st.one_of(
    st.integers(-5, 10**10), st.booleans(), st.floats(allow_nan=False), st.just([1, "a"])
)


@st.composite
def row_values(draw: st.DrawFn) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for column in LAYOUT.columns:
        value = draw(
            st.one_of(
                st.none(),
                st.sampled_from(samples.get(column, ["1 Long Road", "a\tb", "x"])),
                text,
                long_text,
                posing,
            )
        )
        values[column] = rows._empty_is_missing(value)
    return values


def _outcome(checked: Any) -> Any:
    if isinstance(checked, list):
        return [(p.line, p.local_id, p.field, p.message) for p in checked]
    return checked.model_dump()


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values=row_values(), agency_id=st.sampled_from([1, 7]))
def test_screened_rows_meet_exactly_the_rules_of_a_record(
    values: dict[str, Any], agency_id: int
) -> None:
    row = Row(3, values, [])
    assert _outcome(validate(row, LAYOUT, agency_id)) == _outcome(
        validate(row, LAYOUT, agency_id, screen=False)
    )


def test_the_screen_takes_ordinary_rows_and_passes_hostile_ones_to_the_full_check() -> None:
    ordinary = {
        "local_id": "B-1",
        "given_name": "Ann",
        "family_name": "Smith",
        "date_of_birth": "2010-02-03",
        "sex": "female",
        "address": "1 Long Road",
        "postcode": "ot1 1aq",
        "nhs_number": "9434765919",
        "identifier:upn": "M801200113002",
    }
    record = validate(Row(2, ordinary, []), LAYOUT, 1)
    assert type(record).__name__ == "_Screened"
    for hostile in ({"address": "1 Long\nRoad"}, {"identifier:upn": "M8012001\x0013002"}):
        checked = validate(Row(2, {**ordinary, **hostile}, []), LAYOUT, 1)
        full = validate(Row(2, {**ordinary, **hostile}, []), LAYOUT, 1, screen=False)
        assert _outcome(checked) == _outcome(full)
        if isinstance(checked, list):
            assert checked and checked[0].message
        else:
            assert type(checked).__name__ == "ImportedRecord"
