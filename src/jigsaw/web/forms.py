"""What every sharing and oversight page needs: who is looking, what was posted, problems
shown the GOV.UK way, and a one-line message carried across a redirect.

Routes stay thin: they read the form with ``Posted``, check it against a form model
with ``validate_form`` (or ``parse_form``), call one service, and turn the service's
``InvalidInput`` (or a schema's ``ValidationError``) into ``errors`` with ``problems``;
``templating.render`` passes them to the base layout, which shows the error summary
linked to each field.

A form model says in words how each of its fields goes wrong (``Says``), because a
person filling in a page must read "Enter your email address", never a validator's
"Field required".
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, TypedDict, TypeVar, get_args, get_origin

from fastapi import Depends, Request
from pydantic import (
    AfterValidator,
    GetCoreSchemaHandler,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError, core_schema
from starlette.datastructures import ImmutableMultiDict

from jigsaw.errors import InvalidInput, NotFound
from jigsaw.identity.dependencies import DB, CurrentActor
from jigsaw.linkage.access import may_review
from jigsaw.notifications import service as notifications
from jigsaw.policy import scopes
from jigsaw.policy.actor import Actor
from jigsaw.policy.authorize import Permission, is_permitted
from jigsaw.schemas import EARLIEST_DATE, LATEST_DATE, Input, RawInput, parse_id
from jigsaw.web.csrf import CSRF_FIELD, require_csrf
from jigsaw.web.templating import FLASH_KEY

CsrfChecked = [Depends(require_csrf)]

Errors = dict[str, str]
"""Field name to the message shown beside it, in the order the page shows the fields."""


def viewer(request: Request, actor: CurrentActor, db: DB) -> Actor:
    """The signed-in practitioner, remembered on the request for the layout's navigation.

    Which links the layout offers is presentation only: the services still refuse
    whatever the practitioner's role may not do. The navigation also counts the
    practitioner's unread notices, so what needs them shows on every page.
    """
    request.state.viewer = actor
    request.state.unread = notifications.unread_count(db, actor)
    request.state.oversight = is_permitted(actor, Permission.VIEW_ACCESS_LOG, actor.agency_id)
    request.state.finds_children = is_permitted(
        actor, Permission.RECORD_ABOUT_PEOPLE, actor.agency_id
    )
    request.state.reviews_links = may_review(actor)
    request.state.confirms_records = scopes.confirms_records(actor)
    return actor


Viewer = Annotated[Actor, Depends(viewer)]


class Form:
    """A posted form (or a query string) read as text: a file or a missing field is empty."""

    def __init__(self, data: ImmutableMultiDict[str, Any]) -> None:
        self.data = data

    def text(self, name: str) -> str:
        value = self.data.get(name)
        return value.strip() if isinstance(value, str) else ""

    def texts(self, name: str) -> list[str]:
        return [v.strip() for v in self.data.getlist(name) if isinstance(v, str) and v.strip()]

    def number(self, name: str) -> int | None:
        return number(self.text(name))


async def _posted(request: Request) -> Form:
    return Form(await request.form())


Posted = Annotated[Form, Depends(_posted)]


def number(raw: str) -> int | None:
    """An id typed or posted as text; anything else (or too large to name a row) is no id."""
    return parse_id(raw)


def path_id(raw: str, kind: str) -> int:
    """Ids in paths that are not numbers are pages that do not exist."""
    ident = number(raw)
    if ident is None:
        raise NotFound(kind, raw)
    return ident


def problems(
    error: InvalidInput | ValidationError, messages: Mapping[str, str] | None = None
) -> Errors:
    """Each field's first problem; ``messages`` words a field's problem for the page."""
    found: Errors = {}
    if isinstance(error, InvalidInput):
        pairs = [(p.field, p.message) for p in error.problems]
    else:
        pairs = [
            (".".join(str(part) for part in e["loc"]), e["msg"].removeprefix("Value error, "))
            for e in error.errors()
        ]
    for field, message in pairs:
        found.setdefault(field, (messages or {}).get(field, message))
    return found


DATE_PARTS = ("day", "month", "year")


def read_date(form: Form, name: str, label: str) -> tuple[date | None, str | None]:
    """A GOV.UK date input (``name-day``, ``-month``, ``-year``) as a date, or a message."""
    return date_from_parts([form.text(f"{name}-{part}") for part in DATE_PARTS], label)


def read_optional_date(form: Form, name: str, label: str) -> tuple[date | None, str | None]:
    """A date filter: blank is no filter, anything else must be a real date."""
    if not any(form.text(f"{name}-{part}") for part in DATE_PARTS):
        return None, None
    return read_date(form, name, label)


def read_date_range(
    form: Form, start: tuple[str, str], end: tuple[str, str], errors: Errors, backwards: str
) -> tuple[date | None, date | None]:
    """A from-and-to filter, each end a ``(name, label)``: either end may be left blank,
    and an end before the start is reported against the end, as ``backwards``."""
    since, problem = read_optional_date(form, *start)
    if problem:
        errors[start[0]] = problem
    until, problem = read_optional_date(form, *end)
    if problem:
        errors[end[0]] = problem
    if since and until and until < since:
        errors[end[0]] = backwards
    return since, until


def date_from_parts(parts: Sequence[str], label: str) -> tuple[date | None, str | None]:
    """The day, month and year typed into a GOV.UK date input as a date, or a message."""
    if not any(parts):
        return None, f"Enter {label}"
    if not all(p.isascii() and p.isdigit() and len(p) <= 4 for p in parts):
        return None, f"{label[:1].upper()}{label[1:]} must be a real date, using numbers only"
    day, month, year = (int(p) for p in parts)
    if year < 1000:
        return None, "Enter the year as 4 numbers, for example 2026"
    try:
        value = date(year, month, day)
    except ValueError:
        return None, f"{label[:1].upper()}{label[1:]} must be a real date"
    return value, outside_service_years(value)


def outside_service_years(value: date) -> str | None:
    """Why a date read from a page is refused, if it lies outside the years the service
    records (the same bounds as ``CalendarDate``), so arithmetic on it (the day after a
    filter's last day) cannot overflow and a page never accepts what the API refuses."""
    if value < EARLIEST_DATE:
        return f"The date cannot be before {EARLIEST_DATE.year}"
    if value > LATEST_DATE:
        return f"The date cannot be after {LATEST_DATE.year}"
    return None


def date_parts(value: date | None) -> dict[str, str]:
    """A date split for a GOV.UK date input's three boxes."""
    if value is None:
        return {"day": "", "month": "", "year": ""}
    return {"day": str(value.day), "month": str(value.month), "year": str(value.year)}


def flash(request: Request, message: str) -> None:
    """A success message for the next page shown, after a redirect."""
    request.session[FLASH_KEY] = message


# Form models


@dataclass(frozen=True)
class Says:
    """How a page words a field's problems, in the GOV.UK style.

    ``missing`` is for a field left empty ("Enter your email address", "Select the
    agency to ask"); it also answers a choice that is not one of the options, which
    only a tampered form can send. ``too_long`` defaults to the number of characters
    allowed; ``invalid`` (text that is not a number, say) defaults to ``missing``.
    A validator's own ``ValueError`` is shown as written, so write those for people.
    """

    missing: str
    too_long: str | None = None
    invalid: str | None = None


@dataclass(frozen=True)
class DateInput:
    """Marks a date field posted as a GOV.UK date input, three boxes named ``field-day``,
    ``field-month`` and ``field-year``; ``label`` names the date in its messages ("the
    child's date of birth"). All three left blank is a missing date (``Says.missing``).
    """

    label: str

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_before_validator_function(self._read, handler(source))

    def _read(self, value: Any) -> Any:
        if not isinstance(value, Mapping):
            return value
        parts = [str(value.get(part, "")).strip() for part in DATE_PARTS]
        found, problem = date_from_parts(parts, self.label)
        if problem:
            raise ValueError(problem)
        return found


class Problem(TypedDict):
    """One problem with a posted form, as the JSON API lists them too."""

    field: str
    message: str


class RawPageForm(RawInput):
    """A page form kept exactly as typed (passwords); control characters are still refused.

    A posted form holds only text, so a number or a yes/no is read from its text
    here, where the JSON API refuses ``"7"`` for ``7`` (``RawInput``).
    """

    @field_validator("*", mode="before")
    @classmethod
    def _no_coerced_scalars(cls, value: Any, info: ValidationInfo) -> Any:
        """Replaces ``RawInput``'s refusal of numbers and yes/no sent as text."""
        return value


class PageForm(Input):
    """A page form with the spaces around each value trimmed; see ``RawPageForm``."""

    @field_validator("*", mode="before")
    @classmethod
    def _no_coerced_scalars(cls, value: Any, info: ValidationInfo) -> Any:
        """Replaces ``RawInput``'s refusal of numbers and yes/no sent as text."""
        return value


def _offered(value: Any, info: ValidationInfo) -> Any:
    choices = ((info.context or {}).get("offered") or {}).get(info.field_name)
    if choices is not None and value not in choices:
        raise PydanticCustomError("enum", "Not one of the choices offered")
    return value


Offered = AfterValidator(_offered)
"""A choice that must be one of those the page offered (``validate_form``'s ``offered``):
the options come from the data, so no type can list them. Anything else is answered
with the field's ``Says.missing``, since to a person it means nothing was chosen."""

M = TypeVar("M", bound=RawInput)

_MISSING = {"missing", "string_too_short", "too_short"}
_TOO_LONG = {"string_too_long", "too_long"}
_WRITTEN = {"value_error", "assertion_error"}


def _keys(model: type[RawInput]) -> dict[str, str]:
    """Each field's name in the form (its alias, where the form's name is no Python name:
    ``fields-12``, ``from``) to its name in the model, in the order of the form."""
    return {info.alias or name: name for name, info in model.model_fields.items()}


def _says(model: type[RawInput], key: str) -> Says | None:
    info = model.model_fields.get(_keys(model).get(key, key))
    if info is None:
        return None
    found = [m for m in info.metadata if isinstance(m, Says)]
    found += [m for a in get_args(info.annotation) for m in _metadata(a) if isinstance(m, Says)]
    return found[0] if found else None


def _metadata(annotation: Any) -> tuple[Any, ...]:
    """What an ``Annotated`` inside an optional field carries (``Annotated[int, ...] | None``)."""
    return tuple(getattr(annotation, "__metadata__", ()))


def _listed(model: type[RawInput], field: str) -> bool:
    annotation = model.model_fields[field].annotation
    return get_origin(annotation) in (list, set, frozenset) or any(
        get_origin(a) in (list, set, frozenset) for a in get_args(annotation)
    )


def _message(model: type[RawInput], field: str, error: Mapping[str, Any]) -> str:
    kind = str(error["type"])
    if kind in _WRITTEN:
        return str(error["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    says = _says(model, field)
    if kind in _TOO_LONG:
        limit = (error.get("ctx") or {}).get("max_length")
        if says and says.too_long:
            return says.too_long
        return f"Enter {limit} characters or fewer" if limit else "Enter fewer characters"
    if says is None:
        return "Enter a valid answer" if kind not in _MISSING else "Enter an answer"
    if kind in _MISSING or kind in {"enum", "literal_error"}:
        return says.missing
    return says.invalid or says.missing


def form_values(form: Form, model: type[RawInput]) -> dict[str, Any]:
    """The posted fields the model has, as text; a field left blank counts as not sent.

    A model that trims its text (``Input``) has every value trimmed, choices and
    numbers too, and a value of only spaces is blank; blank is "missing", so an
    optional field keeps its default. The form token and any field the model does
    not name are not the model's business: a page reads only the fields it shows.
    """
    trims = bool(model.model_config.get("str_strip_whitespace"))
    values: dict[str, Any] = {}
    for key, name in _keys(model).items():
        if key == CSRF_FIELD:
            continue
        if any(isinstance(m, DateInput) for m in model.model_fields[name].metadata):
            parts = {part: form.text(f"{key}-{part}") for part in DATE_PARTS}
            if any(parts.values()):
                values[key] = parts
            continue
        raw = [v for v in form.data.getlist(key) if isinstance(v, str)]
        kept = [v.strip() if trims else v for v in raw if (v.strip() if trims else v)]
        if _listed(model, name):
            if kept:
                values[key] = kept
        elif kept:
            values[key] = kept[0]
    return values


def validate_form(
    form: Form, model: type[M], offered: Mapping[str, Collection[Any]] | None = None
) -> tuple[M | None, list[Problem]]:
    """The posted form as ``model``, or None and its problems in the order of the form.

    Each field's first problem only, worded by the field's ``Says``. ``offered``
    names, for each ``Offered`` field, the choices the page showed.
    """
    try:
        context = {"offered": dict(offered or {})}
        return model.model_validate(form_values(form, model), context=context), []
    except ValidationError as error:
        order = list(_keys(model))
        found: dict[str, str] = {}
        for e in error.errors(include_input=False, include_url=False):
            field = str(e["loc"][0]) if e["loc"] else ""
            found.setdefault(field, _message(model, field, e))
        ranked = sorted(found, key=lambda f: order.index(f) if f in order else len(order))
        return None, [{"field": f, "message": found[f]} for f in ranked]


async def parse_form(
    request: Request, model: type[M], offered: Mapping[str, Collection[Any]] | None = None
) -> tuple[M | None, list[Problem]]:
    """The submitted form checked against ``model``, for a page route that is async."""
    return validate_form(Form(await request.form()), model, offered)


def by_field(found: Sequence[Problem]) -> Errors:
    """Problems as ``render`` takes them: each field's message, in the order given."""
    errors: Errors = {}
    for problem in found:
        errors.setdefault(problem["field"], problem["message"])
    return errors
