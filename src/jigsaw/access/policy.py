"""Who may do what. Every service asks here; no route decides access itself.

The rules are a table: an action maps to the roles that may take it and whether the
resource must belong to the actor's own agency.
"""

from __future__ import annotations

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


FRONTLINE = frozenset({Role.PRACTITIONER, Role.DSL, Role.MASH, Role.CALDICOTT, Role.DPO})


@dataclass(frozen=True)
class Rule:
    roles: frozenset[Role]
    own_agency_only: bool
    refusal: str


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
}


def is_permitted(actor: Actor, permission: Permission, agency_id: int | None = None) -> bool:
    if actor.is_system:
        return True
    rule = RULES[permission]
    if actor.role not in rule.roles:
        return False
    return not (rule.own_agency_only and agency_id != actor.agency_id)


def require(actor: Actor, permission: Permission, agency_id: int | None = None) -> None:
    """Raise ``NotPermitted`` with a reason the practitioner can act on."""
    if not is_permitted(actor, permission, agency_id):
        raise NotPermitted(RULES[permission].refusal)
