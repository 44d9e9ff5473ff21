"""An agreement document: checked against the shipped JSON Schema, then read as terms.

The schema (``agreement.schema.json``, JSON Schema draft 2020-12) is the contract other
systems can check their documents against before sending them; the checks here that
the schema cannot express (dates that exist, a DPV term that matches the purpose, item
types Jigsaw knows) come after it. Every problem is reported with the field it is in,
so a Data Protection Officer pasting a document sees each one, not the first.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator  # type: ignore[import-untyped]
from jsonschema.exceptions import ValidationError  # type: ignore[import-untyped]

from jigsaw.consent.models import PURPOSE_DPV_TERMS, SharingPurpose
from jigsaw.errors import FieldProblem, InvalidInput
from jigsaw.policy.roles import AgencyKind
from jigsaw.records.models import Category
from jigsaw.records.types import shipped_types

SCHEMA_FILE = "agreement.schema.json"
MAX_DOCUMENT_BYTES = 256 * 1024
"""Far beyond any real agreement (the demo's are under 3 KB); refused before parsing."""
MAX_PROBLEMS = 50

ONWARD_TRANSFER = "onward_transfer"
USE_FOR_PURPOSE = "use_for_purpose"


class AgreementInvalid(InvalidInput):
    """The document is not an agreement Jigsaw can hold; each problem names its field."""

    def lines(self) -> list[str]:
        """One line per field, as the command line and the pages show them."""
        return [f"{p.field}: {p.message}" for p in self.problems]


@cache
def schema() -> dict[str, Any]:
    text = resources.files(__package__ or "jigsaw.agreements").joinpath(SCHEMA_FILE)
    loaded: dict[str, Any] = json.loads(text.read_text(encoding="utf-8"))
    return loaded


def demo_documents() -> list[dict[str, Any]]:
    """The demo's agreements, shipped in ``demo/``: a tier-1 partnership protocol, the
    Operation Encompass sector agreement and a bespoke health and MASH agreement."""
    folder = resources.files(__package__ or "jigsaw.agreements").joinpath("demo")
    found = sorted((f for f in folder.iterdir() if f.name.endswith(".json")), key=lambda f: f.name)
    return [json.loads(f.read_text(encoding="utf-8")) for f in found]


@cache
def _validator() -> Draft202012Validator:
    Draft202012Validator.check_schema(schema())
    return Draft202012Validator(schema())


@dataclass(frozen=True)
class Party:
    """A specific agency, or every agency of a kind."""

    agency_id: int | None = None
    agency_kind: AgencyKind | None = None

    def covers(self, agency_id: int, kind: AgencyKind) -> bool:
        return self.agency_id == agency_id or self.agency_kind == kind

    def names(self, agency_id: int) -> bool:
        return self.agency_id == agency_id


@dataclass(frozen=True)
class Prohibition:
    action: str
    purposes: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class Terms:
    """What a version says, typed: everything the validity check and the pages read."""

    reference: str
    tier: int
    title: str
    summary: str
    providers: tuple[Party, ...]
    recipients: tuple[Party, ...]
    data_categories: tuple[str, ...]
    purposes: tuple[SharingPurpose, ...]
    starts_on: date
    ends_on: date | None
    permitted_uses: tuple[str, ...]
    prohibitions: tuple[Prohibition, ...]
    delete_after_days: int
    notify_breach_within_hours: int
    breach_contact: str

    @property
    def onward_transfer_prohibited(self) -> bool:
        return any(p.action == ONWARD_TRANSFER for p in self.prohibitions)

    def purpose_prohibited(self, purpose: SharingPurpose) -> bool:
        return any(
            p.action == USE_FOR_PURPOSE and purpose.value in p.purposes for p in self.prohibitions
        )

    def covers_category(self, requested: str) -> bool:
        """Named itself, or an item type whose category is named."""
        if requested in self.data_categories:
            return True
        for category, types in shipped_types().by_category.items():
            if category.value in self.data_categories and any(t.code == requested for t in types):
                return True
        return False


def _parties(items: Iterable[Mapping[str, Any]]) -> tuple[Party, ...]:
    return tuple(
        Party(
            agency_id=item.get("agency_id"),
            agency_kind=AgencyKind(item["agency_kind"]) if "agency_kind" in item else None,
        )
        for item in items
    )


def read_terms(document: Mapping[str, Any]) -> Terms:
    """The terms of a document already checked by ``check_document`` (as stored)."""
    duties = document["duties"]
    breach = duties["notify_on_breach"]
    end = document.get("end_date")
    return Terms(
        reference=document["reference"],
        tier=int(document["tier"]),
        title=document["title"],
        summary=document.get("summary", ""),
        providers=_parties(document["provider"]),
        recipients=_parties(document["recipient"]),
        data_categories=tuple(document["data_categories"]),
        purposes=tuple(SharingPurpose(p["purpose"]) for p in document["purposes"]),
        starts_on=date.fromisoformat(document["start_date"]),
        ends_on=date.fromisoformat(end) if end else None,
        permitted_uses=tuple(document.get("permitted_uses", ())),
        prohibitions=tuple(
            Prohibition(p["action"], tuple(p.get("purposes", ())), p.get("note", ""))
            for p in document["prohibitions"]
        ),
        delete_after_days=int(duties["delete_after_days"]),
        notify_breach_within_hours=int(breach["within_hours"]),
        breach_contact=breach.get("contact", ""),
    )


# Reading what was sent


def parse_document(text: str | bytes) -> dict[str, Any]:
    """The JSON object in ``text``, or ``AgreementInvalid`` saying why not."""
    size = len(text.encode("utf-8") if isinstance(text, str) else text)
    if size > MAX_DOCUMENT_BYTES:
        raise AgreementInvalid(
            FieldProblem(
                "document",
                f"is {size:,} bytes; an agreement may be at most {MAX_DOCUMENT_BYTES:,} bytes",
            )
        )
    try:
        parsed = json.loads(text)
    except (ValueError, RecursionError) as error:
        where = (
            f" (line {error.lineno}, column {error.colno})"
            if isinstance(error, json.JSONDecodeError)
            else ""
        )
        raise AgreementInvalid(FieldProblem("document", f"is not valid JSON{where}")) from error
    if not isinstance(parsed, dict):
        raise AgreementInvalid(FieldProblem("document", "must be a JSON object"))
    return parsed


def _path(parts: Iterable[Any]) -> str:
    return ".".join(str(p) for p in parts) or "document"


_PATTERN_HINTS: dict[str, str] = {
    "reference": "must start with a letter or digit and use only letters, digits, . _ / -",
    "start_date": "must be a date written YYYY-MM-DD",
    "end_date": "must be a date written YYYY-MM-DD",
    "data_categories": "must be a category or item type code (lower case, digits and _)",
    "dpv": "must be a W3C DPV purpose term such as dpv:LegalCompliance",
    "purposes": "must be a Jigsaw sharing purpose",
}

_TYPE_WORDS = {
    "object": "an object",
    "array": "a list",
    "string": "text",
    "integer": "a whole number",
    "boolean": "true or false",
    "null": "null",
}


def _message(error: ValidationError) -> tuple[str, str]:
    """(field, message) in words a Data Protection Officer can act on."""
    path = list(error.absolute_path)
    kind = error.validator
    if kind == "required":
        missing = str(error.message).split("'")[1] if "'" in error.message else ""
        return _path([*path, missing]), "is required"
    if kind == "additionalProperties":
        extra = sorted(
            set(error.instance) - set(error.schema.get("properties", {}))
            if isinstance(error.instance, dict)
            else ()
        )
        return _path(path), f"has fields an agreement does not have: {', '.join(extra)}"
    if kind == "enum":
        choices = ", ".join(str(c) for c in error.validator_value)
        return _path(path), f"must be one of: {choices}"
    if kind == "type":
        wanted = error.validator_value
        names = wanted if isinstance(wanted, list) else [wanted]
        return _path(path), "must be " + " or ".join(_TYPE_WORDS.get(n, str(n)) for n in names)
    if kind == "pattern":
        named = next((str(p) for p in reversed(path) if isinstance(p, str)), "")
        return _path(path), _PATTERN_HINTS.get(named, "is not in the expected form")
    if kind in ("minItems", "minProperties"):
        return _path(path), "must not be empty"
    if kind == "maxItems":
        return _path(path), f"may hold at most {error.validator_value} entries"
    if kind == "maxProperties":
        return _path(path), "must name either agency_id or agency_kind, not both"
    if kind == "minLength":
        return _path(path), f"must be at least {error.validator_value} characters"
    if kind == "maxLength":
        return _path(path), f"must be at most {error.validator_value} characters"
    if kind == "minimum":
        return _path(path), f"must be at least {error.validator_value}"
    if kind == "maximum":
        return _path(path), f"must be at most {error.validator_value}"
    if kind == "uniqueItems":
        return _path(path), "names something twice"
    if kind == "anyOf" and path and path[-1] == "end_date":
        return _path(path), "must be a date written YYYY-MM-DD, or null for no end date"
    return _path(path), "is not valid here"


def _schema_problems(document: Mapping[str, Any]) -> list[FieldProblem]:
    """One problem per field: the most basic (the wrong type of value) when there are more."""
    found: dict[str, str] = {}
    errors = sorted(
        _validator().iter_errors(document),
        key=lambda e: ([str(p) for p in e.absolute_path], e.validator != "type"),
    )
    for error in errors:
        if error.validator in ("if", "then"):
            continue
        field, message = _message(error)
        found.setdefault(field, message)
    return [FieldProblem(field, message) for field, message in found.items()]


def _date(document: Mapping[str, Any], field: str, problems: list[FieldProblem]) -> date | None:
    value = document.get(field)
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        problems.append(FieldProblem(field, "is not a date that exists"))
        return None


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_CONTROL_OR_LINE_BREAK = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
ONE_LINE = frozenset({"reference", "title"})
"""Fields shown as a heading or a name: no line breaks either."""


def _texts(value: Any, path: tuple[Any, ...] = ()) -> Iterable[tuple[tuple[Any, ...], str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, Mapping):
        for key, inner in value.items():
            yield from _texts(inner, (*path, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _texts(inner, (*path, index))


def _text_problems(document: Mapping[str, Any]) -> list[FieldProblem]:
    """Control characters are never part of an agreement, and the database may refuse
    them (PostgreSQL stores no NUL); they are named, not stored."""
    problems = []
    for path, text in _texts(document):
        pattern = _CONTROL_OR_LINE_BREAK if path[:1] and path[0] in ONE_LINE else _CONTROL
        if pattern.search(text):
            problems.append(FieldProblem(_path(path), "contains a control character"))
    return problems


def _meaning_problems(document: Mapping[str, Any]) -> list[FieldProblem]:
    """What the schema cannot say: real dates in order, DPV terms, known item types."""
    problems = _text_problems(document)
    start = _date(document, "start_date", problems)
    end = _date(document, "end_date", problems)
    if start and end and end < start:
        problems.append(FieldProblem("end_date", "must be on or after the start date"))
    provider, recipient = document.get("provider", []), document.get("recipient", [])
    if provider == recipient and len(provider) == 1 and "agency_id" in provider[0]:
        problems.append(
            FieldProblem(
                "recipient", "names the provider again: an agreement is between two agencies"
            )
        )
    for index, item in enumerate(document.get("purposes", ())):
        purpose = SharingPurpose(item["purpose"])
        expected = PURPOSE_DPV_TERMS[purpose]
        if item["dpv"] != expected:
            problems.append(
                FieldProblem(
                    f"purposes.{index}.dpv",
                    f"{purpose.value} is the DPV purpose {expected}, not {item['dpv']}",
                )
            )
    known = {c.value for c in Category} | shipped_types().codes
    for index, code in enumerate(document.get("data_categories", ())):
        if code not in known:
            problems.append(
                FieldProblem(
                    f"data_categories.{index}",
                    f"{code} is neither an item category nor an item type Jigsaw records",
                )
            )
    purposes = {p.value for p in SharingPurpose}
    for index, item in enumerate(document.get("prohibitions", ())):
        for inner, named in enumerate(item.get("purposes", ())):
            if named not in purposes:
                problems.append(
                    FieldProblem(
                        f"prohibitions.{index}.purposes.{inner}",
                        f"{named} is not a Jigsaw sharing purpose",
                    )
                )
    return problems


def check_document(document: Mapping[str, Any]) -> Terms:
    """The document's terms, or ``AgreementInvalid`` naming every problem by its field."""
    problems = _schema_problems(document)
    if not problems:
        problems = _meaning_problems(document)
    if problems:
        raise AgreementInvalid(*problems[:MAX_PROBLEMS])
    return read_terms(document)
