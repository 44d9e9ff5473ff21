"""SQL filters for lists, derived from ``policy.cedar`` rather than written beside it.

A list cannot put each of its rows to the policy, so it filters in SQL. Rather than a
second copy of the rules, each filter is worked out from the policy itself. A rule can
only see a few things about a resource relative to the person asking: whether an agency
it names is theirs or another, whether a practitioner it names is them, someone else or
no one, and which of a handful of fixed values a role attribute holds. Every resource in
one such class gets the same answer, so one stand-in for each class is put to the
policy (in one batch, remembered per kind of principal) and the filter is the classes
it permits, each turned into its SQL condition. Each filter therefore has exactly the
meaning of the rules named beside it, and ``tests/policy/test_scope_agreement.py``
checks each against the policy asked row by row on random data.

A new attribute a rule starts to read must be added to the classes here; the agreement
test, which builds each row's grant as the services do, is there to catch one that is not.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from itertools import product
from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_, true
from sqlalchemy.orm import InstrumentedAttribute

from jigsaw.policy import authorize as policy
from jigsaw.policy.actor import Actor
from jigsaw.policy.authorize import Permission
from jigsaw.policy.roles import HUMAN_ROLES, Role

ME, OTHER = 1, 2
"""The stand-in ids: the actor's own (practitioner or agency), and anyone else's."""

Condition = ColumnElement[bool]
IdColumn = ColumnElement[Any] | InstrumentedAttribute[Any]
"""A column holding an agency's or a practitioner's id."""
Classes = tuple[tuple[str, ...], ...]
"""For each attribute a rule can see, the labels of its classes, in order."""


@dataclass(frozen=True)
class _Principal:
    """What the policy sees of the person asking, beside their own ids."""

    role: Role
    mfa_verified: bool
    via_token: bool

    @classmethod
    def of(cls, actor: Actor) -> _Principal:
        return cls(actor.role, actor.mfa_verified, actor.is_token)

    def stand_in(self) -> Actor:
        return Actor(
            ME,
            ME,
            self.role,
            mfa_verified=self.mfa_verified,
            token_id=ME if self.via_token else None,
        )


WILD = "*"


def _covers(wide: tuple[str, ...], narrow: tuple[str, ...]) -> bool:
    return all(w in (WILD, n) for w, n in zip(wide, narrow, strict=True))


def _merge(permitted: set[tuple[str, ...]], classes: Classes) -> frozenset[tuple[str, ...]]:
    """Fewer, wider conditions: every widest pattern (an attribute left out is ``WILD``)
    whose classes are all permitted; together they cover exactly the permitted classes."""
    patterns = product(*((*labels, WILD) for labels in classes))
    whole = {
        p
        for p in patterns
        if all(
            c in permitted
            for c in product(*(ls if w == WILD else (w,) for w, ls in zip(p, classes, strict=True)))
        )
    }
    return frozenset(p for p in whole if not any(q != p and _covers(q, p) for q in whole))


@cache
def _permitted(
    permission: Permission,
    principal: _Principal,
    classes: Classes,
    build: Callable[[int, tuple[str, ...]], policy.Entity],
    context: tuple[tuple[str, datetime | bool], ...] = (),
) -> frozenset[tuple[str, ...]]:
    every = list(product(*classes))
    answers = policy.allowed_each(
        principal.stand_in(),
        permission,
        [build(n, c) for n, c in enumerate(every)],
        dict(context),
    )
    return _merge({c for c, ok in zip(every, answers, strict=True) if ok}, classes)


def _derive(
    actor: Actor,
    permission: Permission,
    classes: Classes,
    build: Callable[[int, tuple[str, ...]], policy.Entity],
    conditions: Sequence[Callable[[str], Condition]],
) -> Condition:
    """The SQL for the classes of resource the policy lets ``actor`` have ``permission`` on."""
    allowed = _permitted(permission, _Principal.of(actor), classes, build)
    if not allowed:
        return false()
    if (WILD,) * len(classes) in allowed:
        return true()
    return or_(
        *(
            and_(*(cond(label) for cond, label in zip(conditions, c, strict=True) if label != WILD))
            for c in sorted(allowed)
        )
    )


# The classes, and their SQL


AGENCY = ("mine", "other")
PRACTITIONER = ("me", "other")
NAMED = ("me", "other", "none")
"""A practitioner a resource may name or leave out."""


def _agency_ref(label: str) -> int:
    return ME if label == "mine" else OTHER


def _practitioner_ref(label: str) -> int | None:
    return {"me": ME, "other": OTHER}.get(label)


def _agency_is(column: IdColumn, agency_id: int | None) -> Callable[[str], Condition]:
    def condition(label: str) -> Condition:
        if label == "mine":
            return column == agency_id if agency_id is not None else false()
        return or_(column.is_(None), column != agency_id) if agency_id is not None else true()

    return condition


def _practitioner_is(column: IdColumn, practitioner_id: int | None) -> Callable[[str], Condition]:
    def condition(label: str) -> Condition:
        if label == "me":
            return column == practitioner_id if practitioner_id is not None else false()
        if label == "none":
            return column.is_(None)
        present = column.is_not(None)
        return present & (column != practitioner_id) if practitioner_id is not None else present

    return condition


# Filters for lists


def on_service(actor: Actor, permission: Permission) -> Condition:
    """Every row or none: for permissions about the service as a whole."""
    return true() if policy.is_permitted(actor, permission) else false()


def _agency(n: int, labels: tuple[str, ...]) -> policy.Entity:
    return policy.agency(_agency_ref(labels[0]))


def of_agency(actor: Actor, permission: Permission, column: IdColumn) -> Condition:
    """Rows whose agency (``column``) the policy grants ``permission`` on.

    For the permissions whose resource is an agency: the same meaning as rules R0
    (``view_colleagues``), R1 (``read_own_agency_records``), R2 (``export_decisions``),
    O1 (``view_register``, ``view_access_log``) and A1a (``oversee_api_tokens``), with S1
    and F1.
    """
    return _derive(actor, permission, (AGENCY,), _agency, [_agency_is(column, actor.agency_id)])


def link_reviews(actor: Actor) -> Condition:
    """The link review queue: the same meaning as rules A3, S1 and F1 (all of it, or none)."""
    return on_service(actor, Permission.REVIEW_LINKS)


def access_log(actor: Actor, actor_agency: IdColumn) -> Condition:
    """Audit entries of the agencies whose access log the actor may see: rules O1, S1, F1.

    ``actor_agency`` is the entry's column naming the agency of whoever acted."""
    return of_agency(actor, Permission.VIEW_ACCESS_LOG, actor_agency)


