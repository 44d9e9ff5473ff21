"""Requests for information as MAIS request objects (DfE/SocialCareData draft 0.1).

Another system (a MASH's case management system, another authority's Jigsaw) sends a
request for information as a MAIS request object; it is made here through the same
request service a practitioner uses, so the same policy decides and the same audit
entry records it. What the object says that a request made here has no column for is
kept beside the request (``RequestOrigin``), so importing the same object again finds
the same request, and exporting it gives back exactly what came in.

The object's purpose is a W3C DPV term. Several of Jigsaw's sharing purposes can share
one term (``consent.models.PURPOSE_DPV_TERMS``), so the object may name the purpose
within the term (``localPurpose``); an export always does, so nothing is lost.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from importlib.resources import files
from typing import Any

from jsonschema import Draft202012Validator  # type: ignore[import-untyped]
from jsonschema.exceptions import ValidationError as SchemaError  # type: ignore[import-untyped]
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from jigsaw.agreements.models import SharingAgreement
from jigsaw.audit import service as audit
from jigsaw.audit.actions import AuditAction
from jigsaw.audit.reads import audited_read
from jigsaw.clock import utcnow
from jigsaw.consent.models import PURPOSE_DPV_TERMS, SharingPurpose
from jigsaw.db import Database, UnitOfWork
from jigsaw.deadlines.values import Profile, Rag
from jigsaw.errors import Conflict, FieldProblem, InvalidInput
from jigsaw.identity.models import Agency, Practitioner
from jigsaw.interop.models import RequestOrigin
from jigsaw.people import nhs_number
from jigsaw.people.models import AgencyRecord
from jigsaw.policy.actor import Actor
from jigsaw.records.models import Category
from jigsaw.schemas import parse_id
from jigsaw.sharing import requests
from jigsaw.sharing.models import InformationRequest, RagRating
from jigsaw.sharing.schemas import RequestIn

LOCAL_ID = "local_id"
NHS_NUMBER = "nhs_number"
MOST_PROBLEMS = 25
"""A badly wrong object is told its first problems, not thousands."""

_TIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$", re.ASCII
)
_EARLIEST_YEAR, _LATEST_YEAR = 1900, 2099
CLOCK_SKEW = timedelta(minutes=5)
"""How far ahead of this service's clock a requesting system's clock may run: a request
said to be made later than that has a wrong timestamp, not an early one."""

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_NOT_ONE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_ONE_LINE = (
    ("/requestId", "requestId"),
    ("/requestingSystem", "requestingSystem"),
    ("/requester/identifier", "requester", "identifier"),
    ("/requester/organisation", "requester", "organisation"),
    ("/provider/organisation", "provider", "organisation"),
    ("/subject/value", "subject", "value"),
    ("/agreement", "agreement"),
)
"""The names and ids an object carries: each one line of visible text. (The schema's
patterns cannot say so: a JSON Schema ``$`` also matches before a final line break.)"""


class MaisInvalid(InvalidInput):
    """A MAIS request object that cannot be imported, with each problem at its JSON
    pointer (RFC 6901) into the object; nothing was written."""


@cache
def schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) a MAIS request object must meet."""
    text = files("jigsaw.interop").joinpath("schemas/mais-request.schema.json").read_text()
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@cache
def _validator() -> Draft202012Validator:
    Draft202012Validator.check_schema(schema())
    return Draft202012Validator(schema())


@dataclass(frozen=True)
class MaisRequest:
    """A request object that met the schema and whose values mean something here."""

    request_id: str
    requesting_system: str
    timestamp: datetime
    requester_identifier: str
    requester_organisation: str
    provider_organisation: str
    subject_type: str
    subject_value: str
    categories: list[Category]
    purpose: SharingPurpose
    agreement: str | None
    question: str
    rag: Rag
    due: datetime

    def as_object(self) -> dict[str, Any]:
        """The object in the one form an export writes (times in UTC, the local purpose
        named), so an import and the export of what it made can be compared exactly."""
        shown: dict[str, Any] = {
            "requestId": self.request_id,
            "requestingSystem": self.requesting_system,
            "timestamp": _iso(self.timestamp),
            "requester": {
                "identifier": self.requester_identifier,
                "organisation": self.requester_organisation,
            },
            "provider": {"organisation": self.provider_organisation},
            "subject": {"identifierType": self.subject_type, "value": self.subject_value},
            "dataCategories": [c.value for c in self.categories],
            "purpose": PURPOSE_DPV_TERMS[self.purpose],
            "localPurpose": self.purpose.value,
            "question": self.question,
            "rag": self.rag.value,
            "due": _iso(self.due),
        }
        if self.agreement is not None:
            shown["agreement"] = self.agreement
        return shown

    def digest(self) -> str:
        return digest(self.as_object())


