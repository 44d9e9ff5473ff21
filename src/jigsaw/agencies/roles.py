"""The kinds of agency and the roles practitioners hold, in the sector's own terms."""

from __future__ import annotations

from enum import StrEnum


class AgencyKind(StrEnum):
    SCHOOL = "school"
    HEALTH = "health"
    POLICE = "police"
    SOCIAL_CARE = "social_care"
    HOUSING = "housing"
    PROBATION = "probation"
    VOLUNTARY = "voluntary"
    OTHER = "other"


class Role(StrEnum):
    PRACTITIONER = "practitioner"
    DSL = "dsl"
    MASH = "mash"
    DPO = "dpo"
    CALDICOTT = "caldicott"
    AUDITOR = "auditor"
    ADMIN = "admin"
    SYSTEM = "system"


HUMAN_ROLES = tuple(r for r in Role if r is not Role.SYSTEM)
