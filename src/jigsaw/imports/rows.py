"""Reading an agency's file of records: CSV with a header row, or JSON Lines.

Both carry the same fields (``COLUMNS``, ``identifier:<scheme>`` for identifiers,
``role`` optional). An empty value is a missing one. A file whose header cannot be
read as records (a column missing, one nobody knows, a scheme that does not exist) is
refused before anything is written; a row that cannot be read is a problem of that row
only, reported with its line and put in the quarantine file, and the rest go in.

A missing name is stored as an empty string: the columns are not nullable, the pages
show an empty name as "not known", and linkage treats it as missing, not as a name
that disagrees.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO, Any, NamedTuple

from pydantic import Field, ValidationError, ValidationInfo

from jigsaw import clock
from jigsaw.errors import InvalidInput
from jigsaw.people import identifiers as schemes
from jigsaw.people.identifiers import IdentifierScheme, InvalidIdentifier
from jigsaw.people.models import PersonRole, Sex
from jigsaw.people.nhs_number import normalise as nhs_normalise
from jigsaw.people.schemas import MAX_IDENTIFIERS, AgencyRecordIn, IdentifierIn
from jigsaw.schemas import _CONTROL_OR_LINE_BREAK, EARLIEST_DATE, LATEST_DATE, MAX_ID

COLUMNS = (
    "local_id",
    "given_name",
    "family_name",
    "date_of_birth",
    "sex",
    "address",
    "postcode",
    "nhs_number",
)
"""Every file has these (a value may be empty); ``role`` and identifiers are optional."""
OPTIONAL = ("role",)
LINE = "line"
"""The column a quarantine file adds; a corrected quarantine file can be imported again."""
IDENTIFIER_PREFIX = "identifier:"
FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
_SEX = {
    "f": Sex.FEMALE,
    "female": Sex.FEMALE,
    "m": Sex.MALE,
    "male": Sex.MALE,
    "u": Sex.UNKNOWN,
    "unknown": Sex.UNKNOWN,
}


class ImportedRecord(AgencyRecordIn):
    """A record as an agency's file gives it: held to exactly the rules a record made over
    the API is (a name may be missing, stored empty, as long as something identifies the
    person)."""


class _ScreenedIdentifier(IdentifierIn):
    """An identifier whose text ``validate`` has already screened (see ``_Screened``)."""

    @classmethod
    def _no_coerced_scalars(cls, value: Any, info: ValidationInfo) -> Any:
        return value

    @classmethod
    def _no_control_characters(cls, value: Any, info: ValidationInfo) -> Any:
        return value


class _Screened(ImportedRecord):
    """``ImportedRecord`` for a row already screened as a whole: every value is text (or
    the agency's id, a whole number) and none holds a control character, tab or line
    break. On such a row ``RawInput``'s two checks on every field cannot refuse
    anything (no value is a number or a yes/no posing as text, and no check or
    normalisation of a field puts a control character into text that had none), so
    they are left out here: they were a third of a row's cost. Every other rule is
    the inherited one; a row the screen does not clear goes through ``ImportedRecord``
    itself, so its problems are reported exactly as the API would."""

    identifiers: list[_ScreenedIdentifier] = Field(  # type: ignore[assignment]
        default_factory=list, max_length=MAX_IDENTIFIERS
    )

    @classmethod
    def _no_coerced_scalars(cls, value: Any, info: ValidationInfo) -> Any:
        return value

    @classmethod
    def _no_control_characters(cls, value: Any, info: ValidationInfo) -> Any:
        return value


def _screened(data: dict[str, Any]) -> bool:
    """Whether ``RawInput``'s checks would pass every value of the row (``_Screened``)."""
    texts: list[str] = []
    for name, value in data.items():
        if name == "agency_id":
            if type(value) is not int:
                return False
        elif name == "identifiers":
            for given in value:
                if type(given["value"]) is not str:
                    return False
                texts.append(given["value"])
        elif isinstance(value, Sex):  # one of ``_SEX``'s, not the file's text
            continue
        elif type(value) is str:
            texts.append(value)
        else:
            return False
    return _CONTROL_OR_LINE_BREAK.search(" ".join(texts)) is None


@dataclass(frozen=True)
class Problem:
    line: int
    local_id: str
    field: str
    message: str


@dataclass
class Layout:
    """The columns of one file and what each means."""

    file_format: str
    columns: list[str]
    identifier_columns: dict[str, IdentifierScheme] = field(default_factory=dict)


@dataclass
class Row:
    """One row as read: its line, its values by column (None when empty), and the text
    to write to the quarantine file if it is refused."""

    line: int
    values: dict[str, Any]
    raw: Any
    deferred: bool = False
    """The values are still to be read from the raw cells (``read_csv(deferred=True)``):
    a worker process reads them, off the writer's core."""


def file_format(path: Path) -> str:
    found = FORMATS.get(path.suffix.lower())
    if found is None:
        raise InvalidInput.one(
            path.name, "Give a .csv file (with a header row) or a .jsonl file (JSON Lines)"
        )
    return found


def layout_of(path: Path, columns: list[str], fmt: str) -> Layout:
    """The file's layout from its header, or a refusal naming what is wrong with it."""
    names = [c.strip() for c in columns]
    repeated = sorted({c for c in names if names.count(c) > 1})
    if repeated:
        raise InvalidInput.one(path.name, f"The header repeats {', '.join(repeated)}")
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        raise InvalidInput.one(
            path.name,
            f"The header has no {', '.join(missing)} column: the first row must name the "
            f"columns, at least {','.join(COLUMNS)}",
        )
    layout = Layout(fmt, names)
    unknown = []
    for name in names:
        if name.startswith(IDENTIFIER_PREFIX):
            try:
                layout.identifier_columns[name] = schemes.scheme_named(
                    name.removeprefix(IDENTIFIER_PREFIX)
                )
            except InvalidIdentifier as invalid:
                raise InvalidInput.one(path.name, f"Column {name}: {invalid}") from None
        elif name not in COLUMNS and name not in OPTIONAL and name != LINE:
            unknown.append(name)
    if unknown:
        raise InvalidInput.one(
            path.name,
            f"The header has columns nobody knows: {', '.join(unknown)} (identifiers are "
            f"columns named identifier:<scheme>, e.g. identifier:upn)",
        )
    return layout


def _empty_is_missing(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)  # an NHS number or a local id written as a JSON number
    return value


def csv_lines(
    name: str, handle: IO[str]
) -> tuple[list[str], Iterator[tuple[int, list[str]] | Row]]:
    """A CSV file's header, then each non-blank row after it with the line it starts on,
    or as a row already refused when it cannot be read as CSV, so every kind of import
    reads CSV alike."""
    reader = csv.reader(handle)
    try:
        header = next(reader)
    except StopIteration:
        raise InvalidInput.one(name, "The file is empty: it has no header row") from None
    except csv.Error as error:
        raise InvalidInput.one(name, f"The header cannot be read as CSV ({error})") from None

    def rows() -> Iterator[tuple[int, list[str]] | Row]:
        line = reader.line_num + 1
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                yield Row(line, {"__unreadable__": f"The row cannot be read as CSV ({error})"}, [])
            else:
                if cells:
                    yield line, cells
            line = reader.line_num + 1

    return header, rows()


def by_column(columns: list[str], cells: list[str]) -> dict[str, Any]:
    """A CSV row's values by column (None when empty), or why it cannot be read when it
    has more or fewer values than the header has columns."""
    if len(cells) != len(columns):
        return {"__unreadable__": f"The row has {len(cells)} values; the header has {len(columns)}"}
    # A CSV cell is always text, so ``_empty_is_missing`` comes down to this.
    return {c: v.strip() or None for c, v in zip(columns, cells, strict=True)}


def csv_values(columns: list[str], cells: list[str]) -> dict[str, Any]:
    """A CSV row's values (``by_column``), with its local id even when the row has the
    wrong number of values, so its problem names it."""
    values = by_column(columns, cells)
    if len(cells) != len(columns):
        values["local_id"] = cells[0]
    return values


def read_csv(
    path: Path, handle: IO[str], *, deferred: bool = False
) -> tuple[Layout, Iterator[Row]]:
    """The file's layout and rows; with ``deferred``, each row's values are left for
    whoever checks it to read from its cells (``Row.deferred``)."""
    header, lines = csv_lines(path.name, handle)
    layout = layout_of(path, header, "csv")

    def rows() -> Iterator[Row]:
        for read in lines:
            if isinstance(read, Row):
                yield read
                continue
            line, cells = read
            if deferred:
                yield Row(line, {}, cells, deferred=True)
            else:
                yield Row(line, csv_values(layout.columns, cells), cells)

    return layout, rows()


def json_objects(handle: IO[str]) -> Iterator[tuple[int, dict[str, Any]] | Row]:
    """Each non-blank line of JSON Lines, with its number, as the object it holds, or as
    a row already refused when it is not a JSON object, so every kind of import refuses
    such lines alike."""
    for number, text in enumerate(handle, start=1):
        if not text.strip():
            continue
        try:
            data = json.loads(text)
        except ValueError:
            yield Row(number, {"__unreadable__": "The line is not JSON"}, text.rstrip("\n"))
            continue
        if not isinstance(data, dict):
            yield Row(number, {"__unreadable__": "The line is not a JSON object"}, data)
            continue
        yield number, data


def read_jsonl(path: Path, handle: IO[str]) -> tuple[Layout, Iterator[Row]]:
    """JSON Lines has no header: every line is an object with the same names a CSV
    header has (``COLUMNS`` at least); a line naming a field nobody knows is refused."""
    layout = Layout("jsonl", [*COLUMNS, *OPTIONAL])

    def rows() -> Iterator[Row]:
        for read in json_objects(handle):
            if isinstance(read, Row):
                yield read
                continue
            number, data = read
            values: dict[str, Any] = {}
            for key, value in data.items():
                if key.startswith(IDENTIFIER_PREFIX) and key not in layout.identifier_columns:
                    try:
                        layout.identifier_columns[key] = schemes.scheme_named(
                            key.removeprefix(IDENTIFIER_PREFIX)
                        )
                    except InvalidIdentifier as invalid:
                        values["__unreadable__"] = f"Field {key}: {invalid}"
                        continue
                elif (
                    key not in COLUMNS
                    and key not in OPTIONAL
                    and key != LINE
                    and not key.startswith(IDENTIFIER_PREFIX)
                ):
                    values["__unreadable__"] = f"No field is called {key!r}"
                    continue
                values[key] = _empty_is_missing(value)
            yield Row(number, values, data)

    return layout, rows()


def validate(
    row: Row, layout: Layout, agency_id: int, *, screen: bool = True
) -> ImportedRecord | list[Problem]:
    """The row as a record for the agency, or what is wrong with it, field by field.

    ``screen=False`` holds every row to ``ImportedRecord`` in full (the screened path
    must agree with it on every row: tests/imports/test_rows_screened.py)."""
    values = row.values if not row.deferred else csv_values(layout.columns, row.raw)
    local_id = values.get("local_id")
    local_id_text = local_id if isinstance(local_id, str) else ""
    if "__unreadable__" in values:
        return [Problem(row.line, local_id_text, "", values["__unreadable__"])]
    data: dict[str, Any] = {
        "agency_id": agency_id,
        "local_id": local_id,
        "role": values.get("role") or PersonRole.CHILD.value,
    }
    problems: list[Problem] = []
    for name in ("given_name", "family_name", "date_of_birth", "address", "postcode", "nhs_number"):
        value = values.get(name)
        if value is not None:
            data[name] = value
    if data.get("address") is None:
        data.pop("address", None)
    sex = values.get("sex")
    if sex is not None:
        known = _SEX.get(str(sex).strip().lower())
        if known is None:
            problems.append(
                Problem(row.line, local_id_text, "sex", "Sex must be female, male or unknown")
            )
        else:
            data["sex"] = known
    given: list[tuple[str, dict[str, Any]]] = []
    for column, scheme in layout.identifier_columns.items():
        value = values.get(column)
        if value is not None:
            given.append((column, {"scheme": scheme, "value": value}))
    data["identifiers"] = [d for _, d in given]
    if local_id is None:
        data.pop("local_id")
    try:
        model = _Screened if screen and _screened(data) else ImportedRecord
        record = model.model_validate(data)
    except ValidationError as invalid:
        for error in invalid.errors():
            location = error["loc"]
            column = str(location[0]) if location else ""
            if column == "identifiers" and len(location) > 1 and isinstance(location[1], int):
                column = given[location[1]][0]
            message = error["msg"].removeprefix("Value error, ")
            if error["type"] == "missing":
                message = "This must be given"
            problems.append(Problem(row.line, local_id_text, column, message))
        return problems
    return problems or record


STORED = ("agency_id", COLUMNS[0], *OPTIONAL, *COLUMNS[1:])
"""What a record holds of a row, in the order ``GoodRecord.values`` gives it: the agency,
the local id, the role, then the other columns every file has."""


class GoodRecord(NamedTuple):
    """A row that passed, as the writer needs it: plain values in ``STORED`` order and
    the identifiers, not the model, so a worker process sends it back cheaply."""

    local_id: str
    values: tuple[Any, ...]
    identifiers: tuple[tuple[IdentifierScheme, str], ...]


_PRINTABLE_ASCII = re.compile(r"[ -~]*")
"""Text of the quick lane (``_quick``): printable ASCII, so no control character, tab,
line break or non-ASCII space, and stripping and upper-casing mean the same to Python
and to pydantic."""
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ROLES = {role.value: role for role in PersonRole}
_MAX_LOCAL_ID = 64
_MAX_NAME = 100
_MAX_ADDRESS = 300
_MAX_POSTCODE = 10
_MAX_IDENTIFIER = 100


_SEX_OR_MISSING = {**_SEX, "": Sex.UNKNOWN}
"""``_SEX`` for the quick lane's trimmed text, where an empty value means no sex given."""


@dataclass(frozen=True)
class _Plan:
    """Where the quick lane finds each field among a row's values: one per layout,
    worked out once per batch rather than looked up by name on every row."""

    names: tuple[str, ...]
    """The values in order: a CSV file's columns, then any identifier columns only a
    JSON Lines file's rows name."""
    local_id: int
    role: int | None
    given_name: int
    family_name: int
    date_of_birth: int
    sex: int
    address: int
    postcode: int
    nhs_number: int
    identifiers: tuple[tuple[int, IdentifierScheme], ...]
    reconcile: bool
    """Whether the identifiers can need ``schemes.reconcile`` (an NHS number among them,
    or more than one): one identifier of another scheme is already what it would give."""


def _plan(layout: Layout) -> _Plan:
    """The layout's ``_Plan``: the same for every row read by the same layout, so kept."""
    key = (tuple(layout.columns), tuple(layout.identifier_columns.items()))
    plan = _PLANS.get(key)
    if plan is None:
        names = list(layout.columns)
        # A column the layout lacks (only ever a layout made by hand) is a missing
        # value; a CSV row then has fewer cells than the plan, and goes to the model.
        names += [c for c in (*COLUMNS, *layout.identifier_columns) if c not in names]
        place = {name: i for i, name in enumerate(names)}
        identifiers = tuple((place[c], s) for c, s in layout.identifier_columns.items())
        plan = _Plan(
            tuple(names),
            local_id=place["local_id"],
            role=place.get("role"),
            given_name=place["given_name"],
            family_name=place["family_name"],
            date_of_birth=place["date_of_birth"],
            sex=place["sex"],
            address=place["address"],
            postcode=place["postcode"],
            nhs_number=place["nhs_number"],
            identifiers=identifiers,
            reconcile=len(identifiers) > 1
            or any(s is IdentifierScheme.NHS_NUMBER for _, s in identifiers),
        )
        if len(_PLANS) > _MAX_PLANS:
            _PLANS.clear()
        _PLANS[key] = plan
    return plan


_PLANS: dict[tuple[Any, ...], _Plan] = {}
_MAX_PLANS = 64


def _quick(
    values: dict[str, Any], layout: Layout, agency_id: int, today: date
) -> GoodRecord | None:
    """``_quick_cells`` for a row's values by column (None when empty), as ``validate``
    takes them: a JSON Lines row, or a CSV row already read by column."""
    return _quick_values(values, _plan(layout), agency_id, today)


def _quick_values(
    values: dict[str, Any], plan: _Plan, agency_id: int, today: date
) -> GoodRecord | None:
    if "__unreadable__" in values:
        return None
    for value in values.values():
        # Text only; and a value of nothing but spaces, which a file's reader gives as
        # missing (None) but another caller may not, is left to the model to judge.
        if value is not None and (type(value) is not str or not value.strip()):
            return None
    return _quick_cells([values.get(name) or "" for name in plan.names], plan, agency_id, today)


def _quick_cells(cells: list[str], plan: _Plan, agency_id: int, today: date) -> GoodRecord | None:
    """The record an ordinary row makes, worked out directly from the rules
    ``ImportedRecord`` holds it to, or None for any row that is not plainly good.
    ``cells`` are the row's text in ``plan.names`` order (a CSV row's own cells), an
    empty value for a missing one.

    A file is mostly rows of printable ASCII text that every rule accepts, and building
    the pydantic model was most of what checking such a row cost. This lane accepts a
    row only when each rule is met, and gives up (None) at the first doubt: a value that
    is not printable ASCII text, a value a rule would refuse or change other than by
    trimming or upper-casing. Such rows go through ``validate``, so every problem is
    still worded by the model itself. ``tests/imports/test_rows_quick.py`` checks that
    whatever this lane accepts, the model accepts as the same record. ``today`` is
    when the caller started checking its rows: no later than the model's own today, so a
    date of birth this lane takes the model takes too."""
    if type(agency_id) is not int or not 1 <= agency_id <= MAX_ID or len(cells) != len(plan.names):
        return None
    joined = "".join(cells)
    # Printable ASCII: no control character, tab, line break or non-ASCII space, so
    # ``strip`` trims spaces only, and stripping and upper-casing mean the same to
    # Python and to pydantic.
    if not (joined.isascii() and joined.isprintable()):
        return None
    local_id = cells[plan.local_id].strip()
    role = (
        PersonRole.CHILD
        if plan.role is None
        # Not trimmed: the model takes a role only as one of its names exactly.
        else _ROLES.get(cells[plan.role] or PersonRole.CHILD.value)
    )
    given_name = cells[plan.given_name].strip()
    family_name = cells[plan.family_name].strip()
    address = cells[plan.address].strip()
    postcode = cells[plan.postcode].strip().upper()
    if (
        not 0 < len(local_id) <= _MAX_LOCAL_ID
        or role is None
        or len(given_name) > _MAX_NAME
        or len(family_name) > _MAX_NAME
        or len(address) > _MAX_ADDRESS
        or len(postcode) > _MAX_POSTCODE
    ):
        return None
    known = _SEX_OR_MISSING.get(cells[plan.sex].strip().lower())
    if known is None:
        return None
    born_text = cells[plan.date_of_birth]  # not trimmed either, as the model reads it
    born = None
    if born_text:
        if not _ISO_DATE.fullmatch(born_text):
            return None
        try:
            born = date.fromisoformat(born_text)
        except ValueError:
            return None
        if not EARLIEST_DATE <= born <= LATEST_DATE or born > today:
            return None
    nhs: str | None = cells[plan.nhs_number].strip() or None
    given: list[tuple[IdentifierScheme, str]] = []
    try:
        if nhs is not None:
            nhs = nhs_normalise(nhs)
        for at, scheme in plan.identifiers:
            value = cells[at].strip()
            if value:
                if len(value) > _MAX_IDENTIFIER:
                    return None
                given.append((scheme, schemes.normalise(scheme, value)))
        if len(given) > MAX_IDENTIFIERS:
            return None
        if plan.reconcile:
            nhs, given = schemes.reconcile(nhs, given)
    except ValueError:
        return None
    if not (given_name or family_name or born or nhs or given):
        return None
    return GoodRecord(
        local_id,
        (agency_id, local_id, role, given_name, family_name, born, known, address, postcode, nhs),
        tuple(given),
    )


def check(
    row: Row, layout: Layout, agency_id: int, today: date | None = None
) -> GoodRecord | list[Problem]:
    """``validate``'s answer as the writer takes it: from the quick lane when the row is
    plainly good, else from the model (``check_rows`` of one row)."""
    return check_rows([row], layout, agency_id, today)[0]


def check_rows(
    rows: list[Row], layout: Layout, agency_id: int, today: date | None = None
) -> list[GoodRecord | list[Problem]]:
    """``check`` of each row, in order. A caller checking many rows gives ``today`` once
    (``clock.today()`` when it began), rather than each row asking the clock. A CSV row
    still in its cells (``Row.deferred``) goes through the quick lane as it is, its
    values by column made only if the model must see it."""
    plan = _plan(layout)
    today = clock.today() if today is None else today
    answers: list[GoodRecord | list[Problem]] = []
    for row in rows:
        if row.deferred:
            quick = _quick_cells(row.raw, plan, agency_id, today)
        else:
            quick = _quick_values(row.values, plan, agency_id, today)
        answers.append(quick if quick is not None else _by_model(row, layout, agency_id))
    return answers


def _by_model(row: Row, layout: Layout, agency_id: int) -> GoodRecord | list[Problem]:
    """``validate``'s answer as the writer takes it."""
    values = row.values if not row.deferred else csv_values(layout.columns, row.raw)
    record = validate(Row(row.line, values, row.raw), layout, agency_id)
    if isinstance(record, list):
        return record
    return GoodRecord(
        record.local_id,
        tuple(getattr(record, name) for name in STORED),
        tuple((i.scheme, i.value) for i in record.identifiers),
    )


def check_chunk(
    rows: list[tuple[int, dict[str, Any] | list[str]]],
    columns: list[str],
    identifier_columns: dict[str, IdentifierScheme],
    agency_id: int,
) -> list[GoodRecord | list[Problem]]:
    """``check`` of each row (its line, and its values or, for a deferred CSV row, its
    cells), in order, as a worker process does it: the writer keeps each row's raw
    text and alone quarantines; the identifier columns are the file's as the writer
    knew them when it read the rows (JSON Lines adds them as it meets them), so each
    row is checked as it would be in the writer itself."""
    return check_rows(
        [
            Row(line, given, None) if isinstance(given, dict) else Row(line, {}, given, True)
            for line, given in rows
        ],
        Layout("", columns, identifier_columns),
        agency_id,
    )


def quarantine_header(layout: Layout) -> list[str]:
    return [LINE, *(c for c in layout.columns if c != LINE)]


def quarantine_csv_row(row: Row, layout: Layout) -> list[str]:
    cells = [c for c, name in zip(row.raw, layout.columns, strict=False) if name != LINE]
    if len(row.raw) != len(layout.columns):
        cells = list(row.raw)
    return [str(row.line), *cells]


def quarantine_jsonl_row(row: Row) -> str:
    if isinstance(row.raw, dict):
        body = {k: v for k, v in row.raw.items() if k != LINE}
        return json.dumps({LINE: row.line, **body}, ensure_ascii=False)
    return json.dumps({LINE: row.line, "unreadable": row.raw}, ensure_ascii=False)