def _request(n: int, labels: tuple[str, ...]) -> policy.Entity:
    return policy.information_request(n, _agency_ref(labels[0]), _agency_ref(labels[1]))


def requests(actor: Actor, requester_agency: IdColumn, recipient_agency: IdColumn) -> Condition:
    """Requests for information the actor may see: the same meaning as rules Q1, S1, F1.

    The columns are the request's: the agency asking and the agency asked."""
    return _derive(
        actor,
        Permission.VIEW_REQUEST,
        (AGENCY, AGENCY),
        _request,
        [
            _agency_is(requester_agency, actor.agency_id),
            _agency_is(recipient_agency, actor.agency_id),
        ],
    )


def _advice(n: int, labels: tuple[str, ...]) -> policy.Entity:
    agency, asked_by, to_practitioner, to_role = labels
    return policy.advice_request(
        n,
        agency_id=_agency_ref(agency),
        asked_by_id=ME if asked_by == "me" else OTHER,
        to_practitioner_id=_practitioner_ref(to_practitioner),
        to_role=None if to_role == "none" else to_role,
    )


def advice(
    actor: Actor,
    *,
    agency: IdColumn,
    asked_by: IdColumn,
    to_practitioner: IdColumn,
    to_role: ColumnElement[Any] | InstrumentedAttribute[Any],
    roles: Sequence[str],
) -> Condition:
    """Requests for advice the actor may see: the same meaning as rules Q2, S1 and F1
    (asked by them, of them by name, or of a role they hold in the asker's agency).

    The columns are the request's; ``roles`` are the values ``to_role`` may hold."""

    def role_is(label: str) -> Condition:
        return to_role.is_(None) if label == "none" else to_role == label

    return _derive(
        actor,
        Permission.VIEW_ADVICE,
        (AGENCY, PRACTITIONER, NAMED, ("none", *roles)),
        _advice,
        [
            _agency_is(agency, actor.agency_id),
            _practitioner_is(asked_by, actor.practitioner_id),
            _practitioner_is(to_practitioner, actor.practitioner_id),
            role_is,
        ],
    )


