"""Shared pieces for the pydantic schemas each domain package defines.

Input is refused at the edge when it could never be stored faithfully on every
backend: PostgreSQL rejects a NUL byte in text and an integer beyond its column,
and would otherwise turn both into a server error whose message carries the
values. So ids are bounded to the ``INTEGER`` columns they name, text may not
carry control characters, and dates must be real calendar dates within sane years.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from datetime import date, datetime
from types import UnionType
from typing import Annotated, Any, ClassVar, Union, get_args, get_origin

from annotated_types import Interval
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

MAX_ID = 2**31 - 1
"""The largest value an ``INTEGER`` id column holds on PostgreSQL (and so on every backend)."""

Id = Annotated[int, Interval(ge=1, le=MAX_ID)]
"""A row id, in a body, a path or a query: anything larger cannot name a row."""

EARLIEST_DATE = date(1900, 1, 1)
"""No child, parent or event this service records is older than this."""
LATEST_DATE = date(2099, 12, 31)
"""Nothing this service records or plans (an expiry, an end date) lies beyond this."""

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_CONTROL_OR_LINE_BREAK = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
CONTROL_MESSAGE = "Remove the control characters (such as NUL) from this text"
LINE_BREAK_MESSAGE = "This must be a single line, without control characters or tabs"


def parse_id(raw: str) -> int | None:
    """An id that arrived as text (a page path, a form), or None if it cannot name a row."""
    if not (raw.isascii() and raw.isdigit()) or len(raw) > len(str(MAX_ID)):
        return None
    ident = int(raw)
    return ident if 1 <= ident <= MAX_ID else None


def single_line(value: str) -> str:
    """Text for one line: no control characters at all, not even tabs or line breaks."""
    if _CONTROL_OR_LINE_BREAK.search(value):
        raise ValueError(LINE_BREAK_MESSAGE)
    return value


def plain_text(value: str) -> str:
    """The text as a reader sees it: invisible format characters (Unicode category Cf:
    zero-width spaces and joiners, direction marks, soft hyphens) removed, and each run
    of white space made one space.

    Read before judging whether a reason says anything, so that a reason made only of
    characters nobody can see, or padded out with them, is not taken for one.
    """
    visible = "".join(c for c in value if unicodedata.category(c) != "Cf")
    return " ".join(visible.split())


MIN_LETTERS = 2


def says_something(value: str) -> bool:
    """Whether a required free-text answer holds words, not just a mark to get past the
    field: at least ``MIN_LETTERS`` letters once invisible characters are set aside, so
    "-", "." or a zero-width space are not a reason."""
    return sum(c.isalpha() for c in plain_text(value)) >= MIN_LETTERS


SearchText = Annotated[str, StringConstraints(max_length=200), AfterValidator(single_line)]
"""Text typed into a search box and sent in a query string."""


def _scalar(annotation: Any) -> Any:
    """``bool`` or ``int`` when a field holds one of those (or None), else None."""
    if annotation is bool or annotation is int:
        return annotation
    origin = get_origin(annotation)
    if origin is Annotated:
        return _scalar(get_args(annotation)[0])
    if origin is Union or origin is UnionType:
        kinds = {_scalar(a) for a in get_args(annotation) if a is not type(None)}
        return kinds.pop() if len(kinds) == 1 else None
    return None


@functools.cache
def _expected_scalar(model: type[BaseModel], field_name: str) -> Any:
    """``_scalar`` of a model's field, worked out once: it runs for every field of every
    input, and a file import validates hundreds of thousands of rows."""
    return _scalar(model.model_fields[field_name].annotation)


def _text_values(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*_text_values(k), *_text_values(v))]
    if isinstance(value, list | tuple | set | frozenset):
        return [s for v in value for s in _text_values(v)]
    return []


DATE_FORMAT_HINT = "YYYY-MM-DD, for example 2019-03-27"
"""How every date is written in the API, named in each message about a date's form."""