@dataclass(frozen=True)
class Imported:
    request_id: int
    created: bool
    """False when the object had been imported before: the request it made is answered."""


def digest(shown: dict[str, Any]) -> str:
    canonical = json.dumps(shown, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# Reading an object


def read(raw: str | bytes) -> object:
    """The JSON value ``raw`` holds, refusing an object that names a field twice:
    parsers disagree on which of the two counts (Python's takes the last, others the
    first), so the sender's copy and this service's could say different things.
    ``ValueError`` (or ``RecursionError``) if it is not JSON at all."""
    return json.loads(raw, object_pairs_hook=_each_key_once)


def _each_key_once(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) < len(pairs):
        seen: set[str] = set()
        name = ""
        for key, _ in pairs:
            if key in seen:
                name = key
                break
            seen.add(key)
        named = f'"{name}"' if len(name) <= _LONGEST_NAME_SHOWN and _one_line(name) else "a field"
        raise MaisInvalid(FieldProblem("", f"Names {named} more than once: send each field once"))
    return found


def parse(value: object) -> MaisRequest:
    """The request the object describes, or ``MaisInvalid`` naming every problem found."""
    problems = [_problem(e) for e in _first(_validator().iter_errors(value))]
    flat = [p for group in problems for p in group][:MOST_PROBLEMS]
    if flat:
        raise MaisInvalid(*flat)
    assert isinstance(value, dict)
    found = _unreadable_text(value)
    if found:
        # Checked first and alone: a lone surrogate cannot even be digested or stored.
        raise MaisInvalid(*found)
    timestamp = _time(value["timestamp"], "/timestamp", found)
    if timestamp is not None and timestamp > utcnow() + CLOCK_SKEW:
        found.append(FieldProblem("/timestamp", "Must not be in the future"))
    due = _time(value["due"], "/due", found)
    if timestamp is not None and due is not None and due <= timestamp:
        found.append(FieldProblem("/due", "The due time must come after the timestamp"))
    purpose = _purpose(value["purpose"], value.get("localPurpose"), found)
    subject = value["subject"]
    if subject["identifierType"] == NHS_NUMBER:
        if not re.fullmatch(r"[0-9]{10}", subject["value"]):
            found.append(FieldProblem("/subject/value", "An NHS number is 10 digits"))
        elif not nhs_number.is_valid(subject["value"]):
            found.append(
                FieldProblem("/subject/value", "Not a valid NHS number: check its check digit")
            )
    if found:
        raise MaisInvalid(*found)
    assert timestamp is not None and due is not None and purpose is not None
    return MaisRequest(
        request_id=value["requestId"],
        requesting_system=value["requestingSystem"],
        timestamp=timestamp,
        requester_identifier=value["requester"]["identifier"],
        requester_organisation=value["requester"]["organisation"],
        provider_organisation=value["provider"]["organisation"],
        subject_type=subject["identifierType"],
        subject_value=subject["value"],
        categories=[Category(c) for c in value["dataCategories"]],
        purpose=purpose,
        agreement=value.get("agreement"),
        # Trimmed as a request made here is, so the export and its re-import agree.
        question=value["question"].strip(),
        rag=Rag(value["rag"]),
        due=due,
    )


def _unreadable_text(value: dict[str, Any]) -> list[FieldProblem]:
    found: list[FieldProblem] = []
    for at, *path in _ONE_LINE:
        text: Any = value
        for key in path:
            text = text.get(key) if isinstance(text, dict) else None
        if isinstance(text, str) and not _one_line(text):
            found.append(
                FieldProblem(
                    at, "Must be one line of visible text: no control or invisible characters"
                )
            )
    if _CONTROL.search(value["question"]):
        found.append(FieldProblem("/question", "Remove the control characters (such as NUL)"))
    return found


def _one_line(text: str) -> bool:
    """No control characters, line breaks or lone surrogates, and none of the invisible
    format characters (direction overrides, zero-width spaces) that make a name read
    as another."""
    return not _NOT_ONE_LINE.search(text) and not any(unicodedata.category(c) == "Cf" for c in text)


def _first(errors: Any) -> list[SchemaError]:
    taken: list[SchemaError] = []
    for error in errors:
        taken.append(error)
        if len(taken) >= MOST_PROBLEMS:
            break
    return sorted(taken, key=lambda e: (list(map(str, e.absolute_path)), str(e.validator)))


def pointer(path: Any) -> str:
    """An RFC 6901 JSON pointer to the value at ``path`` (keys and array indexes)."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


_LONGEST_NAME_SHOWN = 64


def _problem(error: SchemaError) -> list[FieldProblem]:
    """The error in words that say what to do, never repeating the value given (it may
    be a child's NHS number, or a megabyte of text)."""
    at = pointer(error.absolute_path)
    rule, wanted, instance = error.validator, error.validator_value, error.instance
    if rule == "required":
        present = instance.keys() if isinstance(instance, dict) else ()
        return [
            FieldProblem(f"{at}/{name}", "This is required")
            for name in wanted
            if name not in present
        ]
    if rule == "additionalProperties":
        known = error.schema.get("properties", {})
        extra = [k for k in instance if k not in known] if isinstance(instance, dict) else []
        shown = [k for k in extra if len(k) <= _LONGEST_NAME_SHOWN and _one_line(k)]
        problems = [
            FieldProblem(
                pointer([*error.absolute_path, k]), "Not part of a MAIS request: remove it"
            )
            for k in shown
        ]
        if len(shown) < len(extra):
            problems.append(FieldProblem(at, "Holds fields that are not part of a MAIS request"))
        return problems
    return [FieldProblem(at, _described(rule, wanted, at))]


_TYPES = {"object": "an object", "array": "a list", "string": "text", "integer": "a whole number"}


def _described(rule: str, wanted: Any, at: str) -> str:
    if rule == "type":
        return f"Must be {_TYPES.get(str(wanted), str(wanted))}"
    if rule == "enum":
        return "Must be one of: " + ", ".join(str(v) for v in wanted)
    if rule == "minLength":
        return "Must not be empty"
    if rule == "maxLength":
        return f"Must be at most {wanted} characters"
    if rule == "minItems":
        return f"Must list at least {wanted}"
    if rule == "maxItems":
        return f"Must list at most {wanted}"
    if rule == "uniqueItems":
        return "Must not list the same one twice"
    if rule == "pattern":
        if at == "/purpose":
            return "Must be a W3C DPV purpose written as dpv:Term, such as dpv:LegalCompliance"
        return "Must be letters, digits and . _ : / @ # - only"
    return "Not accepted here"


def _time(value: str, at: str, found: list[FieldProblem]) -> datetime | None:
    """An RFC 3339 time with its offset, in UTC; None (with a problem) otherwise."""
    message = "Must be a date and time with its offset, such as 2026-12-06T10:15:00Z"
    if not _TIME.fullmatch(value):
        found.append(FieldProblem(at, message))
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        found.append(FieldProblem(at, "Must be a real date and time"))
        return None
    if not _EARLIEST_YEAR <= parsed.year <= _LATEST_YEAR:
        found.append(FieldProblem(at, f"Must be between {_EARLIEST_YEAR} and {_LATEST_YEAR}"))
        return None
    return parsed.astimezone(UTC)


def _purpose(term: str, local: str | None, found: list[FieldProblem]) -> SharingPurpose | None:
    within = [p for p, t in PURPOSE_DPV_TERMS.items() if t == term]
    if not within:
        known = ", ".join(sorted(set(PURPOSE_DPV_TERMS.values())))
        found.append(
            FieldProblem(
                "/purpose", f"This DPV term is no sharing purpose here; use one of {known}"
            )
        )
        return None
    if local is not None:
        if SharingPurpose(local) not in within:
            found.append(
                FieldProblem(
                    "/localPurpose",
                    f"Not a purpose within {term}: use one of "
                    + ", ".join(p.value for p in within),
                )
            )
            return None
        return SharingPurpose(local)
    if len(within) > 1:
        found.append(
            FieldProblem(
                "/localPurpose",
                f"{term} covers several purposes here: name one of "
                + ", ".join(p.value for p in within),
            )
        )
        return None
    return within[0]


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


# Importing


_FIELDS = {
    "subject_record_id": "/subject/value",
    "recipient_agency_id": "/provider/organisation",
    "purpose": "/purpose",
    "categories": "/dataCategories",
    "question": "/question",
    "rag": "/rag",
    "agreement_override_reason": "/agreement",
    "agreement_review_confirmed": "/agreement",
}
"""Where a problem the request service finds lies in the object."""

_DENIED = (
    "The data sharing agreements in force do not allow this request, and an imported "
    "request cannot say why asking is still lawful: make it in Jigsaw, giving the reason"
)


def import_request(
    db: Database, actor: Actor, value: object, profile: Profile, *, system: str
) -> Imported:
    """Make the request the object describes, as ``actor`` (someone, or the service
    account, of the agency asking), or find the one an earlier import of it made.

    ``system`` is this service's own name: an object it exported names a request made
    here, which is found, never made twice.
    """
    wanted = parse(value)
    if isinstance(db, UnitOfWork):
        return _import(db, actor, wanted, profile, system)
    # The request and where it came from are written together or not at all.
    with db.unit_of_work() as work:
        return _import(work, actor, wanted, profile, system)


def _import(
    work: UnitOfWork, actor: Actor, wanted: MaisRequest, profile: Profile, system: str
) -> Imported:
    with work.transaction() as session:
        asking = _asking_agency(session, actor, wanted)
        earlier = _earlier(session, actor, wanted, system, asking)
        if earlier is not None:
            return Imported(earlier, created=False)
        data = _request_in(session, asking, wanted)
        try:
            made = requests.make_request(work, actor, data, profile, due=wanted.due)
        except InvalidInput as refused:
            raise MaisInvalid(*(_moved(p) for p in refused.problems)) from None
        session.add(
            RequestOrigin(
                request_id=made.id,
                requester_agency_id=asking.id,
                requesting_system=wanted.requesting_system,
                external_id=wanted.request_id,
                requested_at=wanted.timestamp,
                requester_identifier=wanted.requester_identifier,
                subject_identifier_type=wanted.subject_type,
                agreement_reference=wanted.agreement,
                content_digest=wanted.digest(),
                imported_at=utcnow(),
            )
        )
        try:
            session.flush()
        except IntegrityError:
            # Another import of the same object committed first; the request this one
            # made goes with the savepoint, and a retry finds the first.
            raise Conflict(
                f"Request {wanted.request_id} from {wanted.requesting_system} was being "
                "imported at the same moment: send it again to get the request it made"
            ) from None
        return Imported(made.id, created=True)


def _request_in(session: Session, asking: Agency, wanted: MaisRequest) -> RequestIn:
    body = {
        "subject_record_id": _subject(session, asking, wanted).id,
        "recipient_agency_id": _provider(session, wanted),
        "purpose": wanted.purpose,
        "categories": wanted.categories,
        "question": wanted.question,
        "rag": wanted.rag,
    }
    try:
        return RequestIn.model_validate(body)
    except ValidationError as refused:
        raise MaisInvalid(
            *(
                FieldProblem(_FIELDS.get(str(e["loc"][0]), ""), str(e["msg"]))
                for e in refused.errors(include_input=False)
            )
        ) from None


def _moved(problem: FieldProblem) -> FieldProblem:
    if problem.field == "agreement_override_reason":
        return FieldProblem("/agreement", _DENIED)
    return FieldProblem(_FIELDS.get(problem.field, ""), problem.message)


def _earlier(
    session: Session, actor: Actor, wanted: MaisRequest, system: str, asking: Agency
) -> int | None:
    """The request an earlier import of the same object by the asking agency made (or,
    for an object this service exported, the request it names); a different object
    under the same name is a clash, not a new request."""
    changed = Conflict(
        f"Request {wanted.request_id} from {wanted.requesting_system} is already here with "
        "different content: a changed request needs a new request id"
    )
    if wanted.requesting_system == system:
        own_id = parse_id(wanted.request_id)
        if own_id is None:
            raise MaisInvalid(FieldProblem("/requestId", "No request of this service has this id"))
        request = requests.visible_to(session, actor, own_id)
        if digest(as_object(session, request, system)) != wanted.digest():
            raise changed
        return request.id
    origin = session.scalar(
        select(RequestOrigin).where(
            RequestOrigin.requester_agency_id == asking.id,
            RequestOrigin.requesting_system == wanted.requesting_system,
            RequestOrigin.external_id == wanted.request_id,
        )
    )
    if origin is None:
        return None
    requests.visible_to(session, actor, origin.request_id)
    if origin.content_digest != wanted.digest():
        raise changed
    return origin.request_id


def _asking_agency(session: Session, actor: Actor, wanted: MaisRequest) -> Agency:
    """The importer's own agency, which the object must name as the one asking: asked
    before anything is looked up, so an object naming another agency learns nothing."""
    requester = session.get(Agency, actor.agency_id) if actor.agency_id is not None else None
    if requester is None or requester.name != wanted.requester_organisation:
        raise MaisInvalid(
            FieldProblem(
                "/requester/organisation", "You can import only requests your own agency makes"
            )
        )
    return requester


def _subject(session: Session, requester: Agency, wanted: MaisRequest) -> AgencyRecord:
    """The asking agency's own record of the child the object names."""
    column = AgencyRecord.local_id if wanted.subject_type == LOCAL_ID else AgencyRecord.nhs_number
    found = list(
        session.scalars(
            select(AgencyRecord)
            .where(AgencyRecord.agency_id == requester.id, column == wanted.subject_value)
            .limit(2)
        )
    )
    if not found:
        kind = "local id" if wanted.subject_type == LOCAL_ID else "NHS number"
        raise MaisInvalid(
            FieldProblem("/subject/value", f"Your agency holds no record with this {kind}")
        )
    if len(found) > 1:
        raise MaisInvalid(
            FieldProblem(
                "/subject/value",
                "More than one of your agency's records has this NHS number: name the child "
                "by your local id instead",
            )
        )
    return found[0]


def _provider(session: Session, wanted: MaisRequest) -> int:
    found = session.scalar(select(Agency.id).where(Agency.name == wanted.provider_organisation))
    if found is None:
        raise MaisInvalid(FieldProblem("/provider/organisation", "There is no agency of this name"))
    return found


# Exporting


@audited_read(AuditAction.REQUEST_VIEWED)
def export_request(db: Database, actor: Actor, request_id: int, *, system: str) -> dict[str, Any]:
    """The request as a MAIS request object, for either agency it is between.

    It names the child (by NHS number or the asking agency's local id) and carries the
    question, so it is a read of the request like opening it.
    """
    with db.transaction() as session:
        request = requests.visible_to(session, actor, request_id)
        shown = as_object(session, request, system)
        audit.append(
            session,
            actor,
            AuditAction.REQUEST_VIEWED,
            "information_request",
            request.id,
            refs={"format": "mais"},
        )
        return shown


def origin_of(session: Session, request_id: int) -> RequestOrigin | None:
    return session.scalar(select(RequestOrigin).where(RequestOrigin.request_id == request_id))


def as_object(session: Session, request: InformationRequest, system: str) -> dict[str, Any]:
    """The request as it stands, in the form ``MaisRequest.as_object`` writes."""
    origin = origin_of(session, request.id)
    record = session.get_one(AgencyRecord, request.subject_record_id)
    rating = session.scalars(
        select(RagRating)
        .where(RagRating.request_id == request.id)
        .order_by(RagRating.rated_at.desc(), RagRating.id.desc())
        .limit(1)
    ).one()
    if origin is not None:
        request_id, requesting_system = origin.external_id, origin.requesting_system
        timestamp, identifier = origin.requested_at, origin.requester_identifier
        subject_type, agreement = origin.subject_identifier_type, origin.agreement_reference
    else:
        request_id, requesting_system = str(request.id), system
        timestamp = request.created_at
        identifier = session.get_one(Practitioner, request.requester_id).email
        subject_type, agreement = NHS_NUMBER, _relied_on(session, request)
    nhs_number = record.nhs_number
    if subject_type == NHS_NUMBER and not nhs_number:
        subject_type = LOCAL_ID
    return MaisRequest(
        request_id=request_id,
        requesting_system=requesting_system,
        timestamp=timestamp,
        requester_identifier=identifier,
        requester_organisation=session.get_one(Agency, request.requester_agency_id).name,
        provider_organisation=session.get_one(Agency, request.recipient_agency_id).name,
        subject_type=subject_type,
        subject_value=nhs_number if subject_type == NHS_NUMBER and nhs_number else record.local_id,
        categories=[Category(c) for c in request.categories],
        purpose=request.purpose,
        agreement=agreement,
        question=request.question,
        rag=rating.rag,
        due=rating.due_at,
    ).as_object()


def _relied_on(session: Session, request: InformationRequest) -> str | None:
    """The agreement version the request was checked against when it was made here, as
    ``REFERENCE/vN``; None if the agreements were not asked or none applied."""
    agreement_id = getattr(request, "agreement_id", None)
    if agreement_id is None:
        return None
    agreement = session.get(SharingAgreement, agreement_id)
    return None if agreement is None else f"{agreement.reference}/v{agreement.version}"


def service_account(db: Database, account_id: int) -> Actor:
    """The agency's service account an import from the command line acts as: a request
    is always some agency's, asked by an account of that agency, never by the system."""
    with db.reading() as session:
        account = session.get(Practitioner, account_id)
        if account is None or not account.service_account or not account.active:
            raise InvalidInput.one(
                "--as", f"There is no active service account with id {account_id}"
            )
        return Actor(account.id, account.agency_id, account.role, mfa_verified=True)
