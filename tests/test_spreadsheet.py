"""Cells a spreadsheet would evaluate are written as text."""

from __future__ import annotations

import csv
import io

import pytest

from jigsaw.spreadsheet import csv_text, safe_cell


@pytest.mark.parametrize(
    "typed",
    [
        "=cmd|' /C calc'!A0",
        "+1+cmd|' /C calc'!A0",
        "-2+3",
        "@SUM(A1:A2)",
        "\t=1+1",
        "\r=1+1",
        '\uff1dHYPERLINK("http://example.invalid")',
        "\uff0b1",
        "\uff0d1",
        "\uff20SUM(1)",
    ],
)
def test_a_formula_prefix_is_quoted_and_the_text_kept(typed: str) -> None:
    assert safe_cell(typed) == "'" + typed
    [row] = list(csv.reader(io.StringIO(csv_text(["reasons"], [[typed]]))))[1:]
    assert row == ["'" + typed]


@pytest.mark.parametrize("typed", ["Already held by the GP", "2025-03-03 injury", "", "a=b"])
def test_ordinary_text_is_left_alone(typed: str) -> None:
    assert safe_cell(typed) == typed


def test_missing_values_are_empty_cells_and_numbers_stay_numbers() -> None:
    assert csv_text(["id", "revoked_at"], [[42, None]]) == "id,revoked_at\r\n42,\r\n"
