"""The kinds of file an agency can import, by name (``kinds`` says how each is read).

Apart from ``kinds`` so that the ``jigsaw import`` command can offer them (``--kind``)
without loading the schemas and the database models that checking a row needs.
"""

from __future__ import annotations

from enum import StrEnum


class ImportKind(StrEnum):
    RECORDS = "records"
    RELATIONSHIPS = "relationships"
    INVOLVEMENTS = "involvements"
    ITEMS = "items"