def _notice(n: int, labels: tuple[str, ...]) -> policy.Entity:
    return policy.notification(n, _agency_ref(labels[0]), _practitioner_ref(labels[1]))


def notifications(actor: Actor, agency: IdColumn, practitioner: IdColumn) -> Condition:
    """Notices the actor may see and mark read: the same meaning as rules N1, S1 and F1.

    The columns are the notice's: the agency it went to and the person it names, if any."""
    return _derive(
        actor,
        Permission.VIEW_NOTIFICATION,
        (AGENCY, NAMED),
        _notice,
        [
            _agency_is(agency, actor.agency_id),
            _practitioner_is(practitioner, actor.practitioner_id),
        ],
    )


STAND_IN_NOW = datetime(2000, 1, 1, tzinfo=UTC)
"""The moment the stand-in disclosures are asked about; each is active then."""


def _disclosure(n: int, labels: tuple[str, ...]) -> policy.Entity:
    return policy.disclosure(
        n,
        disclosing_agency_id=OTHER,
        recipient_agency_id=_agency_ref(labels[0]),
        recipient_practitioner_id=_practitioner_ref(labels[1]),
        expires_at=STAND_IN_NOW + timedelta(days=1),
        revoked=False,
    )


def receives_disclosures(actor: Actor) -> bool:
    """Whether any active disclosure could be seen by this actor as its recipient: rules
    D1 and F1 asked about active disclosures to them by name and to their agency's inbox.
    The system is no one's recipient (it has no inbox), whatever S1 lets it read."""
    if actor.is_system:
        return False
    return bool(
        _permitted(
            Permission.VIEW_DISCLOSURE,
            _Principal.of(actor),
            (AGENCY, NAMED),
            _disclosure,
            (("now", STAND_IN_NOW),),
        )
    )


def _break_glass(n: int, labels: tuple[str, ...]) -> policy.Entity:
    return policy.break_glass_session(
        n,
        practitioner_id=_practitioner_ref(labels[0]) or OTHER,
        person_id=OTHER,
        expires_at=STAND_IN_NOW + timedelta(hours=1),
        ended=False,
    )


def uses_break_glass(actor: Actor) -> bool:
    """Whether a break-glass session could be active for this actor at all: rules B2, F1
    and F3 asked about an active session of their own. The system starts none."""
    if actor.is_system or actor.practitioner_id is None:
        return False
    return bool(
        _permitted(
            Permission.USE_BREAK_GLASS,
            _Principal.of(actor),
            (PRACTITIONER,),
            _break_glass,
            (("now", STAND_IN_NOW),),
        )
    )


def _colleagues_record(n: int, labels: tuple[str, ...]) -> policy.Entity:
    return policy.agency_record(n, _agency_ref(labels[0]), _practitioner_ref(labels[1]))


def confirms_records(actor: Actor) -> bool:
    """Whether this actor confirms records at all, to offer them the page: rule R3 asked
    about a record a colleague made in their agency (whether their own account is still
    settling is asked, as the rule says, of each confirmation)."""
    return bool(
        _permitted(
            Permission.CONFIRM_AGENCY_RECORD,
            _Principal.of(actor),
            (AGENCY, NAMED),
            _colleagues_record,
            (("account_settling", False),),
        )
    )


def recipient_roles() -> list[Role]:
    """The roles of people who can receive a disclosure (rule D1): whom to offer, and
    allow, as the named recipient of a decision."""
    return [
        role for role in HUMAN_ROLES if receives_disclosures(Actor(ME, ME, role, mfa_verified=True))
    ]


def own_agency(actor: Actor, column: IdColumn) -> Condition:
    """Rows of the actor's own agency. Not a permission: which of the rows a scope above
    allows belong on a page about the agency's own work (its incoming requests, say)."""
    return column == actor.agency_id if actor.agency_id is not None else false()
