"""Who may do what: the Python side of the one access policy, ``policy.cedar``.

The rules themselves are Cedar (``policy.cedar``, with its schema in
``policy.cedarschema``), written to be read by a Data Protection Officer. This module
only turns a question into a Cedar request: the actor becomes the principal, the
permission the action, and the resource is the *grant* that would make the access
legitimate (the actor's agency, a disclosure, a break-glass session, a request, a
decision), with the facts found in the database as its attributes or as context.
Callers ask once per grant, never once per row; list queries filter in SQL with
filters worked out from the policy itself (``scopes``), and property tests hold the two
to agreement.

The policy and schema are parsed and validated once, when this module is imported, so
a policy that does not validate stops the service from starting.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from functools import cache
from importlib.resources import files
from typing import Any

import cedarpy

from jigsaw.clock import utcnow
from jigsaw.errors import NotPermitted
from jigsaw.policy.actor import Actor
from jigsaw.policy.roles import Role

NAMESPACE = "Jigsaw"


class Permission(StrEnum):
    """Each is a Cedar action of the same name."""

    MANAGE_AGENCIES = "manage_agencies"
    MANAGE_PRACTITIONERS = "manage_practitioners"
    ISSUE_API_TOKENS = "issue_api_tokens"
    OVERSEE_API_TOKENS = "oversee_api_tokens"
    RUN_LINKAGE = "run_linkage"
    APPLY_RETENTION = "apply_retention"
    RUN_SCHEDULED_WORK = "run_scheduled_work"
    REVIEW_LINKS = "review_links"
    RECORD_ABOUT_PEOPLE = "record_about_people"
    READ_OWN_AGENCY_RECORDS = "read_own_agency_records"
    VIEW_COLLEAGUES = "view_colleagues"
    EXPORT_DECISIONS = "export_decisions"
    VIEW_REGISTER = "view_register"
    VIEW_ACCESS_LOG = "view_access_log"
    VIEW_WHO_KNOWS = "view_who_knows"
    VIEW_WHO_KNOWS_KINDS = "view_who_knows_kinds"
    CONFIRM_AGENCY_RECORD = "confirm_agency_record"
    VIEW_CHRONOLOGY = "view_chronology"
    VIEW_PATTERN_FLAGS = "view_pattern_flags"
    START_BREAK_GLASS = "start_break_glass"
    USE_BREAK_GLASS = "use_break_glass"
    END_BREAK_GLASS = "end_break_glass"
    VIEW_DISCLOSURE = "view_disclosure"
    REVOKE_DISCLOSURE = "revoke_disclosure"
    VIEW_DECISION = "view_decision"
    ACT_ON_DECISION = "act_on_decision"
    VIEW_REQUEST = "view_request"
    ANSWER_REQUEST = "answer_request"
    VIEW_ADVICE = "view_advice"
    ANSWER_ADVICE = "answer_advice"
    ASK_ADVICE = "ask_advice"
    VIEW_PROTECTED_IDENTITY = "view_protected_identity"
    VIEW_NOTIFICATION = "view_notification"
    VIEW_ENCOMPASS_NOTICE = "view_encompass_notice"
    MANAGE_AGREEMENTS = "manage_agreements"
    VIEW_AGREEMENTS = "view_agreements"
    CHECK_AGREEMENT = "check_agreement"


class Purpose(StrEnum):
    """Facts about a practitioner and a person that can make looking at the person legitimate."""

    HOLDS_RECORD = "holds_record"
    """Their agency holds a confirmed record linked to the person: one the service
    imported, or one a practitioner made that a second person has confirmed."""
    HOLDS_UNCONFIRMED_RECORD = "holds_unconfirmed_record"
    """Their agency's only records linked to the person were made by a practitioner and
    still wait for a second person to confirm them."""
    OPEN_REQUEST = "open_request"
    """Their agency made or received a request for information about the person that is
    still waiting for a decision."""
    RECEIVED_DISCLOSURE = "received_disclosure"
    """Information about the person has been disclosed to them (or their agency's inbox)
    and the disclosure is still active."""
    BREAK_GLASS = "break_glass"
    """They have an active break-glass session on the person."""


_REFUSALS: dict[Permission, str] = {
    Permission.MANAGE_AGENCIES: (
        "Only the service administrator, signed in within the last few minutes, can add agencies."
    ),
    Permission.MANAGE_PRACTITIONERS: (
        "Only an administrator of this agency, signed in within the last few minutes, can "
        "add or change its accounts; the service administrator appoints only an agency's "
        "administrators."
    ),
    Permission.ISSUE_API_TOKENS: (
        "Only an administrator of this agency, signed in within the last few minutes, can "
        "issue API tokens for its service accounts."
    ),
    Permission.OVERSEE_API_TOKENS: (
        "Only an administrator of this agency, signed in as a person, can see or revoke its "
        "API tokens."
    ),
    Permission.RUN_LINKAGE: "Only an administrator can start a linkage run.",
    Permission.APPLY_RETENTION: (
        "Only the data controller's scheduled jobs erase records or change their keys."
    ),
    Permission.RUN_SCHEDULED_WORK: (
        "Only the data controller's worker runs scheduled jobs (reminders, retention, checkpoints)."
    ),
    Permission.REVIEW_LINKS: (
        "Only a linkage reviewer, signed in with a second factor, can see the link review "
        "queue or change which records are linked."
    ),
    Permission.RECORD_ABOUT_PEOPLE: "You can only record information for your own agency.",
    Permission.READ_OWN_AGENCY_RECORDS: "You can only see your own agency's records.",
    Permission.VIEW_COLLEAGUES: "You can only see who works in your own agency.",
    Permission.EXPORT_DECISIONS: "You can only export your own agency's decisions",
    Permission.VIEW_REGISTER: "Only a DPO, Caldicott Guardian or auditor can see the register",
    Permission.VIEW_ACCESS_LOG: (
        "Only a DPO, Caldicott Guardian or auditor can see the access log"
    ),
    Permission.VIEW_WHO_KNOWS: (
        "You can see who else knows a child only when your agency holds a record of them, "
        "or in the MASH while a request for information about them is open."
    ),
    Permission.VIEW_WHO_KNOWS_KINDS: (
        "You can see who else knows a child only when your agency holds a record of them, "
        "or in the MASH while a request for information about them is open."
    ),
    Permission.CONFIRM_AGENCY_RECORD: (
        "A record is confirmed by your agency's designated safeguarding lead, MASH "
        "practitioner or Caldicott Guardian, signed in as a person, and never by the "
        "person who made it."
    ),
    Permission.VIEW_CHRONOLOGY: (
        "You can see a child's chronology only when your agency holds a record of them, "
        "information about them has been shared with you, or in the MASH while a request "
        "for information about them is open."
    ),
    Permission.VIEW_PATTERN_FLAGS: (
        "You can see patterns in a child's information only when your agency holds a record "
        "of them, information about them has been shared with you, or in the MASH while a "
        "request for information about them is open."
    ),
    Permission.START_BREAK_GLASS: (
        "Only a MASH practitioner or a Caldicott Guardian can use emergency access."
    ),
    Permission.USE_BREAK_GLASS: "This emergency access has ended.",
    Permission.END_BREAK_GLASS: "Only the practitioner who started emergency access can end it.",
    Permission.VIEW_DISCLOSURE: "This disclosure is not to you, or is no longer active.",
    Permission.REVOKE_DISCLOSURE: "Only the agency that made a disclosure can revoke it.",
    Permission.VIEW_DECISION: "You can only see your own agency's decisions.",
    Permission.ACT_ON_DECISION: "Your agency has no such decision.",
    Permission.VIEW_REQUEST: "This request was not made by or to your agency.",
    Permission.ANSWER_REQUEST: "That request was not made to your agency.",
    Permission.VIEW_ADVICE: "This advice was not asked of you or by you.",
    Permission.ANSWER_ADVICE: "Only the colleague or role asked can answer this",
    Permission.ASK_ADVICE: (
        "Outside your agency, ask only a Data Protection Officer, Caldicott Guardian, LADO "
        "or the MASH, and keep the child anonymous. To share who the child is with another "
        "agency, record a sharing decision and make a disclosure."
    ),
    Permission.VIEW_PROTECTED_IDENTITY: "This would reveal someone's protected identity.",
    Permission.VIEW_NOTIFICATION: "This notice is not to you or your agency.",
    Permission.VIEW_ENCOMPASS_NOTICE: (
        "Operation Encompass notices are opened only by the designated safeguarding lead "
        "they were sent to."
    ),
    Permission.MANAGE_AGREEMENTS: (
        "Only the Data Protection Officer or Caldicott Guardian of the agency that keeps an "
        "agreement, signed in as a person, can register, approve, supersede or end it."
    ),
    Permission.VIEW_AGREEMENTS: (
        "Only a Data Protection Officer, Caldicott Guardian or auditor can see the "
        "agreements register."
    ),
    Permission.CHECK_AGREEMENT: (
        "You can only check a share your own agency would make or receive."
    ),
}


def refusal(permission: Permission) -> str:
    """What to tell a practitioner who was refused: safe to show, and something to act on."""
    return _REFUSALS[permission]


# The policy, loaded once


class PolicyInvalid(RuntimeError):
    """The policy file does not validate against its schema; the service must not start."""


@dataclass(frozen=True)
class LoadedPolicy:
    text: str
    schema_text: str
    policies: cedarpy.PolicySet
    schema: cedarpy.Schema
    version: str


def policy_text() -> str:
    return files("jigsaw.policy").joinpath("policy.cedar").read_text(encoding="utf-8")


def schema_text() -> str:
    return files("jigsaw.policy").joinpath("policy.cedarschema").read_text(encoding="utf-8")


def validate(text: str, schema: str) -> list[str]:
    """The validation errors of a policy against a schema (none: it is sound)."""
    result = cedarpy.validate_policies(text, schema)
    return [str(e) for e in result.errors] if not result.validation_passed else []


def _version(text: str) -> str:
    for line in text.splitlines():
        if "version" in line and line.startswith("//"):
            return line.rsplit("version", 1)[1].strip()
    raise PolicyInvalid("policy.cedar does not say its version in its header")


@cache
def loaded() -> LoadedPolicy:
    text, schema = policy_text(), schema_text()
    problems = validate(text, schema)
    if problems:
        raise PolicyInvalid("policy.cedar does not validate: " + "; ".join(problems))
    return LoadedPolicy(
        text,
        schema,
        cedarpy.PolicySet.from_str(text),
        cedarpy.Schema.from_str(schema),
        _version(text),
    )


# Entities: the principal and the grants


@dataclass(frozen=True)
class Entity:
    """A Cedar entity built from the database for one question."""

    type: str
    id: str
    attrs: Mapping[str, Any] = field(default_factory=dict)
    parents: tuple[tuple[str, str], ...] = ()

    @property
    def uid(self) -> dict[str, str]:
        return {"type": f"{NAMESPACE}::{self.type}", "id": self.id}

    def as_json(self) -> dict[str, Any]:
        return {
            "uid": self.uid,
            "attrs": dict(self.attrs),
            "parents": [{"type": f"{NAMESPACE}::{t}", "id": i} for t, i in self.parents],
        }


def _ref(kind: str, ident: int | str) -> dict[str, dict[str, str]]:
    return {"__entity": {"type": f"{NAMESPACE}::{kind}", "id": str(ident)}}


def _when(moment: datetime) -> dict[str, dict[str, str]]:
    """A Cedar datetime (millisecond precision, UTC)."""
    at = moment.astimezone(UTC)
    text = at.strftime("%Y-%m-%dT%H:%M:%S") + f".{at.microsecond // 1000:03d}Z"
    return {"__extn": {"fn": "datetime", "arg": text}}


def principal_of(actor: Actor) -> Entity:
    ident = "system" if actor.is_system else str(actor.practitioner_id)
    parents = (("Agency", str(actor.agency_id)),) if actor.agency_id is not None else ()
    return Entity(
        "Practitioner",
        ident,
        {
            "role": actor.role.value,
            "mfa_verified": actor.mfa_verified,
            "via_token": actor.is_token,
        },
        parents,
    )


def service() -> Entity:
    return Entity("Service", "jigsaw")


def agency(agency_id: int | None) -> Entity:
    """An agency; an unknown one (None) is no one's."""
    return Entity("Agency", "none" if agency_id is None else str(agency_id))


def agency_ref(agency_id: int) -> dict[str, dict[str, str]]:
    """An agency named in a request's context (where something would go)."""
    return _ref("Agency", agency_id)


def person(person_id: int | None) -> Entity:
    return Entity("Person", "none" if person_id is None else str(person_id))


def disclosure(
    disclosure_id: int,
    *,
    disclosing_agency_id: int,
    recipient_agency_id: int,
    recipient_practitioner_id: int | None,
    expires_at: datetime,
    revoked: bool,
) -> Entity:
    attrs: dict[str, Any] = {
        "disclosing_agency": _ref("Agency", disclosing_agency_id),
        "recipient_agency": _ref("Agency", recipient_agency_id),
        "expires_at": _when(expires_at),
        "revoked": revoked,
    }
    if recipient_practitioner_id is not None:
        attrs["recipient_practitioner"] = _ref("Practitioner", recipient_practitioner_id)
    return Entity("Disclosure", str(disclosure_id), attrs)


def agency_record(record_id: int, agency_id: int, recorded_by_id: int | None) -> Entity:
    """An agency's record of a person; ``recorded_by_id`` is None when the service made it."""
    attrs: dict[str, Any] = {"agency": _ref("Agency", agency_id)}
    if recorded_by_id is not None:
        attrs["recorded_by"] = _ref("Practitioner", recorded_by_id)
    return Entity("AgencyRecord", str(record_id), attrs)


def decision(decision_id: int, agency_id: int) -> Entity:
    return Entity("Decision", str(decision_id), {"agency": _ref("Agency", agency_id)})


def information_request(
    request_id: int, requester_agency_id: int, recipient_agency_id: int
) -> Entity:
    return Entity(
        "InformationRequest",
        str(request_id),
        {
            "requester_agency": _ref("Agency", requester_agency_id),
            "recipient_agency": _ref("Agency", recipient_agency_id),
        },
    )


def advice_request(
    advice_id: int,
    *,
    agency_id: int,
    asked_by_id: int,
    to_practitioner_id: int | None,
    to_role: str | None,
) -> Entity:
    attrs: dict[str, Any] = {
        "agency": _ref("Agency", agency_id),
        "asked_by": _ref("Practitioner", asked_by_id),
    }
    if to_practitioner_id is not None:
        attrs["to_practitioner"] = _ref("Practitioner", to_practitioner_id)
    if to_role is not None:
        attrs["to_role"] = to_role
    return Entity("AdviceRequest", str(advice_id), attrs)


def notification(notice_id: int, agency_id: int, addressee_id: int | None) -> Entity:
    """A notice; ``addressee_id`` is None when it went to the agency's inbox."""
    attrs: dict[str, Any] = {"agency": _ref("Agency", agency_id)}
    if addressee_id is not None:
        attrs["addressee"] = _ref("Practitioner", addressee_id)
    return Entity("Notification", str(notice_id), attrs)


def break_glass_session(
    session_id: int,
    *,
    practitioner_id: int,
    person_id: int,
    expires_at: datetime,
    ended: bool,
) -> Entity:
    return Entity(
        "BreakGlassSession",
        str(session_id),
        {
            "practitioner": _ref("Practitioner", practitioner_id),
            "person": _ref("Person", person_id),
            "expires_at": _when(expires_at),
            "ended": ended,
        },
    )


# Asking


def _context(
    permission: Permission, context: Mapping[str, Any] | None, purposes: Collection[Purpose]
) -> dict[str, Any]:
    if permission in _STANDING:
        return {p.value: p in purposes for p in Purpose}
    out: dict[str, Any] = {}
    for name, value in (context or {}).items():
        out[name] = _when(value) if isinstance(value, datetime) else value
    return out


_STANDING = frozenset(
    {
        Permission.VIEW_WHO_KNOWS,
        Permission.VIEW_WHO_KNOWS_KINDS,
        Permission.VIEW_CHRONOLOGY,
        Permission.VIEW_PATTERN_FLAGS,
    }
)


def _request(
    actor: Actor, permission: Permission, resource: Entity, context: dict[str, Any]
) -> Any:
    return {
        "principal": principal_of(actor).uid,
        "action": {"type": f"{NAMESPACE}::Action", "id": permission.value},
        "resource": resource.uid,
        "context": context,
    }


def allowed_each(
    actor: Actor,
    permission: Permission,
    resources: Sequence[Entity],
    context: Mapping[str, Any] | None = None,
    *,
    purposes: Collection[Purpose] = (),
) -> list[bool]:
    """One decision per grant, asked in one batch. An error in evaluation refuses."""
    if not resources:
        return []
    policy = loaded()
    facts = _context(permission, context, purposes)
    entities: dict[str, dict[str, Any]] = {}
    for entity in (principal_of(actor), *resources):
        entities.setdefault(f"{entity.type}:{entity.id}", entity.as_json())
    results = cedarpy.is_authorized_batch(
        [_request(actor, permission, r, facts) for r in resources],
        policy.policies,
        list(entities.values()),
        policy.schema,
    )
    return [r.allowed for r in results]


def allowed(
    actor: Actor,
    permission: Permission,
    resource: Entity,
    context: Mapping[str, Any] | None = None,
    *,
    purposes: Collection[Purpose] = (),
) -> bool:
    """Whether the policy permits ``permission`` on this one grant."""
    return allowed_each(actor, permission, [resource], context, purposes=purposes)[0]


def check(
    actor: Actor,
    permission: Permission,
    resource: Entity,
    context: Mapping[str, Any] | None = None,
) -> None:
    """Raise ``NotPermitted`` with a reason the practitioner can act on."""
    if not allowed(actor, permission, resource, context):
        raise NotPermitted(refusal(permission))


def permitted_grants(
    actor: Actor,
    permission: Permission,
    grants: Iterable[Entity],
    context: Mapping[str, Any] | None = None,
) -> set[str]:
    """The ids of the grants the policy permits, asked grant by grant."""
    listed = list(grants)
    return {
        g.id
        for g, ok in zip(listed, allowed_each(actor, permission, listed, context), strict=True)
        if ok
    }


def permitted_now(
    actor: Actor, permission: Permission, grants: Iterable[Entity], now: datetime
) -> set[int]:
    """The row ids of the time-limited grants (disclosures, break-glass sessions) the policy
    permits at ``now``: both expire, so the moment is part of every question about them."""
    return {int(i) for i in permitted_grants(actor, permission, grants, {"now": now})}


_ON_SERVICE = frozenset(
    {
        Permission.RUN_LINKAGE,
        Permission.APPLY_RETENTION,
        Permission.RUN_SCHEDULED_WORK,
        Permission.REVIEW_LINKS,
    }
)


def is_permitted(
    actor: Actor,
    permission: Permission,
    agency_id: int | None = None,
    *,
    purposes: Collection[Purpose] = (),
    person_id: int | None = None,
) -> bool:
    """The common questions: about the service, an agency (``agency_id``), or a person.

    ``purposes`` are the facts the caller established for this actor and person.
    """
    if permission in _ON_SERVICE:
        resource = service()
    elif permission in _STANDING or permission is Permission.START_BREAK_GLASS:
        resource = person(person_id)
    else:
        resource = agency(agency_id)
    return allowed(actor, permission, resource, purposes=purposes)


# Accounts, agencies and API tokens: a person's act with a recent sign-in (rule F5)


def _fresh(actor: Actor, now: datetime | None) -> dict[str, Any]:
    return {"recent_sign_in": actor.signed_in_recently(now or utcnow())}


def may_add_agencies(actor: Actor, *, now: datetime | None = None) -> bool:
    return allowed(actor, Permission.MANAGE_AGENCIES, service(), _fresh(actor, now))


class AccountChangeKind(StrEnum):
    """What is done to an account, as the policy tells them apart (A1, F8)."""

    GRANT = "grant"
    """Adding an account with the role, or giving an existing account the role."""
    CHANGE = "change"
    """Changing, disabling or enabling an account that holds the role."""
    RESET = "reset"
    """A reset code, or a new second factor, for an account that holds the role: whoever
    does it could sign in as that account, so it is the most guarded."""


def may_change_account(
    actor: Actor,
    agency_id: int | None,
    role: Role,
    *,
    service_account: bool = False,
    change: AccountChangeKind = AccountChangeKind.GRANT,
    subject_id: int | None = None,
    now: datetime | None = None,
) -> bool:
    """Whether ``actor`` may add, or change, an account with ``role`` in ``agency_id``.

    ``subject_id`` is the existing account concerned, so that the policy can refuse
    anyone their own (F7).
    """
    facts = {
        **_fresh(actor, now),
        "role": role.value,
        "service_account": service_account,
        "own_account": subject_id is not None and subject_id == actor.practitioner_id,
        "change": change.value,
    }
    return allowed(actor, Permission.MANAGE_PRACTITIONERS, agency(agency_id), facts)


OWN_ACCOUNT_REFUSAL = (
    "You cannot change your own account, its role, password or second factor: ask another "
    "administrator of your agency."
)


def may_issue_api_tokens(
    actor: Actor, agency_id: int | None, *, now: datetime | None = None
) -> bool:
    return allowed(actor, Permission.ISSUE_API_TOKENS, agency(agency_id), _fresh(actor, now))


def require(
    actor: Actor,
    permission: Permission,
    agency_id: int | None = None,
    *,
    purposes: Collection[Purpose] = (),
    person_id: int | None = None,
) -> None:
    """Raise ``NotPermitted`` with a reason the practitioner can act on."""
    if not is_permitted(actor, permission, agency_id, purposes=purposes, person_id=person_id):
        raise NotPermitted(refusal(permission))


loaded()
