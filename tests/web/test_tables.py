"""Cells carry their column's heading from the server (``web/tables.py``)."""

from __future__ import annotations

from jigsaw.web.tables import STACKS, stacked


def test_each_cell_is_labelled_with_its_column_and_the_table_stacks() -> None:
    params = {
        "head": [{"text": "Date"}, {"html": "<span class='x'>Agency</span> &amp; worker"}],
        "rows": [[{"text": "1 May"}, {"text": "School", "attributes": {"id": "a"}}]],
        "classes": "app-wide",
    }
    out = stacked(params)
    first, second = out["rows"][0]
    assert first["attributes"] == {"data-label": "Date"}
    assert second["attributes"] == {"id": "a", "data-label": "Agency &amp; worker"}
    assert out["classes"] == f"app-wide {STACKS}"
    assert "attributes" not in params["rows"][0][0], "the caller's table is left alone"


def test_a_table_without_headings_is_left_to_lay_out_as_a_table() -> None:
    params = {"rows": [[{"text": "x"}]]}
    assert stacked(params) is params


def test_a_label_the_caller_set_is_kept_and_extra_cells_get_none() -> None:
    out = stacked(
        {
            "head": [{"text": "Item"}],
            "rows": [[{"text": "a", "attributes": {"data-label": "Own"}}, {"text": "b"}]],
        }
    )
    assert out["rows"][0][0]["attributes"] == {"data-label": "Own"}
    assert "attributes" not in out["rows"][0][1]
