"""The kinds of row an agency can import, and how each is read and checked.

Records are the people an agency knows (``rows``). The other kinds say something about
those people and name them by the agency's own ``local_id`` for the record, so a file
of relationships, involvements or items is imported after the records it refers to:

- relationships: ``local_id`` (the agency's id for the relationship),
  ``person_local_id``, ``related_local_id``, ``relationship`` (parent, carer, sibling,
  household_member, partner, associate: the person is that to the related one);
- involvements: ``local_id``, ``person_local_id``, ``description``, ``started_on`` and
  optionally ``ended_on``, ``contact_phone``, ``contact_email``;
- items: ``local_id``, ``person_local_id``, ``category``, ``subtype`` (a type from
  ``records/item_types.yaml``, or ``other`` with ``subtype_other``), ``occurred_on``,
  ``summary``, ``nature``, ``source`` and optionally ``detail``, ``verification``,
  ``special_category``, ``criminal_offence``, ``protected_identity`` (true or false).

Each row is checked by the same schema a practitioner's entry is (``ItemIn``,
``InvolvementIn``, ``RelationshipIn``), with the record ids left to be found from the
local ids when the row is written. Which kind a file holds is given (``--kind``) or
read from its header, or from the first line of a JSON Lines file: the one column
only that kind has (``related_local_id``, ``description``, ``summary``; else records).
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import IO, Any

from pydantic import ValidationError

from jigsaw.errors import InvalidInput
from jigsaw.imports.import_kind import ImportKind as ImportKind  # the package imports it from here
from jigsaw.imports.rows import (
    LINE,
    Layout,
    Problem,
    Row,
    _empty_is_missing,
    by_column,
    csv_lines,
    json_objects,
)
from jigsaw.people.schemas import InvolvementIn, RelationshipIn
from jigsaw.records.schemas import ItemIn
from jigsaw.records.types import shipped_types
from jigsaw.schemas import LINE_BREAK_MESSAGE, Input, single_line

PERSON = "person_local_id"
RELATED = "related_local_id"
REQUIRED: dict[ImportKind, tuple[str, ...]] = {
    ImportKind.RELATIONSHIPS: ("local_id", PERSON, RELATED, "relationship"),
    ImportKind.INVOLVEMENTS: ("local_id", PERSON, "description", "started_on"),
    ImportKind.ITEMS: (
        "local_id",
        PERSON,
        "category",
        "subtype",
        "occurred_on",
        "summary",
        "nature",
        "source",
    ),
}
OPTIONAL: dict[ImportKind, tuple[str, ...]] = {
    ImportKind.RELATIONSHIPS: (),
    ImportKind.INVOLVEMENTS: ("ended_on", "contact_phone", "contact_email"),
    ImportKind.ITEMS: (
        "subtype_other",
        "detail",
        "verification",
        "special_category",
        "criminal_offence",
        "protected_identity",
    ),
}
_FLAGS = ("special_category", "criminal_offence", "protected_identity")
_TRUE = {"true", "yes", "y", "1"}
_FALSE = {"false", "no", "n", "0"}
_MARKS = ((RELATED, ImportKind.RELATIONSHIPS), ("summary", ImportKind.ITEMS))


def kind_of_columns(columns: list[str] | set[str]) -> ImportKind:
    """The kind a header (or a JSON line's names) is of: the column only it has."""
    names = {c.strip() for c in columns}
    for mark, kind in _MARKS:
        if mark in names:
            return kind
    if "description" in names and PERSON in names:
        return ImportKind.INVOLVEMENTS
    return ImportKind.RECORDS


def detect(path: Path, fmt: str) -> ImportKind:
    """The kind of the file from its first line (a CSV header, a JSON object)."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return detect_in(handle, fmt)


def detect_in(handle: IO[str], fmt: str) -> ImportKind:
    if fmt == "csv":
        try:
            header = next(csv.reader(handle))
        except (StopIteration, csv.Error, UnicodeDecodeError):
            return ImportKind.RECORDS  # the records reader says what is wrong with it
        return kind_of_columns(header)
    for text in handle:
        if text.strip():
            try:
                data = json.loads(text)
            except ValueError:
                return ImportKind.RECORDS
            return kind_of_columns(set(data)) if isinstance(data, dict) else ImportKind.RECORDS
    return ImportKind.RECORDS


def _known(kind: ImportKind) -> set[str]:
    return {*REQUIRED[kind], *OPTIONAL[kind], LINE}


def _refuse_header(name: str, kind: ImportKind, names: list[str]) -> None:
    repeated = sorted({c for c in names if names.count(c) > 1})
    if repeated:
        raise InvalidInput.one(name, f"The header repeats {', '.join(repeated)}")
    missing = [c for c in REQUIRED[kind] if c not in names]
    if missing:
        raise InvalidInput.one(
            name,
            f"The header has no {', '.join(missing)} column: a file of {kind} names at "
            f"least {','.join(REQUIRED[kind])}",
        )
    unknown = [c for c in names if c not in _known(kind)]
    if unknown:
        raise InvalidInput.one(
            name,
            f"The header has columns nobody knows for {kind}: {', '.join(unknown)} "
            f"(the others are {', '.join(OPTIONAL[kind]) or 'none'})",
        )


def read_csv(name: str, kind: ImportKind, handle: IO[str]) -> tuple[Layout, Iterator[Row]]:
    header, lines = csv_lines(name, handle)
    columns = [c.strip() for c in header]
    _refuse_header(name, kind, columns)
    layout = Layout("csv", columns)

    def rows() -> Iterator[Row]:
        for read in lines:
            if isinstance(read, Row):
                yield read
                continue
            line, cells = read
            yield Row(line, by_column(columns, cells), cells)

    return layout, rows()


def read_jsonl(kind: ImportKind, handle: IO[str]) -> tuple[Layout, Iterator[Row]]:
    """Every line an object with the names a CSV header of the kind has."""
    layout = Layout("jsonl", [*REQUIRED[kind], *OPTIONAL[kind]])
    known = _known(kind)

    def rows() -> Iterator[Row]:
        for read in json_objects(handle):
            if isinstance(read, Row):
                yield read
                continue
            number, data = read
            values: dict[str, Any] = {}
            for key, value in data.items():
                if key not in known:
                    values["__unreadable__"] = f"No field is called {key!r} in {kind}"
                    continue
                values[key] = (
                    value if isinstance(value, bool) or key in _FLAGS else _empty_is_missing(value)
                )
            yield Row(number, values, data)

    return layout, rows()


class RelationshipRow(RelationshipIn):
    from_record_id: int = 0
    to_record_id: int = 0


class InvolvementRow(InvolvementIn):
    agency_record_id: int = 0


class ItemRow(ItemIn):
    subject_record_id: int = 0


Checked = tuple[str, str, str | None, Input]
"""A good row: its local id, the person's local id, the related one's (relationships),
and the entry as a practitioner would give it, record ids still to be found."""


def _flag(value: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return bool(value)
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE or not text:
        return False
    return None


def _single_line(value: str) -> bool:
    try:
        single_line(value)
    except ValueError:
        return False
    return True


def validate(row: Row, kind: ImportKind) -> Checked | list[Problem]:
    """The row as an entry of its kind, or what is wrong with it, field by field."""
    values = row.values
    local_id = values.get("local_id")
    local_text = local_id if isinstance(local_id, str) and _single_line(local_id) else ""
    if "__unreadable__" in values:
        return [Problem(row.line, local_text, "", values["__unreadable__"])]
    problems: list[Problem] = []
    for name in ("local_id", PERSON, *((RELATED,) if kind is ImportKind.RELATIONSHIPS else ())):
        value = values.get(name)
        if not isinstance(value, str) or not value:
            problems.append(Problem(row.line, local_text, name, "This must be given"))
        elif len(value) > 64:
            problems.append(
                Problem(row.line, local_text, name, "This must be 64 characters or fewer")
            )
        elif not _single_line(value):
            # PostgreSQL refuses a NUL in text outright, and an escape sequence in an id
            # would reach the operator's terminal in the report.
            problems.append(Problem(row.line, local_text, name, LINE_BREAK_MESSAGE))
    data: dict[str, Any] = {
        k: v for k, v in values.items() if k not in ("local_id", PERSON, RELATED, LINE)
    }
    data = {k: v for k, v in data.items() if v is not None}
    model: type[Input]
    rename: dict[str, str] = {}
    if kind is ImportKind.RELATIONSHIPS:
        model = RelationshipRow
        if "relationship" in data:
            data["kind"] = data.pop("relationship")
        rename = {"kind": "relationship"}
    elif kind is ImportKind.INVOLVEMENTS:
        model = InvolvementRow
    else:
        model = ItemRow
        for flag in _FLAGS:
            if flag in values:
                read = _flag(values[flag])
                if read is None:
                    problems.append(Problem(row.line, local_text, flag, "Enter true or false"))
                    data.pop(flag, None)
                else:
                    data[flag] = read
        subtype = data.get("subtype")
        if isinstance(subtype, str):
            wrong = shipped_types().problem(subtype, data.get("subtype_other"))
            if wrong is not None:
                problems.append(Problem(row.line, local_text, *wrong))
    try:
        entry = model.model_validate(data)
    except ValidationError as invalid:
        for error in invalid.errors():
            location = error["loc"]
            column = str(location[0]) if location else ""
            message = error["msg"].removeprefix("Value error, ")
            if error["type"] == "missing":
                message = "This must be given"
            problems.append(Problem(row.line, local_text, rename.get(column, column), message))
        return problems
    if problems:
        return problems
    assert isinstance(local_id, str)
    person = values[PERSON]
    related = values.get(RELATED) if kind is ImportKind.RELATIONSHIPS else None
    if related is not None and related == person:
        return [Problem(row.line, local_text, RELATED, "A person cannot be related to themselves")]
    return local_id, person, related, entry


def digest(kind: ImportKind, checked: Checked) -> str:
    """What the row says, as a SHA-256: the same row gives the same digest whichever
    format or column order it came in, so only a real change is a change."""
    _, person, related, entry = checked
    fields = entry.model_dump(mode="json")
    for name in ("from_record_id", "to_record_id", "agency_record_id", "subject_record_id"):
        fields.pop(name, None)
    body = json.dumps(
        {"kind": kind.value, PERSON: person, RELATED: related, **fields},
        sort_keys=True,
        default=_plain,
    )
    return hashlib.sha256(body.encode()).hexdigest()


def _plain(value: object) -> str:
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
