"""Who may do what. Every service asks here; no route decides access itself.

The rules are a table: an action maps to the roles that may take it and whether the
resource must belong to the actor's own agency. Looking across agencies at one person
also needs a legitimate purpose: the service establishes the facts (``Purpose``) from
the database, and the table says which facts, held by which roles, are enough.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from enum import StrEnum

from jigsaw.access.actor import Actor
from jigsaw.agencies.roles import Role
from jigsaw.errors import NotPermitted


class Permission(StrEnum):
    MANAGE_AGENCIES = "manage_agencies"
    MANAGE_PRACTITIONERS = "manage_practitioners"
    RECORD_ABOUT_PEOPLE = "record_about_people"
    READ_OWN_AGENCY_RECORDS = "read_own_agency_records"
    VIEW_WHO_KNOWS = "view_who_knows"
    VIEW_CHRONOLOGY = "view_chronology"
    VIEW_PATTERN_FLAGS = "view_pattern_flags"


class Purpose(StrEnum):
    """Facts about a practitioner and a person that can make looking at the person legitimate."""

    HOLDS_RECORD = "holds_record"
    """Their agency holds a record linked to the person."""
    OPEN_REQUEST = "open_request"
    """Their agency made or received a request for information about the person that is
    still waiting for a decision."""
    RECEIVED_DISCLOSURE = "received_disclosure"
    """Information about the person has been disclosed to them (or their agency's inbox)
    and the disclosure is still active."""


FRONTLINE = frozenset({Role.PRACTITIONER, Role.DSL, Role.MASH, Role.CALDICOTT, Role.DPO})
MASH_ONLY = frozenset({Role.MASH})


@dataclass(frozen=True)
class Rule:
    """``purposes``, when set, maps each fact that can justify the action to the roles it
    justifies it for; the action is then refused unless one of them holds."""

    roles: frozenset[Role]
    own_agency_only: bool
    refusal: str
    purposes: Mapping[Purpose, frozenset[Role]] | None = None


_CROSS_AGENCY_PURPOSES: Mapping[Purpose, frozenset[Role]] = {
    Purpose.HOLDS_RECORD: FRONTLINE,
    Purpose.OPEN_REQUEST: MASH_ONLY,
    Purpose.RECEIVED_DISCLOSURE: FRONTLINE,
}


RULES: dict[Permission, Rule] = {
    Permission.MANAGE_AGENCIES: Rule(
        frozenset({Role.ADMIN}), False, "Only an administrator can add agencies."
    ),
    Permission.MANAGE_PRACTITIONERS: Rule(
        frozenset({Role.ADMIN}), False, "Only an administrator can add practitioners."
    ),
    Permission.RECORD_ABOUT_PEOPLE: Rule(
        FRONTLINE, True, "You can only record information for your own agency."
    ),
    Permission.READ_OWN_AGENCY_RECORDS: Rule(
        FRONTLINE, True, "You can only see your own agency's records."
    ),
    Permission.VIEW_WHO_KNOWS: Rule(
        FRONTLINE,
        False,
        "You can see who else knows a child only when your agency holds a record of them, "
        "or in the MASH while a request for information about them is open.",
        {Purpose.HOLDS_RECORD: FRONTLINE, Purpose.OPEN_REQUEST: MASH_ONLY},
    ),
    Permission.VIEW_CHRONOLOGY: Rule(
        FRONTLINE,
        False,
        "You can see a child's chronology only when your agency holds a record of them, "
        "information about them has been shared with you, or in the MASH while a request "
        "for information about them is open.",
        _CROSS_AGENCY_PURPOSES,
    ),
    Permission.VIEW_PATTERN_FLAGS: Rule(
        FRONTLINE,
        False,
        "You can see patterns in a child's information only when your agency holds a record "
        "of them, information about them has been shared with you, or in the MASH while a "
        "request for information about them is open.",
        _CROSS_AGENCY_PURPOSES,
    ),
}


def is_permitted(
    actor: Actor,
    permission: Permission,
    agency_id: int | None = None,
    *,
    purposes: Collection[Purpose] = (),
) -> bool:
    """``purposes`` are the facts the caller established for this actor and resource."""
    if actor.is_system:
        return True
    rule = RULES[permission]
    if actor.role not in rule.roles:
        return False
    if rule.own_agency_only and agency_id != actor.agency_id:
        return False
    if rule.purposes is None:
        return True
    return any(actor.role in rule.purposes.get(p, frozenset()) for p in purposes)


def require(
    actor: Actor,
    permission: Permission,
    agency_id: int | None = None,
    *,
    purposes: Collection[Purpose] = (),
) -> None:
    """Raise ``NotPermitted`` with a reason the practitioner can act on."""
    if not is_permitted(actor, permission, agency_id, purposes=purposes):
        raise NotPermitted(RULES[permission].refusal)
