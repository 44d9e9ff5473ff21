"""CSV that a spreadsheet opens as text, never as formulas.

Excel, LibreOffice and Google Sheets treat a cell beginning with ``=``, ``+``, ``-``
or ``@`` (and, in some versions, a tab or carriage return before one) as a formula,
so a reason or summary a practitioner typed as ``=cmd|' /C calc'!A0`` would run on
the machine of the DPO who opens the register. Every CSV the service writes goes
through :func:`csv_text`, which prefixes such a cell with a single quote: the
spreadsheet then shows the text as typed, and a reader can still see what was
written. Full-width forms of the same signs are covered because some spreadsheets
fold them to ASCII before parsing.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def safe_cell(value: object) -> str:
    """The cell's text, quoted with a leading ``'`` if a spreadsheet would evaluate it."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_PREFIXES) else text


def csv_text(header: Iterable[str], rows: Iterable[Iterable[object]]) -> str:
    """The whole CSV document, every cell (header included) made safe to open."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([safe_cell(c) for c in header])
    for row in rows:
        writer.writerow([safe_cell(c) for c in row])
    return out.getvalue()
