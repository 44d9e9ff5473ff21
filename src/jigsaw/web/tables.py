"""Tables that reflow on a narrow screen without any script (WCAG 2.2, 1.4.10).

Below the tablet width each row becomes a block and each cell shows its column's
heading above it (``jigsaw.css``, ``.app-table--stacks``). The heading travels as the
cell's ``data-label`` attribute, written here on the server, so a phone with scripts
off, or a browser the script fails in, still gets a readable table rather than one
that scrolls sideways. ``tables.mjs`` only adds the ARIA roles that keep a restyled
table announced as a table.
"""

from __future__ import annotations

import re
from typing import Any

STACKS = "app-table--stacks"
_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")


def _heading_text(head: dict[str, Any]) -> str:
    """A heading's words: given as text, or taken from its markup with the tags out."""
    text = head.get("text")
    if text is None:
        text = _TAG.sub(" ", str(head.get("html") or ""))
    return _SPACE.sub(" ", str(text)).strip()


def stacked(params: dict[str, Any]) -> dict[str, Any]:
    """The ``govukTable`` parameters of a table that stacks: its cells labelled with
    their column's heading and the table marked to stack.

    A new mapping is returned; the caller's is left as it was. A table without a head
    has nothing to label its cells with, so it is left to lay out as a table.
    """
    heads = [_heading_text(head) for head in params.get("head") or []]
    if not heads:
        return params
    rows = []
    for row in params.get("rows") or []:
        cells = []
        for index, cell in enumerate(row or []):
            label = heads[index] if index < len(heads) else ""
            if label:
                attributes = dict(cell.get("attributes") or {})
                attributes.setdefault("data-label", label)
                cell = {**cell, "attributes": attributes}
            cells.append(cell)
        rows.append(cells)
    classes = " ".join(part for part in (params.get("classes"), STACKS) if part)
    return {**params, "rows": rows, "classes": classes}
