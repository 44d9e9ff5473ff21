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
    LINKAGE_REVIEWER = "linkage_reviewer"
    """Decides whether two agencies' records are one person (data quality). Sees the
    identity fields of the pairs in the review queue, never what any agency recorded."""
    LADO = "lado"
    """The Local Authority Designated Officer: advises on allegations against adults who
    work with children; asked for advice, anonymised, from any agency."""
    ADMIN = "admin"
    """An agency's administrator: manages its own agency's accounts, service accounts and
    API tokens, never anyone else's, and reads no child's information."""
    PLATFORM_ADMIN = "platform_admin"
    """The service administrator: adds agencies and each agency's administrators. Belongs
    to no agency's work, manages no other accounts and reads no child's information;
    only the command line (the data controller) makes one."""
    SYSTEM = "system"


HUMAN_ROLES = tuple(r for r in Role if r is not Role.SYSTEM)

SERVICE_ACCOUNT_ROLE = Role.PRACTITIONER
"""The role every service account holds. A feed from another system writes and reads its
own agency's records as a practitioner would, and nothing beyond that: no oversight, no
break-glass, no administration."""