def _calendar_date(value: object) -> object:
    """Only a date written as ``YYYY-MM-DD`` (or a date object): no numbers, no times."""
    if isinstance(value, datetime):
        raise ValueError("Enter a date without a time, as YYYY-MM-DD")
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
            try:
                return date.fromisoformat(value)
            except ValueError:
                return _refuse(f"Enter a real date as {DATE_FORMAT_HINT}")
        if re.fullmatch(r"[0-9]{8}", value):
            return _refuse(f"Enter the date as {DATE_FORMAT_HINT}")
    return _refuse(f"Enter a real date as {DATE_FORMAT_HINT}")


def _refuse(message: str) -> object:
    raise ValueError(message)


def _within_years(value: date) -> date:
    if value < EARLIEST_DATE:
        raise ValueError(f"This date cannot be before {EARLIEST_DATE.year}")
    if value > LATEST_DATE:
        raise ValueError(f"This date cannot be after {LATEST_DATE.year}")
    return value


CalendarDate = Annotated[date, BeforeValidator(_calendar_date), AfterValidator(_within_years)]
"""A real date between 1900 and 2099, written as ``YYYY-MM-DD``.

Each field adds its own nearer bound where it has one (a date of birth or an event
cannot be in the future), with a message that names what the date is.
"""


class RawInput(BaseModel):
    """Request bodies kept exactly as typed (passwords): unknown fields are an error.

    Every text value (in lists and mappings too) is refused if it holds control
    characters; the fields named in ``free_text`` may keep tabs and line breaks.
    """

    model_config = ConfigDict(extra="forbid")

    free_text: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="before")
    @classmethod
    def _no_coerced_scalars(cls, value: Any, info: ValidationInfo) -> Any:
        """A yes/no must be ``true`` or ``false`` and a number a number, not ``0`` or ``"7"``.

        FastAPI validates a parsed body in pydantic's lax mode, which would take
        ``0`` for ``false`` and ``"7"`` for ``7``; a client that sends those has
        misunderstood the field, and guessing what it meant is not safe.
        """
        if value is None:
            return value
        expected = _expected_scalar(cls, info.field_name or "")
        if expected is bool and not isinstance(value, bool):
            raise ValueError("Enter true or false")
        if expected is int and (isinstance(value, bool) or not isinstance(value, int)):
            raise ValueError("Enter a whole number (an integer)")
        return value

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None or isinstance(value, bool | int | float | date):
            return value  # no text in it (the common case, kept cheap for file imports)
        free_text = info.field_name in cls.free_text
        pattern = _CONTROL if free_text else _CONTROL_OR_LINE_BREAK
        texts = (value,) if isinstance(value, str) else _text_values(value)
        if any(pattern.search(text) for text in texts):
            raise ValueError(CONTROL_MESSAGE if free_text else LINE_BREAK_MESSAGE)
        return value


class Input(RawInput):
    """Request bodies, with the spaces around each text value trimmed."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Output(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Problem(BaseModel):
    field: str
    """The input at fault (``agency_id``, ``items.0.fields``), or empty for the whole request."""
    message: str


class Problems(BaseModel):
    """The body of every error the JSON API answers."""

    errors: list[Problem]


_PROBLEMS_JSON = {"application/json": {"schema": {"$ref": "#/components/schemas/Problems"}}}


def _problems(description: str, **more: Any) -> dict[str, Any]:
    return {"model": Problems, "description": description, "content": _PROBLEMS_JSON, **more}


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _problems("The body could not be read as JSON"),
    401: _problems("Not signed in, no second factor yet, or a recent sign-in is needed"),
    403: _problems("Refused by the access policy"),
    404: _problems("Missing, or held by an agency the caller may not see (the two look the same)"),
    409: _problems("Clashes with the current state"),
    413: _problems("The request body is too large"),
    422: _problems("Input that cannot be accepted; nothing changed"),
    429: _problems(
        "Too many failed attempts: the account is locked for a while",
        headers={
            "Retry-After": {
                "description": "Seconds until the lock ends",
                "schema": {"type": "integer"},
            }
        },
    ),
}
"""What any JSON route may answer besides success, declared once for the OpenAPI document."""
